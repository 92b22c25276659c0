// PersistentBuffer: the crate's API (start, buffer, flush, flush all, recover, clear, status,
// list, has-buffer), done properly. IMPLEMENTATION IN PROGRESS: signatures are stable.
import type { PartialSessionContext } from './schema';
import type {
  BufferChangeEvent, BufferEntry, BufferOptions, BufferStatus, Disposable, RecoveredBuffer,
} from './types';

export class PersistentBuffer {
  /** The resolved buffer folder. */
  readonly dir: string = '';
  /** This writer's id (its journals are `<agent>.json.wal-<writerId>`). */
  readonly writerId: string = '';

  constructor(_options: BufferOptions = {}) {}

  /** Starts a buffer for the agent in memory (no-op when started). Validates the name. */
  startBuffering(_agentType: string): void { throw new Error('todo'); }

  /**
   * Buffers one context entry; resolves once it is durable per the durability setting, with
   * the entry as stored (its `id` is unique). A partial context is completed with the crate's
   * defaults. Throws BufferError INVALID_AGENT_NAME / INVALID_CONTEXT / ENTRY_TOO_LARGE.
   * On a disk error the entry is kept in memory (status.problems says so) and retried with
   * backoff; the promise still resolves (the entry is buffered, not yet durable).
   */
  async bufferContext(_agentType: string, _context: PartialSessionContext, _contextType = 'checkpoint'): Promise<BufferEntry> { throw new Error('todo'); }

  /** Makes every entry of this agent durable; compacts the journal into the snapshot when due (or when `compact`). */
  async flush(_agentType: string, _opts: { compact?: boolean } = {}): Promise<void> { throw new Error('todo'); }
  async flushAll(_opts: { compact?: boolean } = {}): Promise<void> { throw new Error('todo'); }

  /** Reads the snapshot and every journal (merged by id, damage salvaged), adopts it into memory. Null when none. */
  async recover(_agentType: string): Promise<RecoveredBuffer | null> { throw new Error('todo'); }

  /** Reads from disk without adopting into memory (for show/list). Null when none. */
  async read(_agentType: string): Promise<RecoveredBuffer | null> { throw new Error('todo'); }

  /** Removes the buffer from memory and disk (snapshot and every journal). */
  async clear(_agentType: string): Promise<void> { throw new Error('todo'); }

  /** Status of one agent (memory and disk), or null when it has no buffer. */
  async status(_agentType: string): Promise<BufferStatus | null> { throw new Error('todo'); }

  /** Every buffer, in memory and/or on disk, sorted by agent type. */
  async listBuffers(): Promise<BufferStatus[]> { throw new Error('todo'); }

  async hasBuffer(_agentType: string): Promise<boolean> { throw new Error('todo'); }

  /** In-memory entries of a started buffer (newest last). Empty when not in memory. */
  entries(_agentType: string): readonly BufferEntry[] { throw new Error('todo'); }

  /** Fired after a buffer changes (buffered, flushed, recovered, cleared, or seen changed on disk by `rescan`). */
  onDidChange(_listener: (e: BufferChangeEvent) => void): Disposable { throw new Error('todo'); }

  /** Tells listeners the folder may have changed outside this process (used by file watchers). */
  notifyExternalChange(_agentType?: string): void { throw new Error('todo'); }

  /** Applies new options (flush interval, thresholds, durability) without losing entries. */
  configure(_options: Omit<BufferOptions, 'dir' | 'writerId'>): void { throw new Error('todo'); }

  /** Stops timers, flushes what is pending (best effort), releases this writer's locks. */
  async dispose(): Promise<void> { throw new Error('todo'); }
}
