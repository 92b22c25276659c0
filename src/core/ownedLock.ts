// A lock folder that knows its owner, shared by the core (lock.ts) and the lean hook path
// (hookWriter.ts), so it imports only Node's fs, path and os (not crypto: hostTag.ts).
//
// Whoever creates the folder `<name>.lock` (mkdir: atomic everywhere) holds the lock, and then
// writes `<name>.lock/owner`: `h<host>p<pid>r<random>` (the shape of the writer ids) followed
// by `start=<ticks>` (the process's start time on Linux: a reused pid is not the owner) and
// `pidns=<inode>` (a process in another pid namespace cannot be checked by pid). A waiter that
// finds the lock held asks whether its holder is alive:
// - an owner on this machine (same host, same pid namespace): by its pid, at once, so a lock
//   left by a killed process costs the next writer milliseconds, not the 10 s of a timeout
//   (on Linux a zombie, killed but not yet reaped, counts as gone);
// - an owner on another machine, or a folder without owner file (an older version of this
//   tool, which used proper-lockfile's bare folder, or a holder killed between its mkdir and
//   its write): stale once its mtime is 10 s old. Holders refresh the mtime every 5 s, as
//   proper-lockfile did, so a long compaction is never taken for a dead one. (A grace period
//   shorter than 10 s for a folder without owner would steal an older version's live lock.)
// A dead holder's lock is taken over without removing the folder (removing it would race with
// a third process creating a new one): the taker creates `<name>.lock/takeover` (one taker at a
// time), checks that the folder and its owner are still the ones it judged dead, and renames
// its own owner file over the dead one's. Only the holder removes the folder, on release.
//
// What remains: an older version cannot remove a dead new-style lock (its rmdir fails on the
// owner file), so until a current version takes it over it waits and reports the folder
// locked; a taker killed inside its takeover blocks takeovers for 2 s. Pid reuse is covered by
// the start time on Linux only; elsewhere a reused pid keeps a dead lock until its mtime says.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomHex, sha1Hex } from './hostTag';

/** A lock whose mtime is this old, and whose owner cannot be checked by pid, is stale. */
export const STALE_MS = 10_000;
/** Holders touch the lock this often (proper-lockfile's stale / 2, so older versions agree). */
const REFRESH_MS = STALE_MS / 2;
/** A takeover guard this old was left by a taker that died within its few milliseconds. */
const TAKEOVER_STALE_MS = 2_000;

export const HOST = sha1Hex(os.hostname()).slice(0, 6);
const OWNER_ID = /^h([0-9a-f]{6})p(\d+)r[a-z0-9]+$/;

/** A writer id that says which host and process wrote a journal: `h<host>p<pid>r<random>`. */
export function newWriterId(): string {
  return `h${HOST}p${process.pid}r${randomHex(8)}`;
}

export class LockedError extends Error {
  override readonly name = 'LockedError';
}

type Errno = NodeJS.ErrnoException;
const call = <T>(fn: (cb: (error: Errno | null, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value as T))));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const codeOf = (error: unknown) => (error as Errno | undefined)?.code;
const orNull = <T>(promise: Promise<T>, ...codes: string[]): Promise<T | null> =>
  promise.catch((error: Errno) => {
    if (codes.includes(error.code ?? '')) return null;
    throw error;
  });

// ---------------------------------------------------------------------------------------------
// Owners and whether they are alive.

interface Owner {
  id: string;
  host: string;
  pid: number;
  start?: string;
  pidns?: string;
}

/**
 * From /proc/<pid>/stat (Linux): the state (field 3) and the start time in clock ticks since
 * boot (field 22); undefined elsewhere, or when there is no such process.
 */
function procStat(pid: number | 'self'): { state: string; start: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], start: fields[19] };
  } catch {
    return undefined;
  }
}

function pidNamespace(): string | undefined {
  try {
    return /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/pid'))?.[1];
  } catch {
    return undefined;
  }
}

let self: { start?: string; pidns?: string } | undefined;
const selfInfo = () => (self ??= { start: procStat('self')?.start, pidns: pidNamespace() });

function ownerLine(id: string): string {
  const { start, pidns } = selfInfo();
  return `${id}${start ? ` start=${start}` : ''}${pidns ? ` pidns=${pidns}` : ''}\n`;
}

function parseOwner(text: string | null | undefined): Owner | undefined {
  const [id, ...fields] = (text ?? '').trim().split(' ');
  const m = OWNER_ID.exec(id);
  if (!m) return undefined;
  const owner: Owner = { id, host: m[1], pid: Number(m[2]) };
  for (const field of fields) {
    const [key, value] = field.split('=');
    if (key === 'start' || key === 'pidns') owner[key] = value;
  }
  return owner;
}

/** The owner is a process this one can look up by pid: same host, same pid namespace. */
function checkableByPid(owner: Owner): boolean {
  const { pidns } = selfInfo();
  return owner.host === HOST && (owner.pidns === undefined || pidns === undefined || owner.pidns === pidns);
}

function processRuns(pid: number, start: string | undefined): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false; // kill(0) would mean our process group
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (codeOf(error) !== 'EPERM') return false; // ESRCH: no such process
  }
  const now = procStat(pid);
  // A killed process whose parent has not reaped it yet (a zombie) holds nothing any more.
  if (now && (now.state === 'Z' || now.state === 'X')) return false;
  // A pid the system gave to another process since: the owner is gone.
  return start === undefined || now === undefined || now.start === start;
}

/** Is the holder of a lock whose owner file says `owner` (if any) and whose mtime is this, alive? */
function holderAlive(owner: Owner | undefined, mtimeMs: number): boolean {
  if (owner && checkableByPid(owner)) return processRuns(owner.pid, owner.start);
  return mtimeMs >= Date.now() - STALE_MS;
}

const ownerFile = (lockDir: string) => path.join(lockDir, 'owner');
const readOwnerText = (lockDir: string) =>
  orNull(call<string>((cb) => fs.readFile(ownerFile(lockDir), 'utf8', cb)), 'ENOENT', 'ENOTDIR');

/**
 * Is the process that writes under writer id `id` alive? Its lock folder `lockDir` (held for as
 * long as it runs) may say more: its start time and pid namespace. On this machine the pid
 * decides at once; for another machine, the freshness of the lock folder.
 */
export async function isOwnerAlive(lockDir: string, id: string): Promise<boolean> {
  const fromId = parseOwner(id);
  if (!fromId) return false;
  const written = parseOwner(await readOwnerText(lockDir).catch(() => null));
  const owner = written?.id === id ? written : fromId;
  if (checkableByPid(owner)) return processRuns(owner.pid, owner.start);
  const stat = await orNull(call<fs.Stats>((cb) => fs.stat(lockDir, cb)), 'ENOENT', 'ENOTDIR').catch(() => null);
  return stat !== null && holderAlive(undefined, stat.mtimeMs);
}

// ---------------------------------------------------------------------------------------------
// Taking and releasing.

export interface AcquireOptions {
  /** Give up with LockedError once the lock is still held at this time (epoch ms). */
  deadlineAt: number;
  /** The owner id to write (a writer id); a new one by default. */
  ownerId?: string;
  /** Create this folder (0700) when the lock's parent is missing. */
  createParent?: string;
  /** Told when the lock folder vanished or changed hands while held. */
  onCompromised?: (error: Error) => void;
}

export interface HeldLock {
  readonly lockDir: string;
  release(): Promise<void>;
}

interface Holding {
  line: string;
  ownerWritten: boolean;
  timer: NodeJS.Timeout;
  onCompromised?: (error: Error) => void;
}

/** Locks held by this process, removed on exit if it ends while holding one (a deadline, a crash). */
const held = new Map<string, Holding>();
let exitHook = false;

/**
 * Takes the lock folder `lockDir`, taking over at once a lock whose holder is gone; throws
 * LockedError when it is still held at `deadlineAt`, and a file-system error (EACCES, EROFS…)
 * at once: waiting would not help.
 */
export async function acquireLock(lockDir: string, options: AcquireOptions): Promise<HeldLock> {
  const line = ownerLine(options.ownerId ?? newWriterId());
  let attempt = 0;
  for (;;) {
    const ownerWritten = await tryCreate(lockDir, line, options.createParent);
    if (ownerWritten !== undefined) return hold(lockDir, line, ownerWritten, options);
    const verdict = await judge(lockDir);
    if (verdict === 'free') continue; // released meanwhile
    if (verdict !== 'live') {
      const outcome = await takeOver(lockDir, line, verdict);
      if (outcome === 'taken') return hold(lockDir, line, true, options);
      if (outcome === 'retry') continue;
    }
    // proper-lockfile's retries as lock.ts set them: 10 ms, ×1.3 each time, at most 250 ms.
    const wait = Math.min(250, 10 * 1.3 ** attempt++);
    if (Date.now() + wait > options.deadlineAt) {
      throw new LockedError(`${path.basename(lockDir)} is held by ${describeHolder(parseOwner(await readOwnerText(lockDir).catch(() => null)))}`);
    }
    await sleep(wait);
  }
}

function describeHolder(owner: Owner | undefined): string {
  if (!owner) return 'a process that did not say which (an older version, or one just starting)';
  return owner.host === HOST ? `process ${owner.pid} on this machine` : `a process on another machine (host ${owner.host})`;
}

/** mkdir the lock: undefined when it exists, else whether the owner file could be written too. */
async function tryCreate(lockDir: string, line: string, parent: string | undefined): Promise<boolean | undefined> {
  for (;;) {
    try {
      await call((cb) => fs.mkdir(lockDir, cb));
      break;
    } catch (error) {
      if (codeOf(error) === 'EEXIST') return undefined;
      const missing = parent;
      if (codeOf(error) !== 'ENOENT' || missing === undefined) throw error;
      // No buffer folder yet (the first event ever): create it, owner only, as ensureDir does.
      await call((cb) => fs.mkdir(missing, { recursive: true, mode: 0o700 }, cb));
      parent = undefined;
    }
  }
  // Best effort: a lock without owner file still excludes everyone (it is only slower to take
  // over should we die), and a full disk must not make the lock fail where mkdir worked.
  return call((cb) => fs.writeFile(ownerFile(lockDir), line, { flag: 'wx', mode: 0o600 }, cb)).then(() => true, () => false);
}

type Verdict = 'free' | 'live' | { ino: number; ownerText: string | null };

async function judge(lockDir: string): Promise<Verdict> {
  const stat = await orNull(call<fs.Stats>((cb) => fs.lstat(lockDir, cb)), 'ENOENT');
  if (!stat) return 'free';
  const ownerText = await readOwnerText(lockDir);
  return holderAlive(parseOwner(ownerText), stat.mtimeMs) ? 'live' : { ino: stat.ino, ownerText };
}

/** Makes the dead holder's lock ours, one taker at a time (see the top of the file). */
async function takeOver(lockDir: string, line: string, dead: { ino: number; ownerText: string | null }): Promise<'taken' | 'retry' | 'wait'> {
  const guard = path.join(lockDir, 'takeover');
  try {
    await call((cb) => fs.mkdir(guard, cb));
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return 'retry';
    if (codeOf(error) !== 'EEXIST') throw error;
    const stat = await orNull(call<fs.Stats>((cb) => fs.stat(guard, cb)), 'ENOENT');
    if (stat && stat.mtimeMs >= Date.now() - TAKEOVER_STALE_MS) return 'wait';
    await call((cb) => fs.rmdir(guard, cb)).catch(() => undefined);
    return 'retry';
  }
  try {
    const stat = await orNull(call<fs.Stats>((cb) => fs.lstat(lockDir, cb)), 'ENOENT');
    if (!stat || stat.ino !== dead.ino || (await readOwnerText(lockDir)) !== dead.ownerText) return 'retry';
    const temp = path.join(lockDir, `owner.tmp-${randomHex(8)}`);
    await call((cb) => fs.writeFile(temp, line, { flag: 'wx', mode: 0o600 }, cb));
    await call((cb) => fs.rename(temp, ownerFile(lockDir), cb));
    return 'taken';
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return 'retry';
    throw error;
  } finally {
    await call((cb) => fs.rmdir(guard, cb)).catch(() => undefined);
  }
}

function hold(lockDir: string, line: string, ownerWritten: boolean, options: AcquireOptions): HeldLock {
  // The mkdir (or the takeover's rename inside the folder) made the mtime fresh. This keeps the mtime fresh for waiters that judge by it (other machines, older versions).
  const timer = setInterval(() => {
    const at = new Date();
    fs.utimes(lockDir, at, at, (error) => {
      if (error) options.onCompromised?.(new Error(`the lock ${lockDir} could not be refreshed: ${error.message}`));
    });
  }, REFRESH_MS);
  timer.unref();
  held.set(lockDir, { line, ownerWritten, timer, onCompromised: options.onCompromised });
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const [dir, holding] of held) releaseSync(dir, holding);
    });
  }
  return { lockDir, release: () => releaseLock(lockDir) };
}

/** Whether the lock folder is still ours (a holder on another machine may have been judged stale). */
function stillOurs(holding: Holding, ownerText: string | null): boolean {
  return holding.ownerWritten ? ownerText === holding.line : parseOwner(ownerText) === undefined;
}

/** Releases a lock this process took with acquireLock (nothing when it holds none there). */
export async function releaseLock(lockDir: string): Promise<void> {
  const holding = held.get(lockDir);
  if (!holding) return;
  held.delete(lockDir);
  clearInterval(holding.timer);
  if (!stillOurs(holding, await readOwnerText(lockDir).catch(() => null))) {
    holding.onCompromised?.(new Error(`the lock ${lockDir} was taken over by another process while held`));
    return;
  }
  await call((cb) => fs.unlink(ownerFile(lockDir), cb)).catch(() => undefined);
  try {
    await call((cb) => fs.rmdir(lockDir, cb));
  } catch (error) {
    if (codeOf(error) !== 'ENOTEMPTY' && codeOf(error) !== 'EEXIST') return;
    // A taker's guard or a dead owner's temp inside: move the folder away whole, then remove it.
    const away = `${lockDir}.released-${randomHex(8)}`;
    await call((cb) => fs.rename(lockDir, away, cb)).catch(() => undefined);
    await call((cb) => fs.rm(away, { recursive: true, force: true }, cb)).catch(() => undefined);
  }
}

function releaseSync(lockDir: string, holding: Holding): void {
  clearInterval(holding.timer);
  try {
    let ownerText: string | null = null;
    try {
      ownerText = fs.readFileSync(ownerFile(lockDir), 'utf8');
    } catch {
      // none
    }
    if (!stillOurs(holding, ownerText)) return;
    fs.rmSync(lockDir, { recursive: true, force: true });
  } catch {
    // gone already
  }
}
