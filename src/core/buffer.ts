// PersistentBuffer: the crate's API (start, buffer, flush, flush all, recover, clear, status,
// list, has-buffer), done properly:
// - an entry is acknowledged only once it is on disk (this writer's journal, group-committed);
// - a flush costs what is new: the snapshot is rewritten only when a compaction is due;
// - snapshot rewrites happen under a cross-process lock, re-reading what is there;
// - damaged files are salvaged, oversized buffers roll over into archives, disk errors keep
//   entries in memory and retry with backoff.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { assertAgentName, assertExistingBufferName } from './agentName';
import { CompactionClient, CompactionWorkerGone } from './compactionClient';
import { compactionDue, FRESHNESS_MS } from './compactionPolicy';
import { timestampProblem } from './crateSchema';
import { BufferError, describeFsError, notBufferedMessage } from './errors';
import { formatBytes } from './format';
import { ensureDir, statOrNull } from './fsutil';
import { appendShared, JournalWriter, SHARED_WRITER_ID, sharedJournalStartedAt, type ParsedJournal } from './journal';
import { holdWriterLiveness, isWriterAlive, newWriterId, removeDeadWriterLocks, withAgentLock } from './lock';
import { resolveBufferDir } from './paths';
import {
  compareTimestamps, completeContext, earliest, InvalidContextError, latest, nowTimestamp, type PartialSessionContext,
} from './schema';
import { entryKeys } from './snapshot';
import { archiveOf, compact, loadBuffer, ParseCache, removeBuffer, scanDir, type AgentFiles, type CompactOptions, type CompactResult, type LoadedBuffer } from './store';
import type {
  BufferChangeEvent, BufferData, BufferEntry, BufferOptions, BufferStatus, Disposable, Durability, Logger,
  RecoveredBuffer, RepairReport,
} from './types';

export const DEFAULTS = {
  maxEntries: 10,
  flushIntervalMs: 10_000,
  durability: 'batched' as Durability,
  batchWindowMs: 5,
  maxEntryBytes: 5 * 1024 * 1024,
  maxBufferEntries: 20_000,
  maxBufferBytes: 100 * 1024 * 1024,
  /** Compact once the journals hold at least this much (and at least the snapshot's size). */
  compactMinBytes: 1024 * 1024,
};

interface AgentState {
  agentType: string;
  startedAt: string;
  /** Entries known in memory: this writer's and those adopted by `recover`. */
  entries: BufferEntry[];
  keys: Set<string>;
  /** In memory only: durability "off", or journal writes that failed and wait for a retry. */
  unflushed: BufferEntry[];
  journal?: JournalWriter;
  generation: number;
  closedJournals: Set<string>;
  /** What this writer's journals hold (acknowledged appends), by file: compaction takes it from here. */
  journalContents: Map<string, ParsedJournal>;
  lastFlush: string | null;
  lastCompaction: number;
  uncompactedBytes: number;
  snapshotBytes: number;
  /** Current write failure, said once. */
  diskProblem?: string;
  retryTimer?: NodeJS.Timeout;
  /** When the oldest entry not yet in the snapshot was acknowledged (clock ms); undefined when none. */
  oldestUncompactedAt?: number;
  /** Brings the snapshot up to date once that entry is FRESHNESS old (compactionPolicy.ts). */
  freshnessTimer?: NodeJS.Timeout;
  /** The folder, liveness and the snapshot's size are ready for appends (prepareJournal ran once). */
  journalReadyOnce?: boolean;
  journalPrepared?: Promise<void>;
  /** Appends waiting for prepareJournal: later ones queue behind them, to keep the journal in call order. */
  waitingAppends: number;
  retryDelayMs: number;
  compacting?: Promise<CompactResult | undefined>;
}

type Settings = Required<Omit<BufferOptions, 'dir' | 'writerId' | 'log' | 'clock' | 'sharedJournal' | 'retryFailedWrites' | 'compactionWorker'>>;

/**
 * The entries of a writer's memory that the disk (`loaded`) does not hold, in their order. The
 * disk's keys are looked up only when there are entries in memory (100,000 of them cost tens of ms).
 */
function memoryOnly(loaded: LoadedBuffer | undefined, state: AgentState | undefined): BufferEntry[] {
  if (!state || state.entries.length === 0) return [];
  const seen = new Set(loaded?.keys ?? []);
  const keys = entryKeys(state.entries);
  return state.entries.filter((_, i) => !seen.has(keys[i]));
}

export class PersistentBuffer {
  /** The resolved buffer folder. */
  readonly dir: string;
  /** This writer's id (its journals are `<agent>.json.wal-<writerId>-<n>`). */
  readonly writerId: string;
  private settings: Settings;
  private readonly log: Logger | undefined;
  /** Runs compactions on a worker thread (BufferOptions.compactionWorker); undefined: on this one. */
  private compactor: CompactionClient | undefined;
  private readonly compactionCounts = { onWorker: 0, onThread: 0 };
  private readonly clock: () => number;
  private readonly states = new Map<string, AgentState>();
  private readonly listeners = new Set<(e: BufferChangeEvent) => void>();
  /** The listeners as of the last change to them: an emit per entry copies nothing. */
  private listenerList: ReadonlyArray<(e: BufferChangeEvent) => void> = [];
  /** Names that passed assertAgentName (checked once, not per entry). */
  private readonly validAgentNames = new Set<string>();
  private lastNowMs = NaN;
  private lastNowText = '';
  private readonly cache = new ParseCache();
  private timer: NodeJS.Timeout | undefined;
  private liveness: Promise<() => Promise<void>> | undefined;
  private dirReady: Promise<void> | undefined;
  private disposed = false;
  private readonly sharedJournal: boolean;
  private readonly retryFailedWrites: boolean;

  constructor(options: BufferOptions = {}) {
    this.sharedJournal = options.sharedJournal ?? false;
    this.retryFailedWrites = options.retryFailedWrites ?? true;
    this.dir = resolveBufferDir(options.dir);
    this.writerId = options.writerId ?? newWriterId();
    this.log = options.log;
    this.clock = options.clock ?? Date.now;
    this.settings = PersistentBuffer.settingsFrom(options);
    this.compactor = options.compactionWorker ? new CompactionClient(options.compactionWorker, this.log) : undefined;
    this.startTimer();
  }

  private static settingsFrom(options: Omit<BufferOptions, 'dir' | 'writerId'>, base: Partial<Settings> = {}): Settings {
    const pick = <K extends keyof Settings>(key: K, fallback: Settings[K]): Settings[K] =>
      (options[key] as Settings[K] | undefined) ?? (base[key] as Settings[K] | undefined) ?? fallback;
    return {
      maxEntries: Math.max(1, pick('maxEntries', DEFAULTS.maxEntries)),
      flushIntervalMs: Math.max(0, pick('flushIntervalMs', DEFAULTS.flushIntervalMs)),
      durability: pick('durability', DEFAULTS.durability),
      batchWindowMs: Math.min(50, Math.max(0, pick('batchWindowMs', DEFAULTS.batchWindowMs))),
      maxEntryBytes: Math.max(1, pick('maxEntryBytes', DEFAULTS.maxEntryBytes)),
      maxBufferEntries: Math.max(1, pick('maxBufferEntries', DEFAULTS.maxBufferEntries)),
      maxBufferBytes: Math.max(1024, pick('maxBufferBytes', DEFAULTS.maxBufferBytes)),
      compactMinBytes: Math.max(0, pick('compactMinBytes', DEFAULTS.compactMinBytes)),
    };
  }

  /** Applies new options (flush interval, thresholds, durability) without losing entries. */
  configure(options: Omit<BufferOptions, 'dir' | 'writerId'>): void {
    const before = this.settings;
    this.settings = PersistentBuffer.settingsFrom(options, before);
    if (before.flushIntervalMs !== this.settings.flushIntervalMs) this.startTimer();
    for (const state of this.states.values()) state.journal?.setOptions(this.journalOptions());
  }

  get durability(): Durability {
    return this.settings.durability;
  }

  private startTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.settings.flushIntervalMs <= 0 || this.disposed) return;
    this.timer = setInterval(() => void this.periodicFlush(), this.settings.flushIntervalMs);
    this.timer.unref?.(); // never keeps a CLI process alive
  }

  /** The crate stores a flush interval and never uses it; this one flushes what is pending. */
  private async periodicFlush(): Promise<void> {
    for (const state of [...this.states.values()]) {
      if (state.unflushed.length > 0 || this.compactionDue(state)) {
        await this.flush(state.agentType).catch((error) => this.log?.error(`periodic flush of ${state.agentType}: ${(error as Error).message}`));
      }
    }
    await this.mergeStaleJournals().catch((error) => this.log?.warn(`merging journals left by others: ${(error as Error).message}`));
  }

  /**
   * Journals no live writer will merge (the hooks' shared one, a killed writer's) are merged by
   * a long-lived writer once compactionPolicy.ts says so: a hook call that is the last of its
   * session leaves nobody else to bring the crate's snapshot up to date.
   */
  private async mergeStaleJournals(): Promise<void> {
    for (const files of (await scanDir(this.dir)).values()) {
      if (this.states.get(files.agentType)?.compacting) continue;
      let bytes = 0;
      let oldest: number | undefined;
      for (const journal of files.journals) {
        if (await isWriterAlive(this.dir, journal.writerId, this.writerId)) continue;
        bytes += journal.bytes;
        // A shared journal's header says when its first entry came; a dead writer's last write is a bound.
        const started = journal.writerId === SHARED_WRITER_ID ? await sharedJournalStartedAt(journal.path) : journal.mtimeMs;
        oldest = Math.min(oldest ?? Infinity, started ?? journal.mtimeMs);
      }
      if (bytes === 0 || oldest === undefined) continue;
      const due = compactionDue({
        uncompactedBytes: bytes, oldestAgeMs: Date.now() - oldest, snapshotBytes: files.snapshot?.bytes ?? 0,
        minBytes: this.settings.compactMinBytes, freshnessMs: this.settings.flushIntervalMs,
      });
      if (due) await this.compactAgent(files.agentType);
    }
  }

  /** Now, as the crate's timestamp (made once per millisecond: several entries share one). */
  private now(): string {
    const ms = this.clock();
    if (ms !== this.lastNowMs) {
      this.lastNowText = nowTimestamp(() => ms);
      this.lastNowMs = ms;
    }
    return this.lastNowText;
  }

  private emit(event: BufferChangeEvent): void {
    for (const listener of this.listenerList) {
      try {
        listener(event);
      } catch (error) {
        this.log?.error(`change listener failed: ${(error as Error).message}`);
      }
    }
  }

  /** Fired after a buffer changes (buffered, flushed, recovered, cleared, seen changed on disk). */
  onDidChange(listener: (e: BufferChangeEvent) => void): Disposable {
    this.listeners.add(listener);
    this.listenerList = [...this.listeners];
    return {
      dispose: () => {
        this.listeners.delete(listener);
        this.listenerList = [...this.listeners];
      },
    };
  }

  /** Tells listeners the folder may have changed outside this process (used by file watchers). */
  notifyExternalChange(agentType?: string): void {
    this.emit({ agentType, reason: 'external' });
  }

  private assertLive(): void {
    if (this.disposed) throw new BufferError('DISPOSED', 'the buffer was disposed');
  }

  private state(agentType: string): AgentState {
    let state = this.states.get(agentType);
    if (!state) {
      state = {
        agentType, startedAt: this.now(), entries: [], keys: new Set(), unflushed: [], generation: 0,
        closedJournals: new Set(), journalContents: new Map(), lastFlush: null, lastCompaction: this.clock(), uncompactedBytes: 0,
        snapshotBytes: 0, retryDelayMs: 500, waitingAppends: 0,
      };
      this.states.set(agentType, state);
    }
    return state;
  }

  /** Starts a buffer for the agent in memory (no-op when started). Validates the name. */
  startBuffering(agentType: string): void {
    this.assertLive();
    assertAgentName(agentType);
    if (!this.states.has(agentType)) {
      this.state(agentType);
      this.emit({ agentType, reason: 'buffered' });
    }
  }

  /**
   * Buffers one context entry; resolves once it is durable per the durability setting, with the
   * entry as stored (its `id` is unique). A partial context is completed with the crate's
   * defaults. Throws BufferError INVALID_AGENT_NAME / INVALID_CONTEXT / ENTRY_TOO_LARGE.
   * When the disk refuses the write (full, read-only, permission) it rejects with BufferError
   * DISK: the entry is NOT acknowledged, and nothing of it stays in the journal. It is kept in
   * memory and retried with backoff (nothing is lost while this process lives), unless the
   * buffer was made with `retryFailedWrites: false`: then it is dropped.
   * `given` is for importers of records that have their own identity and time (an agent's
   * session file): `id` makes the entry deterministic, so a second import of the same record
   * merges into the first (merge by id), and `timestamp` is when it happened, not now.
   */
  async bufferContext(
    agentType: string, context: PartialSessionContext, contextType = 'checkpoint', given: { id?: string; timestamp?: string } = {},
  ): Promise<BufferEntry> {
    this.assertLive();
    if (!this.validAgentNames.has(agentType)) {
      assertAgentName(agentType);
      this.validAgentNames.add(agentType);
    }
    if (typeof contextType !== 'string' || contextType.length === 0 || contextType.length > 200) {
      throw new BufferError('INVALID_CONTEXT', 'context type: must be a non-empty string of at most 200 characters');
    }
    if (given.id !== undefined && (typeof given.id !== 'string' || given.id.length === 0 || given.id.length > 200)) {
      throw new BufferError('INVALID_CONTEXT', 'entry id: must be a non-empty string of at most 200 characters');
    }
    const timestampRule = given.timestamp === undefined ? undefined : timestampProblem(given.timestamp);
    if (timestampRule) {
      throw new BufferError('INVALID_CONTEXT', `entry timestamp: ${timestampRule}, got ${JSON.stringify(given.timestamp)}`);
    }
    const timestamp = given.timestamp ?? this.now();
    let complete;
    try {
      complete = completeContext(context, { agentType, now: timestamp });
    } catch (error) {
      if (error instanceof InvalidContextError) throw new BufferError('INVALID_CONTEXT', error.message, error);
      throw error;
    }
    // Key order as the crate writes it; `id` last (the crate's reader ignores it).
    const entry: BufferEntry = { timestamp, context_type: contextType, context: complete, id: given.id ?? newEntryId() };
    const line = JSON.stringify(entry);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: the exact size is needed only near the limit.
    const bytes = line.length * 3 <= this.settings.maxEntryBytes ? 0 : Buffer.byteLength(line);
    if (bytes > this.settings.maxEntryBytes) {
      throw new BufferError(
        'ENTRY_TOO_LARGE',
        `entry of ${formatBytes(bytes)} refused: the limit is ${formatBytes(this.settings.maxEntryBytes)} (setting nexusBuffer.maxEntryBytes). Leave out large outputs or file contents.`,
      );
    }
    const state = this.state(agentType);
    state.entries.push(entry);
    state.keys.add(entry.id!);
    if (this.settings.durability === 'off') {
      state.unflushed.push(entry);
      this.emit({ agentType, reason: 'buffered' });
      if (state.unflushed.length >= this.settings.maxEntries) await this.flush(agentType);
      return entry;
    }
    // The disk is failing: keep order, queue behind the entries waiting for the retry. (Entries
    // left in memory by durability "off" before a switch to a journaled mode go first.) Without
    // retries, each entry is one new attempt.
    const waiting = this.retryFailedWrites && state.diskProblem !== undefined;
    if (!waiting && state.unflushed.length === 0 && this.journalReady(state)) {
      // The usual case, straight into the open batch. This frame ends here rather than wait:
      // the line's text (already in the batch's bytes) is not kept alive with it until the fsync.
      return this.acknowledged(state, entry, this.appendNow(state, entry, line));
    }
    if (waiting || (state.unflushed.length > 0 && !(await this.retryUnflushed(state)))) {
      if (!this.retryFailedWrites) throw this.dropped(state, entry);
      state.unflushed.push(entry);
      this.emit({ agentType, reason: 'buffered' });
      throw this.notDurable(state);
    }
    return this.acknowledged(state, entry, this.appendToJournal(state, entry, line));
  }

  /** The entry once its journal line is durable; a failed write keeps it for a retry (or drops it). */
  private async acknowledged(state: AgentState, entry: BufferEntry, appended: Promise<void>): Promise<BufferEntry> {
    try {
      await appended;
    } catch (error) {
      this.forgetJournaled(state, entry);
      this.diskFailed(state, error);
      if (!this.retryFailedWrites) throw this.dropped(state, entry);
      state.unflushed.push(entry);
      throw this.notDurable(state);
    }
    if (!this.retryFailedWrites) state.diskProblem = undefined; // this write went through
    this.emit({ agentType: state.agentType, reason: 'buffered' });
    if (this.compactionDue(state)) void this.flush(state.agentType).catch(() => undefined);
    return entry;
  }

  private journalOptions() {
    return { syncEach: this.settings.durability === 'always', batchWindowMs: this.settings.batchWindowMs };
  }

  private async prepareDisk(): Promise<void> {
    this.dirReady ??= ensureDir(this.dir, this.folderNotice).catch((error) => {
      this.dirReady = undefined;
      throw error;
    });
    await this.dirReady;
    // Liveness before the first journal exists, so no other writer mistakes it for an orphan.
    this.liveness ??= holdWriterLiveness(this.dir, this.writerId, this.log).catch((error) => {
      this.liveness = undefined;
      throw error;
    });
    await this.liveness;
  }

  /** Resolves once the line is durable in this writer's journal (or the shared one). */
  private async appendToJournal(state: AgentState, entry: BufferEntry, line: string): Promise<void> {
    if (this.sharedJournal) return this.appendToSharedJournal(state, line);
    if (!this.journalReady(state)) {
      // Every append waits for the same preparation, so they reach the journal in call order.
      state.waitingAppends++;
      try {
        await (state.journalPrepared ??= this.prepareJournal(state).catch((error) => {
          state.journalPrepared = undefined;
          throw error;
        }));
      } finally {
        state.waitingAppends--;
      }
    }
    return this.appendNow(state, entry, line);
  }

  /** Whether an append may go straight into the journal: the disk is prepared and nobody waits before it. */
  private journalReady(state: AgentState): boolean {
    return !this.sharedJournal && state.journalReadyOnce === true && state.waitingAppends === 0;
  }

  /** Before this agent's first append: the folder, this writer's liveness, the snapshot's size. */
  private async prepareJournal(state: AgentState): Promise<void> {
    await this.prepareDisk();
    state.snapshotBytes ||= (await statOrNull(path.join(this.dir, `${state.agentType}.json`)).catch(() => null))?.size ?? 0;
    state.journalReadyOnce = true;
  }

  /** Appends to the open batch of the current generation's journal (made on first use). */
  private appendNow(state: AgentState, entry: BufferEntry, line: string): Promise<void> {
    if (!state.journal) {
      const header = { nexus_journal: 1 as const, agent_type: state.agentType, started_at: state.startedAt, writer_id: this.writerId };
      state.journal = new JournalWriter(this.dir, header, state.generation, this.journalOptions(), (batchBytes) => {
        // Counted as each batch becomes durable, before any of its callers hears of it.
        state.uncompactedBytes += batchBytes;
        state.lastFlush = this.now();
        this.noteUncompacted(state);
      });
      state.journalContents.set(state.journal.file, { header, entries: [], badLines: 0, keepAside: false, problems: [] });
    }
    try {
      const appended = state.journal.appendLine(line);
      // In the file's order (lines are written in the order they are queued); a write that fails
      // takes its entry out again (forgetJournaled), so this holds what the journal acknowledged.
      state.journalContents.get(state.journal.file)?.entries.push(entry);
      return appended;
    } catch (error) {
      return Promise.reject(error); // handled as a failed write, like any other
    }
  }

  /** A journal write that failed left nothing of the entry in the file: nor in what compaction takes from memory. */
  private forgetJournaled(state: AgentState, entry: BufferEntry): void {
    for (const contents of state.journalContents.values()) {
      const at = contents.entries.lastIndexOf(entry);
      if (at >= 0) contents.entries.splice(at, 1);
    }
  }

  /** The crate's reader must see this entry within the flush interval: a timer makes sure it does. */
  private noteUncompacted(state: AgentState): void {
    if (state.oldestUncompactedAt !== undefined) return;
    state.oldestUncompactedAt = this.clock();
    if (this.settings.flushIntervalMs <= 0 || this.disposed || state.freshnessTimer) return;
    state.freshnessTimer = setTimeout(() => {
      state.freshnessTimer = undefined;
      if (this.states.get(state.agentType) !== state || this.disposed) return;
      void this.flush(state.agentType).catch((error) => this.log?.warn(`compaction of ${state.agentType}: ${(error as Error).message}`));
    }, this.settings.flushIntervalMs);
    state.freshnessTimer.unref?.();
  }

  private async appendToSharedJournal(state: AgentState, line: string): Promise<void> {
    this.dirReady ??= ensureDir(this.dir, this.folderNotice);
    await this.dirReady.catch((error) => {
      this.dirReady = undefined;
      throw error;
    });
    const header = { nexus_journal: 1 as const, agent_type: state.agentType, started_at: state.startedAt, writer_id: SHARED_WRITER_ID };
    const { journalBytes, journalStartedAt } = await withAgentLock(this.dir, state.agentType, this.log, () => appendShared(this.dir, header, [line]));
    state.lastFlush = this.now();
    // As for own journals (compactionPolicy.ts): the age of the shared journal is its oldest entry's.
    const snapshotBytes = (await statOrNull(path.join(this.dir, `${state.agentType}.json`)))?.size ?? 0;
    const oldestAgeMs = journalStartedAt === undefined ? undefined : Date.now() - journalStartedAt;
    if (compactionDue({
      uncompactedBytes: journalBytes, oldestAgeMs, snapshotBytes, minBytes: this.settings.compactMinBytes, freshnessMs: this.settings.flushIntervalMs || FRESHNESS_MS,
    })) {
      await this.compactAgent(state.agentType).catch((error) => this.log?.warn(`compaction of ${state.agentType}: ${(error as Error).message}`));
    }
  }

  /** Without retries: the entry leaves memory too (the journal took nothing of it). */
  private dropped(state: AgentState, entry: BufferEntry): BufferError {
    const at = state.entries.lastIndexOf(entry);
    if (at >= 0) state.entries.splice(at, 1);
    state.keys.delete(entry.id!);
    return new BufferError('DISK', notBufferedMessage(state.diskProblem ?? 'the buffer folder cannot be written'));
  }

  /** Said once when the folder was open to others and was made owner-only (folderSafety.ts). */
  private readonly folderNotice = (message: string): void => this.log?.warn(message);

  private notDurable(state: AgentState): BufferError {
    return new BufferError(
      'DISK',
      `${state.diskProblem ?? 'the buffer folder cannot be written'} ${state.unflushed.length} entr${state.unflushed.length === 1 ? 'y is' : 'ies are'} held in memory and retried; nothing is lost while this process runs.`,
    );
  }

  private diskFailed(state: AgentState, error: unknown): void {
    const first = state.diskProblem === undefined;
    state.diskProblem = describeFsError(error, `Cannot write the ${state.agentType} buffer in ${this.dir}`);
    if (first) {
      this.log?.error(state.diskProblem);
      this.emit({ agentType: state.agentType, reason: 'problem', notice: { severity: 'error', message: state.diskProblem } });
    }
    this.scheduleRetry(state);
  }

  private scheduleRetry(state: AgentState): void {
    if (state.retryTimer || this.disposed || !this.retryFailedWrites) return;
    state.retryTimer = setTimeout(() => {
      state.retryTimer = undefined;
      void this.retryUnflushed(state);
    }, state.retryDelayMs);
    state.retryTimer.unref?.();
    state.retryDelayMs = Math.min(state.retryDelayMs * 2, 30_000);
  }

  /** Writes entries held in memory after a failure; on success, says once that all is well again. */
  private async retryUnflushed(state: AgentState): Promise<boolean> {
    if (state.unflushed.length === 0) return true;
    const batch = [...state.unflushed];
    try {
      if (this.settings.durability === 'off') {
        await this.compactNow(state);
      } else {
        await Promise.all(batch.map((entry) => this.appendToJournal(state, entry, JSON.stringify(entry)).catch((error: unknown) => {
          this.forgetJournaled(state, entry);
          throw error;
        })));
      }
    } catch (error) {
      if (this.settings.durability !== 'off' || state.diskProblem !== undefined) this.diskFailed(state, error);
      else throw error;
      return false;
    }
    state.unflushed = state.unflushed.filter((e) => !batch.includes(e));
    if (state.diskProblem !== undefined) {
      const message = `The ${state.agentType} buffer is being written again; ${batch.length} entr${batch.length === 1 ? 'y' : 'ies'} held in memory reached the disk.`;
      state.diskProblem = undefined;
      state.retryDelayMs = 500;
      this.log?.info(message);
      this.emit({ agentType: state.agentType, reason: 'healed', notice: { severity: 'info', message } });
    }
    return true;
  }

  private compactionDue(state: AgentState): boolean {
    if (state.compacting) return false;
    return compactionDue({
      uncompactedBytes: state.uncompactedBytes,
      oldestAgeMs: state.oldestUncompactedAt === undefined ? undefined : this.clock() - state.oldestUncompactedAt,
      snapshotBytes: state.snapshotBytes,
      minBytes: this.settings.compactMinBytes,
      freshnessMs: this.settings.flushIntervalMs,
    });
  }

  /**
   * Makes every entry of this agent durable. Compacts the journal into the crate-format snapshot
   * when due, or when `compact` (then the crate's reader sees everything).
   */
  async flush(agentType: string, opts: { compact?: boolean } = {}): Promise<void> {
    assertExistingBufferName(agentType);
    const state = this.states.get(agentType);
    if (!state) {
      if (opts.compact) await this.compactAgent(agentType);
      return;
    }
    await state.journal?.settle();
    if (state.unflushed.length > 0) {
      if (this.settings.durability === 'off') {
        await this.compactNow(state);
        return;
      }
      if (!(await this.retryUnflushed(state))) throw this.notDurable(state);
    }
    if (opts.compact || this.compactionDue(state)) await this.compactNow(state);
    this.emit({ agentType, reason: 'flushed' });
  }

  async flushAll(opts: { compact?: boolean } = {}): Promise<void> {
    const errors: unknown[] = [];
    for (const agentType of [...this.states.keys()]) {
      await this.flush(agentType, opts).catch((error) => errors.push(error));
    }
    if (errors.length) throw errors[0];
  }

  /** Rotates this writer's journal and merges it (and orphans) into the snapshot. */
  private async compactNow(state: AgentState): Promise<CompactResult | undefined> {
    while (state.compacting) await state.compacting;
    const run = (async () => {
      if (state.journal) {
        const closing = state.journal;
        state.journal = undefined;
        state.generation++;
        await closing.close();
        if (closing.hasFile) state.closedJournals.add(closing.file);
        else state.journalContents.delete(closing.file);
      }
      const memoryEntries = this.settings.durability === 'off' ? [...state.unflushed] : [];
      const uncompacted = state.uncompactedBytes;
      const compactionStarted = this.clock();
      const result = await this.runCompaction({
        dir: this.dir, agentType: state.agentType, writerId: this.writerId, ownClosedJournals: state.closedJournals,
        ownJournalContents: state.journalContents, memoryEntries, startedAt: state.startedAt, maxBufferEntries: this.settings.maxBufferEntries,
        maxBufferBytes: this.settings.maxBufferBytes, log: this.log, now: () => this.now(), cache: this.cache,
      });
      for (const merged of result.mergedJournals) {
        state.closedJournals.delete(merged);
        state.journalContents.delete(merged);
      }
      if (memoryEntries.length) state.unflushed = state.unflushed.filter((e) => !memoryEntries.includes(e));
      state.uncompactedBytes = Math.max(0, state.uncompactedBytes - uncompacted);
      // Entries appended while it ran are not in it: their age counts from its start at the most.
      state.oldestUncompactedAt = undefined;
      if (state.uncompactedBytes > 0) {
        this.noteUncompacted(state);
        state.oldestUncompactedAt = compactionStarted;
      }
      state.snapshotBytes = result.bytesWritten;
      state.lastCompaction = this.clock();
      state.lastFlush = result.lastFlush;
      if (result.archive) {
        // Archived entries live on in the archive buffer; this one starts afresh.
        state.entries = [];
        state.keys.clear();
        state.startedAt = result.lastFlush;
      }
      this.log?.info(`${state.agentType}: compacted ${result.mergedJournals.length} journal(s) into the snapshot (${result.entries} entries${result.appended === undefined ? '' : `, ${result.appended} appended`}, ${formatBytes(result.bytesWritten)})`);
      this.emitCompactionNotices(state.agentType, result);
      return result;
    })();
    state.compacting = run.finally(() => (state.compacting = undefined)).catch(() => undefined);
    return run;
  }

  private emitCompactionNotices(agentType: string, result: CompactResult): void {
    if (result.damagedCopy) {
      this.emit({ agentType, reason: 'compacted', notice: { severity: 'warning', message: `The ${agentType} buffer file was damaged: ${result.entries} valid entries were kept and the original was set aside as ${result.damagedCopy}.` } });
    }
    if (result.archive) {
      this.emit({ agentType, reason: 'compacted', notice: { severity: 'warning', message: `The ${agentType} buffer reached its size limit and rolled over into ${result.archive}, which stays listed and recoverable.` } });
    }
    if (!result.damagedCopy && !result.archive) this.emit({ agentType, reason: 'compacted' });
  }

  /**
   * `compact`, here or on the worker thread. Here when what it merges is in this thread's memory
   * already: its own journals' entries, and the snapshot as this writer last wrote or read it (no
   * snapshot yet counts), so the compaction costs the thread a sliced serialisation of what is
   * new and leaves the parse cache current for the views. On the worker when the snapshot would
   * have to be read and parsed (one another process wrote, a restart): that parse, not the
   * writing, is what held this thread for tens of ms. Entries held only in memory (durability
   * "off") cannot cross. A worker that cannot run is given up for good and said once.
   */
  private async runCompaction(options: CompactOptions): Promise<CompactResult> {
    const compactor = this.compactor;
    if (compactor && options.memoryEntries.length === 0
      && !(await this.cache.holdsCurrent(path.join(this.dir, `${options.agentType}.json`)))) {
      try {
        const result = await compactor.run({
          dir: options.dir, agentType: options.agentType, writerId: options.writerId, ownClosedJournals: [...options.ownClosedJournals],
          startedAt: options.startedAt, maxBufferEntries: options.maxBufferEntries, maxBufferBytes: options.maxBufferBytes,
        });
        this.compactionCounts.onWorker++;
        return result;
      } catch (error) {
        if (!(error instanceof CompactionWorkerGone)) throw error;
        if (this.compactor === compactor) {
          this.compactor = undefined;
          void compactor.dispose();
          this.log?.warn(`${error.message}; compactions run on the extension's thread from now on`);
        }
      }
    }
    const result = await compact(options);
    this.compactionCounts.onThread++;
    return result;
  }

  /** Compactions run so far, by where they ran (the bench and the tests ask). */
  get compactions(): Readonly<{ onWorker: number; onThread: number }> {
    return { ...this.compactionCounts };
  }

  /** Compaction for an agent this writer has not started (orphans, damage, explicit flush). */
  private async compactAgent(agentType: string): Promise<CompactResult> {
    const result = await this.runCompaction({
      dir: this.dir, agentType, writerId: this.writerId, ownClosedJournals: new Set(), memoryEntries: [],
      startedAt: this.now(), maxBufferEntries: this.settings.maxBufferEntries, maxBufferBytes: this.settings.maxBufferBytes,
      log: this.log, now: () => this.now(), cache: this.cache,
    });
    this.emitCompactionNotices(agentType, result);
    return result;
  }

  /**
   * Buffers left by earlier sessions: merges journals of writers that are gone into their
   * snapshots and salvages damaged snapshots. The next writer to start calls it.
   */
  async repair(): Promise<RepairReport> {
    this.assertLive();
    const report: RepairReport = { mergedJournals: 0, salvaged: [], problems: [] };
    await removeDeadWriterLocks(this.dir, this.writerId);
    const agents = await scanDir(this.dir);
    for (const files of agents.values()) {
      const orphans = [];
      for (const journal of files.journals) {
        if (!(await isWriterAlive(this.dir, journal.writerId, this.writerId))) orphans.push(journal);
      }
      const loaded = files.snapshot ? await loadBuffer({ ...files, journals: [] }, this.cache) : undefined;
      const damaged = loaded?.problems.some((p) => p.startsWith(`${files.agentType}.json:`)) ?? false;
      if (orphans.length === 0 && !damaged) continue;
      try {
        const result = await this.compactAgent(files.agentType);
        report.mergedJournals += result.mergedJournals.length;
        if (result.damagedCopy) report.salvaged.push({ agentType: files.agentType, damagedCopy: result.damagedCopy, entriesKept: result.entries });
      } catch (error) {
        report.problems.push(describeFsError(error, `Cannot repair the ${files.agentType} buffer`));
      }
    }
    return report;
  }

  /** Reads from disk (snapshot + every journal, merged) plus entries held in memory only. */
  async read(agentType: string): Promise<RecoveredBuffer | null> {
    assertExistingBufferName(agentType);
    const files = (await scanDir(this.dir)).get(agentType);
    const state = this.states.get(agentType);
    if (!files && !state) return null;
    const loaded = files ? await loadBuffer(files, this.cache) : undefined;
    return { data: this.combine(agentType, loaded, state), problems: [...(loaded?.problems ?? []), ...(state?.diskProblem ? [state.diskProblem] : [])] };
  }

  private combine(agentType: string, loaded: LoadedBuffer | undefined, state: AgentState | undefined): BufferData {
    const entries = loaded ? [...loaded.entries] : [];
    const extra = memoryOnly(loaded, state);
    if (extra.length) {
      entries.push(...extra);
      entries.sort((a, b) => compareTimestamps(a.timestamp, b.timestamp));
    }
    return {
      ...(loaded?.extra ?? {}),
      started_at: earliest(loaded?.startedAt, state?.startedAt) ?? this.now(),
      entries,
      last_flush: lastFlushOf(loaded, state),
      agent_type: agentType,
    };
  }

  /**
   * Recovers a buffer: merges orphan journals and salvages damage on disk, then reads the
   * snapshot and every journal and adopts the entries into memory. Null when there is none.
   */
  async recover(agentType: string): Promise<RecoveredBuffer | null> {
    this.assertLive();
    assertExistingBufferName(agentType);
    const files = (await scanDir(this.dir)).get(agentType);
    const problems: string[] = [];
    if (files) {
      try {
        await this.compactAgent(agentType);
      } catch (error) {
        problems.push(describeFsError(error, `Cannot merge the ${agentType} journals into its snapshot (read-only recovery)`));
      }
    }
    const recovered = await this.read(agentType);
    if (!recovered) return null;
    const state = this.state(agentType);
    const keys = entryKeys(recovered.data.entries);
    state.entries = recovered.data.entries;
    state.keys = new Set(keys);
    state.startedAt = recovered.data.started_at;
    this.log?.info(`${agentType}: recovered ${recovered.data.entries.length} entries`);
    this.emit({ agentType, reason: 'recovered' });
    return { data: recovered.data, problems: [...problems, ...recovered.problems] };
  }

  /** Removes the buffer from memory and disk (snapshot and every journal; damaged copies stay). */
  async clear(agentType: string): Promise<void> {
    assertExistingBufferName(agentType);
    const state = this.states.get(agentType);
    if (state) {
      this.states.delete(agentType);
      if (state.retryTimer) clearTimeout(state.retryTimer);
      if (state.freshnessTimer) clearTimeout(state.freshnessTimer);
      while (state.compacting) await state.compacting;
      await state.journal?.close();
    }
    await removeBuffer(this.dir, agentType, this.log);
    this.log?.info(`${agentType}: cleared`);
    this.emit({ agentType, reason: 'cleared' });
  }

  /** Status of one agent (memory and disk), or null when it has no buffer. */
  async status(agentType: string): Promise<BufferStatus | null> {
    assertExistingBufferName(agentType);
    const files = (await scanDir(this.dir)).get(agentType);
    return this.statusOf(agentType, files);
  }

  /** Every buffer, in memory and/or on disk, sorted by agent type. */
  async listBuffers(): Promise<BufferStatus[]> {
    const agents = await scanDir(this.dir);
    // Files that are gone (merged journals, cleared buffers) leave the cache.
    this.cache.retainOnly(new Set([...agents.values()].flatMap((f) => [...(f.snapshot ? [f.snapshot.path] : []), ...f.journals.map((j) => j.path)])));
    const names = new Set([...agents.keys(), ...this.states.keys()]);
    const result: BufferStatus[] = [];
    for (const name of [...names].sort()) {
      const status = await this.statusOf(name, agents.get(name));
      if (status) result.push(status);
    }
    return result;
  }

  private async statusOf(agentType: string, files: AgentFiles | undefined): Promise<BufferStatus | null> {
    const state = this.states.get(agentType);
    const onDisk = !!files && (files.snapshot !== null || files.journals.length > 0);
    if (!onDisk && !state) return null;
    let loaded: LoadedBuffer | undefined;
    const problems: string[] = [];
    if (onDisk) {
      try {
        loaded = await loadBuffer(files!, this.cache);
        problems.push(...loaded.problems);
      } catch (error) {
        problems.push(describeFsError(error, `Cannot read the ${agentType} buffer`));
      }
    }
    if (state?.diskProblem) problems.push(state.diskProblem);
    const inMemoryOnly = memoryOnly(loaded, state).length;
    let ownedByOtherWriter = false;
    for (const journal of files?.journals ?? []) {
      if (journal.writerId !== this.writerId && (await isWriterAlive(this.dir, journal.writerId, this.writerId))) ownedByOtherWriter = true;
    }
    const lastFlush = lastFlushOf(loaded, state, files);
    const startedAt = earliest(loaded?.startedAt, state?.startedAt);
    return {
      agentType,
      startedAt,
      entriesCount: (loaded?.entries.length ?? 0) + inMemoryOnly,
      interrupted: hasInterruptedSession([...(loaded?.entries ?? []), ...(inMemoryOnly > 0 ? state!.entries : [])]),
      lastFlush,
      unflushed: state?.unflushed.length ?? 0,
      inMemory: !!state,
      onDisk,
      leftover: onDisk && !state && !ownedByOtherWriter,
      ownedByOtherWriter,
      bytes: loaded?.bytes ?? 0,
      path: path.join(this.dir, `${agentType}.json`),
      problems,
      damaged: loaded?.damaged ?? false,
      archiveOf: archiveOf(agentType),
    };
  }

  async hasBuffer(agentType: string): Promise<boolean> {
    assertExistingBufferName(agentType);
    if (this.states.has(agentType)) return true;
    const files = (await scanDir(this.dir)).get(agentType);
    return !!files && (files.snapshot !== null || files.journals.length > 0);
  }

  /** In-memory entries of a started buffer (oldest first). Empty when not in memory. */
  entries(agentType: string): readonly BufferEntry[] {
    return this.states.get(agentType)?.entries ?? [];
  }

  /** Stops timers, waits for pending writes (best effort), releases this writer's locks. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    for (const state of this.states.values()) {
      if (state.retryTimer) clearTimeout(state.retryTimer);
      if (state.freshnessTimer) clearTimeout(state.freshnessTimer);
      while (state.compacting) await state.compacting;
      await state.journal?.close().catch(() => undefined);
    }
    await this.compactor?.dispose();
    const release = await this.liveness?.catch(() => undefined);
    await release?.().catch(() => undefined);
    this.listeners.clear();
    this.listenerList = [];
  }
}

// Random bytes drawn 6 KB at a time: one randomBytes call per entry costs 12% of ingest.
let randomPool: Buffer = Buffer.alloc(0);
let randomOffset = 0;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** The id as it is made: the time prefix (rewritten once per millisecond), then 12 hex digits. */
const idScratch = Buffer.alloc(32);
let idPrefixMs = NaN;
let idPrefixLength = 0;

function newEntryId(): string {
  if (randomOffset + 6 > randomPool.length) {
    randomPool = randomBytes(6 * 1024);
    randomOffset = 0;
  }
  // Time-ordered prefix for readability, random suffix for uniqueness across writers.
  const ms = Date.now();
  if (ms !== idPrefixMs) {
    idPrefixMs = ms;
    idPrefixLength = idScratch.write(`${ms.toString(36)}-`, 0, 'latin1');
  }
  for (let k = 0; k < 6; k++) {
    const byte = randomPool[randomOffset + k];
    idScratch[idPrefixLength + 2 * k] = HEX_DIGITS[byte >> 4];
    idScratch[idPrefixLength + 2 * k + 1] = HEX_DIGITS[byte & 15];
  }
  randomOffset += 6;
  // One flat string: a concatenation is a rope, flattened again by the id set's hash and by JSON.stringify.
  return idScratch.toString('latin1', 0, idPrefixLength + 12);
}

/** Whether some session's newest entry (by session_id; entries are oldest first) is not a session-end. */
function hasInterruptedSession(entries: readonly BufferEntry[]): boolean {
  const newestType = new Map<string | null, string>();
  for (const entry of entries) newestType.set(entry.context.session_id, entry.context_type);
  for (const type of newestType.values()) if (type !== 'session-end') return true;
  return false;
}

/** When entries of this buffer last reached the disk: a snapshot write, or a journal append. */
function lastFlushOf(loaded: LoadedBuffer | undefined, state: AgentState | undefined, files = loaded?.files): string | null {
  const newestJournal = Math.max(0, ...(files?.journals ?? []).map((j) => j.mtimeMs));
  return latest(latest(loaded?.lastFlush, state?.lastFlush), newestJournal ? new Date(newestJournal).toISOString() : null);
}
