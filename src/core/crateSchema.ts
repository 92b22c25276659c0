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
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** A problem at a path, e.g. `context.files[0].action: must be one of …`. */
export class CrateRuleError extends Error {
  override readonly name = 'CrateRuleError';
  constructor(readonly path: string, readonly rule: string) {
    super(`${path || '(document)'}: ${rule}`);
  }
}

const daysIn = (year: number, month: number) =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

/** Why `value` is not a timestamp chrono reads as a real instant, or undefined. */
export function timestampProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return TIMESTAMP_HINT;
  const m = RFC3339.exec(value);
  if (!m) return TIMESTAMP_HINT;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return `${TIMESTAMP_HINT}: ${value} is not a day of the calendar`;
  // A second of 60 is a leap second, which chrono reads.
  if (hour > 23 || minute > 59 || second > 60) return `${TIMESTAMP_HINT}: ${value} is not a time of day`;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return `${TIMESTAMP_HINT}: the offset of ${value} is 24 hours or more`;
  return undefined;
}

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

/** Sets a key as an own data property, `__proto__` included (plain assignment would set the prototype). */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** Checks any JSON value (custom, unknown keys): real JSON, well-formed strings, depth. Returns it unchanged. */
function checkJson(value: unknown, path: string, depth: number): void {
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
        for (let i = 0; i < value.length; i++) checkJson(value[i], `${path}[${i}]`, depth + 1);
        return;
      }
      if (!isPlainObject(value)) throw new CrateRuleError(path, 'must be plain JSON (an object, array, string, number, boolean or null)');
      for (const key of Object.keys(value)) {
        if (!isWellFormed(key)) throw new CrateRuleError(path, `a key ${LONE_SURROGATE_RULE}`);
        checkJson(value[key], at(path, key), depth + 1);
      }
      return;
    }
    default:
      throw new CrateRuleError(path, `must be plain JSON, not ${value === undefined ? 'undefined' : typeof value}`);
  }
}

type Check = (value: unknown, path: string, depth: number, c: Completion) => unknown;

/** Whether completion had to fill something in (then the input as written was not complete). */
interface Completion {
  filled: boolean;
  /** Reading what a writer (the crate) put on disk, rather than taking a new entry. */
  reading: boolean;
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
  const out = new Array<unknown>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = item(v[i], `${path}[${i}]`, depth + 1, c);
  return out;
}, () => []);

/** Known keys first in the crate's order, then unknown ones in input order (kept, checked as JSON). */
function object(shape: Record<string, Check>): Check {
  const keys = Object.keys(shape);
  const known = new Set(keys);
  return (v, path, depth, c) => {
    if (!isPlainObject(v)) throw new CrateRuleError(path, v === MISSING ? 'is required (an object)' : 'must be an object');
    if (depth > MAX_ENTRY_DEPTH) throw new CrateRuleError(path, `nested too deep (at most ${MAX_ENTRY_DEPTH} levels in an entry)`);
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const value = Object.prototype.hasOwnProperty.call(v, key) && v[key] !== undefined ? v[key] : MISSING;
      out[key] = shape[key](value, at(path, key), depth + 1, c);
    }
    for (const key of Object.keys(v)) {
      if (known.has(key) || v[key] === undefined) continue;
      if (!isWellFormed(key)) throw new CrateRuleError(path, `a key ${LONE_SURROGATE_RULE}`);
      checkJson(v[key], at(path, key), depth + 1);
      put(out, key, v[key]);
    }
    return out;
  };
}

const custom: Check = withDefault((v, path, depth) => {
  if (!isPlainObject(v)) throw new CrateRuleError(path, 'must be an object');
  checkJson(v, path, depth);
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

const sessionContext = object(CONTEXT_SHAPE);
const bufferEntry = object({ timestamp, context_type: str, context: sessionContext });

/** Completes and checks a SessionContext (entry depth 2). Throws CrateRuleError naming the field. */
export function crateContext(input: unknown, path = 'context'): Record<string, unknown> {
  return sessionContext(input, path, 2, { filled: false, reading: false }) as Record<string, unknown>;
}

/**
 * Completes and checks a BufferEntry read from a file. `complete` is false when something had to
 * be filled in (the entry as written is then not what the crate reads, and must be rewritten).
 * Our own `id` stays among the unknown keys, last as we write it.
 */
export function crateEntry(input: unknown, path = 'entry'): { entry: Record<string, unknown>; complete: boolean } {
  const c: Completion = { filled: false, reading: true };
  const entry = bufferEntry(input, path, 1, c) as Record<string, unknown>;
  if (entry.id !== undefined && typeof entry.id !== 'string') throw new CrateRuleError(at(path, 'id'), 'must be a string');
  return { entry, complete: !c.filled };
}
