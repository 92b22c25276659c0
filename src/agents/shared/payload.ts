// Small, dependency-free helpers every agent's hook payload mapping uses: caps on text and
// unknown values (a hook payload can carry megabytes of tool output), redaction of secrets in
// values we do not understand, line counting. Nothing here knows any one agent.
import { isSecretName, REDACTED, redactSecrets } from '../../capture/redact';

export type Json = Record<string, unknown>;

/** Longest prompt / assistant message kept, in characters. */
export const MAX_MESSAGE_CHARS = 16_000;
/** Longest tool output or other string kept (stdout, stderr, error messages, unknown fields). */
export const MAX_OUTPUT_CHARS = 4_000;
/** Serialized size past which an unknown value is replaced by a truncated string. */
export const MAX_UNKNOWN_JSON_CHARS = 8_000;

export { redactSecrets };

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** A non-empty string, or undefined. */
export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Keeps the beginning of a string; marks what was cut. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [truncated ${text.length - max} more characters]`;
}

/** Keeps the end of a string (the end of a command's output is where the error is). */
export function capTail(text: string, max: number): string {
  if (text.length <= max) return text;
  return `[truncated ${text.length - max} earlier characters] …${text.slice(text.length - max)}`;
}

/** Keeps the head and the tail of a long output (how it started, and where it ended: the error). */
export function capHeadTail(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max / 4);
  const tail = max - head;
  return `${text.slice(0, head)}\n… [${text.length - max} characters left out] …\n${text.slice(text.length - tail)}`;
}

/** Redacts every string inside a JSON value (for fields we do not understand). */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(capText(value, MAX_UNKNOWN_JSON_CHARS));
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const kept = value.slice(0, 200).map((item) => redactValue(item, depth + 1));
    return value.length > 200 ? [...kept, `… ${value.length - 200} more items left out`] : kept;
  }
  const out: Json = {};
  for (const [key, item] of Object.entries(value as Json)) {
    out[key] = isSecretName(key) && typeof item === 'string' ? REDACTED : redactValue(item, depth + 1);
  }
  return out;
}

/** Keeps a JSON value as it is when small; otherwise a truncated JSON string with a marker. */
export function capUnknown(value: unknown, max = MAX_UNKNOWN_JSON_CHARS): unknown {
  if (typeof value === 'string') return capText(value, max);
  if (value === null || typeof value !== 'object') return value;
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    return '[unserializable value]';
  }
  return json.length <= max ? value : capText(json, max);
}

/** An unknown field, redacted and capped, as it goes into `custom`. */
export function keepUnknown(key: string, value: unknown): unknown {
  return isSecretName(key) && typeof value === 'string' ? REDACTED : capUnknown(redactValue(value));
}

/** Every field of `payload` not in `known`, kept for `custom` (undefined when there is none). */
export function unknownFields(payload: Json, known: ReadonlySet<string>): Json | undefined {
  const rest: Json = {};
  for (const [key, value] of Object.entries(payload)) {
    if (!known.has(key)) rest[key] = keepUnknown(key, value);
  }
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** Copies scalar fields as they are (strings capped), anything else redacted and capped. */
export function copyScalars(from: Json, to: Json, keys: readonly string[]): void {
  for (const key of keys) {
    const value = from[key];
    if (typeof value === 'string') to[key] = capText(value, 1_000);
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) to[key] = value;
    else if (value !== undefined) to[key] = capUnknown(redactValue(value));
  }
}

export function countLines(text: string): number {
  if (text === '') return 0;
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return text.endsWith('\n') ? lines - 1 : lines;
}

export function firstLine(text: string): string {
  const line = text.trim().split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

export function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  const line = (lines[lines.length - 1] ?? '').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** A time given in milliseconds since the epoch or as a string, as RFC 3339; undefined otherwise. */
export function timestampOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    const date = new Date(value < 1e12 ? value * 1000 : value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  if (typeof value === 'string' && value !== '') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
  }
  return undefined;
}
