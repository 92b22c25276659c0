// One `<agent>.json` snapshot in the crate's format: tolerant reading that salvages every valid
// entry from a damaged file, and complete, atomic, durable writing.
import { createHash } from 'node:crypto';
import { BufferData as BufferDataSchema, parseEntry, type BufferData, type BufferEntry } from './schema';
import { faults } from './faults';
import { writeFileAtomicNoFollow } from './fsutil';
import { openHandleNoFollow } from './safeOpen';

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
}

const BOM = 0xfeff;

/** Parses snapshot text; never throws. Salvages every valid entry from damaged text. */
export function parseSnapshot(text: string): ParsedSnapshot {
  if (text.charCodeAt(0) === BOM) text = text.slice(1);
  const result: ParsedSnapshot = {
    startedAt: null, lastFlush: null, agentType: null, entries: [], extra: {}, problems: [], damaged: false,
  };
  if (text.trim() === '') {
    result.problems.push('the file is empty');
    result.damaged = true;
    return result;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    result.damaged = true;
    result.problems.push(`not valid JSON (${(error as Error).message})`);
    salvageText(text, result);
    return result;
  }
  const top = BufferDataSchema.safeParse(doc);
  if (!top.success) {
    result.damaged = true;
    result.problems.push('not a buffer document (expected started_at, entries, last_flush, agent_type)');
    if (doc && typeof doc === 'object' && Array.isArray((doc as { entries?: unknown }).entries)) {
      acceptEntries((doc as { entries: unknown[] }).entries, result);
    }
    const loose = doc as Record<string, unknown> | null;
    if (loose && typeof loose === 'object') {
      if (typeof loose.started_at === 'string') result.startedAt = loose.started_at;
      if (typeof loose.agent_type === 'string') result.agentType = loose.agent_type;
    }
    return result;
  }
  const { started_at, entries, last_flush, agent_type, ...extra } = top.data;
  result.startedAt = started_at;
  result.lastFlush = last_flush;
  result.agentType = agent_type;
  result.extra = extra;
  acceptEntries(entries, result);
  return result;
}

function acceptEntries(values: unknown[], result: ParsedSnapshot): void {
  let invalid = 0;
  let firstProblem = '';
  values.forEach((value, index) => {
    const { entry, problem } = parseEntry(value);
    if (entry) result.entries.push(entry);
    else {
      invalid++;
      if (!firstProblem) firstProblem = `entries[${index}]: ${problem}`;
    }
  });
  if (invalid > 0) {
    result.damaged = true;
    result.problems.push(`${invalid} invalid entr${invalid === 1 ? 'y' : 'ies'} set aside (first: ${firstProblem})`);
  }
}

/**
 * Salvage from text that is not valid JSON (truncated, torn, garbage around it): finds the
 * `entries` array and parses each complete element on its own.
 */
function salvageText(text: string, result: ParsedSnapshot): void {
  const header = (key: string) => new RegExp(`"${key}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(text)?.[1] ?? null;
  result.startedAt = header('started_at');
  result.agentType = header('agent_type');
  result.lastFlush = header('last_flush');
  const key = /"entries"\s*:\s*\[/.exec(text);
  if (!key) {
    result.problems.push('no entries could be salvaged');
    return;
  }
  const values: unknown[] = [];
  let unreadable = 0;
  for (const slice of arrayElements(text, key.index + key[0].length)) {
    try {
      values.push(JSON.parse(slice));
    } catch {
      unreadable++;
    }
  }
  const before = result.entries.length;
  acceptEntries(values, result);
  const salvaged = result.entries.length - before;
  result.problems.push(
    `${salvaged} entr${salvaged === 1 ? 'y' : 'ies'} salvaged` + (unreadable ? `, ${unreadable} unreadable fragment(s) set aside` : ''),
  );
}

/** Yields the source text of each complete top-level element of a JSON array starting at `start`. */
function* arrayElements(text: string, start: number): Generator<string> {
  let depth = 0;
  let inString = false;
  let elementStart = -1;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      if (depth === 0 && elementStart < 0) elementStart = i;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (depth === 0) elementStart = i;
      depth++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth === 0) return; // end of the entries array
      depth--;
      if (depth === 0 && elementStart >= 0) {
        yield text.slice(elementStart, i + 1);
        elementStart = -1;
      }
    }
  }
}

/** Serializes like the crate (serde_json pretty: 2 spaces, no trailing newline, crate key order). */
export function serializeSnapshot(data: BufferData): string {
  const { started_at, entries, last_flush, agent_type, ...extra } = data;
  const ordered = { started_at, entries, last_flush, agent_type, ...extra };
  // serde writes an f32 score of 1 as `1.0`; keep that spelling so files diff cleanly. (A
  // lookahead instead of a multi-line ^...$ pattern: 3x faster on a 50 MB snapshot.)
  return JSON.stringify(ordered, null, 2).replace(/("reliability_score": -?\d+)(?=,?\n|,?$)/g, '$1.0');
}

/** Atomic (temp file + fsync + rename), then durable (fsync of the folder). Created 0600. */
export async function writeSnapshot(file: string, data: BufferData, text = serializeSnapshot(data)): Promise<number> {
  faults.beforeWrite?.(file);
  await writeFileAtomicNoFollow(file, text);
  return Buffer.byteLength(text);
}

/** Null when there is none; BufferError UNSAFE when the name is a link (never read through). */
export async function readSnapshotFile(file: string): Promise<ParsedSnapshot | null> {
  let text: string;
  try {
    const handle = await openHandleNoFollow(file, 'read');
    try {
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return parseSnapshot(text);
}

/**
 * The merge key of an entry: ours carry an `id`; entries written by the crate do not, so they
 * get one derived from their content (stable across reads; a repeat of identical content gets
 * a suffix so true duplicates are kept).
 */
export function entryKeys(entries: readonly BufferEntry[]): string[] {
  const seen = new Map<string, number>();
  return entries.map((entry) => {
    if (entry.id) return entry.id;
    const hash = createHash('sha1').update(JSON.stringify(entry)).digest('hex').slice(0, 20);
    const n = seen.get(hash) ?? 0;
    seen.set(hash, n + 1);
    return n === 0 ? `crate-${hash}` : `crate-${hash}-${n}`;
  });
}
