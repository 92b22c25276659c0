// The buffer folder as a whole: which files belong to which agent, reading an agent's snapshot
// and journals merged by entry id, and compaction (journals merged into the snapshot under the
// agent lock, damaged snapshots salvaged, oversized buffers rolled over into archives).
import { createHash } from 'node:crypto';
import { constants as fsConstants, createReadStream, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { isExistingBufferName } from './agentName';
import { formatBytes } from './format';
import { ensureDir, fsyncDir } from './fsutil';
import { parseJournalFileName, readJournalFile, type ParsedJournal } from './journal';
import { isWriterAlive, withAgentLock } from './lock';
import { fileStamp, openHandleNoFollow, setAsideUnsafe, unsafeFileProblem } from './safeOpen';
import {
  EntryKeyer, entryKeys, layoutOf, readSnapshotFile, SnapshotOverLimit, streamedText, tailBytesOf, writeSnapshot, writeSnapshotAppending,
  type ParsedSnapshot, type SnapshotLayout,
} from './snapshot';
import { earliest, nowTimestamp, timestampSortKey, type BufferData, type BufferEntry } from './schema';
import { TimeSlicer } from './timeSlice';
import type { Logger } from './types';

export interface JournalFile {
  path: string;
  writerId: string;
  generation: number;
  bytes: number;
  mtimeMs: number;
}

export interface AgentFiles {
  agentType: string;
  snapshot: { path: string; bytes: number; mtimeMs: number } | null;
  journals: JournalFile[];
  damagedCopies: string[];
  /** Links (or folders, pipes) where a buffer file belongs: never followed, reported. */
  unsafeFiles?: Array<{ path: string; problem: string }>;
}

/** A damaged snapshot's copy, or a journal kept aside for lines that are not valid entries. */
const DAMAGED = /^(.+)\.json\.(?:damaged|rejected)-[0-9TZ]+$/;
const ARCHIVE = /^(.+)\.archive-[0-9TZ]+$/;

export { fileStamp };

export function archiveOf(agentType: string): string | undefined {
  return ARCHIVE.exec(agentType)?.[1];
}

/**
 * Every agent with files in the folder. Temp files, locks and foreign files are ignored. A link
 * (or a folder, a pipe) where a buffer file belongs is never followed: it is listed as unsafe on
 * its agent's buffer, and neither read nor merged nor removed.
 */
export async function scanDir(dir: string): Promise<Map<string, AgentFiles>> {
  const agents = new Map<string, AgentFiles>();
  let names: import('node:fs').Dirent[];
  try {
    names = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return agents;
    throw error;
  }
  const of = (agentType: string): AgentFiles => {
    let files = agents.get(agentType);
    if (!files) agents.set(agentType, (files = { agentType, snapshot: null, journals: [], damagedCopies: [], unsafeFiles: [] }));
    return files;
  };
  await Promise.all(
    names.map(async (dirent) => {
      const name = dirent.name;
      const journal = parseJournalFileName(name);
      const agentType = name.endsWith('.json') ? name.slice(0, -'.json'.length) : journal ? journal.agentType : DAMAGED.exec(name)?.[1];
      if (agentType === undefined || !isExistingBufferName(agentType)) return;
      const full = path.join(dir, name);
      // lstat, not the dirent: the name may have been replaced by a link since readdir.
      const stat = dirent.isFile() || dirent.isSymbolicLink() ? await statOf(full) : { kind: 'other' as const, bytes: 0, mtimeMs: 0 };
      if (!stat) return; // removed between readdir and lstat
      if (stat.kind !== 'file') {
        const target = stat.kind === 'link' ? await fs.readlink(full).catch(() => null) : undefined;
        (of(agentType).unsafeFiles ??= []).push({ path: full, problem: unsafeFileProblem(full, target, !name.endsWith('.json') && !journal) });
        return;
      }
      const { bytes, mtimeMs } = stat;
      if (name.endsWith('.json')) of(agentType).snapshot = { path: full, bytes, mtimeMs };
      else if (journal) of(agentType).journals.push({ path: full, writerId: journal.writerId, generation: journal.generation, bytes, mtimeMs });
      else of(agentType).damagedCopies.push(full);
    }),
  );
  for (const files of agents.values()) {
    files.journals.sort((a, b) => a.writerId.localeCompare(b.writerId) || a.generation - b.generation);
    files.damagedCopies.sort();
    files.unsafeFiles?.sort((a, b) => (a.path < b.path ? -1 : 1));
  }
  return agents;
}

async function statOf(file: string): Promise<{ kind: 'file' | 'link' | 'other'; bytes: number; mtimeMs: number } | null> {
  try {
    const stat = await fs.lstat(file);
    return { kind: stat.isFile() ? 'file' : stat.isSymbolicLink() ? 'link' : 'other', bytes: stat.size, mtimeMs: stat.mtimeMs };
  } catch {
    return null; // removed between readdir and lstat
  }
}

/** Parsed files by path, reused while size, mtime and inode are unchanged (listing stays cheap). */
/** A file's size, mtime and inode: a parse of it stays good while these are the same. */
const signatureOf = (stat: { size: number; mtimeMs: number; ino: number }) => `${stat.size}:${stat.mtimeMs}:${stat.ino}`;

export class ParseCache {
  private readonly items = new Map<string, { signature: string; value: unknown }>();

  async get<T>(file: string, read: (file: string) => Promise<T | null>): Promise<T | null> {
    const stat = await fs.stat(file).catch(() => null);
    if (!stat) {
      this.items.delete(file);
      return null;
    }
    const signature = signatureOf(stat);
    const cached = this.items.get(file);
    if (cached && cached.signature === signature) return cached.value as T;
    const value = await read(file);
    if (value !== null) this.items.set(file, { signature, value });
    return value;
  }

  /** Whether `file` is absent, or held here as it is on disk now (a read of it costs no parse). */
  async holdsCurrent(file: string): Promise<boolean> {
    const stat = await fs.stat(file).catch(() => null);
    if (!stat) return true;
    return this.items.get(file)?.signature === signatureOf(stat);
  }

  /** The signature `file` had when `value` was read or written, while `value` is what is held for it. */
  signatureHeld(file: string, value: unknown): string | undefined {
    const held = this.items.get(file);
    return held !== undefined && held.value === value ? held.signature : undefined;
  }

  /**
   * Records what was just written to `file`, with the stat taken on the written file's own
   * handle (a stat of the name could already be another writer's file), so the next read does
   * not parse it again.
   */
  put(file: string, value: unknown, written: { size: number; mtimeMs: number; ino: number }): void {
    this.items.set(file, { signature: signatureOf(written), value });
  }

  retainOnly(files: ReadonlySet<string>): void {
    for (const file of this.items.keys()) if (!files.has(file)) this.items.delete(file);
  }
}

export interface LoadedBuffer {
  agentType: string;
  startedAt: string | null;
  lastFlush: string | null;
  /** Snapshot entries in their order, then journal entries not in the snapshot, by time. */
  entries: BufferEntry[];
  keys: string[];
  extra: Record<string, unknown>;
  problems: string[];
  damaged: boolean;
  bytes: number;
  files: AgentFiles;
  /** Journals with lines that are not entries the crate could read: kept aside after a merge. */
  journalsToKeepAside: string[];
  /** The snapshot as read (or held by the cache), whose entries come first. */
  snapshot: ParsedSnapshot | null;
}

/** Merges a snapshot and journals by entry id (no duplicates), giving the event loop back as it goes. */
export async function mergeBuffer(
  agentType: string,
  files: AgentFiles,
  snapshot: ParsedSnapshot | null,
  journals: Array<{ file: JournalFile; parsed: ParsedJournal }>,
  slicer = new TimeSlicer(),
): Promise<LoadedBuffer> {
  const entries = snapshot ? [...snapshot.entries] : [];
  const keys = snapshot ? (snapshot.keys ? [...snapshot.keys] : entryKeys(snapshot.entries)) : [];
  // Only journals need the snapshot's keys looked up (100,000 of them cost tens of ms to hash).
  const seen = journals.length > 0 ? new Set(keys) : new Set<string>();
  const problems = snapshot ? snapshot.problems.map((p) => `${agentType}.json: ${p}`) : [];
  let startedAt = snapshot?.startedAt ?? null;
  const fresh: Array<{ entry: BufferEntry; key: string; sort: string; order: number }> = [];
  const journalsToKeepAside: string[] = [];
  let looked = 0;
  for (const { file, parsed } of journals) {
    problems.push(...parsed.problems);
    if (parsed.keepAside) journalsToKeepAside.push(file.path);
    startedAt = earliest(startedAt, parsed.header?.started_at);
    const keyer = new EntryKeyer();
    for (const entry of parsed.entries) {
      const key = keyer.keyOf(entry);
      if (!seen.has(key)) {
        seen.add(key);
        fresh.push({ entry, key, sort: timestampSortKey(entry.timestamp), order: fresh.length });
      }
      if ((++looked & 63) === 0 && slicer.due()) await slicer.pause();
    }
  }
  // Usually in time order already (one writer's journal): then the sort, tens of ms for 20,000, is skipped.
  if (!fresh.every((f, i) => i === 0 || fresh[i - 1].sort <= f.sort)) {
    fresh.sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : a.order - b.order));
  }
  for (const f of fresh) {
    entries.push(f.entry);
    keys.push(f.key);
  }
  for (const copy of files.damagedCopies) {
    if (path.basename(copy).includes('.json.rejected-')) {
      problems.push(`${path.basename(copy)} holds journal lines that are not entries the crate could read; they were kept aside, not merged (its valid entries are in this buffer)`);
      continue;
    }
    problems.push(
      `${path.basename(copy)} is a copy of ${agentType}.json as it was when found damaged, kept for inspection only: ` +
        'every entry that could be read from it is in this buffer, so nothing readable was lost (delete the copy when you no longer need it)',
    );
  }
  for (const unsafe of files.unsafeFiles ?? []) problems.push(unsafe.problem);
  if (!startedAt && entries.length) startedAt = entries[0].timestamp;
  return {
    agentType,
    startedAt,
    lastFlush: snapshot?.lastFlush ?? null,
    entries,
    keys,
    extra: snapshot?.extra ?? {},
    problems,
    damaged: (snapshot?.damaged ?? false) || files.damagedCopies.length > 0 || (files.unsafeFiles?.length ?? 0) > 0,
    bytes: (files.snapshot?.bytes ?? 0) + files.journals.reduce((n, j) => n + j.bytes, 0),
    files,
    journalsToKeepAside,
    snapshot,
  };
}

/**
 * Reads an agent's snapshot and journals (all of them, or those `includeJournal` accepts).
 * `known` gives journals whose content the caller holds already (this writer's own, closed):
 * those are not read again.
 */
export async function loadBuffer(
  files: AgentFiles,
  cache?: ParseCache,
  includeJournal: (journal: JournalFile) => boolean | Promise<boolean> = () => true,
  cacheJournals = true,
  known?: ReadonlyMap<string, ParsedJournal>,
): Promise<LoadedBuffer> {
  const readSnap = (file: string) => (cache ? cache.get(file, readSnapshotFile) : readSnapshotFile(file));
  const readJournal = (file: string) => (cache && cacheJournals ? cache.get(file, readJournalFile) : readJournalFile(file));
  const snapshot = files.snapshot ? await readSnap(files.snapshot.path) : null;
  const journals: Array<{ file: JournalFile; parsed: ParsedJournal }> = [];
  for (const file of files.journals) {
    if (!(await includeJournal(file))) continue;
    const parsed = known?.get(file.path) ?? (await readJournal(file.path));
    if (parsed) journals.push({ file, parsed });
  }
  return mergeBuffer(files.agentType, files, snapshot, journals);
}

export interface CompactOptions {
  dir: string;
  agentType: string;
  writerId: string;
  /** Journals of this writer that are closed and may be merged and removed. */
  ownClosedJournals: ReadonlySet<string>;
  /**
   * What this writer appended to some of those, acknowledged: their entries are taken from
   * memory rather than read and validated again (a compaction then costs the thread what is new).
   */
  ownJournalContents?: ReadonlyMap<string, ParsedJournal>;
  /** Entries held only in memory (durability "off"), to be written as well. */
  memoryEntries: readonly BufferEntry[];
  /** Start time to use when no file has one yet. */
  startedAt: string;
  maxBufferEntries: number;
  maxBufferBytes: number;
  log?: Logger;
  now?: () => string;
  /**
   * Parsed files of this writer: the snapshot it wrote last time is not parsed again when it
   * is unchanged on disk (compaction then costs the new entries plus one serialization).
   */
  cache?: ParseCache;
}

export interface CompactResult {
  /** Entries in the snapshot now. */
  entries: number;
  bytesWritten: number;
  mergedJournals: string[];
  /** Set when the buffer rolled over: the archive's agent type. */
  archive?: string;
  /** Set when a damaged snapshot was set aside: its new file name. */
  damagedCopy?: string;
  /** Set when the snapshot's bytes were kept and this many entries written after them (writeAppending). */
  appended?: number;
  problems: string[];
  lastFlush: string;
}

/**
 * Merges this writer's closed journals, every orphan journal (writer gone) and the memory-only
 * entries into `<agent>.json`, under the agent lock, re-reading the file under the lock so no
 * entry another writer put there is dropped. Live writers' journals are left to them.
 */
export async function compact(options: CompactOptions): Promise<CompactResult> {
  const { dir, agentType, log } = options;
  const now = options.now ?? (() => nowTimestamp());
  await ensureDir(dir, log && ((message) => log.warn(message)));
  return withAgentLock(dir, agentType, log, async () => {
    await removeLeftoverTemps(dir, agentType, log);
    const files = (await scanDir(dir)).get(agentType) ?? { agentType, snapshot: null, journals: [], damagedCopies: [] };
    const merged: string[] = [];
    // Journals are read afresh (they are merged once, then removed); the snapshot may come from
    // the cache when it is the one this writer wrote last (same size, mtime and inode).
    const loaded = await loadBuffer(files, options.cache, async (journal) => {
      const take = options.ownClosedJournals.has(journal.path) || !(await isWriterAlive(dir, journal.writerId, options.writerId));
      if (take) merged.push(journal.path);
      return take;
    }, false, options.ownJournalContents);
    const seen = new Set(options.memoryEntries.length ? loaded.keys : []);
    const entries = [...loaded.entries];
    for (const entry of options.memoryEntries) {
      const key = entryKeys([entry])[0];
      if (!seen.has(key)) {
        seen.add(key);
        entries.push(entry);
      }
    }
    const result: CompactResult = { entries: entries.length, bytesWritten: 0, mergedJournals: merged, problems: loaded.problems, lastFlush: now() };
    const snapshotPath = path.join(dir, `${agentType}.json`);
    /** Once the snapshot holds their entries: merged journals go, those with bad lines are kept aside. */
    const retireJournals = async () => {
      await keepAside(dir, loaded.journalsToKeepAside.filter((j) => merged.includes(j)), result.lastFlush, log);
      await removeFiles(dir, merged);
    };
    if (snapshotIsDamaged(loaded, files)) {
      // The original stays in place until its replacement is durable: a crash or a failed write
      // from here on leaves either the damaged file (salvaged again next time) or the new one.
      result.damagedCopy = await keepDamagedCopy(snapshotPath, files.damagedCopies, now());
      log?.warn(`${agentType}: damaged buffer file copied to ${result.damagedCopy}; ${entries.length} valid entries kept`);
    }
    if (entries.length === 0 && !files.snapshot) {
      await retireJournals();
      result.mergedJournals = merged;
      return result;
    }
    if (files.unsafeFiles?.some((unsafe) => unsafe.path === snapshotPath)) {
      // A link in the snapshot's place: moved aside (the link itself, its target untouched) so
      // the snapshot written below is a file of the folder; listings keep reporting the link.
      const aside = await setAsideUnsafe(snapshotPath, agentType);
      log?.warn(`${agentType}: ${agentType}.json was a symbolic link, not followed; it was set aside as ${path.basename(aside)}`);
    }
    const data: BufferData = {
      ...loaded.extra,
      started_at: loaded.startedAt ?? options.startedAt,
      entries,
      last_flush: result.lastFlush,
      agent_type: agentType,
    };
    // Serialised and written in pieces, giving the event loop back as it goes (timeSlice.ts): on
    // the extension host a compaction must not hold the thread every extension shares.
    const slicer = new TimeSlicer();
    let writtenStat: Stats | undefined;
    const noteWritten = (stat: Stats) => (writtenStat = stat);
    /** The whole file, streamed (its entries' texts die young). */
    const writeWhole = (maxChars = Infinity) => writeSnapshot(snapshotPath, data, streamedText(data, { maxChars }, slicer), noteWritten);
    /** `writeWhole` within the buffer's limits; null when it would pass one (nothing replaced). */
    const writeWithinLimits = async (): Promise<number | null> => {
      if (data.entries.length > options.maxBufferEntries) return null;
      return writeWhole(options.maxBufferBytes).catch((error: unknown) => {
        if (error instanceof SnapshotOverLimit) return null;
        throw error;
      });
    };
    let layout: SnapshotLayout | undefined;
    const appended = result.damagedCopy ? undefined : await writeAppending(snapshotPath, loaded, data, options, slicer, noteWritten);
    if (appended) {
      result.bytesWritten = appended.bytes;
      result.appended = data.entries.length - loaded.snapshot!.entries.length;
      layout = appended.layout;
    } else {
      let bytes = await writeWithinLimits();
      if (bytes === null && (await dropHalfDoneRollOver(dir, agentType, data, log))) bytes = await writeWithinLimits();
      if (bytes === null) {
        // The roll-over is one atomic step: the full buffer is written as the snapshot (an ordinary
        // compaction), its journals removed, and then the snapshot is renamed into the archive. A
        // crash before the rename leaves a full snapshot that rolls over next time; after it, the
        // archive and no snapshot. The entries never exist twice.
        const suffix = `.archive-${fileStamp(now())}`;
        const archive = `${agentType.slice(0, 64 - suffix.length)}${suffix}`;
        result.bytesWritten += await writeWhole();
        await retireJournals();
        await fs.rename(snapshotPath, path.join(dir, `${archive}.json`));
        await fsyncDir(dir);
        result.archive = archive;
        log?.warn(`${agentType}: the buffer reached its size limit (${data.entries.length} entries); it rolled over into ${archive}.json, which stays listed and recoverable`);
        data.entries = [];
        data.started_at = result.lastFlush;
        bytes = await writeWhole();
      }
      result.bytesWritten += bytes;
      layout = layoutOf(data, bytes);
    }
    result.entries = data.entries.length;
    const { started_at, last_flush, agent_type, entries: written, ...extra } = data;
    const parsed: ParsedSnapshot = {
      startedAt: started_at, lastFlush: last_flush, agentType: agent_type, entries: written, extra, problems: [], damaged: false,
      keys: await keysSliced(written, slicer), ...(layout ? { layout } : {}),
    };
    // Every write reports its stat (replaceFileNoFollow's onWritten); without one, the next read parses.
    if (writtenStat) options.cache?.put(snapshotPath, parsed, writtenStat);
    if (!result.archive) await retireJournals();
    return result;
  });
}

/**
 * The compaction's write when it only adds entries to a snapshot this writer holds as it is on
 * disk (it wrote or read it last, laid out as we write it): the file's bytes up to its last entry
 * are copied and only the new entries and the tail are serialised, so a compaction costs this
 * thread what is new, not the whole buffer again. Undefined when the whole file must be written
 * instead: nothing held, the head changed (an earlier start), the file is not the one held (same
 * size, mtime and inode, checked on the open file), a limit may be reached.
 */
async function writeAppending(
  snapshotPath: string, loaded: LoadedBuffer, data: BufferData, options: CompactOptions, slicer: TimeSlicer, onWritten: (stat: Stats) => void,
): Promise<{ bytes: number; layout: SnapshotLayout } | undefined> {
  const prior = loaded.snapshot;
  const layout = prior?.layout;
  const signature = prior ? options.cache?.signatureHeld(snapshotPath, prior) : undefined;
  if (!prior || !layout || signature === undefined || prior.damaged) return undefined;
  const kept = prior.entries.length;
  const { entries } = data;
  if (entries.length <= kept || entries.length > options.maxBufferEntries) return undefined;
  if (entries[0] !== prior.entries[0] || entries[kept - 1] !== prior.entries[kept - 1]) return undefined;
  if (layoutOf(data, 0)?.head !== layout.head) return undefined;
  const handle = await openHandleNoFollow(snapshotPath, 'read').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const stat = await handle.stat();
    if (signatureOf(stat) !== signature || !(await laidOutAsHeld(handle, layout, stat.size))) return undefined;
    // The limit counts characters, as the whole text's length: the kept bytes are never fewer.
    const text = streamedText(data, { from: kept, keptChars: layout.entriesEnd, maxChars: options.maxBufferBytes }, slicer);
    const bytes = await writeSnapshotAppending(snapshotPath, { from: handle, bytes: layout.entriesEnd }, text, onWritten);
    return { bytes, layout: { head: layout.head, entriesEnd: bytes - tailBytesOf(data) } };
  } catch (error) {
    if (error instanceof SnapshotOverLimit) return undefined; // nothing replaced: the whole file is written, and rolls over
    throw error;
  } finally {
    await handle.close();
  }
}

const ENTRIES_END = Buffer.from('\n    }\n  ]');

/**
 * The open file starts with the layout's head and its last entry ends where the layout says: a
 * few bytes read, so that even a file that took the held one's size, mtime and inode is never
 * cut anywhere but after an entry.
 */
async function laidOutAsHeld(handle: FileHandle, layout: SnapshotLayout, size: number): Promise<boolean> {
  const head = Buffer.from(layout.head);
  const at = layout.entriesEnd - 6; // `\n    }` ends the last entry, `\n  ]` follows it
  if (at < head.length || at + ENTRIES_END.length > size) return false;
  const read = async (length: number, position: number) => {
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await handle.read(bytes, 0, length, position);
    return bytes.subarray(0, bytesRead);
  };
  return (await read(head.length, 0)).equals(head) && (await read(ENTRIES_END.length, at)).equals(ENTRIES_END);
}

/** `entryKeys`, giving the event loop back as it goes (crate entries are hashed). */
async function keysSliced(entries: readonly BufferEntry[], slicer: TimeSlicer): Promise<string[]> {
  const keyer = new EntryKeyer();
  const keys = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    keys[i] = keyer.keyOf(entries[i]);
    if ((i & 15) === 15 && slicer.due()) await slicer.pause();
  }
  return keys;
}

/**
 * A merged journal with lines that are not entries the crate can read (an older version's, a
 * foreign writer's) is not removed: it is renamed to `<agent>.json.rejected-<stamp>`, listed as a
 * problem of the buffer, so that nothing is lost and nothing unreadable reaches the snapshot.
 */
async function keepAside(dir: string, journals: string[], stamp: string, log?: Logger): Promise<void> {
  for (const [i, journal] of journals.entries()) {
    const agentJson = path.basename(journal).replace(/\.wal-.*$/, '');
    const copy = path.join(dir, `${agentJson}.rejected-${fileStamp(stamp)}${i ? String(i) : ''}`);
    await fs.rename(journal, copy);
    log?.warn(`${path.basename(journal)} held lines that are not valid entries; it was kept aside as ${path.basename(copy)}`);
  }
}

/**
 * Keeps the damaged snapshot's bytes as `<agent>.json.damaged-<stamp>` (a hard link, or a copy
 * where links are refused), durable before the snapshot is replaced. When a copy with the same
 * bytes exists already (an earlier replacement failed), that one is kept and no other made.
 * Returns the copy's file name.
 */
async function keepDamagedCopy(snapshotPath: string, existing: readonly string[], stamp: string): Promise<string> {
  const stat = await fs.stat(snapshotPath);
  let digest: string | undefined;
  for (const copy of existing) {
    const other = await fs.stat(copy).catch(() => null);
    if (!other || other.size !== stat.size) continue;
    if (other.ino === stat.ino && other.dev === stat.dev) return path.basename(copy);
    digest ??= await fileDigest(snapshotPath);
    if ((await fileDigest(copy)) === digest) return path.basename(copy);
  }
  const copy = `${snapshotPath}.damaged-${fileStamp(stamp)}`;
  try {
    await fs.link(snapshotPath, copy);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw error;
    await fs.copyFile(snapshotPath, copy, fsConstants.COPYFILE_EXCL);
    const handle = await fs.open(copy, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  await fsyncDir(path.dirname(snapshotPath));
  return path.basename(copy);
}

async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** An archive of this agent: `<agent, cut to fit 64 characters>.archive-<stamp>.json`. */
function isArchiveOf(agentType: string, name: string): boolean {
  if (!name.endsWith('.json')) return false;
  const stem = name.slice(0, -'.json'.length);
  const base = archiveOf(stem);
  return base !== undefined && (base === agentType || (stem.length === 64 && agentType.startsWith(base)));
}

/**
 * A roll-over of an earlier version wrote the archive and then emptied the snapshot: killed in
 * between, it left every archived entry in the snapshot as well, and the next roll-over would
 * archive them a second time. When the newest archive of this agent holds exactly the first
 * entries of the buffer (by merge key), those are dropped from `data` (they live on in the
 * archive). Runs only when the buffer is about to roll over, so its cost (parsing the newest
 * archive) is paid once per roll-over. Returns true when entries were dropped.
 */
async function dropHalfDoneRollOver(dir: string, agentType: string, data: BufferData, log?: Logger): Promise<boolean> {
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => isArchiveOf(agentType, n)).sort();
  const newest = names.at(-1);
  if (!newest) return false;
  const archived = await readSnapshotFile(path.join(dir, newest));
  if (!archived || archived.damaged || archived.entries.length === 0 || archived.entries.length > data.entries.length) return false;
  const archivedKeys = entryKeys(archived.entries);
  const keys = entryKeys(data.entries.slice(0, archivedKeys.length));
  if (!archivedKeys.every((key, i) => key === keys[i])) return false;
  data.entries = data.entries.slice(archivedKeys.length);
  log?.warn(`${agentType}: the first ${archivedKeys.length} entries were archived already in ${newest} by a roll-over that was cut short; they stay there and leave this buffer`);
  return true;
}

/**
 * A temporary snapshot of `agentType` (or of its archives) that a killed writer left: ours
 * (write-file-atomic's `<agent>.json.<number>`, `<agent>.json.tmp-<nanoseconds>`) or the
 * crate's (`<agent>.json.tmp-<nanoseconds>`, earlier `<agent>.json.tmp`). Whether it may be
 * removed at once: ours are written only under the agent lock, which the caller holds; the
 * crate takes no lock, so one of those may be being written (hence the age).
 */
function leftoverTemp(name: string, agentType: string): { atOnce: boolean } | undefined {
  const m = /^(.+)\.json\.(\d+|tmp|tmp-\d+)$/.exec(name);
  if (!m || (m[1] !== agentType && archiveOf(m[1]) !== agentType)) return undefined;
  return { atOnce: /^\d+$/.test(m[2]) };
}

/** A temporary file of the crate's this old is not being written any more. */
const TEMP_ABANDONED_MS = 60_000;

/**
 * Removes the temporary snapshots killed writers left of this agent (a killed compaction leaves
 * one as large as the buffer). The caller holds the agent lock. Returns the bytes reclaimed.
 */
export async function removeLeftoverTemps(dir: string, agentType: string, log?: Logger): Promise<number> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  let bytes = 0;
  for (const name of names) {
    const temp = leftoverTemp(name, agentType);
    if (!temp) continue;
    const file = path.join(dir, name);
    const stat = await fs.lstat(file).catch(() => null);
    if (!stat?.isFile() || (!temp.atOnce && stat.mtimeMs > Date.now() - TEMP_ABANDONED_MS)) continue;
    await fs.rm(file, { force: true }).then(() => {
      removed++;
      bytes += stat.size;
    }, () => undefined);
  }
  if (removed) log?.info(`${agentType}: removed ${removed} temporary file${removed === 1 ? '' : 's'} left by interrupted writes (${formatBytes(bytes)} reclaimed)`);
  return bytes;
}

function snapshotIsDamaged(loaded: LoadedBuffer, files: AgentFiles): boolean {
  // A damaged snapshot is set aside each time it is found damaged; copies of earlier damage do not count.
  return files.snapshot !== null && loaded.problems.some((p) => p.startsWith(`${files.agentType}.json:`));
}

async function removeFiles(dir: string, paths: string[]): Promise<void> {
  if (!paths.length) return;
  await Promise.all(paths.map((p) => fs.rm(p, { force: true })));
  await fsyncDir(dir);
}

/** Removes every file of an agent's buffer (snapshot and journals; damaged copies are kept). */
export async function removeBuffer(dir: string, agentType: string, log?: Logger): Promise<void> {
  await withAgentLock(dir, agentType, log, async () => {
    const files = (await scanDir(dir)).get(agentType);
    if (!files) return;
    await removeFiles(dir, [...(files.snapshot ? [files.snapshot.path] : []), ...files.journals.map((j) => j.path)]);
  });
}
