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

/**
 * Lines that go to the disk in one write and one fdatasync, encoded as they arrive (so each
 * line's text is garbage at once, not held until the write), and the promise every caller of
 * them waits for.
 */
class Batch {
  data: Buffer;
  length = 0;
  lines = 0;
  readonly durable: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor(capacity: number, reuse?: Buffer) {
    this.data = reuse && reuse.length >= capacity ? reuse : Buffer.allocUnsafe(capacity);
    this.durable = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Appends `json` (`bytes` long in UTF-8) and a newline, growing the buffer as needed. */
  add(json: string, bytes: number): void {
    const needed = this.length + bytes + 1;
    if (needed > this.data.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.data.length * 2));
      this.data.copy(grown, 0, 0, this.length);
      this.data = grown;
    }
    const written = this.data.write(json, this.length, 'utf8');
    if (written !== bytes) throw new Error(`journal line of ${written} bytes, said to be ${bytes}`);
    this.data[this.length + bytes] = 0x0a;
    this.length = needed;
    this.lines++;
  }

  get bytes(): Buffer {
    return this.data.subarray(0, this.length);
  }
}

/** A batch starts this large (a few entries of a few KB); it doubles as lines come. */
const BATCH_START_BYTES = 64 * 1024;
/** The bytes of a written batch are reused by the next one, up to this size. */
const BATCH_REUSE_BYTES = 8 * 1024 * 1024;

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
  /** Batches waiting for their write, oldest first; the last one takes new lines unless closed. */
  private queue: Batch[] = [];
  /** The batch that takes new lines (the last in the queue), if any. */
  private open: Batch | undefined;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private needsSeparator = false;
  private closed = false;
  /** Lines of failed batches that are still in the file (the truncate failed): voided by the next write. */
  private voidPending: string[] = [];
  /** The bytes of the last written batch, for the next one (never one still being written). */
  private spare: Buffer | undefined;
  /** Bytes appended to this generation (header included). */
  bytes = 0;
  entries = 0;

  constructor(
    readonly dir: string,
    private readonly header: JournalHeader,
    readonly generation: number,
    private options: JournalWriterOptions,
    /** Called with a batch's size in bytes (its lines and their newlines) once it is durable, before its callers hear. */
    private readonly onDurable?: (bytes: number) => void,
  ) {
    this.file = path.join(dir, journalFileName(header.agent_type, header.writer_id, generation));
  }

  setOptions(options: JournalWriterOptions): void {
    this.options = options;
    // Lines from now on go by the new options.
    if (options.syncEach) this.open = undefined;
  }

  append(entry: BufferEntry): Promise<void> {
    return this.appendLine(JSON.stringify(entry));
  }

  /**
   * Appends an entry already serialized as one JSON line (no newline inside), `byteLength`
   * bytes long in UTF-8. Resolves once it is on disk (with the rest of its batch).
   */
  appendLine(json: string, byteLength = Buffer.byteLength(json)): Promise<void> {
    if (this.closed) return Promise.reject(new Error('journal generation is closed'));
    let batch = this.open;
    if (!batch) {
      batch = new Batch(Math.max(BATCH_START_BYTES, byteLength + 1), this.spare);
      if (batch.data === this.spare) this.spare = undefined;
      this.queue.push(batch);
      // "always": one line per batch, so one fsync per entry.
      if (!this.options.syncEach) this.open = batch;
    }
    batch.add(json, byteLength);
    this.schedule();
    return batch.durable;
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
      for (let batch = this.queue.shift(); batch; batch = this.queue.shift()) {
        // Lines that arrive from now on wait for the next write.
        if (batch === this.open) this.open = undefined;
        try {
          await this.writeBatch(batch.bytes);
        } catch (error) {
          batch.reject(error);
          continue;
        }
        this.entries += batch.lines;
        if (batch.data.length <= BATCH_REUSE_BYTES) this.spare = batch.data;
        // Its callers resume after this synchronous code, so they see the batch counted.
        batch.resolve();
        this.onDurable?.(batch.length);
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async writeBatch(lines: Buffer): Promise<void> {
    try {
      faults.beforeWrite?.(this.file);
      const length = await this.ensureOpen();
      const handle = this.handle!;
      // Lines of earlier failed batches that could not be truncated away are voided first.
      const marker = voidMarkerLine(this.voidPending);
      const prefix = (this.needsSeparator ? '\n' : '') + (marker ? marker + '\n' : '');
      const data = prefix ? Buffer.concat([Buffer.from(prefix), lines]) : lines;
      try {
        await writeFully(handle, data);
        await handle.datasync();
      } catch (error) {
        // Not acknowledged, so it must not be read later either: back to the length before.
        if ((await undoAppend(handle, length)) === 'kept') {
          this.needsSeparator = true;
          this.voidPending.push(...lines.toString('utf8').split('\n').filter(Boolean));
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
    if (this.voidPending.length) await this.writeBatch(Buffer.alloc(0)).catch(() => undefined);
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
