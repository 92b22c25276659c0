// A throwaway VS Code (code-server, the VS Code server from npm) on 127.0.0.1, driven by
// headless Debian chromium through playwright-core. See ../../../shared/notes/real-vscode-here.md
// for why each flag is there. Everything it writes goes to one temporary folder.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumPath, ensureTools, projectRoot } from './tools.mjs';

export { projectRoot };
const harnessDir = path.dirname(fileURLToPath(import.meta.url));

/** Settings that keep a test run quiet and offline. */
const QUIET_USER_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'git.enabled': false,
};

// Servers started by this process: stopped on exit, even after an uncaught error or Ctrl-C.
const live = new Set();
function killGroup(pid, signal) {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}
function stopAllNow() {
  for (const s of live) {
    killGroup(s.pid, 'SIGKILL');
    if (!s.keepRunDir) fs.rmSync(s.runDir, { recursive: true, force: true }); // rm does not follow symlinks
  }
  live.clear();
}
process.on('exit', stopAllNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    stopAllNow();
    process.exit(130);
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value (returned) or `timeoutMs` passes (throws). */
export async function waitFor(probe, { timeoutMs = 30000, intervalMs = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < end) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) { lastError = e; }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
}

/**
 * Starts code-server. Options:
 * - bufferDir: the test buffer folder (created; set as nexusBuffer.directory in the
 *   machine settings and as NEXUS_BUFFER_DIR in the server's environment). Default: <run>/buffers.
 * - workspace: folder to open (created). Default: <run>/workspace.
 * - userSettings / machineSettings: merged into User/settings.json and Machine/settings.json.
 * - env: extra environment for the server (and so the extension host).
 * - port: fixed port (default: a free one). host: bind address (default 127.0.0.1).
 * - smokeTestDriver: pass --vscode-option enable-smoke-test-driver (needed for the
 *   payload URL parameter; it hides notification toasts). Default true.
 * - vscode: which VS Code (a name tools.mjs resolveVersions knows: "1.99", "current", ...).
 *   Default "current". The server's `vscodeVersion` says which one runs.
 */
export async function startCodeServer(options = {}) {
  const tools = ensureTools({ quiet: true, vscode: options.vscode });
  const runDir = options.runDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-vscode-'));
  const userDataDir = path.join(runDir, 'user-data');
  const extensionsDir = path.join(runDir, 'extensions');
  const xdg = path.join(runDir, 'xdg');
  const bufferDir = path.resolve(options.bufferDir ?? path.join(runDir, 'buffers'));
  const workspace = path.resolve(options.workspace ?? path.join(runDir, 'workspace'));
  for (const dir of [path.join(userDataDir, 'User'), path.join(userDataDir, 'Machine'), extensionsDir,
    path.join(xdg, 'data'), path.join(xdg, 'cache'), path.join(xdg, 'config'), workspace]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  fs.mkdirSync(bufferDir, { recursive: true, mode: 0o700 });
  const writeJson = (file, value) => fs.writeFileSync(file, JSON.stringify(value, null, 2));
  writeJson(path.join(userDataDir, 'User', 'settings.json'), { ...QUIET_USER_SETTINGS, ...options.userSettings });
  // A code-server window is a remote window: machine-scoped settings (nexusBuffer.directory)
  // are read from here only; in User/settings.json they are dropped.
  writeJson(path.join(userDataDir, 'Machine', 'settings.json'), {
    'nexusBuffer.directory': bufferDir,
    ...options.machineSettings,
  });
  const configFile = path.join(runDir, 'config.yaml');
  fs.writeFileSync(configFile, ''); // keeps code-server from writing ~/.config/code-server/config.yaml

  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? await freePort();
  const logFile = path.join(runDir, 'code-server.log');
  const logFd = fs.openSync(logFile, 'a');
  const args = [
    tools.codeServerEntry,
    '--config', configFile,
    '--bind-addr', `${host}:${port}`,
    '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
  ];
  // Without it each closed browser (or reloaded window) leaves its extension host running for
  // 3 hours. code-server 4.99 has no such flag: there they run until stop() ends the group.
  if (tools.flags.reconnectionGraceTime) args.push('--reconnection-grace-time', '5');
  if (options.smokeTestDriver !== false) {
    if (tools.flags.vscodeOption) args.push('--vscode-option', 'enable-smoke-test-driver');
    else {
      args.unshift('--import', pathToFileURL(path.join(harnessDir, 'smokeTestDriverOption.mjs')).href); // a node option: before the entry
      args.push('--enable-smoke-test-driver');
    }
  }
  args.push(workspace);
  const env = {
    ...process.env,
    PATH: `${tools.nodeBin}:${process.env.PATH}`,
    XDG_DATA_HOME: path.join(xdg, 'data'),
    XDG_CACHE_HOME: path.join(xdg, 'cache'),
    XDG_CONFIG_HOME: path.join(xdg, 'config'),
    NEXUS_BUFFER_DIR: bufferDir,
    ...options.env,
  };
  // Options meant for the Node that runs this script (npm, a debugger) must not reach the
  // server's Node or its extension host.
  delete env.NODE_OPTIONS;
  // detached = setsid: the server and every child it forks share one process group.
  const child = spawn(tools.node, args, { cwd: runDir, env, detached: true, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });

  const url = `http://${host}:${port}`;
  const authority = `${host}:${port}`;
  const server = {
    url, port, host, authority, runDir, userDataDir, extensionsDir, bufferDir, workspace, logFile,
    pid: child.pid,
    vscodeVersion: tools.vscodeVersion,
    codeServerVersion: tools.codeServerVersion,
    keepRunDir: !!options.keepRunDir,
    /** A vscode-remote URI for a path on this machine (so it runs in the remote = Node extension host). */
    remoteUri: (p) => `vscode-remote://${authority}${path.resolve(p)}`,
    logTail: (lines = 40) => readTail(logFile, lines),
    /** PIDs in the server's process group whose command line contains `needle`. */
    processes: (needle) => groupProcesses(child.pid, needle),
    workbenchUrl: (opts = {}) => workbenchUrl(server, opts),
    async stop({ keepRunDir = false } = {}) {
      live.delete(server);
      killGroup(child.pid, 'SIGTERM');
      const gone = await waitFor(() => groupProcesses(child.pid).length === 0, { timeoutMs: 3000, what: 'server exit' })
        .then(() => true, () => false);
      if (!gone) killGroup(child.pid, 'SIGKILL');
      await waitFor(() => groupProcesses(child.pid).length === 0, { timeoutMs: 3000, what: 'server exit' }).catch(() => {});
      if (!keepRunDir && !options.keepRunDir) fs.rmSync(runDir, { recursive: true, force: true });
    },
  };
  live.add(server);
  try {
    // (An early exit ends the wait at once: a throw inside the probe would only be retried.)
    await waitFor(async () => exited || (await fetch(`${url}/healthz`).catch(() => null))?.ok,
      { timeoutMs: 60000, intervalMs: 150, what: `${url}/healthz` });
    if (exited) throw new Error('exited early');
  } catch (e) {
    if (exited) e.message = `code-server exited early (${JSON.stringify(exited)}):\n${server.logTail()}`;
    await server.stop({ keepRunDir: true });
    throw e;
  }
  return server;
}

/**
 * The address of the workbench with, optionally, extensions loaded from source
 * (extensionDevelopmentPath, one or more), a test runner (extensionTestsPath) and
 * environment variables for the extension host (extensionEnvironment).
 * Payload parameters need the server flag enable-smoke-test-driver.
 */
export function workbenchUrl(server, { devPaths = [], testsPath, extensionEnv, folder = server.workspace } = {}) {
  const payload = devPaths.map((p) => ['extensionDevelopmentPath', server.remoteUri(p)]);
  if (testsPath) payload.push(['extensionTestsPath', server.remoteUri(testsPath)]);
  if (extensionEnv) payload.push(['extensionEnvironment', JSON.stringify(extensionEnv)]);
  let target = `${server.url}/?folder=${encodeURIComponent(folder)}`;
  if (payload.length) target += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return target;
}

/** Headless Debian chromium with a throwaway profile. */
export async function launchBrowser({ viewport = { width: 1280, height: 800 } } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-chromium-'));
  const context = await chromium.launchPersistentContext(path.join(profile, 'profile'), {
    executablePath: chromiumPath(),
    headless: true,
    viewport,
    // Chromium writes crash-report settings under XDG_CONFIG_HOME whatever its profile folder.
    env: { ...process.env, XDG_CONFIG_HOME: path.join(profile, 'config'), XDG_CACHE_HOME: path.join(profile, 'cache') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

function readTail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Processes of one process group, read from /proc (Linux). */
function groupProcesses(pgid, needle) {
  const found = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the ")" that closes the command name: state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid || fields[0] === 'Z') continue;
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!needle || cmdline.includes(needle)) found.push({ pid: Number(name), cmdline });
    } catch { /* exited meanwhile */ }
  }
  return found;
}
