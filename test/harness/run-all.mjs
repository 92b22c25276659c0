#!/usr/bin/env node
// `npm test`: the unit tests (plain Node), then the integration tests (mocha inside the real
// VS Code extension host), then the UI tests (Playwright on the real workbench). Installs the
// tools of the last two on first use (test/harness/setup-tools.sh, cached outside the clone).
// Ends with one line `N passed, N failed`; exits 1 when anything failed or a stage ran no test.
//
//   node test/harness/run-all.mjs [--stages unit,integration,ui] [--update-screenshots]
// (npm test -- --update-screenshots also copies the README screenshots to media/screenshots/)
import path from 'node:path';
import { runE2e } from './run-e2e.mjs';
import { runIntegration } from './run-integration.mjs';
import { runUi } from './run-ui.mjs';
import { runUnit } from './run-unit.mjs';
import { ensureTools } from './tools.mjs';

const args = process.argv.slice(2);
const stagesArg = args.includes('--stages') ? args[args.indexOf('--stages') + 1] : 'unit,e2e,integration,ui';
const stages = stagesArg.split(',').map((s) => s.trim()).filter(Boolean);
const updateScreenshots = args.includes('--update-screenshots') || process.env.NEXUS_UPDATE_SCREENSHOTS === '1';
for (const stage of stages) {
  if (!['unit', 'e2e', 'integration', 'ui'].includes(stage)) {
    console.error(`unknown stage "${stage}" (stages: unit, e2e, integration, ui)`);
    process.exit(2);
  }
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
if (stages.includes('e2e')) await stage('e2e', () => runE2e()); // real agent CLIs, offline (test/e2e/)

const needsVsCode = stages.includes('integration') || stages.includes('ui');
let toolsError;
if (needsVsCode) {
  heading('tools for the real VS Code tests');
  const t0 = Date.now();
  try {
    const tools = ensureTools();
    console.log(`  ${tools.toolsDir} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    toolsError = e;
    console.log(`  ✗ setup-tools.sh failed: ${e.message}`);
  }
}
const withTools = (name, fn) => () => {
  if (toolsError) throw new Error(`cannot run without the tools: ${toolsError.message}`);
  return fn();
};
if (stages.includes('integration')) await stage('integration', withTools('integration', () => runIntegration()));
if (stages.includes('ui')) await stage('ui', withTools('ui', () => runUi({ updateScreenshots })));

heading('summary');
let passed = 0;
let failed = 0;
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  const note = r.ok ? '' : (r.failed === 0 ? '  ← ran no test' : '  ← FAILED');
  console.log(`  ${r.name.padEnd(12)} ${String(r.passed).padStart(4)} ok  ${String(r.failed).padStart(3)} failed  ${r.seconds.toFixed(1).padStart(6)} s${note}`);
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
