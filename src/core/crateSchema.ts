// The crate's reader, emulated: what `serde_json::from_str::<BufferData>` of `nexus-memory-hooks`
// accepts, checked and completed by hand (see ../../../shared/spec/buffer-format.md). One set of
// rules for every way in (a push, a hook, the API, a journal line, a snapshot entry) and out (a
// snapshot): no entry the crate cannot read reaches a snapshot, and every value the crate can
// read is taken as it is.
//
// Completion is lenient where nothing is lost: a missing array becomes [], a missing nullable
// null, a missing `custom` {}, `extraction_source` "unknown", `reliability_score` 1. Unknown keys
// are kept (after the known ones, in input order), `__proto__` among them, as own keys.
// A leaf module (no zod, no imports): the lean hook path uses it too.

/** serde_json refuses a document nested 128 levels deep; an entry sits 2 levels down (document, entries). */
export const MAX_DOCUMENT_DEPTH = 127;
export const MAX_ENTRY_DEPTH = MAX_DOCUMENT_DEPTH - 2;

/** The largest integer a JS number holds that fits the crate's `usize` (u64) and prints without an exponent. */
const MAX_USIZE = 18446744073709549568;
/** On reading, u64::MAX itself, which JSON.parse rounds up to 2^64 (the entry's source text keeps it exact). */
const MAX_USIZE_READ = 2 ** 64;
/** f32::MAX: `reliability_score` is a plain f32. */
const MAX_F32 = 3.4028234663852886e38;

const TIMESTAMP_HINT = 'must be an RFC 3339 timestamp, e.g. 2026-06-14T09:12:03.418Z';

/** A problem at a path, e.g. `context.files[0].action: must be one of …`. */
export class CrateRuleError extends Error {
  override readonly name = 'CrateRuleError';
  constructor(readonly path: string, readonly rule: string) {
    super(`${path || '(document)'}: ${rule}`);
  }
}

function daysIn(year: number, month: number): number {
  switch (month) {
    case 2: return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
    case 4: case 6: case 9: case 11: return 30;
    default: return 31;
  }
}

/** The two-digit number at `i`, or -1 unless both are ASCII digits (past the end: -1 too). */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

const isDigitAt = (s: string, i: number): boolean => {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9;
};

/**
 * Why `value` is not a timestamp chrono reads as a real instant, or undefined. The grammar is
 * `^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$`,
 * scanned by hand: every entry has several timestamps, and a regex match with its captures
 * cost a fifth of the time an entry takes to validate. The last valid one is remembered: the
 * timestamps of one entry are often one and the same.
 */
export function timestampProblem(value: unknown): string | undefined {
  if (value === lastValidTimestamp) return undefined;
  if (typeof value !== 'string' || value.length < 20) return TIMESTAMP_HINT;
  const s = value;
  const century = twoDigits(s, 0);
  const yearOf = twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  const t = s.charCodeAt(10);
  if (
    century < 0 || yearOf < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 ||
    s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d || (t !== 0x54 && t !== 0x74 && t !== 0x20) ||
    s.charCodeAt(13) !== 0x3a || s.charCodeAt(16) !== 0x3a
  ) return TIMESTAMP_HINT;
  let i = 19;
  if (s.charCodeAt(i) === 0x2e) {
    i++;
    if (!isDigitAt(s, i)) return TIMESTAMP_HINT;
    while (isDigitAt(s, i)) i++;
  }
  const zone = s.charCodeAt(i);
  let offsetHours = 0;
  let offsetMinutes = 0;
  if (zone === 0x5a || zone === 0x7a) {
    if (i + 1 !== s.length) return TIMESTAMP_HINT;
  } else if (zone === 0x2b || zone === 0x2d) {
    offsetHours = twoDigits(s, i + 1);
    offsetMinutes = twoDigits(s, i + 4);
    if (i + 6 !== s.length || offsetHours < 0 || s.charCodeAt(i + 3) !== 0x3a || offsetMinutes < 0) return TIMESTAMP_HINT;
  } else return TIMESTAMP_HINT;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(century * 100 + yearOf, month)) return `${TIMESTAMP_HINT}: ${value} is not a day of the calendar`;
  // A second of 60 is a leap second, which chrono reads.
  if (hour > 23 || minute > 59 || second > 60) return `${TIMESTAMP_HINT}: ${value} is not a time of day`;
  if (offsetHours > 23 || offsetMinutes > 59) return `${TIMESTAMP_HINT}: the offset of ${value} is 24 hours or more`;
  lastValidTimestamp = value;
  return undefined;
}

let lastValidTimestamp: string | undefined;

/** A string with an unpaired UTF-16 surrogate cannot be written as UTF-8: serde refuses `"\ud800"`. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: () => boolean }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !LONE_SURROGATE.test(s);

const LONE_SURROGATE_RULE = 'holds an unpaired UTF-16 surrogate (e.g. "\\ud800"), which is not text and which the crate cannot read';

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

const at = (path: string, key: string) => (path ? `${path}.${key}` : key);
const hasOwn = (v: object, key: string) => Object.prototype.hasOwnProperty.call(v, key);

/** Sets a key as an own data property, `__proto__` included (plain assignment would set the prototype). */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/**
 * Checks any JSON value (custom, unknown keys): real JSON, well-formed strings, depth. `paths`:
 * whether to name where (see Completion.paths).
 */
function checkJson(value: unknown, path: string, depth: number, paths: boolean): void {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) throw new CrateRuleError(path, LONE_SURROGATE_RULE);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CrateRuleError(path, `must be a finite number (JSON has no ${String(value)})`);
      return;
    case 'boolean':
      return;
    case 'object': {
      if (value === null) return;
      if (depth > MAX_ENTRY_DEPTH) {
        throw new CrateRuleError(path, `nested too deep: an entry may nest at most ${MAX_ENTRY_DEPTH} levels (the crate's JSON reader refuses a file nested ${MAX_DOCUMENT_DEPTH + 1} levels deep)`);
      }
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) checkJson(value[i], paths ? `${path}[${i}]` : '', depth + 1, paths);
        return;
      }
      if (!isPlainObject(value)) throw new CrateRuleError(path, 'must be plain JSON (an object, array, string, number, boolean or null)');
      for (const key of Object.keys(value)) {
        if (!isWellFormed(key)) throw new CrateRuleError(path, `a key ${LONE_SURROGATE_RULE}`);
        checkJson(value[key], paths ? at(path, key) : '', depth + 1, paths);
      }
      return;
    }
    default:
      throw new CrateRuleError(path, `must be plain JSON, not ${value === undefined ? 'undefined' : typeof value}`);
  }
}

type Check = (value: unknown, path: string, depth: number, c: Completion) => unknown;

/** The state of one walk over a value. */
interface Completion {
  /** Whether completion had to fill something in (then the input as written was not complete). */
  filled: boolean;
  /**
   * Reading what a writer (the crate) put on disk, rather than taking a new entry. The value is
   * then JSON.parse's, the reader's alone: its objects and arrays are checked in place and kept
   * rather than copied (copying every object of a recovery was a quarter of its garbage).
   */
  reading: boolean;
  /**
   * Whether to build the path of every value as it goes (`context.files[0].action`). A first
   * walk does not (those strings were a tenth of an entry's validation); one that finds a
   * problem is done again with them, to name where (walk()).
   */
  paths: boolean;
  /** For the context of a new entry: values taken for these keys when missing or null (crateContext). */
  defaults?: Readonly<Record<string, unknown>>;
}

const MISSING = Symbol('missing');

const str: Check = (v, path) => {
  if (typeof v !== 'string') throw new CrateRuleError(path, v === MISSING ? 'is required (a string)' : 'must be a string');
  if (!isWellFormed(v)) throw new CrateRuleError(path, LONE_SURROGATE_RULE);
  return v;
};

const timestamp: Check = (v, path) => {
  if (v === MISSING) throw new CrateRuleError(path, `is required: ${TIMESTAMP_HINT}`);
  const problem = timestampProblem(v);
  if (problem) throw new CrateRuleError(path, problem);
  return v;
};

/** Option<T>: a missing key reads as None in serde, so nothing is filled in for the crate's sake. */
const nullable = (check: Check): Check => (v, path, depth, c) => {
  if (v === MISSING) {
    c.filled = true;
    return null;
  }
  return v === null ? null : check(v, path, depth, c);
};

const usize: Check = (v, path, _depth, c) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > (c.reading ? MAX_USIZE_READ : MAX_USIZE)) {
    throw new CrateRuleError(path, 'must be a whole number of 0 or more (the crate reads it as an unsigned integer)');
  }
  return v;
};

const oneOf = (values: readonly string[]): Check => (v, path) => {
  if (typeof v !== 'string' || !values.includes(v)) throw new CrateRuleError(path, `must be one of ${values.join(', ')}`);
  return v;
};

const withDefault = (check: Check, fallback: () => unknown): Check => (v, path, depth, c) => {
  if (v === MISSING) {
    c.filled = true;
    return fallback();
  }
  return check(v, path, depth, c);
};

const arrayOf = (item: Check): Check => withDefault((v, path, depth, c) => {
  if (!Array.isArray(v)) throw new CrateRuleError(path, 'must be an array');
  if (c.reading) {
    // JSON.parse's own array (packed): checked in place (Completion.reading).
    for (let i = 0; i < v.length; i++) {
      const was: unknown = v[i];
      const now = item(was, c.paths ? `${path}[${i}]` : '', depth + 1, c);
      if (now !== was) v[i] = now;
    }
    return v;
  }
  // A packed copy of the exact length, checked in place: `new Array(length)` is holey, which
  // sends JSON.stringify down its slow path (a lookup per element), and push() over-allocates.
  // (A hole reads as undefined, which no item check takes.)
  const out = [...v] as unknown[];
  for (let i = 0; i < out.length; i++) out[i] = item(out[i], c.paths ? `${path}[${i}]` : '', depth + 1, c);
  return out;
}, () => []);

/** A default of the walk stands in for a missing or null value of its key. */
function orDefault(given: unknown, key: string, defaults: Completion['defaults']): unknown {
  return defaults !== undefined && (given === MISSING || given === null) && hasOwn(defaults, key) ? defaults[key] : given;
}

const nameOf = (path: string, key: string, c: Completion): string => (c.paths ? at(path, key) : '');

type Builder = (
  v: Record<string, unknown>, path: string, depth: number, c: Completion, checks: readonly Check[], defaults: Completion['defaults'],
) => Record<string, unknown>;

/**
 * `(v, …) => ({ "k0": checks[0](v["k0"] …), "k1": … })` for these keys: the known keys of an
 * object, checked in order into an object literal; a key that is absent or undefined is
 * MISSING. Made as code (once per shape, from our own key names) because a literal is what V8
 * builds fastest and smallest: every key in the object itself, one hidden class, each read at
 * a site of its own. Adding the keys one by one in a loop cost twice the time, and an
 * out-of-object array of properties that grows (and is garbage) as it goes.
 */
function literalBuilder(keys: readonly string[], takesDefaults: boolean): Builder {
  const fields = keys.map((key, i) => {
    if (key === '__proto__') throw new Error('a shape key cannot be __proto__'); // a literal would set the prototype
    const name = JSON.stringify(key);
    const given = `(v[${name}] !== undefined && hasOwn(v, ${name}) ? v[${name}] : MISSING)`;
    const value = takesDefaults ? `orDefault(${given}, ${name}, defaults)` : given;
    return `${name}: checks[${i}](${value}, nameOf(path, ${name}, c), depth, c)`;
  });
  // Only our own key names go into the code, each quoted by JSON.stringify; no input ever does.
  const make = new Function('hasOwn', 'MISSING', 'orDefault', 'nameOf', `"use strict"; return (v, path, depth, c, checks, defaults) => ({ ${fields.join(', ')} });`);
  return make(hasOwn, MISSING, orDefault, nameOf) as Builder;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && startsWith(a, b);
}

/** `a` begins with the keys of `b`, in order. */
function startsWith(a: readonly string[], b: readonly string[]): boolean {
  if (a.length < b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An unknown key's value: any JSON the crate can read (kept as it is). */
function checkUnknown(v: Record<string, unknown>, key: string, path: string, depth: number, c: Completion): void {
  if (!isWellFormed(key)) throw new CrateRuleError(path, `a key ${LONE_SURROGATE_RULE}`);
  checkJson(v[key], c.paths ? at(path, key) : '', depth, c.paths);
}

/**
 * Known keys first in the crate's order, then unknown ones in input order (kept, checked as JSON).
 * `takesDefaults`: the walk's `defaults` stand in for missing or null values of their keys.
 */
function object(shape: Record<string, Check>, takesDefaults = false): Check {
  const keys = Object.keys(shape);
  const checks = keys.map((key) => shape[key]);
  const known = new Set(keys);
  const build = literalBuilder(keys, takesDefaults);
  return (v, path, depth, c) => {
    if (!isPlainObject(v)) throw new CrateRuleError(path, v === MISSING ? 'is required (an object)' : 'must be an object');
    if (depth > MAX_ENTRY_DEPTH) throw new CrateRuleError(path, `nested too deep (at most ${MAX_ENTRY_DEPTH} levels in an entry)`);
    const own = Object.keys(v);
    // Read from a file and laid out as every writer lays it out (the known keys in order, then
    // any others): checked in place and kept (Completion.reading).
    if (c.reading && startsWith(own, keys)) {
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]; // never __proto__ (literalBuilder refuses it)
        const was = v[key];
        const now = checks[i](was, nameOf(path, key, c), depth + 1, c);
        if (now !== was) v[key] = now;
      }
      for (let i = keys.length; i < own.length; i++) checkUnknown(v, own[i], path, depth + 1, c);
      return v;
    }
    const out = build(v, path, depth + 1, c, checks, takesDefaults ? c.defaults : undefined);
    // The usual case, the known keys and no others, in order: nothing more to look at.
    if (sameKeys(own, keys)) return out;
    for (const key of own) {
      if (known.has(key) || v[key] === undefined) continue;
      checkUnknown(v, key, path, depth + 1, c);
      put(out, key, v[key]);
    }
    return out;
  };
}

const custom: Check = withDefault((v, path, depth, c) => {
  if (!isPlainObject(v)) throw new CrateRuleError(path, 'must be an object');
  checkJson(v, path, depth, c.paths);
  if (c.reading) return v;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) put(out, key, v[key]);
  return out;
}, () => ({}));

const reliability: Check = withDefault((v, path) => {
  // Any number an f32 holds: the crate clamps only in a helper that sets it, never on reading.
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > MAX_F32) {
    throw new CrateRuleError(path, 'must be a finite number (the crate reads it as a 32-bit float)');
  }
  return v;
}, () => 1);

const nullableString = nullable(str);
const nullableTimestamp = nullable(timestamp);

const CONTEXT_SHAPE: Record<string, Check> = {
  agent_type: str,
  extraction_started: timestamp,
  extraction_completed: nullableTimestamp,
  session_id: nullableString,
  conversation: arrayOf(object({ role: str, content: str, timestamp })),
  decisions: arrayOf(object({ summary: str, rationale: nullableString, alternatives: arrayOf(str), impact: nullableString, timestamp })),
  files: arrayOf(object({
    path: str, action: oneOf(['created', 'modified', 'deleted', 'read']), lines_added: nullable(usize), lines_removed: nullable(usize), timestamp,
  })),
  tasks: arrayOf(object({
    description: str, status: oneOf(['pending', 'in_progress', 'completed', 'failed']), started_at: nullableTimestamp,
    completed_at: nullableTimestamp, subagent: nullableString,
  })),
  insights: arrayOf(str),
  errors: arrayOf(object({ error_type: str, message: str, stack_trace: nullableString, timestamp })),
  subagent_executions: arrayOf(object({
    subagent_type: str, task: str, status: str, started_at: timestamp, completed_at: nullableTimestamp, result_summary: nullableString,
  })),
  commands_run: arrayOf(str),
  custom,
  extraction_source: withDefault(str, () => 'unknown'),
  reliability_score: reliability,
};

const sessionContext = object(CONTEXT_SHAPE, true);
const bufferEntry = object({ timestamp, context_type: str, context: sessionContext });

/**
 * Walks `input` without naming paths; when that finds a problem, walks it again naming them,
 * so the error says where (`context.files[0].action: …`).
 */
function walk(
  check: Check, input: unknown, path: string, depth: number, reading: boolean, defaults?: Completion['defaults'],
): { value: unknown; filled: boolean } {
  const quick: Completion = { filled: false, reading, paths: false, defaults };
  try {
    return { value: check(input, path, depth, quick), filled: quick.filled };
  } catch (error) {
    if (!(error instanceof CrateRuleError)) throw error;
  }
  const named: Completion = { filled: false, reading, paths: true, defaults };
  return { value: check(input, path, depth, named), filled: named.filled };
}

/**
 * Completes and checks a SessionContext (entry depth 2). Throws CrateRuleError naming the field.
 * `defaults`: values taken for their keys where the input's are missing or null (`agent_type`,
 * `extraction_started`, `extraction_source` of a new entry), as if given.
 */
export function crateContext(input: unknown, path = 'context', defaults?: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return walk(sessionContext, input, path, 2, false, defaults).value as Record<string, unknown>;
}

/**
 * Completes and checks a BufferEntry read from a file: `input` is JSON.parse's, and what of it
 * needs no completion is returned as it is, not copied (Completion.reading). `complete` is false
 * when something had to be filled in (the entry as written is then not what the crate reads, and
 * must be rewritten).
 * Our own `id` stays among the unknown keys, last as we write it.
 */
export function crateEntry(input: unknown, path = 'entry'): { entry: Record<string, unknown>; complete: boolean } {
  const { value, filled } = walk(bufferEntry, input, path, 1, true);
  const entry = value as Record<string, unknown>;
  if (entry.id !== undefined && typeof entry.id !== 'string') throw new CrateRuleError(at(path, 'id'), 'must be a string');
  return { entry, complete: !filled };
}
