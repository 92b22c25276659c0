// dist/hook.js loads the hook bundle (dist/hook-body.js) from a V8 code cache on runtimes without
// Node's own compile cache (src/compileCache.ts, src/hookLoader.ts). The cache must be used
// when it was made from these very bytes, and never otherwise; it must never cost an event, and
// the bundle must still run once per process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as nodeModule from 'node:module';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from './core/helpers';

const ROOT = path.resolve(__dirname, '../../..');
const DIST = path.join(ROOT, 'dist');
// Node 22.1 and later have their own cache: the loader hands the bundle to it instead.
const NODE_HAS_ITS_OWN = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';

/** A copy of the bundles (so a test may change one) and a temp folder of its own for the cache. */
function install(): { dist: string; tmp: string; cacheDir: string; buffers: string } {
  const root = tempDir();
  const dist = path.join(root, 'dist');
  fs.mkdirSync(dist);
  for (const name of fs.readdirSync(DIST).filter((n) => n.endsWith('.js'))) fs.copyFileSync(path.join(DIST, name), path.join(dist, name));
  const tmp = path.join(root, 'tmp');
  fs.mkdirSync(tmp);
  return { dist, tmp, cacheDir: path.join(tmp, `nexus-buffer-compile-cache-${process.getuid?.() ?? ''}`.replace(/-$/, '')), buffers: path.join(root, 'buffers') };
}

const payload = (n: number) => JSON.stringify({
  session_id: 's-cache', transcript_path: '/t.jsonl', cwd: '/w', hook_event_name: 'PostToolUse', tool_name: 'Bash',
  tool_input: { command: `echo ${n}` }, tool_response: { stdout: '', stderr: '', interrupted: false }, tool_use_id: `toolu_${n}`,
});

let runs = 0;
/** One hook call as an agent makes it; asserts the guest rules. */
function hook(at: ReturnType<typeof install>, script = 'hook.js', env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): void {
  const result = spawnSync(process.execPath, [...nodeArgs, path.join(at.dist, script), 'push', 'claude-code', '--from', 'claude-hook', '--dir', at.buffers], {
    input: payload(runs++), encoding: 'utf8', env: { ...process.env, TMPDIR: at.tmp, NEXUS_BUFFER_DIR: '', NODE_DISABLE_COMPILE_CACHE: '', ...env },
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, '');
}

function entries(at: ReturnType<typeof install>): number {
  const shown = spawnSync(process.execPath, [path.join(at.dist, 'cli.js'), 'show', 'claude-code', '--json', '--dir', at.buffers], { encoding: 'utf8', env: { ...process.env, TMPDIR: at.tmp } });
  assert.equal(shown.status, 0, shown.stderr);
  return (JSON.parse(shown.stdout) as { entries: unknown[] }).entries.length;
}

function cacheFiles(at: ReturnType<typeof install>): string[] {
  return fs.existsSync(at.cacheDir) ? fs.readdirSync(at.cacheDir).filter((n) => n.endsWith('.v8cache')).map((n) => path.join(at.cacheDir, n)) : [];
}

/** The one cache file, its first line, and its inode and mtime (a rewrite renames a new file into place). */
function theCache(at: ReturnType<typeof install>): { file: string; origin: string; stamp: string } {
  const files = cacheFiles(at);
  assert.equal(files.length, 1, `cache files: ${files.join(', ')}`);
  const bytes = fs.readFileSync(files[0]);
  const stat = fs.statSync(files[0], { bigint: true });
  return { file: files[0], origin: bytes.toString('utf8', 0, bytes.indexOf(0x0a)), stamp: `${stat.ino} ${stat.mtimeNs}` };
}

describe('the hook bundle from a code cache (Node 20)', { skip: NODE_HAS_ITS_OWN && 'this Node has its own compile cache' }, () => {
  it('is written after the first call, used by the next ones, and made again when the bundle changes', () => {
    const at = install();
    hook(at);
    const first = theCache(at);
    assert.equal(fs.statSync(first.file).mode & 0o777, 0o600);
    assert.match(first.origin, new RegExp(`^nexus-buffer-code-cache-1 ${process.version} ${process.arch} \\d+ \\d+ \\d+ \\d+ \\d+ `));
    assert.ok(first.origin.endsWith(` ${path.join(at.dist, 'hook-body.js')}`), first.origin);
    hook(at);
    hook(at, 'cli.js'); // what installed hooks run
    assert.equal(theCache(at).stamp, first.stamp, 'a cache that fits is read, not written again');
    // Any change to the bundle's file is a new ctime: the old cache no longer fits.
    fs.appendFileSync(path.join(at.dist, 'hook-body.js'), '\n// changed\n');
    hook(at);
    const second = theCache(at);
    assert.notEqual(second.stamp, first.stamp, 'made again');
    assert.notEqual(second.origin, first.origin);
    assert.equal(entries(at), 4);
  });

  it('refused by V8 (damaged), or made from another file: compiled from source, and made again', () => {
    const at = install();
    hook(at);
    const { file, origin } = theCache(at);
    const damaged = Buffer.concat([Buffer.from(`${origin}\n`), Buffer.alloc(4096, 0x5a)]);
    fs.writeFileSync(file, damaged);
    hook(at);
    const after = fs.readFileSync(file);
    assert.ok(!after.equals(damaged) && after.length > 10_000, 'written again from the compiled bundle');
    // A cache whose first line names other bytes (here, another size) is not handed to V8 at all.
    const forged = Buffer.concat([Buffer.from(`${origin.replace(/ (\d+) (\d+) (\d+) /, (_, ino, size, mtime) => ` ${ino} ${Number(size) + 1} ${mtime} `)}\n`), after.subarray(after.indexOf(0x0a) + 1)]);
    fs.writeFileSync(file, forged);
    hook(at);
    assert.notEqual(theCache(at).origin, forged.toString('utf8', 0, forged.indexOf(0x0a)), 'made again for the file as it is');
    assert.equal(entries(at), 3);
  });

  it('neither read nor written where the folder is open to others, or when NODE_DISABLE_COMPILE_CACHE is set', () => {
    if (process.getuid === undefined) return;
    const open = install();
    fs.mkdirSync(open.cacheDir, { mode: 0o700 });
    fs.chmodSync(open.cacheDir, 0o777);
    hook(open);
    assert.deepEqual(cacheFiles(open), []);
    const disabled = install();
    hook(disabled, 'hook.js', { NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.deepEqual(cacheFiles(disabled), []);
    assert.equal(entries(open), 1);
    assert.equal(entries(disabled), 1);
  });

  it('not used by a process that is not our command line (the extension host requires dist/hook.js too)', () => {
    const at = install();
    const host = path.join(tempDir(), 'host.js');
    fs.writeFileSync(host, `const hook = require(${JSON.stringify(path.join(at.dist, 'hook.js'))}); if (typeof hook.runHookProcess !== 'function') process.exit(3);`);
    const result = spawnSync(process.execPath, [host], { encoding: 'utf8', env: { ...process.env, TMPDIR: at.tmp } });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(cacheFiles(at), []);
  });

  it('runs the bundle once: the full command line, loaded after it, takes its modules from the same exports', () => {
    const at = install();
    hook(at); // a cache to load from
    const report = path.join(tempDir(), 'modules.json');
    const preload = path.join(tempDir(), 'preload.js');
    const [loader, body] = [path.join(at.dist, 'hook.js'), path.join(at.dist, 'hook-body.js')];
    fs.writeFileSync(preload, `process.on('exit', () => { const c = require.cache; require('fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({
      same: !!c[${JSON.stringify(loader)}] && c[${JSON.stringify(loader)}].exports === c[${JSON.stringify(body)}]?.exports,
      loaded: c[${JSON.stringify(body)}]?.loaded, full: Object.keys(c).some((k) => k.endsWith('cli-full.js')) })); });`);
    // An option the lean path leaves to the full command line: both bundles in one process.
    const result = spawnSync(process.execPath, ['-r', preload, path.join(at.dist, 'cli.js'), 'push', 'claude-code', 'extra', '--from', 'claude-hook', '--dir', at.buffers], {
      input: payload(0), encoding: 'utf8', env: { ...process.env, TMPDIR: at.tmp },
    });
    assert.equal(result.status, 1, 'the full command line refuses the extra argument');
    assert.match(result.stderr, /^nexus-buffer: /);
    assert.deepEqual(JSON.parse(fs.readFileSync(report, 'utf8')), { same: true, loaded: true, full: true });
  });
});
