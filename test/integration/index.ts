// Loaded by the real VS Code extension host as `extensionTestsPath` (by test/harness/
// run-integration.mjs through code-server, or by @vscode/test-electron). Runs every
// *.test.js compiled beside this file with mocha's tdd ui (`suite` / `test`), prints one line
// per test and writes the results as JSON to $NEXUS_TEST_RESULTS when it is set.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface TestResult {
  title: string;
  durationMs?: number;
  error?: string;
}

export interface TestResults {
  passes: TestResult[];
  failures: TestResult[];
  pending: TestResult[];
  files: string[];
  startedAt: string;
  endedAt?: string;
}

function findTestFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...findTestFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) files.push(full);
  }
  return files.sort();
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    // Generous: the extension host shares 2 cores with the workbench and the browser.
    timeout: Number(process.env.NEXUS_TEST_TIMEOUT_MS ?? 30000),
    // Our own lines below replace a reporter's (its output would be lost in some hosts).
    reporter: Mocha.reporters.Base,
  });
  if (process.env.NEXUS_TEST_GREP) mocha.grep(process.env.NEXUS_TEST_GREP);
  const files = findTestFiles(__dirname);
  for (const file of files) mocha.addFile(file);

  const results: TestResults = { passes: [], failures: [], pending: [], files, startedAt: new Date().toISOString() };
  const resultsFile = process.env.NEXUS_TEST_RESULTS;
  const save = (): void => {
    if (resultsFile) fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2));
  };
  console.log(`[integration] ${files.length} test file(s) in ${__dirname}`);

  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        results.endedAt = new Date().toISOString();
        save();
        console.log(`[integration] ${results.passes.length} passed, ${results.failures.length} failed`);
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else if (results.passes.length === 0) reject(new Error('no integration test ran'));
        else resolve();
      });
      runner.on('pass', (t) => {
        results.passes.push({ title: t.fullTitle(), durationMs: t.duration });
        console.log(`  ✓ ${t.fullTitle()} (${t.duration ?? 0} ms)`);
      });
      runner.on('fail', (t, err) => {
        results.failures.push({ title: t.fullTitle(), durationMs: t.duration, error: describeError(err) });
        console.log(`  ✗ ${t.fullTitle()}\n    ${describeError(err).split('\n').join('\n    ')}`);
        save(); // partial results survive a host that dies later in the run
      });
      runner.on('pending', (t) => {
        results.pending.push({ title: t.fullTitle() });
        console.log(`  - ${t.fullTitle()} (skipped)`);
      });
    } catch (err) {
      // A test file that throws on load lands here.
      results.failures.push({ title: 'loading the test files', error: describeError(err) });
      results.endedAt = new Date().toISOString();
      save();
      reject(err);
    }
  });
}
