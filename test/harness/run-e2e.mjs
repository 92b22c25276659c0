#!/usr/bin/env node
// Runs the end-to-end tests (test/e2e/**/*.test.ts compiled to out/test/e2e/, and the scenarios
// test/e2e/<agent>/run.mjs that export run()): the real agent
// CLIs, installed on first use by test/harness/setup-agents.sh (cached outside the clone, keyed
// by version), driven offline against a local fake Messages API, with our hooks installed by our
// own CLI into a temporary home. node:test's spec output on the terminal (one line per test), a
// TAP copy for the counts; `N passed, N failed`; exits 1 on a failure or when no test ran.
//
//   node test/harness/run-e2e.mjs [FILTER...] [node --test options...]
//   (a FILTER keeps the test files whose path contains it, e.g. `claudeCode`)
//   NEXUS_E2E_KEEP=1 keeps the temporary folders (homes, debug logs, buffers)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runNodeTests } from './run-unit.mjs';
import { projectRoot } from './tools.mjs';

const E2E_DIR = path.join(projectRoot, 'out', 'test', 'e2e');
const E2E_SOURCE_DIR = path.join(projectRoot, 'test', 'e2e');

export function findE2eTests(dir = E2E_DIR) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.test.js')).map((f) => path.join(dir, f)).sort();
}

/**
 * Plain-JavaScript scenarios beside the node:test files: test/e2e/<agent>/run.mjs exporting
 * `run()` -> { passed, failed, results: [{ name, ok, error? }] } (e.g. codex).
 */
export function findScenarioModules(dir = E2E_SOURCE_DIR) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())
    .map((d) => path.join(dir, d.name, 'run.mjs')).filter((f) => fs.existsSync(f)).sort();
}

async function runScenarioModule(file, log) {
  const label = path.basename(path.dirname(file));
  try {
    const mod = await import(pathToFileURL(file).href);
    if (typeof mod.run !== 'function') throw new Error(`${file} exports no run()`);
    const { results = [] } = await mod.run();
    for (const r of results) log(`  ${r.ok ? '✔' : '✖'} ${label}: ${r.name}${r.ok ? '' : `\n      ${String(r.error ?? 'failed').split('\n').join('\n      ')}`}`);
    const failed = results.filter((r) => !r.ok).length;
    if (results.length === 0) log(`  ✖ ${label}: ran no check`);
    return { passed: results.length - failed, failed: failed + (results.length === 0 ? 1 : 0) };
  } catch (e) {
    log(`  ✖ ${label}: ${e?.stack ?? e}`);
    return { passed: 0, failed: 1 };
  }
}

/** Runs setup-agents.sh (a quick no-op once installed); returns the `claude` path. */
export function ensureAgents({ log = console.log } = {}) {
  const t0 = Date.now();
  const out = execFileSync('bash', [path.join(projectRoot, 'test', 'harness', 'setup-agents.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: 900_000,
  });
  const claude = out.trim().split('\n').pop().trim();
  log(`  claude: ${claude} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return { claude };
}

export async function runE2e({ extraArgs = [], filters = [], log = console.log } = {}) {
  const started = Date.now();
  const keep = (dir) => (f) => filters.length === 0 || filters.some((x) => path.relative(dir, f).includes(x));
  const files = findE2eTests().filter(keep(E2E_DIR));
  const scenarios = findScenarioModules().filter(keep(E2E_SOURCE_DIR));
  if (files.length === 0 && scenarios.length === 0) {
    log(`  no e2e test files under out/test/e2e${filters.length ? ` matching ${filters.join(', ')}` : ''} (did \`npm run compile-tests\` run?)`);
    return { name: 'e2e', passed: 0, failed: 0, skipped: 0, ok: false, seconds: 0 };
  }
  if (!fs.existsSync(path.join(projectRoot, 'dist', 'cli.js'))) {
    log('  dist/cli.js is missing (did `npm run build` run?)');
    return { name: 'e2e', passed: 0, failed: 1, skipped: 0, ok: false, seconds: 0 };
  }
  try {
    ensureAgents({ log });
  } catch (e) {
    log(`  ✗ setup-agents.sh failed: ${e.message}`);
    return { name: 'e2e', passed: 0, failed: 1, skipped: 0, ok: false, seconds: (Date.now() - started) / 1000 };
  }
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  if (files.length > 0) {
    // One file at a time: each drives real agent processes, and the machine may have 2 cores.
    const counts = await runNodeTests(files, { concurrency: 1, extraArgs });
    passed += counts.passed;
    failed += counts.failed;
    skipped += counts.skipped;
  }
  for (const file of scenarios) {
    const counts = await runScenarioModule(file, log);
    passed += counts.passed;
    failed += counts.failed;
  }
  return { name: 'e2e', passed, failed, skipped, ok: failed === 0 && passed > 0, seconds: (Date.now() - started) / 1000 };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const result = await runE2e({ filters: argv.filter((a) => !a.startsWith('-')), extraArgs: argv.filter((a) => a.startsWith('-')) });
  console.log(`${result.passed} passed, ${result.failed} failed  (${result.seconds.toFixed(1)} s)`);
  process.exit(result.ok ? 0 : 1);
}
