// Entries kept as the crate wrote them. JSON.parse changes what serde_json wrote: integers past
// 2^53 (`18446744073709551615`), `2.0`, `-0.0`, `1e300` and the order of integer-like keys
// ("10", "9") in `custom`. Entries are never changed once written, so an entry read from a
// snapshot keeps its source text beside it, and the snapshot writer writes that text back
// verbatim: a rewrite, and `show --json`, give every value exactly as it was on disk.
import type { BufferEntry } from './schema';

const sources = new WeakMap<BufferEntry, string>();

/** The entry's text as it stands in a pretty-printed snapshot (at 4 spaces), when known. */
export function sourceOf(entry: BufferEntry): string | undefined {
  return sources.get(entry);
}

export function keepSource(entry: BufferEntry, text: string): void {
  sources.set(entry, text);
}

const ENTRIES_OPEN = '\n  "entries": [\n    {';
const ENTRY_CLOSE = '\n    }';

/**
 * The source text of each element of the `entries` array of a snapshot laid out as serde_json's
 * pretty printer (and ours) lays it out: 2-space indentation, so an entry opens with `{` at 4
 * spaces and closes at the first line that is `    }` (inside it every line is deeper, and a
 * JSON string holds no raw newline). Undefined for any other layout, or when the count differs.
 */
export function prettyEntrySources(text: string, count: number): string[] | undefined {
  const open = text.indexOf(ENTRIES_OPEN);
  if (open < 0 || count === 0) return undefined;
  const sliced: string[] = [];
  let start = open + ENTRIES_OPEN.length - 1;
  for (;;) {
    const close = text.indexOf(ENTRY_CLOSE, start);
    if (close < 0) return undefined;
    const end = close + ENTRY_CLOSE.length;
    sliced.push(text.slice(start, end));
    if (text.startsWith(',\n    {', end)) start = end + 6;
    else if (text.startsWith('\n  ]', end)) break;
    else return undefined;
  }
  return sliced.length === count ? sliced : undefined;
}
