// The lean one-shot writer of the hook path (`push … --from <source>`, dist/hook.js): what
// PersistentBuffer does for a `sharedJournal: true` buffer with durability "always", without
// loading the rest of the core. An agent waits for every hook call, so this file imports only
// Node's `fs` and `path` and the core's small leaf modules.
//
// - completeHookContext: the crate's defaults and rules (crateSchema.ts), as `completeContext`
//   applies them; undefined when the input is refused, so the caller can give the message.
// - appendSharedEntry: the agent lock (ownedLock.ts, the one the core's lock.ts takes), then
//   the same append as journal.ts's appendShared (open, write, fdatasync, folder fsync for a
//   new file). Resolves once the line is durable, like bufferContext; everything else in the
//   folder is left to the core.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compactionDue, journalHeaderStartedAt } from './compactionPolicy';
import { crateContext } from './crateSchema';
import { formatBytes } from './format';
import { faults } from './faults';
import { voidMarkerLine } from './journalVoid';
import { nestingProblem } from './nesting';
import { acquireLock, LockedError, releaseLock } from './ownedLock';
import { checkBufferFolder } from './folderSafety';
import { openFdNoFollow, openSettingAsideUnsafe } from './safeOpen';
import type { SessionContext } from './schema';
import { randomHex } from './hostTag';

// ---------------------------------------------------------------------------------------------
// Completion: the crate's rules (crateSchema.ts, a leaf module: no zod to load).

/**
 * `completeContext(input, defaults)` of schema.ts, for entries our own mappings build.
 * Undefined when the input is not valid: the full command line then gives the message.
 */
export function completeHookContext(
  input: unknown,
  defaults: { agentType: string; extractionSource: string; now: string },
): SessionContext | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const raw = input as Record<string, unknown>;
  const withDefaults: Record<string, unknown> = { ...raw };
  withDefaults.agent_type = raw.agent_type ?? defaults.agentType;
  withDefaults.extraction_started = raw.extraction_started ?? defaults.now;
  withDefaults.extraction_source = raw.extraction_source ?? defaults.extractionSource;
  try {
    return crateContext(withDefaults) as SessionContext;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The entry line, as PersistentBuffer.bufferContext writes it.

/** PersistentBuffer's default maxEntryBytes (the hook path never sets another). */
export const MAX_ENTRY_BYTES = 5 * 1024 * 1024;

/** A time-ordered prefix and 48 random bits, like the core's ids (Math.random: no crypto to load). */
export function newHookEntryId(): string {
  return `${Date.now().toString(36)}-${randomHex(6)}${randomHex(6)}`;
}

/**
 * `{timestamp, context_type, context, id}` as one JSON line, or an Error with the message
 * bufferContext would give (context type, size). `id` is a new one unless given (the spool
 * gives one derived from the spooled file, so that ingesting it twice merges into one entry).
 */
export function hookEntryLine(context: SessionContext, contextType: string, now: string, id: string = newHookEntryId()): string {
  if (typeof contextType !== 'string' || contextType.length === 0 || contextType.length > 200) {
    throw new Error('context type: must be a non-empty string of at most 200 characters');
  }
  const tooDeep = nestingProblem(context, 'context');
  if (tooDeep) throw new Error(tooDeep);
  const line = JSON.stringify({ timestamp: now, context_type: contextType, context, id });
  const bytes = Buffer.byteLength(line);
  if (bytes > MAX_ENTRY_BYTES) {
    throw new Error(
      `entry of ${formatBytes(bytes)} refused: the limit is ${formatBytes(MAX_ENTRY_BYTES)} (setting nexusBuffer.maxEntryBytes). Leave out large outputs or file contents.`,
    );
  }
  return line;
}

// ---------------------------------------------------------------------------------------------
// The agent lock: ownedLock.ts, as lock.ts takes it. We hold it for milliseconds.

type Errno = NodeJS.ErrnoException;
const call = <T>(fn: (cb: (error: Errno | null, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value as T))));

export { LockedError };

/**
 * Takes the lock folder `lockDir` (see ownedLock.ts), creating `dir` (its parent, 0700) when
 * missing; throws LockedError when still held at `deadlineAt`.
 */
export async function acquireLockDir(lockDir: string, dir: string, deadlineAt: number): Promise<void> {
  await acquireLock(lockDir, { deadlineAt, createParent: dir });
}

/** Releases a lock folder taken with acquireLockDir. */
export async function releaseLockDir(lockDir: string): Promise<void> {
  await releaseLock(lockDir);
}

// ---------------------------------------------------------------------------------------------
// The append.

/** The shared journal's header, as PersistentBuffer writes it. */
function headerLine(agentType: string, startedAt: string): string {
  return JSON.stringify({ nexus_journal: 1, agent_type: agentType, started_at: startedAt, writer_id: 'shared' });
}

async function fsyncDir(dir: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = await call<number>((cb) => fs.open(dir, 'r', cb));
    await call((cb) => fs.fsync(fd!, cb));
  } catch (error) {
    const code = (error as Errno).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    if (fd !== undefined) await call((cb) => fs.close(fd!, cb)).catch(() => undefined);
  }
}

async function writeFully(fd: number, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    offset += await call<number>((cb) => fs.write(fd, data, offset, data.length - offset, null, cb));
  }
}

/**
 * journal.ts's undoAppend and appendVoidMarker: a failed append is not acknowledged, so before
 * the lock is released the file goes back to its length before it (or, if even the truncate
 * fails, gets a void marker line); best effort, the disk is failing.
 */
async function undoAppend(fd: number, size: number, lines: readonly string[]): Promise<void> {
  try {
    await call((cb) => fs.ftruncate(fd, size, cb));
    await call((cb) => fs.fdatasync(fd, cb)).catch(() => undefined);
    return;
  } catch {
    // fall back to the marker
  }
  const marker = voidMarkerLine(lines);
  if (!marker) return;
  await writeFully(fd, Buffer.from(`\n${marker}\n`))
    .then(() => call((cb) => fs.fdatasync(fd, cb)))
    .catch(() => undefined);
}

/** journal.ts's appendShared with callback fs: the caller holds the agent lock. */
/** When the shared journal was started (its header's `started_at`, epoch ms): its oldest entry's age. */
async function journalStartedAt(file: string): Promise<number | undefined> {
  // A descriptor of its own: the appending one is write-only.
  const fd = await openFdNoFollow(file, 'read');
  try {
    const head = Buffer.alloc(1024);
    const n = await call<number>((cb) => fs.read(fd, head, 0, head.length, 0, cb));
    return journalHeaderStartedAt(head.subarray(0, n).toString('utf8'));
  } finally {
    await call((cb) => fs.close(fd, cb)).catch(() => undefined);
  }
}

async function appendLocked(
  dir: string, agentType: string, startedAt: string, lines: readonly string[],
): Promise<{ journalBytes: number; journalStartedAt: number | undefined }> {
  const file = path.join(dir, `${agentType}.json.wal-shared-0`);
  faults.beforeWrite?.(file);
  const fd = await openSettingAsideUnsafe(file, agentType, () => openFdNoFollow(file, 'append'));
  try {
    const { size } = await call<fs.Stats>((cb) => fs.fstat(fd, cb));
    // The header is read while the lines are written (a hook waits for every round trip). It
    // only says how old the journal is, for the compaction policy: unreadable, it is unknown,
    // and the append stands.
    const started = size === 0 ? Promise.resolve(Date.parse(startedAt)) : journalStartedAt(file).catch(() => undefined);
    // A crash may have left a torn line: a newline first keeps it from swallowing ours.
    const data = Buffer.from((size === 0 ? headerLine(agentType, startedAt) + '\n' : '\n') + lines.map((line) => line + '\n').join(''));
    try {
      await writeFully(fd, data);
      await call((cb) => fs.fdatasync(fd, cb));
      if (size === 0) await fsyncDir(dir);
    } catch (error) {
      await started;
      await undoAppend(fd, size, lines);
      throw error;
    }
    return { journalBytes: size + data.length, journalStartedAt: await started };
  } finally {
    await call((cb) => fs.close(fd, cb)).catch(() => undefined);
  }
}

export interface SharedAppendResult {
  /** The shared journal's size after the append. */
  journalBytes: number;
  /** Merge it now (core: compactAgent): compactionPolicy.ts says when. */
  compactionDue: boolean;
}

export interface SharedAppendOptions {
  startedAt: string;
  deadlineAt: number;
  /** Told once when the buffer folder was open to others and was made owner-only (folderSafety.ts). */
  notice?: (message: string) => void;
  /** The caller has just checked the folder (checkBufferFolder), in this process. */
  folderChecked?: boolean;
}

/**
 * Appends one entry line to `<dir>/<agent>.json.wal-shared-0` under the agent lock; resolves
 * once it is fsynced. Throws LockedError when the lock stays held past `deadlineAt` (epoch ms),
 * or the file-system error.
 */
export async function appendSharedEntry(
  dir: string, agentType: string, line: string, opts: SharedAppendOptions,
): Promise<SharedAppendResult> {
  return appendSharedEntries(dir, agentType, [line], opts);
}

/** appendSharedEntry for several lines at once: one lock, one write, one fsync. */
export async function appendSharedEntries(
  dir: string, agentType: string, lines: readonly string[], opts: SharedAppendOptions,
): Promise<SharedAppendResult> {
  const lockDir = path.join(dir, `${agentType}.json.lock`);
  if (!opts.folderChecked) await checkBufferFolder(dir, opts.notice);
  await acquireLockDir(lockDir, dir, opts.deadlineAt);
  let appended: Awaited<ReturnType<typeof appendLocked>>;
  let snapshotStat: Promise<fs.Stats | null> | undefined;
  try {
    appended = await appendLocked(dir, agentType, opts.startedAt, lines);
    // The snapshot's size, for the policy, read while the lock is released.
    snapshotStat = call<fs.Stats>((cb) => fs.lstat(path.join(dir, `${agentType}.json`), cb)).catch(() => null);
  } finally {
    await releaseLockDir(lockDir);
  }
  const { journalBytes, journalStartedAt: started } = appended;
  const snapshot = await snapshotStat;
  const due = compactionDue({
    uncompactedBytes: journalBytes, oldestAgeMs: started === undefined ? undefined : Date.now() - started, snapshotBytes: snapshot?.size ?? 0,
  });
  return { journalBytes, compactionDue: due };
}
