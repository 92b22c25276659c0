// Compiled code kept on disk, so that the code a hook loads is not compiled again on every one of
// the agent's events: Node's own compile cache (`module.enableCompileCache`, Node 22.1 and later)
// where the runtime has it, else a V8 code cache of the hook bundle (requireWithCodeCache).
//
// Where: a folder of this user's own. Node's default, `<tmp>/node-compile-cache`, is shared by
// every user of the machine, and a cache someone else can write is code someone else can run as
// us. So `<tmp>/nexus-buffer-compile-cache-<uid>`, created 0700, and used only while it is a real
// folder (not a link) owned by us and closed to others; anything else and there is no cache.
// On Windows the temp folder is already the user's own (%LOCALAPPDATA%\Temp). NODE_COMPILE_CACHE
// (the user's choice) and NODE_DISABLE_COMPILE_CACHE are left to Node; the latter turns our own
// cache off too.
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

/** Bumped when the layout of a cache file changes (its first line says which it is). */
const CODE_CACHE_FORMAT = 'nexus-buffer-code-cache-1';

/** FNV-1a of a text, 8 hex digits: names a bundle's cache file after the bundle's path. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * Loads a CommonJS bundle as `require` does, but compiled from a V8 code cache kept in the
 * compile cache folder, for Node runtimes without `module.enableCompileCache` (Node 20: VS Code
 * 1.99's). A hook process compiles dist/hook-body.js (180 KB) on every one of the agent's events,
 * and its functions again as they first run: 10 to 15 ms of a process the agent waits for.
 *
 * The cache is V8's own (`vm.Script` `cachedData`, taken after the run so that the functions the
 * run compiled are in it), in `<folder>/<bundle>-<hash of its path>.v8cache`, its first line the
 * bundle it was made from: path, device, inode, size, mtime and ctime to the nanosecond (any
 * change of the file changes its ctime), and the runtime. V8 itself refuses data of another
 * version or other flags; a cache made from other bytes would run other code, hence the line.
 * A missing, stale or refused cache: compiled from source, and the cache written at exit.
 * Where the runtime has its own cache, that is used; anything unexpected, plain `require`.
 */
export function requireWithCodeCache(file: string, load: NodeJS.Require = require): unknown {
  const plain = () => load(file);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeModule = require('node:module') as typeof import('node:module') & { enableCompileCache?: unknown };
  if (typeof nodeModule.enableCompileCache === 'function') {
    enableCompileCache();
    return plain();
  }
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return plain();
  let compiled;
  try {
    compiled = compileWithCache(file);
  } catch {
    return plain();
  }
  if (!compiled) return plain();
  const { run, used, save } = compiled;
  // A module of its own, in require's cache before it runs (as require does it): a later
  // `require(file)` gets these same exports, never a second copy of the bundle.
  const mod = new nodeModule.Module(file, module);
  mod.filename = file;
  mod.paths = [];
  load.cache[file] = mod;
  try {
    run.call(mod.exports, mod.exports, load, mod, file, path.dirname(file));
  } catch (error) {
    delete load.cache[file];
    throw error;
  }
  mod.loaded = true;
  if (!used) process.once('exit', save);
  return mod.exports;
}

/** The bundle's module function, from the cache when it fits; undefined when there is no cache folder. */
function compileWithCache(file: string): { run: (...args: unknown[]) => void; used: boolean; save: () => void } | undefined {
  const dir = compileCacheDir();
  if (!dir) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vm = require('node:vm') as typeof import('node:vm');
  const stat = fs.statSync(file, { bigint: true });
  const origin = `${CODE_CACHE_FORMAT} ${process.version} ${process.arch} ${stat.dev} ${stat.ino} ${stat.size} ${stat.mtimeNs} ${stat.ctimeNs} ${file}`;
  const cacheFile = path.join(dir, `${path.basename(file)}-${fnv1a(file)}.v8cache`);
  let cachedData: Buffer | undefined;
  try {
    const bytes = fs.readFileSync(cacheFile);
    const end = bytes.indexOf(0x0a);
    if (end > 0 && bytes.toString('utf8', 0, end) === origin) cachedData = bytes.subarray(end + 1);
  } catch {
    // no cache yet
  }
  const source = fs.readFileSync(file, 'utf8');
  if (source.startsWith('#!')) return undefined; // not inside a function: require strips it
  // The wrapper require puts around a module (so that line numbers and stack traces match).
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = new vm.Script(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  const used = cachedData !== undefined && !script.cachedDataRejected;
  const save = () => {
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temporary, Buffer.concat([Buffer.from(`${origin}\n`), script.createCachedData()]), { mode: 0o600, flag: 'wx' });
      fs.renameSync(temporary, cacheFile);
    } catch {
      try {
        fs.unlinkSync(temporary);
      } catch {
        // not made
      }
    }
  };
  return { run, used, save };
}
