// Shared helpers of the core's unit tests: temporary folders and small contexts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

const made: string[] = [];
after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'nexus-buffer-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Files of the folder that are not lock or liveness bookkeeping. */
export function bufferFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => !n.endsWith('.lock')).sort();
}

export const fixture = (name: string) => path.join(__dirname, '..', '..', '..', '..', 'test', 'unit', 'core', 'fixtures', name);
