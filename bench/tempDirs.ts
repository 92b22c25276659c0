// Temporary folders on the disk of os.tmpdir(), removed at the end, on error and on Ctrl-C.
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const created = new Set<string>();

export function makeTempDir(label: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `nexus-bench-${label}-`));
  created.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  created.delete(dir);
}

export function removeAllTempDirs(): void {
  for (const dir of [...created]) removeTempDir(dir);
}

process.on('exit', removeAllTempDirs);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    removeAllTempDirs();
    process.exit(130);
  });
}
