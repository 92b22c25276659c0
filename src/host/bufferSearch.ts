// The search over every buffer for the quick pick: the core's SearchIndex, kept per buffer and
// rebuilt only for a buffer that changed since it was indexed (a change counter per agent,
// bumped by the host's change events). Entries are read through the core, never from files.
import { SearchIndex, type SearchHit, type SearchOptions } from '../core/search';
import type { BufferEntry } from '../core/schema';
import type { BufferHost } from './bufferHost';
import type { BufferStatuses } from './bufferStatuses';
import { Disposable } from './disposable';

export class BufferSearch extends Disposable {
  private readonly index = new SearchIndex();
  private readonly versions = new Map<string, number>();
  private epoch = 0;
  private indexing: Promise<void> | undefined;

  constructor(private readonly host: BufferHost, private readonly statuses: BufferStatuses) {
    super();
    this.register(host.onDidChange((e) => {
      if (e.agentType === undefined) this.epoch++;
      else this.versions.set(e.agentType, (this.versions.get(e.agentType) ?? 0) + 1);
    }));
  }

  private versionOf(agentType: string): string {
    return `${this.epoch}:${this.versions.get(agentType) ?? 0}`;
  }

  /** Brings the index up to date with every buffer (reading only those that changed). */
  refresh(): Promise<void> {
    this.indexing ??= (async () => {
      try {
        const list = await this.statuses.refresh();
        this.index.retainOnly(list.map((s) => s.agentType));
        for (const status of list) {
          const version = this.versionOf(status.agentType);
          if (this.index.has(status.agentType, version)) continue;
          const recovered = await this.host.buffer.read(status.agentType);
          this.index.set(status.agentType, version, recovered?.data.entries ?? []);
        }
      } finally {
        this.indexing = undefined;
      }
    })();
    return this.indexing;
  }

  search(query: string, options?: SearchOptions): SearchHit[] {
    return this.index.search(query, options);
  }

  entryOf(hit: SearchHit): BufferEntry | undefined {
    return this.index.entryOf(hit);
  }
}
