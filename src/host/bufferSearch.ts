// The search over every buffer for the quick pick: the core's SearchCache (core/searchCache.ts),
// which reads a buffer again only after its change events said it changed. The host's change
// events follow a change of folder (a swap fires a change of every agent).
import type { SearchHit, SearchOptions } from '../core/search';
import { SearchCache } from '../core/searchCache';
import type { BufferEntry } from '../core/schema';
import type { BufferHost } from './bufferHost';
import type { BufferStatuses } from './bufferStatuses';
import { Disposable, toDisposable } from './disposable';

export class BufferSearch extends Disposable {
  private readonly cache: SearchCache;

  constructor(host: BufferHost, private readonly statuses: BufferStatuses) {
    super();
    this.cache = new SearchCache({ onDidChange: (listener) => host.onDidChange(listener), read: (agentType) => host.buffer.read(agentType) });
    this.register(toDisposable(() => this.cache.dispose()));
  }

  /** Brings the index up to date with every buffer (reading only those that changed). */
  async refresh(): Promise<void> {
    const list = await this.statuses.refresh();
    await this.cache.refresh(list.map((s) => s.agentType));
  }

  search(query: string, options?: SearchOptions): SearchHit[] {
    return this.cache.search(query, options);
  }

  entryOf(hit: SearchHit): BufferEntry | undefined {
    return this.cache.entryOf(hit);
  }
}
