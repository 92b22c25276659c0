// One `<agent>.json` snapshot in the crate's format: tolerant reading that salvages every valid
// entry from a damaged file, and complete, atomic, durable writing.
import { createHash } from 'node:crypto';
import { bufferDataProblem, parseEntry, type BufferData, type BufferEntry } from './schema';
import { faults } from './faults';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { writeFileAtomicKeepingPrefix, writeFileAtomicNoFollow } from './fsutil';
import { keepSource, keepSourceBytes, prettyEntrySources, PrettyEntrySpans, sourceOf } from './rawEntries';
import { openHandleNoFollow } from './safeOpen';
import { TimeSlicer } from './timeSlice';

export interface ParsedSnapshot {
  /** Null when nothing of the header could be read (e.g. an empty or garbage file). */
  startedAt: string | null;
  lastFlush: string | null;
  agentType: string | null;
  entries: BufferEntry[];
  /** Top-level keys the crate does not know, kept to be written back. */
  extra: Record<string, unknown>;
  /** What was wrong, for a person; empty for a healthy file. */
  problems: string[];
  /** True when the file did not parse as a whole, or some entries were invalid. */
  damaged: boolean;
  /** Entries that could not be taken as they were (set aside, or in unreadable text), as far as known. */
  lost?: number;
  /** The entries' merge keys (`entryKeys`), when the reader worked them out already. */
  keys?: string[];
  /** Where the entries end in the file, when it is laid out as we write it (appendable, see SnapshotLayout). */
  layout?: SnapshotLayout;
}

/**
 * A snapshot file laid out as serializeSnapshot lays it out, with at least one entry: its text up
 * to the first entry (`{ "started_at": …, "entries": [` and the indent), and the byte offset just
 * after its last entry. The next compaction that only adds entries copies the file's bytes up to
 * there and writes only the new entries and the tail (store.ts), so entries already on disk are
 * never serialised, encoded or held as text again.
 */
export interface SnapshotLayout {
  head: string;
  entriesEnd: number;
}

const BOM = 0xfeff;

/**
 * Parses a snapshot; never throws. Salvages every entry whose text is intact from a damaged
 * file and reports every entry it could not take as it was. Give it the file's bytes: text that
 * is not UTF-8 is found and reported (a string would already have had it replaced silently).
 */
export function parseSnapshot(input: string | Uint8Array): ParsedSnapshot {
  let { text, invalid } = typeof input === 'string' ? { text: input, invalid: [] as InvalidByte[] } : decodeUtf8(input);
  if (text.charCodeAt(0) === BOM) {
    text = text.slice(1);
    invalid = invalid.map((b) => ({ ...b, at: b.at - 1 }));
  }
  const result: ParsedSnapshot = {
    startedAt: null, lastFlush: null, agentType: null, entries: [], extra: {}, problems: [], damaged: false,
  };
  if (text.trim() === '') {
    result.problems.push('the file is empty');
    result.damaged = true;
    return result;
  }
  result.damaged = true;
  if (invalid.length) {
    const where = invalid.slice(0, 5).map((b) => b.byte).join(', ') + (invalid.length > 5 ? ` and ${invalid.length - 5} more` : '');
    result.problems.push(`${invalid.length} byte(s) that are not UTF-8 text, at byte offset(s) ${where}`);
  } else {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (error) {
      result.problems.push(`not valid JSON (${(error as Error).message})`);
    }
    if (doc !== undefined) {
      const topProblem = bufferDataProblem(doc);
      const loose = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
      const repeated = repeatedTopLevelKeys(text);
      if (!topProblem && repeated.length === 0) {
        const { started_at, entries, last_flush, agent_type, ...extra } = doc as BufferData & { entries: unknown[] };
        result.damaged = false;
        result.startedAt = started_at;
        result.lastFlush = last_flush ?? null;
        result.agentType = agent_type;
        result.extra = extra;
        // Entries written back later as they stand in the file (rawEntries.ts).
        acceptEntries(entries, result, undefined, prettyEntrySources(text, entries.length));
        return result;
      }
      if (repeated.length) result.problems.push(`the document repeats the key(s) ${repeated.map((k) => `"${k}"`).join(', ')}; the entries of every copy were kept`);
      if (loose && loose.entries !== undefined && !Array.isArray(loose.entries)) result.problems.push('"entries" is not a list');
      if (topProblem && !repeated.length) result.problems.push(`not a buffer document (${topProblem}; expected started_at, entries, last_flush, agent_type)`);
      if (loose) {
        if (typeof loose.started_at === 'string') result.startedAt = loose.started_at;
        if (typeof loose.agent_type === 'string') result.agentType = loose.agent_type;
        if (typeof loose.last_flush === 'string') result.lastFlush = loose.last_flush;
      }
    }
  }
  salvageEntries(text, invalid.map((b) => b.at), result);
  return result;
}

interface InvalidByte {
  /** Offset in bytes in the file. */
  byte: number;
  /** Offset in the decoded text, where a U+FFFD stands for it. */
  at: number;
}

/** Decodes UTF-8; every byte that is not part of a valid sequence becomes U+FFFD and is listed. */
function decodeUtf8(bytes: Uint8Array): { text: string; invalid: InvalidByte[] } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes), invalid: [] };
  } catch {
    // fall through to the byte-by-byte walk, which says where
  }
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const parts: string[] = [];
  const invalid: InvalidByte[] = [];
  let length = 0;
  let runStart = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = utf8SequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    const run = decoder.decode(bytes.subarray(runStart, i));
    parts.push(run, '\ufffd');
    length += run.length;
    invalid.push({ byte: i, at: length });
    length += 1;
    runStart = ++i;
  }
  parts.push(decoder.decode(bytes.subarray(runStart)));
  return { text: parts.join(''), invalid };
}

/** Length of the well-formed UTF-8 sequence at `i` (RFC 3629), or 0 when there is none. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < b.length && b[j] >= lo && b[j] <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const [lo, hi] = c === 0xe0 ? [0xa0, 0xbf] : c === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const [lo, hi] = c === 0xf0 ? [0x90, 0xbf] : c === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/** Top-level keys that occur more than once (JSON.parse keeps the last silently). */
function repeatedTopLevelKeys(text: string): string[] {
  // Only a repeated `entries` loses entries. Cheap test first: a repeat needs a second
  // `"entries":` somewhere (tasks have their own `started_at`, so that key would not be cheap).
  if ((text.match(/"entries"\s*:/g)?.length ?? 0) < 2) return [];
  const counts = new Map<string, number>([['entries', 0]]);
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (depth === 1) {
        let j = end;
        while (j < text.length && /\s/.test(text[j])) j++;
        const key = text.slice(i + 1, end - 1);
        if (text[j] === ':' && counts.has(key)) counts.set(key, counts.get(key)! + 1);
      }
      i = end - 1;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return [...counts].filter(([, n]) => n > 1).map(([key]) => key);
}

/** Offset just past the string that starts at `start` (a `"`), or the end of the text. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i + 1;
  }
  return text.length;
}

function acceptEntries(values: unknown[], result: ParsedSnapshot, label = (index: number) => `entries[${index}]`, sources?: string[]): void {
  let invalid = 0;
  let firstProblem = '';
  values.forEach((value, index) => {
    const { entry, problem, complete } = parseEntry(value);
    if (entry) {
      // Written back verbatim later, when nothing had to be filled in (see rawEntries.ts).
      if (sources && complete) keepSource(entry, sources[index]);
      result.entries.push(entry);
    } else {
      invalid++;
      if (!firstProblem) firstProblem = `${label(index)}: ${problem}`;
    }
  });
  if (invalid > 0) {
    result.damaged = true;
    result.lost = (result.lost ?? 0) + invalid;
    result.problems.push(`${invalid} invalid entr${invalid === 1 ? 'y' : 'ies'} set aside (first: ${firstProblem})`);
  }
}

const ENTRY_KEYS = ['timestamp', 'context_type', 'context'] as const;

/**
 * Salvage by structure, whatever surrounds the entries (a torn tail, a broken neighbour, a
 * second document, `entries` as an object or twice): every `{` that starts an object whose
 * balanced extent parses as JSON and has the keys of an entry at its top is an entry. A broken
 * element does not hide the ones after it: the scan resumes at the next `{`. Entries that touch
 * a byte that was not UTF-8 are set aside, and the text between entries that is not the
 * document's own structure is reported with the number of entries it seems to hold.
 */
function salvageEntries(text: string, invalidAt: readonly number[], result: ParsedSnapshot): void {
  const found: Array<{ value: unknown; start: number }> = [];
  const taken: Array<[number, number]> = [];
  let touchingInvalid = 0;
  let nextInvalid = 0;
  for (let i = text.indexOf('{'); i >= 0 && i < text.length; i = text.indexOf('{', i + 1)) {
    if (!/^\{\s*"/.test(text.slice(i, i + 64))) continue;
    const end = objectEnd(text, i);
    if (end < 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(text.slice(i, end));
    } catch {
      continue;
    }
    if (!isEntryShaped(value)) continue;
    while (nextInvalid < invalidAt.length && invalidAt[nextInvalid] < i) nextInvalid++;
    if (nextInvalid < invalidAt.length && invalidAt[nextInvalid] < end) touchingInvalid++;
    else found.push({ value, start: i });
    taken.push([i, end]);
    i = end - 1;
  }
  const before = result.entries.length;
  const byId = new Set<string>();
  let repeats = 0;
  acceptEntries(
    found.map((f) => f.value).filter((value) => {
      // The same entry of ours twice (a second document, a repeated key) is one entry; entries
      // of the crate carry no id, and identical ones are kept as the crate keeps them.
      const id = (value as { id?: unknown }).id;
      if (typeof id !== 'string') return true;
      if (byId.has(id)) return (repeats++, false);
      byId.add(id);
      return true;
    }),
    result,
    (index) => `entry at character ${found[index]?.start ?? '?'}`,
  );
  if (touchingInvalid) {
    result.lost = (result.lost ?? 0) + touchingInvalid;
    result.problems.push(`${touchingInvalid} entr${touchingInvalid === 1 ? 'y' : 'ies'} holding bytes that are not UTF-8 set aside (they would be altered)`);
  }
  const passages = unreadablePassages(text, taken);
  if (passages.length) {
    const held = passages.reduce((n, p) => n + p.entries, 0);
    result.lost = (result.lost ?? 0) + held;
    const where = passages.slice(0, 3).map((p) => `${p.start}-${p.end}`).join(', ') + (passages.length > 3 ? ', …' : '');
    result.problems.push(
      `${passages.length} unreadable passage(s) set aside (characters ${where})` +
        (held ? `, holding about ${held} entr${held === 1 ? 'y' : 'ies'} that could not be read` : ', holding no entry'),
    );
  }
  if (repeats) result.problems.push(`${repeats} repeated cop${repeats === 1 ? 'y' : 'ies'} of entries dropped`);
  const salvaged = result.entries.length - before;
  result.problems.push(`${salvaged} entr${salvaged === 1 ? 'y' : 'ies'} salvaged`);
  if (result.startedAt === null) {
    const head = text.slice(0, taken[0]?.[0] ?? text.length);
    result.startedAt = /"started_at"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(head)?.[1] ?? null;
    const tail = text.slice(taken.at(-1)?.[1] ?? 0);
    result.agentType = /"agent_type"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(tail)?.[1] ?? null;
    result.lastFlush = /"last_flush"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(tail)?.[1] ?? null;
  }
}

function isEntryShaped(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return ENTRY_KEYS.every((key) => Object.prototype.hasOwnProperty.call(value, key));
}

/** Offset just past the object or array that starts at `start`, or -1 when it never closes. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = stringEnd(text, i) - 1;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

// The document's own structure between entries: its header keys with their values, keys of an
// `entries` object, brackets, commas and white space.
const STRUCTURE = /"(?:started_at|last_flush|agent_type)"\s*:\s*(?:"(?:[^"\\]|\\.)*"|null)|"(?:[^"\\]|\\.)*"\s*:|[\s,[\]{}]/g;

/** Stretches of text outside the entries taken that are not the document's structure. */
function unreadablePassages(text: string, taken: ReadonlyArray<[number, number]>): Array<{ start: number; end: number; entries: number }> {
  const passages: Array<{ start: number; end: number; entries: number }> = [];
  const count = (gap: string, pattern: RegExp) => gap.match(pattern)?.length ?? 0;
  let from = 0;
  for (let k = 0; k <= taken.length; k++) {
    const to = k < taken.length ? taken[k][0] : text.length;
    const gap = text.slice(from, to);
    if (gap.replace(STRUCTURE, '') !== '') {
      // Each entry has one of each of these keys; one broken key cannot hide all of them.
      let entries = Math.max(count(gap, /"context_type"\s*:/g), count(gap, /"extraction_started"\s*:/g), count(gap, /\{\s*"timestamp"\s*:/g));
      if (entries === 0 && k === taken.length && startsAnEntry(gap, k === 0)) entries = 1; // torn in its first bytes
      passages.push({ start: from, end: to, entries });
    } else if (k === taken.length && startsAnEntry(gap, k === 0)) {
      passages.push({ start: from, end: to, entries: 1 });
    }
    if (k < taken.length) from = taken[k][1];
  }
  return passages;
}

/** The text after the last entry opens another one (the file ends inside it). */
function startsAnEntry(tail: string, isWholeFile: boolean): boolean {
  const rest = isWholeFile ? /"entries"\s*:\s*[[{]([\s\S]*)$/.exec(tail)?.[1] ?? '' : tail;
  const open = rest.lastIndexOf('{');
  return open >= 0 && rest.indexOf('}', open) < 0;
}

// An entry nested twice comes out of JSON.stringify at the indentation it has in a snapshot (4
// spaces): no pass over the text to indent it (that pass and its regular expression were most of
// the cost of a compaction).
const NESTED_OPEN = '[\n  [\n    '.length;
const NESTED_CLOSE = '\n  ]\n]'.length;
const SCORE_KEY = '"reliability_score": ';

/**
 * An entry as the crate writes it inside a snapshot: pretty, at 4 spaces. With `keep`, the text is
 * kept as the entry's source (rawEntries.ts): entries never change, so a later write of the whole
 * file writes it as is (appending compactions copy the file's bytes instead, and keep nothing).
 */
function serializeEntry(entry: BufferEntry, keep = true): string {
  const source = sourceOf(entry);
  if (source !== undefined) return source;
  const nested = JSON.stringify([[entry]], null, 2);
  const text = withFloatScore(nested.slice(NESTED_OPEN, nested.length - NESTED_CLOSE), entry);
  if (keep) keepSource(entry, text);
  return text;
}

/**
 * serde writes the f32 `reliability_score` 1 as `1.0`: that spelling is kept so files diff
 * cleanly. The context's own key is the last of its keys, so the last occurrence of the key in
 * the text is it (a key inside a string would read `\"reliability_score\"`).
 */
function withFloatScore(text: string, entry: BufferEntry): string {
  const score = (entry.context as { reliability_score?: unknown } | undefined)?.reliability_score;
  if (typeof score !== 'number' || !Number.isInteger(score)) return text;
  const at = text.lastIndexOf(SCORE_KEY);
  if (at < 0) return text;
  const digits = /^-?\d+/.exec(text.slice(at + SCORE_KEY.length, at + SCORE_KEY.length + 24))?.[0];
  if (!digits) return text;
  const end = at + SCORE_KEY.length + digits.length;
  const next = text[end];
  if (next !== undefined && next !== ',' && next !== '\n') return text;
  return `${text.slice(0, end)}.0${text.slice(end)}`;
}

/** A snapshot's text as the pieces it is made of (no copy of every entry into one string). */
export interface SnapshotText {
  parts: string[];
  /** Characters in all (the size limit counts them, as it counts a string's length). */
  length: number;
}

/** The document without its entries, split where they go. */
function frameOf(data: BufferData): { head: string; tail: string } | { whole: string } {
  const { started_at, entries, last_flush, agent_type, ...extra } = data;
  const frame = JSON.stringify({ started_at, entries: [], last_flush, agent_type, ...extra }, null, 2);
  if (entries.length === 0) return { whole: frame };
  // started_at is a string (no raw newline), so the first `"entries": []` line is the top-level one.
  const at = frame.indexOf('\n  "entries": []') + '\n  "entries": ['.length;
  return { head: `${frame.slice(0, at)}\n    `, tail: `\n  ${frame.slice(at)}` };
}

/**
 * Serializes like the crate (serde_json pretty: 2 spaces, no trailing newline, crate key order).
 * Entries read from a snapshot are written back as they were read (rawEntries.ts).
 */
export function serializeSnapshot(data: BufferData): string {
  const frame = frameOf(data);
  if ('whole' in frame) return frame.whole;
  return `${frame.head}${data.entries.map((entry) => serializeEntry(entry)).join(',\n    ')}${frame.tail}`;
}

/**
 * `serializeSnapshot` in pieces, giving the event loop back while it works (timeSlice.ts): what
 * a compaction writes. Joined, the pieces are `serializeSnapshot`'s text.
 */
export async function serializeSnapshotSliced(data: BufferData, slicer = new TimeSlicer()): Promise<SnapshotText> {
  const frame = frameOf(data);
  if ('whole' in frame) return { parts: [frame.whole], length: frame.whole.length };
  const parts: string[] = [frame.head];
  const length = frame.head.length + frame.tail.length + (await pushEntries(parts, data.entries, 0, slicer));
  parts.push(frame.tail);
  return { parts, length };
}

/** Appends the texts of `entries` from `from` on to `parts`, each after its separator; returns their length. */
async function pushEntries(parts: string[], entries: readonly BufferEntry[], from: number, slicer: TimeSlicer): Promise<number> {
  let length = 0;
  for (let i = from; i < entries.length; i++) {
    const text = i === 0 ? serializeEntry(entries[i]) : `,\n    ${serializeEntry(entries[i])}`;
    parts.push(text);
    length += text.length;
    if ((i & 15) === 15 && slicer.due()) await slicer.pause();
  }
  return length;
}

/** A streamed snapshot would pass the size limit: nothing was replaced, and the caller rolls over. */
export class SnapshotOverLimit extends Error {
  override readonly name = 'SnapshotOverLimit';
}

/**
 * The text of `data` as serializeSnapshot writes it, in pieces made one at a time as the writer
 * takes them, so none outlives its encoding (made before the write and held until it ended, the
 * texts of 20,000 entries were 60 MB that every young-generation collection copied). With `from`
 * >= 1, only what an appending compaction writes after the bytes it keeps (`keptChars` of them):
 * the entries from `from` on, each after its separator, then the tail. The texts are not kept
 * beside the entries: their bytes are in the file, and later compactions copy those bytes.
 * Throws SnapshotOverLimit once the text passes `maxChars` characters.
 */
export async function* streamedText(
  data: BufferData, { from = 0, keptChars = 0, maxChars = Infinity }: { from?: number; keptChars?: number; maxChars?: number } = {}, slicer = new TimeSlicer(),
): AsyncGenerator<string> {
  const frame = frameOf(data);
  const over = (length: number) => new SnapshotOverLimit(`${length} characters, past ${maxChars}`);
  if ('whole' in frame) {
    if (from > 0) throw new Error('nothing to append after: the snapshot has no entries');
    if (frame.whole.length > maxChars) throw over(frame.whole.length);
    yield frame.whole;
    return;
  }
  let length = keptChars + frame.tail.length + (from === 0 ? frame.head.length : 0);
  if (from === 0) yield frame.head;
  const { entries } = data;
  for (let i = from; i < entries.length; i++) {
    const entry = serializeEntry(entries[i], false);
    const text = i === 0 ? entry : `,\n    ${entry}`;
    length += text.length;
    if (length > maxChars) throw over(length);
    yield text;
    if ((i & 15) === 15 && slicer.due()) await slicer.pause();
  }
  yield frame.tail;
}

/** The UTF-8 length of the tail serializeSnapshot writes after `data`'s last entry. */
export function tailBytesOf(data: BufferData): number {
  const frame = frameOf(data);
  return 'whole' in frame ? 0 : Buffer.byteLength(frame.tail);
}

/** The layout of the file serializeSnapshot's text for `data` makes, `bytes` long in all. */
export function layoutOf(data: BufferData, bytes: number): SnapshotLayout | undefined {
  const frame = frameOf(data);
  return 'whole' in frame ? undefined : { head: frame.head, entriesEnd: bytes - Buffer.byteLength(frame.tail) };
}

/** Atomic (temp file + fsync + rename), then durable (fsync of the folder). Created 0600. Returns the bytes written. */
export async function writeSnapshot(
  file: string, data: BufferData, text: string | SnapshotText | AsyncIterable<string> = serializeSnapshot(data), onWritten?: (stat: Stats) => void,
): Promise<number> {
  faults.beforeWrite?.(file);
  return writeFileAtomicNoFollow(file, typeof text === 'string' || Symbol.asyncIterator in text ? text : text.parts, onWritten);
}

/**
 * Replaces `file` with its first `keep.bytes` bytes (read from `keep.from`, the file as it was)
 * followed by `text`: a compaction that only adds entries (streamedText from an entry on). Atomic and durable as
 * writeSnapshot. Returns the new file's size.
 */
export async function writeSnapshotAppending(
  file: string, keep: { from: FileHandle; bytes: number }, text: AsyncIterable<string>, onWritten?: (stat: Stats) => void,
): Promise<number> {
  faults.beforeWrite?.(file);
  return writeFileAtomicKeepingPrefix(file, keep, text, onWritten);
}

/**
 * Null when there is none; BufferError UNSAFE when the name is a link (never read through). Reads
 * a healthy snapshot an entry at a time, giving the event loop back as it goes (`parseSnapshotSliced`).
 */
export async function readSnapshotFile(file: string, slicer = new TimeSlicer()): Promise<ParsedSnapshot | null> {
  let bytes: Buffer;
  try {
    const handle = await openHandleNoFollow(file, 'read');
    try {
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return parseSnapshotSliced(bytes, slicer);
}

/**
 * `parseSnapshot`, an entry at a time: for a snapshot laid out as the crate and we write it (the
 * pretty layout), each entry's bytes are decoded, parsed and validated on their own, with a turn
 * of the event loop every few milliseconds, and their merge keys worked out on the way. The
 * result is `parseSnapshot`'s. Anything else (another layout, bytes that are not UTF-8, an
 * entry that does not parse or validate, a header that does not) is left to `parseSnapshot`,
 * whose salvage says what is wrong: damage is rare, and its cost is paid only then.
 */
export async function parseSnapshotSliced(bytes: Uint8Array, slicer = new TimeSlicer()): Promise<ParsedSnapshot> {
  const spans = new PrettyEntrySpans(bytes);
  if (spans.headEnd < 0) return parseSnapshot(bytes);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const entries: BufferEntry[] = [];
  const keys: string[] = [];
  const keyer = new EntryKeyer();
  let firstStart = -1;
  let allComplete = true;
  try {
    for (let span = spans.next(); span; span = spans.next()) {
      if (firstStart < 0) firstStart = span[0];
      const source = decoder.decode(bytes.subarray(span[0], span[1]));
      const { entry, complete } = parseEntry(JSON.parse(source));
      if (!entry) return parseSnapshot(bytes);
      allComplete &&= complete === true;
      if (complete) keepSourceBytes(entry, bytes, span[0], span[1]);
      entries.push(entry);
      keys.push(keyer.keyOf(entry));
      if ((entries.length & 15) === 0 && slicer.due()) await slicer.pause();
    }
    if (spans.tailStart < 0) return parseSnapshot(bytes);
    // The head is decoded with its BOM dropped (TextDecoder's default), as parseSnapshot drops it.
    const frame = decoder.decode(bytes.subarray(0, spans.headEnd)) + decoder.decode(bytes.subarray(spans.tailStart));
    const doc: unknown = JSON.parse(frame);
    if (bufferDataProblem(doc) || !entriesAtTopLevel(frame) || repeatedTopLevelKeys(frame).length) return parseSnapshot(bytes);
    const { started_at, entries: none, last_flush, agent_type, ...extra } = doc as BufferData;
    if (none.length !== 0) return parseSnapshot(bytes);
    // Appendable only without a BOM, and with every entry complete as written: the kept bytes
    // would carry the BOM, which serde_json refuses, or an entry without a key the crate requires
    // (a whole rewrite writes it completed).
    const layout = firstStart > 0 && allComplete && bytes[0] !== 0xef ? { head: decoder.decode(bytes.subarray(0, firstStart)), entriesEnd: spans.tailStart } : undefined;
    return { startedAt: started_at, lastFlush: last_flush ?? null, agentType: agent_type, entries, extra, problems: [], damaged: false, keys, ...(layout ? { layout } : {}) };
  } catch {
    return parseSnapshot(bytes); // not UTF-8, or not JSON: the salvage says where
  }
}

/** The `entries` key found by the layout is the document's own (depth 1), not a nested one. */
function entriesAtTopLevel(frame: string): boolean {
  const at = frame.indexOf('\n  "entries": [');
  let depth = 0;
  for (let i = 0; i < at; i++) {
    const c = frame.charCodeAt(i);
    if (c === 0x22) i = stringEnd(frame, i) - 1;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return depth === 1;
}

/**
 * The merge key of an entry: ours carry an `id`; entries written by the crate do not, so they
 * get one derived from their content (stable across reads; a repeat of identical content gets
 * a suffix so true duplicates are kept).
 */
export function entryKeys(entries: readonly BufferEntry[]): string[] {
  const keyer = new EntryKeyer();
  return entries.map((entry) => keyer.keyOf(entry));
}

/** `entryKeys` one entry at a time, in the list's order. */
export class EntryKeyer {
  private readonly seen = new Map<string, number>();

  keyOf(entry: BufferEntry): string {
    if (entry.id) return entry.id;
    const hash = createHash('sha1').update(JSON.stringify(entry)).digest('hex').slice(0, 20);
    const n = this.seen.get(hash) ?? 0;
    this.seen.set(hash, n + 1);
    return n === 0 ? `crate-${hash}` : `crate-${hash}-${n}`;
  }
}
