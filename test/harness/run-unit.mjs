#!/usr/bin/env node
// Runs the unit tests (node:test, compiled to out/test/unit/**/*.test.js) with Node's own test
// runner: its spec output on the terminal, and a TAP copy whose summary gives the counts.
// (A glob argument to `node --test` needs Node 21+; listing the files works on Node 20 too.)
//
//   node test/harness/run-unit.mjs [node --test options...]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './tools.mjs';

// The core's and the CLI's tests under test/unit, and each agent's beside its code (src/agents/<agent>/test).
const UNIT_DIRS = [path.join('out', 'test', 'unit'), path.join('out', 'src', 'agents')];

export function findUnitTests(dirs = UNIT_DIRS.map((d) => path.join(projectRoot, d))) {
  return [dirs].flat().filter((dir) => fs.existsSync(dir)).flatMap((dir) => fs.readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => path.join(dir, f)))
    .sort();
}

/** Parses the closing `# pass N` / `# fail N` ... lines of a TAP stream. */
export function parseTapSummary(tap) {
  const count = (key) => Number(tap.match(new RegExp(`^# ${key} (\\d+)$`, 'm'))?.[1] ?? 0);
  return { tests: count('tests'), passed: count('pass'), failed: count('fail') + count('cancelled'), skipped: count('skipped') + count('todo') };
}

export async function runUnit({ extraArgs = [], log = console.log } = {}) {
  const started = Date.now();
  const files = findUnitTests();
  if (files.length === 0) {
    log('  no unit test files under out/test/unit (did `npm run compile-tests` run?)');
    return { name: 'unit', passed: 0, failed: 0, skipped: 0, ok: false, seconds: 0 };
  }
  const { passed, failed, skipped } = await runNodeTests(files, { concurrency: 2, extraArgs });
  return { name: 'unit', passed, failed, skipped, ok: failed === 0 && passed > 0, seconds: (Date.now() - started) / 1000 };
}

/**
 * Runs test files with Node's own runner: its spec output on the terminal, and a TAP copy whose
 * summary gives the counts (the unit and the e2e stages).
 */
export async function runNodeTests(files, { concurrency = 2, extraArgs = [] } = {}) {
  const tapFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-node-test-')), 'results.tap');
  const args = ['--test', `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...extraArgs, ...files];
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (c, signal) => resolve(signal ? 1 : c));
  });
  const summary = parseTapSummary(fs.existsSync(tapFile) ? fs.readFileSync(tapFile, 'utf8') : '');
  fs.rmSync(path.dirname(tapFile), { recursive: true, force: true });
  let { failed } = summary;
  if (code !== 0 && failed === 0) failed = 1; // the runner itself failed (a file that does not load, a crash)
  return { passed: summary.passed, failed, skipped: summary.skipped };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runUnit({ extraArgs: process.argv.slice(2) });
  console.log(`${result.passed} passed, ${result.failed} failed`);
  process.exit(result.ok ? 0 : 1);
}
