// The spool: where the per-tool-call hooks of an agent leave their raw payloads, so that the
// agent does not wait for a Node process on every tool call. The installed hook is a few lines
// of POSIX shell (src/agents/shared/spoolCommand.ts) that writes the payload it gets on stdin
// to `<dir>/.spool/<source>/<time>-<pid>.part`, fsyncs it and renames it to `….json`. This file
// turns those files into buffer entries ("ingest"): each payload is mapped by its source's
// toEntry, with the file's mtime as the time it happened, and appended to its agent's shared
// journal by the lean writer (hookWriter.ts), then the file is removed.
//
// - Idempotent: an entry's id comes from the spool file's name, so a crash between the append
//   and the removal appends the same id again on the next ingest, which the reader merges
//   into one entry (store.ts mergeBuffer).
// - Ordered: files are taken oldest first (mtime, then name); the entries' timestamps are the
//   mtimes, so the buffer sorts them where they happened, before later entries of the hooks.
// - Careful: the spool folder must be a real folder of ours; a file is opened with O_NOFOLLOW
//   and must be a regular file owned by us. Anything else, and anything that does not parse
//   (a torn `.part` older than a minute, bad JSON), is moved to `<dir>/.spool/<source>.rejected/`
//   (never deleted) and reported once: an `error` entry in the agent's buffer and the result's
//   problems (the CLI prints them, the extension logs them).
// - Serialised by a lock folder per source (`<dir>/.spool/<source>.lock`, the agent lock's
//   protocol): two ingesters never append the same file twice.
//
// Only `node:fs` and `node:path` and leaf modules: the hook bundle (dist/hook.js) runs this
// before each of its own entries. Async (callback) fs only: the extension host runs it too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentNameProblem } from './agentName';
import {
  acquireLockDir, appendSharedEntries, completeHookContext, hookEntryLine, LockedError, releaseLockDir,
} from './hookWriter';
import { noFollowFlags } from './safeOpen';
import type { SessionContext } from './schema';

/** The spool's folder inside the buffer folder. */
export const SPOOL_FOLDER = '.spool';
/** A `.part` older than this was left by a writer that died (the agent waits 5 s at most). */
export const TORN_PART_MS = 60_000;

export function spoolDirOf(bufferDir: string, sourceId: string): string {
  return path.join(bufferDir, SPOOL_FOLDER, sourceId);
}

export function rejectedDirOf(bufferDir: string, sourceId: string): string {
  return path.join(bufferDir, SPOOL_FOLDER, `${sourceId}.rejected`);
}

/** The part of a HookSource the spool needs. */
export interface SpoolSource {
  readonly id: string;
  readonly agent: string;
  toEntry(payload: unknown, now: string): { agent: string; context: unknown; contextType: string };
}

type Complete = (input: unknown, defaults: { agentType: string; extractionSource: string; now: string }) => SessionContext;

export interface IngestOptions {
  /** The source a spool folder belongs to (its name is the source's id); others are left alone. */
  findSource(id: string): SpoolSource | undefined;
  /** schema.ts's completion, for an entry the lean one refuses: throws with the message. */
  complete?: Complete;
  /** Stop taking files (epoch ms); what is left stays for the next ingest. Default: 5 s from now. */
  deadlineAt?: number;
  /** Files per call and source, at most. Default 1000. */
  maxFiles?: number;
  /** Only these sources (ids). Default: every spool folder with a known source. */
  sources?: readonly string[];
}

export interface IngestResult {
  /** Entries appended (set-aside reports not counted). */
  ingested: number;
  /** Agents whose buffer got entries. */
  agents: string[];
  /** Files moved to a `.rejected` folder. */
  setAside: string[];
  /** One line each, for a person. */
  problems: string[];
  /** Files were left for later (a cap, the deadline, a lock held by another ingester, a `.part` still being written). */
  remaining: boolean;
  /** Agents whose shared journal outgrew the snapshot (merge it: compactSharedJournal). */
  compactionDue: string[];
}

type Errno = NodeJS.ErrnoException;
const call = <T>(fn: (cb: (error: Errno | null, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value as T))));
const orNull = <T>(promise: Promise<T>, ...codes: string[]): Promise<T | null> =>
  promise.catch((error: Errno) => {
    if (codes.includes(error.code ?? '')) return null;
    throw error;
  });
const lstat = (file: string) => call<fs.BigIntStats>((cb) => fs.lstat(file, { bigint: true }, cb as never));
const readdir = (dir: string) => call<string[]>((cb) => fs.readdir(dir, cb));
const myUid = typeof process.getuid === 'function' ? process.getuid() : undefined;

/** The entry id of a spooled file: the same for `X.part` and `X.json`, so a re-ingest merges. */
export function spoolEntryId(sourceId: string, fileName: string): string {
  return `spool-${sourceId}-${fileName.replace(/\.(json|part)$/, '')}`;
}

const ownedByUs = (stat: fs.BigIntStats) => myUid === undefined || Number(stat.uid) === myUid;

/** Ingests every spool folder of `bufferDir` (one pass, within the deadline). */
export async function ingestSpool(bufferDir: string, options: IngestOptions): Promise<IngestResult> {
  const result: IngestResult = { ingested: 0, agents: [], setAside: [], problems: [], remaining: false, compactionDue: [] };
  const root = path.join(bufferDir, SPOOL_FOLDER);
  let names: string[];
  if (options.sources) names = [...options.sources];
  else {
    const found = await orNull(readdir(root), 'ENOENT', 'ENOTDIR');
    if (!found) return result;
    names = found.filter((name) => !/\.(lock|rejected)$/.test(name)).sort();
  }
  for (const name of names) {
    const source = options.findSource(name);
    if (source) await ingestSource(bufferDir, source, options, result);
  }
  return result;
}

/** Whether a spool folder holds anything (cheap: one readdir per source). */
export async function spoolHasFiles(bufferDir: string, sourceIds: readonly string[]): Promise<boolean> {
  for (const id of sourceIds) {
    const names = await orNull(readdir(spoolDirOf(bufferDir, id)), 'ENOENT', 'ENOTDIR');
    if (names && names.length > 0) return true;
  }
  return false;
}

interface Taken {
  name: string;
  file: string;
  agent: string;
  line: string;
}

interface Rejected {
  name: string;
  file: string;
  why: string;
}

async function ingestSource(bufferDir: string, source: SpoolSource, options: IngestOptions, result: IngestResult): Promise<void> {
  const folder = spoolDirOf(bufferDir, source.id);
  const deadlineAt = options.deadlineAt ?? Date.now() + 5000;
  const maxFiles = options.maxFiles ?? 1000;
  const folderStat = await orNull(lstat(folder), 'ENOENT', 'ENOTDIR');
  if (!folderStat) return;
  if (!folderStat.isDirectory() || !ownedByUs(folderStat)) {
    result.problems.push(`${folder}: not a folder of ours (a symbolic link, a file or another user's); the spool there was not read`);
    return;
  }
  // The common case, an empty spool, costs one readdir and takes no lock.
  if ((await orNull(readdir(folder), 'ENOENT'))?.length ?? 0) {
    const lockDir = path.join(bufferDir, SPOOL_FOLDER, `${source.id}.lock`);
    try {
      await acquireLockDir(lockDir, path.dirname(lockDir), Math.max(Date.now() + 50, deadlineAt - 500));
    } catch (error) {
      if (error instanceof LockedError) {
        result.remaining = true; // another ingester is at it
        return;
      }
      throw error;
    }
    try {
      await ingestLocked(bufferDir, folder, source, options, deadlineAt, maxFiles, result);
    } finally {
      await releaseLockDir(lockDir);
    }
  }
}

async function ingestLocked(
  bufferDir: string, folder: string, source: SpoolSource, options: IngestOptions, deadlineAt: number, maxFiles: number, result: IngestResult,
): Promise<void> {
  const names = (await orNull(readdir(folder), 'ENOENT')) ?? [];
  const candidates: Array<{ name: string; file: string; stat: fs.BigIntStats }> = [];
  const rejected: Rejected[] = [];
  const nowMs = Date.now();
  for (const name of names) {
    const file = path.join(folder, name);
    const stat = await orNull(lstat(file), 'ENOENT');
    if (!stat) continue; // taken meanwhile
    if (stat.isSymbolicLink()) rejected.push({ name, file, why: 'a symbolic link (not followed)' });
    else if (!stat.isFile()) rejected.push({ name, file, why: 'not a regular file' });
    else if (!ownedByUs(stat)) rejected.push({ name, file, why: "another user's file" });
    else if (name.endsWith('.json')) candidates.push({ name, file, stat });
    else if (name.endsWith('.part')) {
      // Still being written, or left by a hook that died (before its rename: a complete
      // payload whose rename was lost is taken like a `.json`; a torn one is set aside below).
      if (nowMs - Number(stat.mtimeMs) >= TORN_PART_MS) candidates.push({ name, file, stat });
      else result.remaining = true;
    } else rejected.push({ name, file, why: 'not a spool file (.json or .part)' });
  }
  candidates.sort((a, b) => (a.stat.mtimeNs < b.stat.mtimeNs ? -1 : a.stat.mtimeNs > b.stat.mtimeNs ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (candidates.length > maxFiles) {
    candidates.length = maxFiles;
    result.remaining = true;
  }

  const taken: Taken[] = [];
  for (const candidate of candidates) {
    if (Date.now() > deadlineAt) {
      result.remaining = true;
      break;
    }
    const outcome = await mapFile(source, candidate.file, candidate.name, candidate.stat, options.complete);
    if (outcome === null) continue; // gone meanwhile
    if ('why' in outcome) rejected.push({ name: candidate.name, file: candidate.file, why: outcome.why });
    else taken.push({ name: candidate.name, file: candidate.file, agent: outcome.agent, line: outcome.line });
  }

  // The reports of what is set aside go into the source's buffer with the entries, so that a
  // person sees them once, wherever the ingest ran (a hook, the CLI, the extension).
  const reports: Taken[] = rejected.map((r) => ({ name: r.name, file: r.file, agent: source.agent, line: reportLine(bufferDir, source, r) }));
  const byAgent = new Map<string, string[]>();
  for (const item of [...taken, ...reports]) byAgent.set(item.agent, [...(byAgent.get(item.agent) ?? []), item.line]);
  for (const [agent, lines] of byAgent) {
    const startedAt = (JSON.parse(lines[0]) as { timestamp: string }).timestamp;
    // The files stay until their entries are durable: a failure here loses nothing.
    const { compactionDue } = await appendSharedEntries(bufferDir, agent, lines, { startedAt, deadlineAt: Math.max(deadlineAt, Date.now() + 1000) });
    if (compactionDue && !result.compactionDue.includes(agent)) result.compactionDue.push(agent);
  }
  for (const item of taken) {
    await orNull(call((cb) => fs.unlink(item.file, cb)), 'ENOENT');
    result.ingested++;
    if (!result.agents.includes(item.agent)) result.agents.push(item.agent);
  }
  if (rejected.length > 0) {
    const aside = rejectedDirOf(bufferDir, source.id);
    await call((cb) => fs.mkdir(aside, { recursive: true, mode: 0o700 }, cb));
    // A link there would move our payloads out of the folder: only into a real folder of ours.
    const asideStat = await lstat(aside);
    if (!asideStat.isDirectory() || !ownedByUs(asideStat)) {
      result.problems.push(`${aside}: not a folder of ours (a symbolic link, a file or another user's); ${rejected.length} unreadable spool file(s) were left where they are`);
      return;
    }
    for (const r of rejected) {
      const to = path.join(aside, r.name);
      const moved = await orNull(call((cb) => fs.rename(r.file, to, cb)), 'ENOENT');
      if (moved === null) continue;
      result.setAside.push(to);
      result.problems.push(`${source.id} spool: ${r.name} was not buffered (${r.why}); set aside as ${to}`);
    }
  }
}

async function mapFile(
  source: SpoolSource, file: string, name: string, lstatBefore: fs.BigIntStats, complete: Complete | undefined,
): Promise<{ agent: string; line: string } | { why: string } | null> {
  let text: string;
  try {
    text = await readRegularFile(file, lstatBefore);
  } catch (error) {
    const code = (error as Errno).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP' || code === 'EMLINK') return { why: 'a symbolic link (not followed)' };
    if (code === 'NOTOURS') return { why: (error as Error).message };
    throw error;
  }
  const torn = name.endsWith('.part') ? 'a torn write (left by a hook that was stopped): ' : '';
  const clean = text.replace(/^\uFEFF/, '');
  if (!clean.trim()) return { why: `${torn}empty` };
  let payload: unknown;
  try {
    payload = JSON.parse(clean);
  } catch (error) {
    return { why: `${torn}not valid JSON (${(error as Error).message})` };
  }
  const now = new Date(Number(lstatBefore.mtimeNs / 1_000_000n)).toISOString();
  try {
    const entry = source.toEntry(payload, now);
    const problem = agentNameProblem(entry.agent);
    if (problem) return { why: problem };
    const defaults = { agentType: entry.agent, extractionSource: 'native', now };
    const context = completeHookContext(entry.context, defaults) ?? (complete ? complete(entry.context, defaults) : undefined);
    if (!context) return { why: 'the mapped entry is not valid' };
    return { agent: entry.agent, line: hookEntryLine(context, entry.contextType, now, spoolEntryId(source.id, name)) };
  } catch (error) {
    return { why: String((error as Error)?.message ?? error).split('\n')[0] };
  }
}

/** Reads a file without following a symbolic link, only when it is a regular file of ours. */
async function readRegularFile(file: string, before: fs.BigIntStats): Promise<string> {
  const fd = await call<number>((cb) => fs.open(file, noFollowFlags('read'), cb));
  try {
    const stat = await call<fs.BigIntStats>((cb) => fs.fstat(fd, { bigint: true }, cb as never));
    const notOurs = (why: string) => Object.assign(new Error(why), { code: 'NOTOURS' });
    if (!stat.isFile()) throw notOurs('not a regular file');
    if (!ownedByUs(stat)) throw notOurs("another user's file");
    if (stat.ino !== before.ino || stat.dev !== before.dev) throw notOurs('replaced while it was read');
    const chunks: Buffer[] = [];
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const bytes = await call<number>((cb) => fs.read(fd, chunk, 0, chunk.length, null, cb));
      if (bytes === 0) break;
      chunks.push(chunk.subarray(0, bytes));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await call((cb) => fs.close(fd, cb)).catch(() => undefined);
  }
}

/** The `error` entry that reports a spool file set aside (its id derived from the file: reported once). */
function reportLine(bufferDir: string, source: SpoolSource, rejected: Rejected): string {
  const now = new Date().toISOString();
  const to = path.join(rejectedDirOf(bufferDir, source.id), rejected.name);
  const message = `A ${source.id} hook event was not buffered: its spool file ${rejected.name} is ${rejected.why}; it was set aside as ${to}.`;
  const context = completeHookContext({
    session_id: null,
    errors: [{ error_type: 'spool', message, stack_trace: null, timestamp: now }],
    custom: { spool_file: rejected.name, set_aside_as: to, reason: rejected.why },
  }, { agentType: source.agent, extractionSource: 'native', now })!;
  return hookEntryLine(context, 'error', now, `${spoolEntryId(source.id, rejected.name)}-rejected`);
}

/**
 * ingestSpool until the spool is empty (or `totalMs` has passed): for the command line, which
 * reads the buffer right after.
 */
export async function ingestSpoolFully(bufferDir: string, options: Omit<IngestOptions, 'deadlineAt'>, totalMs = 30_000): Promise<IngestResult> {
  const end = Date.now() + totalMs;
  const total: IngestResult = { ingested: 0, agents: [], setAside: [], problems: [], remaining: false, compactionDue: [] };
  for (;;) {
    const pass = await ingestSpool(bufferDir, { ...options, deadlineAt: Math.min(end, Date.now() + 8000) });
    total.ingested += pass.ingested;
    for (const a of pass.agents) if (!total.agents.includes(a)) total.agents.push(a);
    for (const a of pass.compactionDue) if (!total.compactionDue.includes(a)) total.compactionDue.push(a);
    total.setAside.push(...pass.setAside);
    total.problems.push(...pass.problems);
    total.remaining = pass.remaining;
    // Left for later only what is still being written (or another ingester's turn, which ends in ms).
    if (!pass.remaining || pass.ingested + pass.setAside.length === 0 || Date.now() >= end) return total;
  }
}
