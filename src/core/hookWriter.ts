// The lean one-shot writer of the hook path (`push … --from <source>`, dist/hook.js): what
// PersistentBuffer does for a `sharedJournal: true` buffer with durability "always", without
// loading zod, proper-lockfile or the rest of the core. An agent waits for every hook call,
// so this file imports only Node's `fs` and `path` and the core's small leaf modules.
//
// - completeHookContext: the crate's defaults and required fields checked by hand, producing
//   exactly what `completeContext` (zod) produces, key order included; undefined when the
//   input is anything it is not sure about, so the caller can ask zod for the exact message.
// - appendSharedEntry: the agent lock (proper-lockfile's protocol: `mkdir <agent>.json.lock`,
//   stale after 10 s by mtime, removed on release), then the same append as journal.ts's
//   appendShared (open, write, fdatasync, folder fsync for a new file). Resolves once the
//   line is durable, like bufferContext; everything else in the folder is left to the core.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatBytes } from './format';
import { faults } from './faults';
import { checkBufferFolder } from './folderSafety';
import { openFdNoFollow, openSettingAsideUnsafe } from './safeOpen';
import type { SessionContext } from './schema';

// ---------------------------------------------------------------------------------------------
// Completion: the zod schema of schema.ts, by hand. Each `complete*` returns undefined when the
// value is not valid (zod would reject it) or not understood; never a different result.

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const INVALID = Symbol('invalid');
type Out = unknown | typeof INVALID;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): Out => (typeof v === 'string' ? v : INVALID);
const timestamp = (v: unknown): Out => (typeof v === 'string' && RFC3339.test(v) ? v : INVALID);
const nullable = (check: (v: unknown) => Out) => (v: unknown): Out => (v === undefined || v === null ? null : check(v));
const nullableInt = nullable((v) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : INVALID));
const oneOf = (values: readonly string[]) => (v: unknown): Out => (typeof v === 'string' && values.includes(v) ? v : INVALID);
const withDefault = (check: (v: unknown) => Out, fallback: () => unknown) => (v: unknown): Out => (v === undefined ? fallback() : check(v));

function arrayOf(check: (v: unknown) => Out): (v: unknown) => Out {
  return withDefault((v) => {
    if (!Array.isArray(v)) return INVALID;
    const out: unknown[] = [];
    for (const item of v) {
      const done = check(item);
      if (done === INVALID) return INVALID;
      out.push(done);
    }
    return out;
  }, () => []);
}

/** A zod looseObject: the shape's keys first, in shape order, then unknown keys in input order. */
function looseObject(shape: Record<string, (v: unknown) => Out>): (v: unknown) => Out {
  const keys = Object.keys(shape);
  return (v) => {
    if (!isPlainObject(v)) return INVALID;
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const done = shape[key](v[key]);
      if (done === INVALID) return INVALID;
      out[key] = done;
    }
    for (const key of Object.keys(v)) {
      if (key === '__proto__') return INVALID; // not worth getting right: let zod decide
      if (!(key in shape)) out[key] = v[key];
    }
    return out;
  };
}

const nullableString = nullable(str);
const nullableTimestamp = nullable(timestamp);

const sessionContext = looseObject({
  agent_type: str,
  extraction_started: timestamp,
  extraction_completed: nullableTimestamp,
  session_id: nullableString,
  conversation: arrayOf(looseObject({ role: str, content: str, timestamp })),
  decisions: arrayOf(looseObject({
    summary: str, rationale: nullableString, alternatives: arrayOf(str), impact: nullableString, timestamp,
  })),
  files: arrayOf(looseObject({
    path: str, action: oneOf(['created', 'modified', 'deleted', 'read']), lines_added: nullableInt, lines_removed: nullableInt, timestamp,
  })),
  tasks: arrayOf(looseObject({
    description: str, status: oneOf(['pending', 'in_progress', 'completed', 'failed']), started_at: nullableTimestamp,
    completed_at: nullableTimestamp, subagent: nullableString,
  })),
  insights: arrayOf(str),
  errors: arrayOf(looseObject({ error_type: str, message: str, stack_trace: nullableString, timestamp })),
  subagent_executions: arrayOf(looseObject({
    subagent_type: str, task: str, status: str, started_at: timestamp, completed_at: nullableTimestamp, result_summary: nullableString,
  })),
  commands_run: arrayOf(str),
  custom: withDefault((v) => {
    if (!isPlainObject(v) || Object.prototype.hasOwnProperty.call(v, '__proto__')) return INVALID;
    return { ...v };
  }, () => ({})),
  extraction_source: withDefault(str, () => 'unknown'),
  reliability_score: withDefault((v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1 ? v : INVALID), () => 1),
});

/**
 * `completeContext(input, defaults)` of schema.ts without zod, for entries our own mappings
 * build. Undefined when the input is not valid (or not plainly so): ask zod then, for the
 * message naming the field.
 */
export function completeHookContext(
  input: unknown,
  defaults: { agentType: string; extractionSource: string; now: string },
): SessionContext | undefined {
  if (!isPlainObject(input)) return undefined;
  const done = sessionContext({
    ...input,
    agent_type: input.agent_type ?? defaults.agentType,
    extraction_started: input.extraction_started ?? defaults.now,
    extraction_source: input.extraction_source ?? defaults.extractionSource,
  });
  return done === INVALID ? undefined : (done as SessionContext);
}

// ---------------------------------------------------------------------------------------------
// The entry line, as PersistentBuffer.bufferContext writes it.

/** PersistentBuffer's default maxEntryBytes (the hook path never sets another). */
export const MAX_ENTRY_BYTES = 5 * 1024 * 1024;

/** A time-ordered prefix and 48 random bits, like the core's ids (Math.random: no crypto to load). */
export function newHookEntryId(): string {
  const random = (bits: number) => Math.floor(Math.random() * 2 ** bits).toString(16).padStart(bits / 4, '0');
  return `${Date.now().toString(36)}-${random(24)}${random(24)}`;
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
// The agent lock, compatible with proper-lockfile as lock.ts uses it (realpath: false, stale
// 10 s): whoever creates `<agent>.json.lock` (a folder) holds the lock; a lock whose mtime is
// older than 10 s belongs to a writer that died and is removed. We hold it for milliseconds (the
// 5 s deadline of the hook is below the stale time), so it never needs refreshing.

const STALE_MS = 10_000;

type Errno = NodeJS.ErrnoException;
const call = <T>(fn: (cb: (error: Errno | null, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value as T))));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Locks held by this process, removed on exit if it ends while holding one (the deadline). */
const held = new Set<string>();
let exitHook = false;

export class LockedError extends Error {
  override readonly name = 'LockedError';
}

/**
 * Takes the lock folder `lockDir` (the agent lock's protocol: stale after 10 s), creating `dir`
 * (its parent, 0700) when missing; throws LockedError when still held at `deadlineAt`.
 */
export async function acquireLockDir(lockDir: string, dir: string, deadlineAt: number): Promise<void> {
  return acquire(lockDir, dir, deadlineAt);
}

/** Releases a lock folder taken with acquireLockDir. */
export async function releaseLockDir(lockDir: string): Promise<void> {
  return release(lockDir);
}

async function acquire(lockDir: string, dir: string, deadlineAt: number): Promise<void> {
  let attempt = 0;
  let checkStale = true;
  for (;;) {
    try {
      await call((cb) => fs.mkdir(lockDir, cb));
      held.add(lockDir);
      if (!exitHook) {
        exitHook = true;
        process.once('exit', () => {
          for (const lock of held) {
            try {
              fs.rmdirSync(lock);
            } catch {
              // gone already
            }
          }
        });
      }
      return;
    } catch (error) {
      const code = (error as Errno).code;
      if (code === 'ENOENT') {
        // No buffer folder yet (the first event ever): create it, owner only, as ensureDir does.
        await call((cb) => fs.mkdir(dir, { recursive: true, mode: 0o700 }, cb));
        continue;
      }
      if (code !== 'EEXIST') throw error;
    }
    if (checkStale) {
      const stat = await call<fs.Stats>((cb) => fs.stat(lockDir, cb)).catch((error: Errno) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      if (stat === null) {
        checkStale = false; // released meanwhile: take it (proper-lockfile skips the stale check too)
        continue;
      }
      if (stat.mtime.getTime() < Date.now() - STALE_MS) {
        await call((cb) => fs.rmdir(lockDir, cb)).catch((error: Errno) => {
          if (error.code !== 'ENOENT') throw error;
        });
        checkStale = false;
        continue;
      }
    }
    checkStale = true;
    // proper-lockfile's retries as lock.ts sets them: 10 ms, ×1.3 each time, at most 250 ms.
    const wait = Math.min(250, 10 * 1.3 ** attempt++);
    if (Date.now() + wait > deadlineAt) throw new LockedError('Lock file is already being held');
    await sleep(wait);
  }
}

async function release(lockDir: string): Promise<void> {
  held.delete(lockDir);
  await call((cb) => fs.rmdir(lockDir, cb)).catch(() => undefined);
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

/** journal.ts's appendShared with callback fs: the caller holds the agent lock. */
async function appendLocked(dir: string, agentType: string, startedAt: string, lines: readonly string[]): Promise<number> {
  const file = path.join(dir, `${agentType}.json.wal-shared-0`);
  faults.beforeWrite?.(file);
  const fd = await openSettingAsideUnsafe(file, agentType, () => openFdNoFollow(file, 'append'));
  try {
    const { size } = await call<fs.Stats>((cb) => fs.fstat(fd, cb));
    // A crash may have left a torn line: a newline first keeps it from swallowing ours.
    const data = Buffer.from((size === 0 ? headerLine(agentType, startedAt) + '\n' : '\n') + lines.map((line) => line + '\n').join(''));
    let offset = 0;
    while (offset < data.length) {
      offset += await call<number>((cb) => fs.write(fd, data, offset, data.length - offset, null, cb));
    }
    await call((cb) => fs.fdatasync(fd, cb));
    if (size === 0) await fsyncDir(dir);
    return size + data.length;
  } finally {
    await call((cb) => fs.close(fd, cb)).catch(() => undefined);
  }
}

export interface SharedAppendResult {
  /** The shared journal's size after the append. */
  journalBytes: number;
  /** The shared journal outgrew the snapshot (and 1 MB): merge it (core: compactAgent). */
  compactionDue: boolean;
}

export interface SharedAppendOptions {
  startedAt: string;
  deadlineAt: number;
  /** Told once when the buffer folder was open to others and was made owner-only (folderSafety.ts). */
  notice?: (message: string) => void;
}

/** PersistentBuffer's compactMinBytes default. */
const COMPACT_MIN_BYTES = 1024 * 1024;

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
  await checkBufferFolder(dir, opts.notice);
  await acquire(lockDir, dir, opts.deadlineAt);
  let journalBytes: number;
  try {
    journalBytes = await appendLocked(dir, agentType, opts.startedAt, lines);
  } finally {
    await release(lockDir);
  }
  let compactionDue = false;
  if (journalBytes >= COMPACT_MIN_BYTES) {
    const snapshot = await call<fs.Stats>((cb) => fs.lstat(path.join(dir, `${agentType}.json`), cb)).catch(() => null);
    compactionDue = journalBytes >= (snapshot?.size ?? 0);
  }
  return { journalBytes, compactionDue };
}
