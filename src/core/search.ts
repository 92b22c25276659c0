// Search across buffers: the fields people look for (prompts, commands, errors, file paths,
// decisions, insights), case-insensitive substring, newest first. Pure: the caller hands in the
// entries and a version token; the lowercase haystack of a buffer is built once per version, so
// typing in a quick pick costs one `includes` per field over 100,000 entries, nothing more.
import type { BufferEntry } from './schema';
import { timestampSortKey } from './schema';

/** What a hit was found in (the `field` of `nexus-buffer search --json`). */
export type SearchField = 'prompt' | 'command' | 'error' | 'file' | 'decision' | 'insight';

export const SEARCH_FIELDS: readonly SearchField[] = ['prompt', 'command', 'error', 'file', 'decision', 'insight'];

export interface SearchHit {
  agentType: string;
  /** The entry's id (null for an entry the crate wrote, which has none). */
  id: string | null;
  timestamp: string;
  contextType: string;
  field: SearchField;
  /** The matching text, whole. */
  text: string;
  /** Position of the entry in its buffer (oldest first), to show it. */
  entryIndex: number;
}

export interface SearchOptions {
  /** Only these agents' buffers. */
  agents?: readonly string[];
  /** Only entries at or after this time (ms since the epoch). */
  sinceMs?: number;
  /** At most this many hits (newest first); default 200. */
  limit?: number;
  fields?: readonly SearchField[];
}

interface Haystack {
  field: SearchField;
  text: string;
  lower: string;
  entryIndex: number;
  /** Sortable time key of the entry (newest first across buffers). */
  sortKey: string;
  ms: number;
}

interface IndexedBuffer {
  version: unknown;
  /** Newest entry first. */
  items: Haystack[];
  entries: readonly BufferEntry[];
}

/** The searchable texts of one entry, in field order. */
export function searchableTexts(entry: BufferEntry): Array<{ field: SearchField; text: string }> {
  const ctx = entry.context ?? ({} as BufferEntry['context']);
  const out: Array<{ field: SearchField; text: string }> = [];
  const add = (field: SearchField, text: unknown) => {
    if (typeof text === 'string' && text.trim()) out.push({ field, text });
  };
  for (const message of ctx.conversation ?? []) if (message.role === 'user') add('prompt', message.content);
  for (const command of ctx.commands_run ?? []) add('command', command);
  for (const error of ctx.errors ?? []) add('error', error.message);
  for (const file of ctx.files ?? []) add('file', file.path);
  for (const decision of ctx.decisions ?? []) add('decision', decision.summary);
  for (const insight of ctx.insights ?? []) add('insight', insight);
  return out;
}

export class SearchIndex {
  private readonly buffers = new Map<string, IndexedBuffer>();

  /**
   * Makes `agentType`'s entries searchable. The haystack is rebuilt only when `version` differs
   * from the one indexed (any value compared with ===, e.g. a change counter).
   */
  set(agentType: string, version: unknown, entries: readonly BufferEntry[]): void {
    const known = this.buffers.get(agentType);
    if (known && known.version === version) return;
    const keys = entries.map((entry) => timestampSortKey(entry.timestamp));
    // Newest first. Entries are oldest first in a buffer (one reversal); journals merged late
    // may break that order, and only then is a sort paid for.
    const order = entries.map((_, i) => entries.length - 1 - i);
    if (keys.some((key, i) => i > 0 && key < keys[i - 1])) {
      order.sort((a, b) => (keys[a] < keys[b] ? 1 : keys[a] > keys[b] ? -1 : b - a));
    }
    const items: Haystack[] = [];
    for (const i of order) {
      const ms = Date.parse(entries[i].timestamp);
      for (const { field, text } of searchableTexts(entries[i])) items.push({ field, text, lower: text.toLowerCase(), entryIndex: i, sortKey: keys[i], ms });
    }
    this.buffers.set(agentType, { version, items, entries });
  }

  /** Whether `agentType` is indexed at `version` (then `set` would do nothing). */
  has(agentType: string, version: unknown): boolean {
    return this.buffers.get(agentType)?.version === version;
  }

  delete(agentType: string): void {
    this.buffers.delete(agentType);
  }

  /** Keeps only these agents (buffers that were cleared leave the index). */
  retainOnly(agentTypes: Iterable<string>): void {
    const keep = new Set(agentTypes);
    for (const agent of [...this.buffers.keys()]) if (!keep.has(agent)) this.buffers.delete(agent);
  }

  /** The entry a hit points at (undefined once its buffer was re-indexed without it). */
  entryOf(hit: SearchHit): BufferEntry | undefined {
    return this.buffers.get(hit.agentType)?.entries[hit.entryIndex];
  }

  /** Hits for `query` (trimmed, case-insensitive substring), newest first. An empty query finds nothing. */
  search(query: string, options: SearchOptions = {}): SearchHit[] {
    const needle = query.trim().toLowerCase();
    if (!needle) return [];
    const limit = Math.max(1, options.limit ?? 200);
    const fields = options.fields ? new Set(options.fields) : undefined;
    const agents = options.agents ? new Set(options.agents) : undefined;
    const since = options.sinceMs;
    const perBuffer: Array<{ agentType: string; buffer: IndexedBuffer; found: Haystack[] }> = [];
    for (const [agentType, buffer] of this.buffers) {
      if (agents && !agents.has(agentType)) continue;
      const found: Haystack[] = [];
      for (const item of buffer.items) {
        // Newest first: once older than `since`, everything after is too.
        if (since !== undefined && item.ms < since) break;
        if (fields && !fields.has(item.field)) continue;
        if (item.lower.includes(needle)) {
          found.push(item);
          if (found.length >= limit) break;
        }
      }
      if (found.length) perBuffer.push({ agentType, buffer, found });
    }
    const merged = perBuffer.flatMap(({ agentType, buffer, found }) => found.map((item) => ({ agentType, buffer, item })));
    merged.sort((a, b) => (a.item.sortKey < b.item.sortKey ? 1 : a.item.sortKey > b.item.sortKey ? -1 : a.agentType.localeCompare(b.agentType)));
    return merged.slice(0, limit).map(({ agentType, buffer, item }) => {
      const entry = buffer.entries[item.entryIndex];
      return {
        agentType,
        id: entry.id ?? null,
        timestamp: entry.timestamp,
        contextType: entry.context_type,
        field: item.field,
        text: item.text,
        entryIndex: item.entryIndex,
      };
    });
  }
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since`: a duration back from now ("90m", "2d", "1w") or a date/time ("2026-05-19",
 * "2026-05-19T13:00:00Z"). Returns ms since the epoch, or undefined when it is neither.
 */
export function parseSince(text: string, now: number = Date.now()): number | undefined {
  const value = text.trim();
  const duration = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(value);
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2].toLowerCase()];
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
