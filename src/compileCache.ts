// Node's on-disk compile cache for the bundles loaded after this call (`module.enableCompileCache`,
// Node 22.1 and later; a no-op before). The code a hook loads is then not compiled again on
// every one of the agent's events.
//
// Where: a folder of this user's own. Node's default, `<tmp>/node-compile-cache`, is shared by
// every user of the machine, and a cache someone else can write is code someone else can run as
// us. So `<tmp>/nexus-buffer-compile-cache-<uid>`, created 0700, and used only while it is a real
// folder (not a link) owned by us and closed to others; anything else and there is no cache.
// On Windows the temp folder is already the user's own (%LOCALAPPDATA%\Temp). NODE_COMPILE_CACHE
// (the user's choice) and NODE_DISABLE_COMPILE_CACHE are left to Node.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The cache folder for this user, or undefined when none can be used safely. */
export function compileCacheDir(tmp: string = os.tmpdir(), uid: number | undefined = process.getuid?.()): string | undefined {
  if (uid === undefined) return path.join(tmp, 'nexus-buffer-compile-cache');
  const dir = path.join(tmp, `nexus-buffer-compile-cache-${uid}`);
  for (let attempt = 0; attempt < 2; attempt++) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(dir);
    } catch {
      try {
        fs.mkdirSync(dir, { mode: 0o700 });
      } catch {
        // another process made it meanwhile, or the temp folder is not writable
      }
      continue;
    }
    return stat.isDirectory() && stat.uid === uid && (stat.mode & 0o077) === 0 ? dir : undefined;
  }
  return undefined;
}

/** Enables Node's compile cache where the runtime has it; never throws. */
export function enableCompileCache(): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const enable = (require('node:module') as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
    if (typeof enable !== 'function' || process.env.NODE_COMPILE_CACHE || process.env.NODE_DISABLE_COMPILE_CACHE) return;
    const dir = compileCacheDir();
    if (dir) enable(dir);
  } catch {
    // no cache: only slower
  }
}
