// Entries kept as the crate wrote them. JSON.parse changes what serde_json wrote: integers past
// 2^53 (`18446744073709551615`), `2.0`, `-0.0`, `1e300` and the order of integer-like keys
// ("10", "9") in `custom`. Entries are never changed once written, so an entry read from a
// snapshot keeps its source text beside it, and the snapshot writer writes that text back
// verbatim: a rewrite, and `show --json`, give every value exactly as it was on disk.
import type { BufferEntry } from './schema';

/** The text, or where it is in a file's bytes (kept off the JavaScript heap: see keepSourceBytes). */
type Source = string | { bytes: Uint8Array; start: number; end: number };

const sources = new WeakMap<BufferEntry, Source>();
const utf8 = new TextDecoder();

/** The entry's text as it stands in a pretty-printed snapshot (at 4 spaces), when known. */
export function sourceOf(entry: BufferEntry): string | undefined {
  const source = sources.get(entry);
  return source === undefined || typeof source === 'string' ? source : utf8.decode(source.bytes.subarray(source.start, source.end));
}

export function keepSource(entry: BufferEntry, text: string): void {
  sources.set(entry, text);
}

/**
 * The entry's text is the UTF-8 `bytes[start, end)` (validated by the caller). A snapshot read
 * keeps its file's bytes rather than a second copy of every entry as a string: a Buffer's memory
 * is outside the heap, so the garbage collector neither copies nor scans it (reading a 60 MB
 * snapshot otherwise made every young-generation collection copy the texts, 15 ms each).
 */
export function keepSourceBytes(entry: BufferEntry, bytes: Uint8Array, start: number, end: number): void {
  sources.set(entry, { bytes, start, end });
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

const ENTRIES_OPEN_BYTES = Buffer.from(ENTRIES_OPEN);
const ENTRY_CLOSE_BYTES = Buffer.from(ENTRY_CLOSE);
const NEXT_ENTRY_BYTES = Buffer.from(',\n    {');
const ENTRIES_CLOSE_BYTES = Buffer.from('\n  ]');

/**
 * `prettyEntrySources` on a file's bytes, one entry at a time: where each entry of the `entries`
 * array is, without decoding the file as a whole (a reader can then decode and parse an entry at
 * a time, and give the event loop back between them). Exact on UTF-8: the markers are ASCII, and
 * no byte of a multi-byte sequence is.
 */
export class PrettyEntrySpans {
  private readonly buf: Buffer;
  /** Bytes before the first entry: the document up to and including `"entries": [`; -1 for another layout. */
  readonly headEnd: number;
  /** Where the text after the last entry starts (`\n  ]`), once `next` has returned null. */
  tailStart = -1;
  private at: number;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const open = this.buf.indexOf(ENTRIES_OPEN_BYTES);
    this.headEnd = open < 0 ? -1 : open + ENTRIES_OPEN_BYTES.length - 1 - '\n    '.length;
    this.at = open < 0 ? -1 : open + ENTRIES_OPEN_BYTES.length - 1;
  }

  /** The next entry's [start, end) in bytes; null after the last; undefined when the layout is another. */
  next(): [number, number] | null | undefined {
    if (this.at < 0) return this.tailStart >= 0 ? null : undefined;
    const start = this.at;
    const close = this.buf.indexOf(ENTRY_CLOSE_BYTES, start);
    this.at = -1;
    if (close < 0) return undefined;
    const end = close + ENTRY_CLOSE_BYTES.length;
    if (startsWithAt(this.buf, NEXT_ENTRY_BYTES, end)) this.at = end + NEXT_ENTRY_BYTES.length - 1;
    else if (startsWithAt(this.buf, ENTRIES_CLOSE_BYTES, end)) this.tailStart = end;
    else return undefined;
    return [start, end];
  }
}

function startsWithAt(buf: Buffer, marker: Buffer, at: number): boolean {
  return at + marker.length <= buf.length && buf.compare(marker, 0, marker.length, at, at + marker.length) === 0;
}
