// Finding programs on disk without blocking the extension host: fs.promises only.
import { promises as fs, constants } from 'node:fs';
import * as path from 'node:path';

/** An absolute path to a regular file this user may execute. */
export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!path.isAbsolute(file) || !(await fs.stat(file)).isFile()) return false;
    if (process.platform !== 'win32') await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The directories of PATH that are absolute (a relative entry would depend on the cwd). */
export function pathDirectories(env: NodeJS.ProcessEnv): string[] {
  return (env.PATH ?? env.Path ?? '').split(path.delimiter).filter((dir) => dir && path.isAbsolute(dir));
}

/** The first executable `name` on PATH (with PATHEXT on Windows). */
export async function findExecutableOnPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const extensions = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').filter(Boolean) : [''];
  for (const dir of pathDirectories(env)) {
    for (const ext of extensions) {
      const candidate = path.join(dir, name + ext.toLowerCase());
      if (await isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}
