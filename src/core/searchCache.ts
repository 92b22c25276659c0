// The search index of a buffer folder, kept between searches: a buffer is read and indexed
// again only after its change events said it changed (an append, a flush, a compaction, a
// recovery, a clear, a change by another process); typing a query reads nothing. Pure Node:
// the source is a PersistentBuffer or anything with its `onDidChange` and `read`.
import { SearchIndex, type SearchHit, type SearchOptions } from './search';
import type { BufferChangeEvent, BufferEntry, Disposable, RecoveredBuffer } from './types';

export interface SearchSource {
  onDidChange(listener: (e: BufferChangeEvent) => void): Disposable;
  read(agentType: string): Promise<RecoveredBuffer | null>;
}

export class SearchCache implements Disposable {
  private readonly index = new SearchIndex();
  /** Changes seen per agent; `epoch` counts changes of every agent at once (a rescan). */
  private readonly versions = new Map<string, number>();
  private epoch = 0;
  private readonly subscription: Disposable;
  private indexing: Promise<void> | undefined;
  private again = false;
  private wanted: readonly string[] = [];
  /** Buffers read since this cache was made (what a test or a log can count). */
  reads = 0;

  constructor(private readonly source: SearchSource) {
    this.subscription = source.onDidChange((e) => {
      if (e.agentType === undefined) this.epoch++;
      else this.versions.set(e.agentType, (this.versions.get(e.agentType) ?? 0) + 1);
    });
  }

  private versionOf(agentType: string): string {
    return `${this.epoch}:${this.versions.get(agentType) ?? 0}`;
  }

  /** Whether `agentType` is indexed as it is now (no change event since it was read). */
  isCurrent(agentType: string): boolean {
    return this.index.has(agentType, this.versionOf(agentType));
  }

  /**
   * Brings the index up to `agentTypes` (the buffers there are; others leave it), reading only
   * those that changed since they were indexed. A call while one runs is served by one more
   * pass after it, so a change that came during a read is never missed.
   */
  refresh(agentTypes: readonly string[]): Promise<void> {
    this.wanted = agentTypes;
    if (this.indexing) {
      this.again = true;
      return this.indexing;
    }
    // Cleared in a `finally` callback, which always runs later: a pass that had nothing to read
    // ends synchronously, before this assignment, and would otherwise be left in place for good.
    const run = this.indexChanged().finally(() => {
      if (this.indexing === run) this.indexing = undefined;
    });
    this.indexing = run;
    return run;
  }

  private async indexChanged(): Promise<void> {
    do {
      this.again = false;
      const list = this.wanted;
      this.index.retainOnly(list);
      for (const agentType of list) {
        // The version is taken before the read: a change during it leaves the buffer stale.
        const version = this.versionOf(agentType);
        if (this.index.has(agentType, version)) continue;
        this.reads++;
        const recovered = await this.source.read(agentType);
        this.index.set(agentType, version, recovered?.data.entries ?? []);
      }
    } while (this.again);
  }

  search(query: string, options?: SearchOptions): SearchHit[] {
    return this.index.search(query, options);
  }

  entryOf(hit: SearchHit): BufferEntry | undefined {
    return this.index.entryOf(hit);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
