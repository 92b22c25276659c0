// The write-ahead journal: each writer appends the entries it buffers to its own file beside the
// snapshot, `<agent>.json.wal-<writerId>-<generation>`, one JSON line per entry after a header
// line. Appends are grouped: one fsync covers every entry that arrived while the previous write
// was in flight or within the batch window. Readers tolerate a torn last line.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseEntry, type BufferEntry } from './schema';
import { faults } from './faults';
import { fsyncDir } from './fsutil';
import { journalHeaderStartedAt } from './compactionPolicy';
import { voidedIds, voidMarkerLine } from './journalVoid';
import { openHandleNoFollow, openSettingAsideUnsafe } from './safeOpen';

export interface JournalHeader {
  nexus_journal: 1;
  agent_type: string;
  started_at: string;
  writer_id: string;
}

const JOURNAL_NAME = /^(.+)\.json\.wal-([a-z0-9]+)-(\d+)$/;

export function journalFileName(agentType: string, writerId: string, generation: number): string {
  return `${agentType}.json.wal-${writerId}-${generation}`;
}

export function parseJournalFileName(name: string): { agentType: string; writerId: string; generation: number } | null {
  const m = JOURNAL_NAME.exec(name);
  return m ? { agentType: m[1], writerId: m[2], generation: Number(m[3]) } : null;
}

export interface ParsedJournal {
  header: JournalHeader | null;
  entries: BufferEntry[];
  /** Lines that did not parse or validate (a torn last line after a crash is the usual one). */
  badLines: number;
  /**
   * Some line is JSON but not an entry the crate could read (an older version's, a foreign
   * writer's): the file is kept aside after a merge, not removed. (A line that is not JSON at all
   * is a fragment of a write cut short, never acknowledged.)
   */
  keepAside: boolean;
  problems: string[];
}

export function parseJournal(text: string, fileName = 'journal'): ParsedJournal {
  const result: ParsedJournal = { header: null, entries: [], badLines: 0, keepAside: false, problems: [] };
  const lines = text.split('\n');
  let firstBad = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      result.badLines++;
      if (firstBad < 0) firstBad = i + 1;
      continue;
    }
    if (value && typeof value === 'object' && (value as { nexus_journal?: unknown }).nexus_journal === 1) {
      result.header ??= value as JournalHeader;
      continue;
    }
    const voided = voidedIds(value);
    if (voided) {
      // An append that failed and could not be truncated away (journalVoid.ts): its entries,
      // before this line, were never acknowledged.
      const ids = new Set(voided);
      result.entries = result.entries.filter((entry) => entry.id === undefined || !ids.has(entry.id));
      continue;
    }
    const { entry } = parseEntry(value);
    if (entry) result.entries.push(entry);
    else {
      result.badLines++;
      result.keepAside = true;
      if (firstBad < 0) firstBad = i + 1;
    }
  }
  if (result.badLines > 0) {
    const torn = result.badLines === 1 && firstBad >= lines.length - 1 && !text.endsWith('\n');
    result.problems.push(
      torn
        ? `${fileName}: a torn last line was ignored (a write interrupted by a crash; nothing acknowledged is in it)`
        : `${fileName}: ${result.badLines} unreadable line(s) ignored (first at line ${firstBad})`,
    );
  }
  return result;
}

/** Null when there is none; BufferError UNSAFE when the name is a link (never read through). */
export async function readJournalFile(file: string): Promise<ParsedJournal | null> {
  try {
    const handle = await openHandleNoFollow(file, 'read');
    try {
      return parseJournal(await handle.readFile('utf8'), path.basename(file));
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

interface Pending {
  line: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface JournalWriterOptions {
  /** true: one fsync per entry ("always"); false: group commit ("batched"). */
  syncEach: boolean;
  /** How long an idle journal waits to gather a batch before writing (ms, 0..50). */
  batchWindowMs: number;
}

/**
 * Appends to one generation of one writer's journal. `append` resolves once the line is
 * fsynced. After a failed write the next write starts with a newline, so a torn fragment can
 * never swallow the following entry.
 */
export class JournalWriter {
  readonly file: string;
  private handle: fs.FileHandle | undefined;
  private inode = 0;
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private needsSeparator = false;
  private closed = false;
  /** Lines of failed batches that are still in the file (the truncate failed): voided by the next write. */
  private voidPending: string[] = [];
  /** Bytes appended to this generation (header included). */
  bytes = 0;
  entries = 0;

  constructor(
    readonly dir: string,
    private readonly header: JournalHeader,
    readonly generation: number,
    private options: JournalWriterOptions,
  ) {
    this.file = path.join(dir, journalFileName(header.agent_type, header.writer_id, generation));
  }

  setOptions(options: JournalWriterOptions): void {
    this.options = options;
  }

  append(entry: BufferEntry): Promise<void> {
    return this.appendLine(JSON.stringify(entry));
  }

  /** Appends an entry already serialized as one JSON line (no newline inside). */
  appendLine(json: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('journal generation is closed'));
    const line = json + '\n';
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.writing || this.timer) return;
    const window = this.options.syncEach ? 0 : this.options.batchWindowMs;
    if (window <= 0) {
      this.writing = this.drain();
    } else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.writing) this.writing = this.drain();
      }, window);
    }
  }

  /** Writes batches until the queue is empty. Never rejects: failures reject the batch's entries. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.options.syncEach ? this.queue.splice(0, 1) : this.queue.splice(0, this.queue.length);
        try {
          await this.writeBatch(batch.map((p) => p.line).join(''));
          this.entries += batch.length;
          for (const p of batch) p.resolve();
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async writeBatch(text: string): Promise<void> {
    try {
      faults.beforeWrite?.(this.file);
      const length = await this.ensureOpen();
      const handle = this.handle!;
      // Lines of earlier failed batches that could not be truncated away are voided first.
      const marker = voidMarkerLine(this.voidPending);
      const data = Buffer.from((this.needsSeparator ? '\n' : '') + (marker ? marker + '\n' : '') + text);
      try {
        await writeFully(handle, data);
        await handle.datasync();
      } catch (error) {
        // Not acknowledged, so it must not be read later either: back to the length before.
        if ((await undoAppend(handle, length)) === 'kept') {
          this.needsSeparator = true;
          this.voidPending.push(...text.split('\n').filter(Boolean));
        }
        throw error;
      }
      this.needsSeparator = false;
      this.voidPending = [];
      this.bytes += data.length;
    } catch (error) {
      await this.closeHandle();
      throw error;
    }
  }

  /**
   * Opens (or re-creates, if someone removed it, e.g. a `clear` from another process) the file;
   * resolves with its length, which only this writer changes.
   */
  private async ensureOpen(): Promise<number> {
    if (this.handle) {
      // lstat: a link put in the file's place is not the file we hold.
      const onDisk = await fs.lstat(this.file).catch(() => null);
      if (onDisk && onDisk.isFile() && onDisk.ino === this.inode) return onDisk.size;
      await this.closeHandle();
    }
    const handle = await openSettingAsideUnsafe(this.file, this.header.agent_type, () => openHandleNoFollow(this.file, 'append'));
    try {
      const stat = await handle.stat();
      let length = stat.size;
      if (stat.size === 0) {
        const head = Buffer.from(JSON.stringify(this.header) + '\n');
        await writeFully(handle, head);
        this.bytes += head.length;
        length = head.length;
      } else {
        this.needsSeparator = true; // it may end with a torn line
      }
      await handle.datasync();
      await fsyncDir(this.dir); // the new name must survive a power loss too
      this.inode = stat.ino;
      this.handle = handle;
      return length;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  /** Waits for every queued append (successful or not). */
  async settle(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      if (!this.writing && this.queue.length) this.writing = this.drain();
    }
    while (this.writing) await this.writing;
  }

  /** Settles and closes; later appends are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.settle();
    // A last try at voiding what a failed batch left behind (best effort: the disk is failing).
    if (this.voidPending.length) await this.writeBatch('').catch(() => undefined);
    await this.closeHandle();
  }

  get hasFile(): boolean {
    return this.bytes > 0;
  }
}

/** The writer id of the journal shared by short-lived writers (appended under the agent lock). */
export const SHARED_WRITER_ID = 'shared';

/**
 * Appends lines to `<agent>.json.wal-shared-0` and fsyncs them. The caller holds the agent lock,
 * which serialises every appender and every compaction that merges this file. Used by one-shot
 * writers (a hook call, a single CLI push) so they leave no journal of their own behind.
 */
export async function appendShared(
  dir: string, header: JournalHeader, lines: string[],
): Promise<{ journalBytes: number; journalStartedAt: number | undefined }> {
  const file = path.join(dir, journalFileName(header.agent_type, SHARED_WRITER_ID, 0));
  faults.beforeWrite?.(file);
  const handle = await openSettingAsideUnsafe(file, header.agent_type, () => openHandleNoFollow(file, 'append'));
  try {
    const { size } = await handle.stat();
    const started = size === 0 ? Date.parse(header.started_at) : await headerStartedAt(file);
    // A crash may have left a torn line: a newline first keeps it from swallowing ours.
    const data = Buffer.from((size === 0 ? JSON.stringify(header) + '\n' : '\n') + lines.map((l) => l + '\n').join(''));
    try {
      await writeFully(handle, data);
      await handle.datasync();
      if (size === 0) await fsyncDir(dir);
    } catch (error) {
      // Not acknowledged: gone before the lock is released, so no reader ever merges it.
      if ((await undoAppend(handle, size)) === 'kept') await appendVoidMarker(handle, lines);
      throw error;
    }
    return { journalBytes: size + data.length, journalStartedAt: started };
  } finally {
    await handle.close();
  }
}

/** The journal's header `started_at` (epoch ms): when its oldest entry was written. */
export async function sharedJournalStartedAt(file: string): Promise<number | undefined> {
  return headerStartedAt(file).catch(() => undefined);
}

async function headerStartedAt(file: string): Promise<number | undefined> {
  // A handle of its own: the appending one is write-only.
  const handle = await openHandleNoFollow(file, 'read');
  try {
    const head = Buffer.alloc(1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return journalHeaderStartedAt(head.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
}

/** Writes all of `data` (a write may be short, e.g. on a disk that is filling up). */
async function writeFully(handle: fs.FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += (await handle.write(data, offset, data.length - offset)).bytesWritten;
}

/**
 * After a failed append: truncates the file back to `length` (its length before the append),
 * then fsyncs that (best effort: the next successful fdatasync persists the length anyway).
 * 'kept' when even the truncate failed, and the lines are still there.
 */
async function undoAppend(handle: fs.FileHandle, length: number): Promise<'truncated' | 'kept'> {
  try {
    await handle.truncate(length);
  } catch {
    return 'kept';
  }
  await handle.datasync().catch(() => undefined);
  return 'truncated';
}

/** The fallback of undoAppend for a one-shot writer: a void marker line (journalVoid.ts), best effort. */
async function appendVoidMarker(handle: fs.FileHandle, lines: readonly string[]): Promise<void> {
  const marker = voidMarkerLine(lines);
  if (!marker) return;
  try {
    await writeFully(handle, Buffer.from(`\n${marker}\n`));
    await handle.datasync();
  } catch {
    // The disk refuses everything: nothing more can be done from here.
  }
}
