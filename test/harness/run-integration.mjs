#!/usr/bin/env node
// Runs the integration tests (mocha, test/integration/**/*.test.ts compiled to out/) inside the
// real extension host of VS Code: a throwaway code-server loads the extension from source
// (extensionDevelopmentPath) and the mocha loader (extensionTestsPath), headless chromium opens
// the workbench, and the workbench reports the end through window.codeAutomationExit.
//
//   node test/harness/run-integration.mjs [--dev <extension folder>] [--tests <index.js>]
//                                         [--grep <pattern>] [--timeout <seconds>]
//                                         [--vscode 1.99|current]   (default: current)
// Prints one line per test and `N passed, N failed`; exits 1 on a failure or when no test ran.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { pathToFileURL } from 'node:url';
import { launchBrowser, projectRoot, startCodeServer } from './codeServer.mjs';
import { resolveVersions } from './tools.mjs';

export async function runIntegration({
  devPath = projectRoot,
  testsPath = path.join(projectRoot, 'out', 'test', 'integration', 'index.js'),
  grep,
  timeoutSeconds = Number(process.env.NEXUS_INTEGRATION_TIMEOUT ?? 600),
  vscode = 'current',
  artifactsDir,
  log = console.log,
} = {}) {
  const started = Date.now();
  const [version] = resolveVersions(vscode);
  const name = `integration (VS Code ${version.vscode})`;
  artifactsDir ??= path.join(projectRoot, 'test-artifacts', `integration-vscode-${version.vscode}`);
  if (!fs.existsSync(testsPath)) {
    throw new Error(`${testsPath} is missing: run \`npm run compile-tests\` first`);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-integration-'));
  const bufferDir = path.join(work, 'buffers');
  const workspace = path.join(work, 'workspace');
  const resultsFile = path.join(work, 'results.json');
  fs.mkdirSync(workspace, { recursive: true });
  const hostLog = [];
  let server;
  let browser;
  let exitCode = null;
  let problem = null;
  try {
    const extensionEnv = {
      NEXUS_TEST_BUFFER_DIR: bufferDir,
      NEXUS_BUFFER_DIR: bufferDir,
      NEXUS_TEST_WORKSPACE: workspace,
      NEXUS_TEST_RESULTS: resultsFile,
      ...(grep ? { NEXUS_TEST_GREP: grep } : {}),
    };
    // The extension host inherits the server's environment. (The payload's extensionEnvironment
    // does the same on 1.139 but is ignored by 1.99's web workbench.)
    server = await startCodeServer({ bufferDir, workspace, vscode: version.key, env: extensionEnv });
    browser = await launchBrowser();
    const { page } = browser;
    let resolveExit;
    const exited = new Promise((resolve) => { resolveExit = resolve; });
    // The workbench calls these when it runs with an extensionTestsPath (smoke-test driver).
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const line = `[${type}] ${util.format(...(Array.isArray(args) ? args : [args]))}`;
      // Drop the offline noise (extension gallery unreachable) so the tail shows what matters.
      if (!/ENOTFOUND|open-vsx\.org/.test(line)) hostLog.push(line);
    });
    await page.goto(server.workbenchUrl({ devPaths: [devPath], testsPath }));
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutSeconds * 1000); });
    const outcome = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') problem = `the extension host did not finish the tests within ${timeoutSeconds} s`;
    else exitCode = outcome;
  } catch (e) {
    problem = e.message;
  }

  let results = { passes: [], failures: [], pending: [] };
  if (fs.existsSync(resultsFile)) {
    results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  } else if (!problem) {
    problem = `the test run wrote no results (exit code ${exitCode}); is ${testsPath} a mocha loader that honours NEXUS_TEST_RESULTS?`;
  }
  for (const t of results.passes) log(`  ✓ ${t.title} (${t.durationMs ?? 0} ms)`);
  for (const t of results.pending) log(`  - ${t.title} (skipped)`);
  for (const t of results.failures) log(`  ✗ ${t.title}\n      ${String(t.error).split('\n').slice(0, 12).join('\n      ')}`);
  const passed = results.passes.length;
  let failed = results.failures.length;
  if (problem || (exitCode !== 0 && failed === 0)) {
    failed += 1; // the run itself failed: count it, so it can never look green
    log(`  ✗ integration run: ${problem ?? `extension host exited with code ${exitCode}`}`);
  }
  const ok = failed === 0 && passed > 0;
  if (!ok) {
    fs.mkdirSync(artifactsDir, { recursive: true });
    fs.writeFileSync(path.join(artifactsDir, 'extension-host-output.log'), hostLog.join('\n'));
    if (server) {
      fs.copyFileSync(server.logFile, path.join(artifactsDir, 'code-server.log'));
      log('--- code-server log (tail) ---');
      log(server.logTail(30));
      log('--- extension host output (tail) ---');
      log(hostLog.slice(-30).join('\n'));
      log(`(full logs in ${path.relative(process.cwd(), artifactsDir) || artifactsDir})`);
    }
  }
  await browser?.close();
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
  const seconds = (Date.now() - started) / 1000;
  return { name, passed, failed, skipped: results.pending.length, ok, seconds };
}

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === '--dev') { opts.devPath = path.resolve(value); i++; }
    else if (key === '--tests') { opts.testsPath = path.resolve(value); i++; }
    else if (key === '--grep') { opts.grep = value; i++; }
    else if (key === '--timeout') { opts.timeoutSeconds = Number(value); i++; }
    else if (key === '--vscode') { opts.vscode = value; i++; }
    else { console.error(`unknown argument ${key}`); process.exit(2); }
  }
  return opts;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runIntegration(parseArgs(process.argv.slice(2)));
  console.log(`${result.name}: ${result.seconds.toFixed(1)} s`);
  console.log(`${result.passed} passed, ${result.failed} failed`);
  process.exit(result.ok ? 0 : 1);
}
