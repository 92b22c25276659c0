#!/usr/bin/env node
// `npm start`: try Nexus Buffer in a real VS Code without installing anything. Starts the VS
// Code server (code-server) on 127.0.0.1 with the extension loaded from this working tree and
// prints the address to open in a browser. Stays up until Ctrl-C.
//
//   npm start [-- --demo] [--dir DIR] [--port N] [--folder DIR] [--vscode 1.99|current]
//     --demo        a temporary buffer folder with sample buffers in the crate's format
//     --dir DIR     the buffer folder (default: $NEXUS_BUFFER_DIR, else the crate's folder,
//                   e.g. ~/.local/share/nexus/buffer on Linux: your real buffers)
//     --port N      the port (default 8080, or a free one when 8080 is taken)
//     --folder DIR  the workspace folder to open (default: where npm was run)
//     --vscode V    which VS Code (test/harness/vscode-versions.json; default: current)
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, projectRoot, startCodeServer } from './codeServer.mjs';
import { writeSampleBuffers } from './sampleBuffers.mjs';
import { ensureTools } from './tools.mjs';

const USAGE = 'usage: npm start [-- --demo] [--dir DIR] [--port N] [--folder DIR] [--vscode 1.99|current]';

function parseArgs(argv) {
  const opts = { demo: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) { console.error(`${arg} needs a value\n${USAGE}`); process.exit(2); }
      return argv[++i];
    };
    if (arg === '--demo') opts.demo = true;
    else if (arg === '--dir') opts.dir = path.resolve(value());
    else if (arg === '--port') opts.port = Number(value());
    else if (arg === '--folder') opts.folder = path.resolve(value());
    else if (arg === '--vscode') opts.vscode = value();
    else if (arg === '--help' || arg === '-h') { console.log(USAGE); process.exit(0); }
    else { console.error(`unknown argument ${arg}\n${USAGE}`); process.exit(2); }
  }
  if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port > 0 && opts.port < 65536)) {
    console.error(`--port: expected a port number\n${USAGE}`);
    process.exit(2);
  }
  return opts;
}

/** The crate's default buffer folder, as the extension computes it (src/core/paths.ts). */
function userBufferDir() {
  if (process.env.NEXUS_BUFFER_DIR) return path.resolve(process.env.NEXUS_BUFFER_DIR);
  const home = os.homedir();
  let dataDir;
  if (process.platform === 'darwin') dataDir = path.join(home, 'Library', 'Application Support');
  else if (process.platform === 'win32') dataDir = process.env.LOCALAPPDATA || path.join(home, 'AppData', 'Local');
  else dataDir = process.env.XDG_DATA_HOME && path.isAbsolute(process.env.XDG_DATA_HOME) ? process.env.XDG_DATA_HOME : path.join(home, '.local', 'share');
  return path.join(dataDir, 'nexus', 'buffer');
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const opts = parseArgs(process.argv.slice(2));
if (!fs.existsSync(path.join(projectRoot, 'dist', 'extension.js'))) {
  console.error('dist/extension.js is missing: run `npm run build` first (npm start does it).');
  process.exit(1);
}
let tools;
try {
  tools = ensureTools({ vscode: opts.vscode }); // installs code-server, its Node and chromium on first use (a few minutes, once)
} catch (e) {
  console.error(e.message);
  process.exit(1);
}

const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-start-'));
let bufferDir = opts.dir ?? userBufferDir();
if (opts.demo) {
  bufferDir = path.join(runDir, 'demo-buffers');
  writeSampleBuffers(bufferDir);
}
const folder = opts.folder ?? process.env.INIT_CWD ?? process.cwd();
let port = opts.port ?? 8080;
if (!(await portIsFree(port))) {
  if (opts.port !== undefined) {
    console.error(`port ${port} is taken; choose another with --port`);
    process.exit(1);
  }
  port = await freePort();
}

const server = await startCodeServer({
  runDir,
  port,
  bufferDir,
  workspace: folder,
  // Loaded from an extensions folder rather than the payload URL: that needs the smoke-test
  // driver flag, which hides notification toasts (the leftover prompt among them).
  smokeTestDriver: false,
  vscode: tools.key,
});
const { version } = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
// A link to this working tree: `npm run build` then "Developer: Reload Window" picks up changes.
fs.symlinkSync(projectRoot, path.join(server.extensionsDir, `nexus-memory.nexus-buffer-${version}`), 'dir');

console.log(`
Nexus Buffer is running in VS Code ${server.vscodeVersion} (code-server ${server.codeServerVersion}) at:

    ${server.url}/?folder=${encodeURIComponent(folder)}

  buffer folder : ${bufferDir}${opts.demo ? ' (demo buffers, deleted on exit)' : ''}
  workspace     : ${folder}
  server log    : ${server.logFile}

Open the address in a browser and click the "Nexus Buffer" icon in the activity bar.
Press Ctrl-C to stop.`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  await server.stop(); // also deletes the run folder (user data, demo buffers)
  process.exit(0);
}
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// Keep running while the server does.
const watchdog = setInterval(() => {
  if (server.processes().length === 0) {
    console.error(`code-server stopped unexpectedly; last lines of its log:\n${server.logTail(20)}`);
    clearInterval(watchdog);
    process.exit(1);
  }
}, 2000);
