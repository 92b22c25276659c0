// The snapshot format of the Rust crate `nexus-memory-hooks` (module `buffer`), as zod schemas.
// See ../../../shared/spec/buffer-format.md (kept beside the project as the contract).
//
// Reading is lenient where it loses nothing: a missing array becomes [], a missing nullable
// becomes null, and unknown keys are kept (loose objects) so they are written back.
// Writing is complete: `completeContext` fills every key the crate's reader requires.
// Timestamps stay strings: the crate writes nanoseconds, which a JS Date cannot hold.
// A namespace import lets esbuild drop the parts of zod we do not use (its 260 KB of error
// message locales among them), which matters for a hook that Claude Code waits for.
import * as z from 'zod';
import { nestingProblem } from './nesting';

/** RFC 3339 with an offset or Z and any fraction length; kept as the original string. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
export const Timestamp = z.string().regex(RFC3339, 'must be an RFC 3339 timestamp, e.g. 2026-06-14T09:12:03.418Z');
const NullableTimestamp = Timestamp.nullable().default(null);
const NullableString = z.string().nullable().default(null);
const NullableInt = z.number().int().nullable().default(null);

const arrayOf = <T extends z.ZodTypeAny>(item: T) => z.array(item).default([]);

export const ConversationMessage = z.looseObject({
  role: z.string(),
  content: z.string(),
  timestamp: Timestamp,
});

export const Decision = z.looseObject({
  summary: z.string(),
  rationale: NullableString,
  alternatives: arrayOf(z.string()),
  impact: NullableString,
  timestamp: Timestamp,
});

export const FileAction = z.enum(['created', 'modified', 'deleted', 'read']);
export const FileChange = z.looseObject({
  path: z.string(),
  action: FileAction,
  lines_added: NullableInt,
  lines_removed: NullableInt,
  timestamp: Timestamp,
});

export const TaskStatus = z.enum(['pending', 'in_progress', 'completed', 'failed']);
export const Task = z.looseObject({
  description: z.string(),
  status: TaskStatus,
  started_at: NullableTimestamp,
  completed_at: NullableTimestamp,
  subagent: NullableString,
});

export const ErrorRecord = z.looseObject({
  error_type: z.string(),
  message: z.string(),
  stack_trace: NullableString,
  timestamp: Timestamp,
});

export const SubagentExecution = z.looseObject({
  subagent_type: z.string(),
  task: z.string(),
  status: z.string(),
  started_at: Timestamp,
  completed_at: NullableTimestamp,
  result_summary: NullableString,
});

// `custom` holds any JSON object, every own key kept, `__proto__` among them (JSON.parse makes it
// an own key, and jq and SQLite keep it): z.record would rebuild the object and drop that key,
// so the object is checked and copied by spreading, which defines own keys and never sets a
// prototype. (Only the `{ __proto__: … }` literal and assignment would.)
const isJsonObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const Custom = z
  .custom<Record<string, unknown>>(isJsonObject, { message: 'must be a JSON object (of any keys and values)' })
  .transform((v) => ({ ...v }))
  .default(() => ({}));

export const SessionContext = z.looseObject({
  agent_type: z.string(),
  extraction_started: Timestamp,
  extraction_completed: NullableTimestamp,
  session_id: NullableString,
  conversation: arrayOf(ConversationMessage),
  decisions: arrayOf(Decision),
  files: arrayOf(FileChange),
  tasks: arrayOf(Task),
  insights: arrayOf(z.string()),
  errors: arrayOf(ErrorRecord),
  subagent_executions: arrayOf(SubagentExecution),
  commands_run: arrayOf(z.string()),
  custom: Custom,
  extraction_source: z.string().default('unknown'),
  reliability_score: z.number().min(0).max(1).default(1),
});

export const BufferEntry = z.looseObject({
  timestamp: Timestamp,
  context_type: z.string(),
  context: SessionContext,
  /** Ours, not the crate's (its reader ignores unknown keys): the merge key across journals. */
  id: z.string().optional(),
});

export const BufferData = z.looseObject({
  started_at: Timestamp,
  entries: arrayOf(z.unknown()),
  last_flush: NullableTimestamp,
  agent_type: z.string(),
});

export type ConversationMessage = z.infer<typeof ConversationMessage>;
export type Decision = z.infer<typeof Decision>;
export type FileChange = z.infer<typeof FileChange>;
export type Task = z.infer<typeof Task>;
export type ErrorRecord = z.infer<typeof ErrorRecord>;
export type SubagentExecution = z.infer<typeof SubagentExecution>;
export type SessionContext = z.infer<typeof SessionContext>;
export type BufferEntry = z.infer<typeof BufferEntry>;
/** A snapshot document whose entries have been validated one by one. */
export interface BufferData {
  started_at: string;
  entries: BufferEntry[];
  last_flush: string | null;
  agent_type: string;
  /** Keys unknown to the crate, kept and written back. */
  [key: string]: unknown;
}

/** The input accepted from a hook or an API caller: any part of a SessionContext. */
export type PartialSessionContext = Partial<z.input<typeof SessionContext>> & Record<string, unknown>;

/** Now as an RFC 3339 string in UTC (millisecond precision, which the crate reads). */
export function nowTimestamp(clock: () => number = Date.now): string {
  return new Date(clock()).toISOString();
}

/** Human-readable path + message of the first zod issue, e.g. `files[0].action: Invalid option`. */
export function describeZodError(error: z.ZodError, prefix = ''): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid value';
  const at = issue.path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
    prefix,
  );
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  return `${at || '(document)'}: ${issue.message}${more}`;
}

export class InvalidContextError extends Error {
  override readonly name = 'InvalidContextError';
}

/**
 * Completes a partial context with the crate's defaults (agent type, extraction_started = now,
 * extraction_source, reliability 1, empty arrays) and validates it. Throws InvalidContextError
 * naming the offending field.
 */
export function completeContext(
  input: unknown,
  defaults: { agentType: string; extractionSource?: string; now?: string },
): SessionContext {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidContextError('context: must be a JSON object (a SessionContext)');
  }
  // Before zod, which would recurse as deep as the input goes.
  const tooDeep = nestingProblem(input, 'context');
  if (tooDeep) throw new InvalidContextError(tooDeep);
  const now = defaults.now ?? nowTimestamp();
  const raw = input as Record<string, unknown>;
  const withDefaults: Record<string, unknown> = {
    ...raw,
    agent_type: raw.agent_type ?? defaults.agentType,
    extraction_started: raw.extraction_started ?? now,
    extraction_source: raw.extraction_source ?? defaults.extractionSource ?? 'unknown',
  };
  const parsed = SessionContext.safeParse(withDefaults);
  if (!parsed.success) throw new InvalidContextError(describeZodError(parsed.error, 'context'));
  return parsed.data;
}

/** Validates one entry read from disk or a journal; undefined when it is not a valid entry. */
export function parseEntry(value: unknown): { entry?: BufferEntry; problem?: string } {
  const parsed = BufferEntry.safeParse(value);
  return parsed.success ? { entry: parsed.data } : { problem: describeZodError(parsed.error, 'entry') };
}

/**
 * Sort key for RFC 3339 strings of mixed fraction lengths and offsets, accurate to the
 * nanosecond (plain string comparison is wrong: "03Z" sorts after "03.418Z").
 */
export function timestampSortKey(ts: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/.exec(ts);
  if (!m) return ts;
  const fraction = (m[3] ?? '').padEnd(9, '0').slice(0, 9);
  if (m[4] === 'Z' || m[4] === 'z') return `${m[1]}T${m[2]}.${fraction}`;
  const seconds = Date.parse(`${m[1]}T${m[2]}${m[4]}`);
  return `${new Date(seconds).toISOString().slice(0, 19)}.${fraction}`;
}

/** Orders two RFC 3339 strings in time (for Array.prototype.sort). */
export function compareTimestamps(a: string, b: string): number {
  const ka = timestampSortKey(a);
  const kb = timestampSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The earlier / later of two optional timestamps (null when both are missing). */
export function earliest(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a || !b) return a || b || null;
  return compareTimestamps(a, b) <= 0 ? a : b;
}

export function latest(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a || !b) return a || b || null;
  return compareTimestamps(a, b) >= 0 ? a : b;
}
