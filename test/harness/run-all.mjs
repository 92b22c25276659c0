#!/usr/bin/env node
// `npm test`: the unit tests (plain Node), the real agents' CLIs offline (e2e), then the integration tests (mocha inside the real
// VS Code extension host), then the UI tests (Playwright on the real workbench), the last two on
// each VS Code version of vscode-versions.json (1.99, the oldest engines.vscode allows, and the
// current one). Installs their tools on first use (test/harness/setup-tools.sh, cached outside
// the clone; the versions in parallel). Ends with one line `N passed, N failed`; exits 1 when
// anything failed or a stage ran no test.
//
//   node test/harness/run-all.mjs [--stages unit,e2e,integration,ui] [--vscode 1.99,current]
//                                 [--update-screenshots]
//   --vscode (or NEXUS_VSCODE): which VS Code versions; "all" (default), a key ("1.99",
//   "current") or a version ("1.139.1"), comma-separated. E.g. NEXUS_VSCODE=current npm test.
// (npm test -- --update-screenshots also copies the README screenshots to media/screenshots/)
import path from 'node:path';
import { runE2e } from './run-e2e.mjs';
import { runIntegration } from './run-integration.mjs';
import { runUi } from './run-ui.mjs';
import { runUnit } from './run-unit.mjs';
import { ensureTools, installTools, resolveVersions } from './tools.mjs';

const KNOWN_STAGES = ['unit', 'e2e', 'integration', 'ui'];

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const stages = (option('--stages') ?? 'unit,e2e,integration,ui').split(',').map((s) => s.trim()).filter(Boolean);
const updateScreenshots = args.includes('--update-screenshots') || process.env.NEXUS_UPDATE_SCREENSHOTS === '1';
for (const stage of stages) {
  if (!KNOWN_STAGES.includes(stage)) {
    console.error(`unknown stage "${stage}" (stages: ${KNOWN_STAGES.join(', ')})`);
    process.exit(2);
  }
}
let versions;
try {
  versions = resolveVersions(option('--vscode') ?? process.env.NEXUS_VSCODE ?? 'all');
} catch (e) {
  console.error(e.message);
  process.exit(2);
}

const started = Date.now();
const results = [];
const heading = (text) => console.log(`\n=== ${text} ===`);

async function stage(name, fn) {
  heading(name);
  try {
    results.push(await fn());
  } catch (e) {
    console.log(`  ✗ ${name}: ${e?.stack ?? e}`);
    results.push({ name, passed: 0, failed: 1, ok: false, seconds: 0 });
  }
}

if (stages.includes('unit')) await stage('unit', () => runUnit());
if (stages.includes('e2e')) await stage('e2e', () => runE2e()); // the real agents' CLIs, offline (test/e2e/)

// The tools of every version first (installed in parallel on a fresh machine), so a version
// whose install failed fails its stages and the others still run.
const toolsErrors = new Map();
if (stages.includes('integration') || stages.includes('ui')) {
  heading(`tools for the real VS Code tests (VS Code ${versions.map((v) => v.vscode).join(', ')})`);
  const t0 = Date.now();
  try {
    installTools(versions);
  } catch { /* reported per version below */ }
  for (const version of versions) {
    try {
      const tools = ensureTools({ quiet: true, vscode: version.key });
      console.log(`  VS Code ${tools.vscodeVersion}: code-server ${tools.codeServerVersion} in ${tools.toolsDir}`);
    } catch (e) {
      toolsErrors.set(version.key, e);
      console.log(`  ✗ VS Code ${version.vscode}: setup-tools.sh failed: ${e.message}`);
    }
  }
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
const withTools = (version, fn) => () => {
  const error = toolsErrors.get(version.key);
  if (error) throw new Error(`cannot run without the tools of VS Code ${version.vscode}: ${error.message}`);
  return fn();
};
for (const version of stages.includes('integration') ? versions : []) {
  await stage(`integration (VS Code ${version.vscode})`, withTools(version, () => runIntegration({ vscode: version.key })));
}
for (const version of stages.includes('ui') ? versions : []) {
  await stage(`ui (VS Code ${version.vscode})`, withTools(version, () => runUi({ vscode: version.key, updateScreenshots })));
}

heading('summary');
let passed = 0;
let failed = 0;
const width = Math.max(12, ...results.map((r) => r.name.length));
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  const note = r.ok ? '' : (r.failed === 0 ? '  ← ran no test' : '  ← FAILED');
  console.log(`  ${r.name.padEnd(width)} ${String(r.passed).padStart(4)} ok  ${String(r.failed).padStart(3)} failed  ${r.seconds.toFixed(1).padStart(6)} s${note}`);
}
const allOk = results.length > 0 && results.every((r) => r.ok);
if (!allOk) {
  // A stage that ran nothing counts as a failure, so the closing line never reads green.
  failed += results.filter((r) => !r.ok && r.failed === 0).length;
  console.log(`  logs and screenshots of failures: ${path.join('test-artifacts', '')}`);
}
console.log(`  total ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(allOk ? 0 : 1);
