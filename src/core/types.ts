// Public types of the buffer core, shared by the CLI, the extension and the benchmarks.
import type { BufferData, BufferEntry } from './schema';

/**
 * How an entry becomes durable before `bufferContext` resolves:
 * - `batched` (default): appended to this writer's journal; one fsync covers every entry that
 *   arrived within a short window (at most `batchWindowMs`, 50 ms max).
 * - `always`: one fsync per entry.
 * - `off`: the crate's behaviour; memory only until a flush writes the snapshot.
 */
export type Durability = 'batched' | 'always' | 'off';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface BufferOptions {
  /** Buffer folder; default: $NEXUS_BUFFER_DIR, else the crate's default folder. */
  dir?: string;
  /** Auto-flush once a buffer holds this many unflushed entries (crate: 10). */
  maxEntries?: number;
  /** Periodic flush of buffers with unflushed entries, in ms (crate: 10 s); 0 = no timer. */
  flushIntervalMs?: number;
  durability?: Durability;
  /** Group-commit window for `batched`, in ms (clamped to 0..50; default 10). */
  batchWindowMs?: number;
  /** A larger entry (serialized JSON, UTF-8 bytes) is refused (default 5 MB). */
  maxEntryBytes?: number;
  /** Past these a buffer rolls over into an archive snapshot (defaults 20,000 / 100 MB). */
  maxBufferEntries?: number;
  maxBufferBytes?: number;
  /** Compact journals into the snapshot once they hold this many bytes (default 1 MB). */
  compactMinBytes?: number;
  /**
   * For one-shot writers (a hook call, a single CLI push): append to the agent's shared journal
   * under the agent lock instead of a journal of one's own, so no file is left per process.
   */
  sharedJournal?: boolean;
  /**
   * What happens to an entry whose journal write fails (disk full, read-only, EIO). true
   * (default, a long-lived host such as the extension): it is kept in memory and retried with
   * backoff, and the DISK error says so. false (a one-shot process that exits right after, the
   * command line): it is dropped, nothing of it stays on disk, and the DISK error says "not
   * buffered, nothing acknowledged", so the caller may retry without making a duplicate.
   */
  retryFailedWrites?: boolean;
  /**
   * The compaction worker's script (dist/compactionWorker.js, or out/src/core/compactionWorker.js
   * in tests): compactions then run on a worker thread, off this thread (a long-lived host such
   * as the extension). Without it, or when the worker cannot run, they run here.
   */
  compactionWorker?: string;
  /** Unique id of this writer (default: generated from pid + random). */
  writerId?: string;
  log?: Logger;
  /** For tests: the clock used for timestamps. */
  clock?: () => number;
}

/** What a view, the status bar and `nexus-buffer list` show for one buffer. */
export interface BufferStatus {
  agentType: string;
  startedAt: string | null;
  /** Every entry known: on disk (snapshot + journals) and in this process's memory. */
  entriesCount: number;
  /** Last time entries of this buffer reached the disk (ISO string), or null. */
  lastFlush: string | null;
  /** Entries held in this process's memory only (not yet durable). */
  unflushed: number;
  /** Started or recovered in this process. */
  inMemory: boolean;
  onDisk: boolean;
  /** On disk, not loaded by this process, and no live writer owns it: an earlier session's. */
  leftover: boolean;
  /**
   * Some session in it did not end cleanly: its newest entry is not a `session-end` (entries are
   * grouped by session_id; those without one form one group). A crash or a kill leaves this.
   */
  interrupted: boolean;
  /** Some live writer (another window, a CLI) is appending to it right now. */
  ownedByOtherWriter: boolean;
  /** Size on disk: snapshot + journals, in bytes. */
  bytes: number;
  /** `<dir>/<agent>.json`. */
  path: string;
  /** Damage found and salvaged, torn journal lines, write failures: for a person to read. */
  problems: string[];
  /** True when the snapshot was damaged (a `.damaged-*` copy was set aside) or has problems. */
  damaged: boolean;
  /** For an archive rolled over from a full buffer: the agent it came from. */
  archiveOf?: string;
}

export interface RecoveredBuffer {
  data: BufferData;
  problems: string[];
}

export type BufferChangeReason =
  | 'buffered' | 'flushed' | 'compacted' | 'recovered' | 'cleared' | 'external' | 'problem' | 'healed';

export interface BufferChangeEvent {
  /** The agent whose buffer changed; undefined = possibly all (a rescan). */
  agentType?: string;
  reason?: BufferChangeReason;
  /**
   * Something a person should be told once (a damaged file set aside, a roll-over into an
   * archive, the disk failing or working again). Absent for routine changes.
   */
  notice?: { severity: 'info' | 'warning' | 'error'; message: string };
}

/** What `repair()` did to buffers left by earlier sessions. */
export interface RepairReport {
  /** Journals of writers that are gone, merged into their snapshots. */
  mergedJournals: number;
  /** Damaged snapshots that were salvaged: agent, the copy set aside, entries kept. */
  salvaged: Array<{ agentType: string; damagedCopy: string; entriesKept: number }>;
  problems: string[];
}

export interface Disposable {
  dispose(): void;
}

export type { BufferData, BufferEntry };
