// `npm run test:electron`: the same integration suite (out/test/integration) in a desktop VS Code
// downloaded by @vscode/test-electron. For machines that can reach the VS Code download servers;
// where they cannot (as on this project's CI), `npm test` runs the suite in code-server instead
// (test/harness/run-integration.mjs).
//
// Environment: VSCODE_TEST_VERSION (default: the VS Code of code-server in setup-tools.sh),
// NEXUS_TEST_GREP (only the tests whose title matches).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

const VSCODE_VERSION = process.env.VSCODE_TEST_VERSION ?? '1.139.1';

async function main(): Promise<number> {
  const projectRoot = path.resolve(__dirname, '..', '..', '..');
  const extensionTestsPath = path.join(projectRoot, 'out', 'test', 'integration', 'index.js');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-electron-'));
  const bufferDir = path.join(work, 'buffers');
  const workspace = path.join(work, 'workspace');
  const userDataDir = path.join(work, 'user-data');
  const resultsFile = path.join(work, 'results.json');
  fs.mkdirSync(bufferDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(workspace, { recursive: true });
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  // In a local (desktop) window, machine-scoped settings such as nexusBuffer.directory are
  // read from the user settings.
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({
    'nexusBuffer.directory': bufferDir,
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
  }, null, 2));
  let exitCode = 1;
  try {
    exitCode = await runTests({
      version: VSCODE_VERSION,
      extensionDevelopmentPath: projectRoot,
      extensionTestsPath,
      extensionTestsEnv: {
        NEXUS_BUFFER_DIR: bufferDir,
        NEXUS_TEST_BUFFER_DIR: bufferDir,
        NEXUS_TEST_WORKSPACE: workspace,
        NEXUS_TEST_RESULTS: resultsFile,
        NEXUS_TEST_GREP: process.env.NEXUS_TEST_GREP,
      },
      launchArgs: [
        workspace,
        `--user-data-dir=${userDataDir}`,
        `--extensions-dir=${path.join(work, 'extensions')}`,
        '--disable-extensions', // other installed extensions stay out; the one under development still loads
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
      ],
    });
  } catch (error: unknown) {
    // runTests rejects when VS Code exits non-zero (a failing test) or cannot be downloaded.
    console.error(error instanceof Error ? error.message : error);
    if (!fs.existsSync(resultsFile)) {
      console.error('VS Code could not run the tests (offline? `npm test` runs them in code-server).');
    }
  }
  if (fs.existsSync(resultsFile)) {
    const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as { passes: unknown[]; failures: unknown[] };
    console.log(`${results.passes.length} passed, ${results.failures.length} failed`);
  }
  fs.rmSync(work, { recursive: true, force: true });
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
