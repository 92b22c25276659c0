// The snapshot format of the Rust crate `nexus-memory-hooks` (module `buffer`): its types, and
// completion and validation by the crate's own rules (crateSchema.ts, which emulates its reader).
// See ../../../shared/spec/buffer-format.md (kept beside the project as the contract).
//
// Reading is lenient where it loses nothing: a missing array becomes [], a missing nullable
// becomes null, and unknown keys are kept so they are written back. Writing is complete:
// `completeContext` fills every key the crate's reader requires and refuses what it would refuse.
// Timestamps stay strings: the crate writes nanoseconds, which a JS Date cannot hold.
import { crateContext, crateEntry, CrateRuleError, timestampProblem } from './crateSchema';
import { nestingProblem } from './nesting';

interface ConversationMessageFields { role: string; content: string; timestamp: string }
interface DecisionFields {
  summary: string; rationale: string | null; alternatives: string[]; impact: string | null; timestamp: string;
}
export type FileAction = 'created' | 'modified' | 'deleted' | 'read';
interface FileChangeFields {
  path: string; action: FileAction; lines_added: number | null; lines_removed: number | null; timestamp: string;
}
export type TaskStatus = 'pending' | 'in_progress' | 'completed' | 'failed';
interface TaskFields {
  description: string; status: TaskStatus; started_at: string | null; completed_at: string | null; subagent: string | null;
}
interface ErrorRecordFields { error_type: string; message: string; stack_trace: string | null; timestamp: string }
interface SubagentExecutionFields {
  subagent_type: string; task: string; status: string; started_at: string; completed_at: string | null; result_summary: string | null;
}
export type ConversationMessage = ConversationMessageFields & Record<string, unknown>;
export type Decision = DecisionFields & Record<string, unknown>;
export type FileChange = FileChangeFields & Record<string, unknown>;
export type Task = TaskFields & Record<string, unknown>;
export type ErrorRecord = ErrorRecordFields & Record<string, unknown>;
export type SubagentExecution = SubagentExecutionFields & Record<string, unknown>;

export interface SessionContext {
  agent_type: string;
  extraction_started: string;
  extraction_completed: string | null;
  session_id: string | null;
  conversation: ConversationMessage[];
  decisions: Decision[];
  files: FileChange[];
  tasks: Task[];
  insights: string[];
  errors: ErrorRecord[];
  subagent_executions: SubagentExecution[];
  commands_run: string[];
  custom: Record<string, unknown>;
  extraction_source: string;
  reliability_score: number;
  [key: string]: unknown;
}
export interface BufferEntry {
  timestamp: string;
  context_type: string;
  context: SessionContext;
  /** Ours, not the crate's (its reader ignores unknown keys): the merge key across journals. */
  id?: string;
  [key: string]: unknown;
}
/** A snapshot document whose entries have been validated one by one. */
export interface BufferData {
  started_at: string;
  entries: BufferEntry[];
  last_flush: string | null;
  agent_type: string;
  /** Keys unknown to the crate, kept and written back. */
  [key: string]: unknown;
}

/** What a caller must give of an item: the crate's keys without a default; the rest may be left out. */
type Input<T, Optional extends keyof T> = Omit<T, Optional> & Partial<Pick<T, Optional>> & Record<string, unknown>;
/** The input accepted from a hook or an API caller: any part of a SessionContext. */
export interface PartialSessionContext {
  agent_type?: string;
  extraction_started?: string;
  extraction_completed?: string | null;
  session_id?: string | null;
  conversation?: Array<ConversationMessageFields & Record<string, unknown>>;
  decisions?: Array<Input<DecisionFields, 'rationale' | 'alternatives' | 'impact'>>;
  files?: Array<Input<FileChangeFields, 'lines_added' | 'lines_removed'>>;
  tasks?: Array<Input<TaskFields, 'started_at' | 'completed_at' | 'subagent'>>;
  insights?: string[];
  errors?: Array<Input<ErrorRecordFields, 'stack_trace'>>;
  subagent_executions?: Array<Input<SubagentExecutionFields, 'completed_at' | 'result_summary'>>;
  commands_run?: string[];
  custom?: Record<string, unknown>;
  extraction_source?: string;
  reliability_score?: number;
  [key: string]: unknown;
}

/**
 * Why a parsed snapshot document's top level is not what the crate reads (started_at, entries,
 * last_flush, agent_type), or undefined. Entries are checked one by one elsewhere.
 */
export function bufferDataProblem(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'the document is not a JSON object';
  const d = doc as Record<string, unknown>;
  const started = timestampProblem(d.started_at);
  if (started) return `started_at: ${started}`;
  if (!Array.isArray(d.entries)) return 'entries: must be an array';
  if (d.last_flush !== null && d.last_flush !== undefined) {
    const flushed = timestampProblem(d.last_flush);
    if (flushed) return `last_flush: ${flushed}`;
  }
  if (typeof d.agent_type !== 'string') return 'agent_type: must be a string';
  return undefined;
}

/** Now as an RFC 3339 string in UTC (millisecond precision, which the crate reads). */
export function nowTimestamp(clock: () => number = Date.now): string {
  return new Date(clock()).toISOString();
}

export class InvalidContextError extends Error {
  override readonly name = 'InvalidContextError';
}

/**
 * Completes a partial context with the crate's defaults (agent type, extraction_started = now,
 * extraction_source, reliability 1, empty arrays) and checks it by the crate's rules. Throws
 * InvalidContextError naming the offending field and the rule.
 */
export function completeContext(
  input: unknown,
  defaults: { agentType: string; extractionSource?: string; now?: string },
): SessionContext {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidContextError('context: must be a JSON object (a SessionContext)');
  }
  const now = defaults.now ?? nowTimestamp();
  // A class instance is taken by its own enumerable keys, as a plain copy (the walk takes plain objects).
  const proto = Object.getPrototypeOf(input) as unknown;
  const plain = proto === Object.prototype || proto === null ? input : { ...input };
  try {
    return crateContext(plain, 'context', {
      agent_type: defaults.agentType, extraction_started: now, extraction_source: defaults.extractionSource ?? 'unknown',
    }) as SessionContext;
  } catch (error) {
    if (!(error instanceof CrateRuleError)) throw error;
    // A context nested too deep is named as such (the crate's walk stops at its depth limit,
    // so it never recurses further, and one that passes is never too deep).
    throw new InvalidContextError(nestingProblem(input, 'context') ?? error.message);
  }
}

/**
 * Validates one entry read from disk or a journal; no entry when the crate could not read it.
 * `complete` is false when something had to be filled in (missing arrays, defaults).
 */
export function parseEntry(value: unknown): { entry?: BufferEntry; problem?: string; complete?: boolean } {
  try {
    const { entry, complete } = crateEntry(value);
    return { entry: entry as BufferEntry, complete };
  } catch (error) {
    if (error instanceof CrateRuleError) return { problem: error.message };
    if (error instanceof RangeError) return { problem: 'entry: nested too deep to read' };
    throw error;
  }
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
