// Claude Code hook payload (JSON on the hook command's stdin) -> one buffer entry.
// Pure: no I/O, no vscode. Used by `nexus-buffer push claude-code --from claude-hook`.
//
// Facts about the payloads: FORMAT.md beside this file, and ../../../../shared/notes/claude-code-hooks.md. Every payload has
// session_id, transcript_path, cwd, hook_event_name (usually permission_mode, prompt_id); per
// event: prompt, tool_name/tool_input/tool_use_id/tool_response/duration_ms, error/is_interrupt
// (PostToolUseFailure), agent_id/agent_type (SubagentStart/Stop, and tool calls a subagent
// made), source, reason, trigger, compact_summary (PostCompact), message, stop_hook_active, ...
// New events and fields keep appearing: anything not understood goes to `custom.hook`, capped,
// and is never an error.
//
// Choices:
// - extraction_source is `native`: the entry comes from the agent's own hook mechanism, live,
//   which is what the crate's `native` means (as opposed to `cli`, parsed from a command's
//   output, or `fallback`). Staying inside the crate's vocabulary keeps Nexus's consumers
//   working; `custom.capture = "claude-hook"` says exactly where it came from.
// - context_type stays inside the crate's vocabulary too: session-start, checkpoint (a prompt,
//   a stop, a subagent's start or stop, anything unknown), tool-use, error (a failed tool call),
//   compact (PreCompact, PostCompact, the /compact fork's SubagentStop, SessionStart after a
//   compaction), session-end.
// - Files, commands and subagents are recorded from PostToolUse / PostToolUseFailure only (they
//   know the outcome: created vs modified, exit status). PreToolUse records the intent in
//   `custom.tool_input`, so a crash in the middle of a tool call still leaves a trace, without
//   counting every file and command twice. PostToolBatch repeats a batch's calls: only their
//   names and ids are kept.
// - A subagent is a subagent_executions record three times over, paired by `agent_id` in the
//   record: SubagentStart (running), SubagentStop (completed, its last message as the result),
//   the main agent's Agent/Task PostToolUse (the task it was given, its real time span).
// - The compaction summary, the text that replaces the conversation, is kept whole (up to
//   MAX_COMPACT_SUMMARY_CHARS) as an insight of the PostCompact entry.
// - File contents never enter the entry: only paths and line counts.
import type { PartialSessionContext } from '../../core/schema';
import {
  capHeadTail, capText, capUnknown, copyScalars, countLines, describeType, firstLine, isObject, lastLine,
  MAX_MESSAGE_CHARS, MAX_OUTPUT_CHARS, redactSecrets, redactValue, stringOf, unknownFields, type Json,
} from '../shared/payload';

export { MAX_MESSAGE_CHARS, MAX_OUTPUT_CHARS };
export const CLAUDE_HOOK_EXTRACTION_SOURCE = 'native';
/**
 * Longest compaction summary kept. The summary replaces the whole conversation, so it is the one
 * thing a recovery buffer must not cut: Claude Code writes it as one model answer, bounded by the
 * output limit of that call (some tens of thousands of characters at most; a usual one is a few
 * thousand). 100,000 keeps any real summary whole (over 6x MAX_MESSAGE_CHARS) and still bounds a
 * pathological payload; compactions are rare (a few a session), so the size costs nothing.
 */
export const MAX_COMPACT_SUMMARY_CHARS = 100_000;
/** Longest subagent result kept (its last message is what it found: as long as a message). */
const MAX_RESULT_CHARS = MAX_MESSAGE_CHARS;

export interface ClaudeHookEntry {
  context: PartialSessionContext;
  contextType: string;
}

/** Keys every payload carries (or may), stored under `custom` under their own names. */
const COMMON_KEYS = ['session_id', 'transcript_path', 'cwd', 'hook_event_name', 'permission_mode', 'prompt_id'] as const;

const TOOL_KEYS = ['tool_name', 'tool_input', 'tool_use_id', 'duration_ms', 'agent_id', 'agent_type', 'effort'] as const;

/** Per-event keys understood here; everything else lands in `custom.hook`. */
const EVENT_KEYS: Record<string, readonly string[]> = {
  SessionStart: ['source', 'model', 'agent_type', 'seconds_since_last_response', 'context_tokens', 'prompt_cache_likely_expired'],
  UserPromptSubmit: ['prompt'],
  PreToolUse: TOOL_KEYS,
  PostToolUse: [...TOOL_KEYS, 'tool_response'],
  PostToolUseFailure: [...TOOL_KEYS, 'error', 'is_interrupt'],
  PostToolBatch: ['tool_calls', 'tool_results'],
  Stop: ['stop_hook_active', 'last_assistant_message', 'effort'],
  SubagentStart: ['agent_id', 'agent_type', 'effort'],
  SubagentStop: ['stop_hook_active', 'last_assistant_message', 'agent_id', 'agent_type', 'agent_transcript_path', 'effort'],
  PreCompact: ['trigger', 'custom_instructions'],
  PostCompact: ['trigger', 'compact_summary'],
  SessionEnd: ['reason'],
  Notification: ['message', 'notification_type', 'title'],
};

const CONTEXT_TYPES: Record<string, string> = {
  SessionStart: 'session-start',
  UserPromptSubmit: 'checkpoint',
  PreToolUse: 'tool-use',
  PostToolUse: 'tool-use',
  PostToolUseFailure: 'error',
  PostToolBatch: 'tool-use',
  PermissionRequest: 'tool-use',
  Stop: 'checkpoint',
  SubagentStop: 'checkpoint',
  SubagentStart: 'checkpoint',
  PreCompact: 'compact',
  PostCompact: 'compact',
  SessionEnd: 'session-end',
  Notification: 'checkpoint',
};

/**
 * Maps one Claude Code hook payload to a buffer entry (a partial context and its type).
 * Throws an Error with a one-line message when the payload is not a JSON object with a
 * string `hook_event_name`; anything else, however unexpected, becomes an entry.
 */
export function claudeHookToEntry(payload: unknown, now: string = new Date().toISOString()): ClaudeHookEntry {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new Error(`Claude Code hook payload must be a JSON object, got ${describeType(payload)}`);
  }
  const p = payload as Json;
  const event = p.hook_event_name;
  if (typeof event !== 'string' || event.trim() === '') {
    throw new Error('Claude Code hook payload has no "hook_event_name" string (is this the JSON a hook receives on stdin?)');
  }

  const custom: Json = { capture: 'claude-hook', hook_event_name: event };
  for (const key of COMMON_KEYS) {
    if (key !== 'session_id' && key !== 'hook_event_name' && p[key] !== undefined) custom[key] = capUnknown(p[key]);
  }
  const context: PartialSessionContext = {
    agent_type: 'claude-code',
    session_id: typeof p.session_id === 'string' && p.session_id !== '' ? p.session_id : null,
    extraction_started: now,
    extraction_completed: now,
    extraction_source: CLAUDE_HOOK_EXTRACTION_SOURCE,
    custom,
  };

  let contextType = CONTEXT_TYPES[event] ?? 'checkpoint';
  const known = new Set<string>([...COMMON_KEYS, ...(EVENT_KEYS[event] ?? [])]);
  switch (event) {
    case 'SessionStart':
      // startup | resume | clear | fork | compact. `--resume` keeps the session id (one id can
      // span several processes); `--fork-session` starts a new one. After a compaction the
      // session goes on: that start belongs to the compaction, not to a new session.
      copyScalars(p, custom, EVENT_KEYS.SessionStart!);
      if (p.source === 'compact') contextType = 'compact';
      break;
    case 'UserPromptSubmit':
      if (typeof p.prompt === 'string') {
        context.conversation = [{ role: 'user', content: capText(redactSecrets(p.prompt), MAX_MESSAGE_CHARS), timestamp: now }];
      }
      break;
    case 'PreToolUse':
    case 'PostToolUse':
    case 'PostToolUseFailure':
      mapToolEvent(event, p, context, custom, now);
      break;
    case 'PostToolBatch':
      mapToolBatch(p, custom);
      break;
    case 'Stop': {
      copyScalars(p, custom, ['stop_hook_active', 'effort']);
      const message = typeof p.last_assistant_message === 'string' ? stripInternalTags(p.last_assistant_message) : '';
      if (message) {
        context.conversation = [{ role: 'assistant', content: capText(redactSecrets(message), MAX_MESSAGE_CHARS), timestamp: now }];
      }
      break;
    }
    case 'SubagentStart':
    case 'SubagentStop':
      contextType = mapSubagentEvent(event, p, context, custom, now) ?? contextType;
      break;
    case 'PreCompact':
      copyScalars(p, custom, ['trigger']);
      if (typeof p.custom_instructions === 'string' && p.custom_instructions !== '') {
        custom.custom_instructions = capText(redactSecrets(p.custom_instructions), MAX_OUTPUT_CHARS);
      }
      break;
    case 'PostCompact':
      mapPostCompact(p, context, custom);
      break;
    case 'SessionEnd':
      copyScalars(p, custom, ['reason']);
      break;
    case 'Notification':
      copyScalars(p, custom, ['notification_type', 'title']);
      if (typeof p.message === 'string') custom.message = capText(redactSecrets(p.message), MAX_OUTPUT_CHARS);
      break;
    default:
      break;
  }

  // Unknown events keep every field; known ones keep what was not understood.
  const rest = unknownFields(p, known);
  if (rest) custom.hook = rest;

  return { context, contextType };
}

/**
 * PostCompact: `compact_summary` is the text that replaces the conversation from here on. It goes
 * into `insights` (whole, up to MAX_COMPACT_SUMMARY_CHARS): the document view shows an insight in
 * full, and Copy as Prompt lists insights in every brief, whatever came after; an assistant
 * message would be hidden by the next Stop's reply, a system message is not in the brief at all.
 */
function mapPostCompact(p: Json, context: PartialSessionContext, custom: Json): void {
  copyScalars(p, custom, ['trigger']);
  if (typeof p.compact_summary !== 'string') {
    if (p.compact_summary !== undefined && p.compact_summary !== null) custom.compact_summary = capUnknown(redactValue(p.compact_summary));
    return;
  }
  const summary = stripInternalTags(p.compact_summary, true);
  custom.compact_summary_chars = p.compact_summary.length;
  if (!summary) return;
  const trigger = typeof p.trigger === 'string' && p.trigger !== '' ? ` (${capText(p.trigger, 40)})` : '';
  context.insights = [`Summary of the compacted conversation${trigger}:\n\n${capText(redactSecrets(summary), MAX_COMPACT_SUMMARY_CHARS)}`];
}

/**
 * SubagentStart opens a subagent_executions record (`running`), SubagentStop closes it
 * (`completed`, its last message as the result); both carry `agent_id` in the record, which
 * pairs them (and the Agent tool call that launched it, see mapToolEvent). SubagentStop knows
 * no start time: its record starts at its own time, the start is in the SubagentStart entry.
 * A `/compact` runs as a forked agent with `agent_type: ""`: a compaction, not a subagent.
 * Returns the context type when it is not the event's usual one.
 */
function mapSubagentEvent(event: string, p: Json, context: PartialSessionContext, custom: Json, now: string): string | undefined {
  copyScalars(p, custom, ['agent_id', 'agent_type', 'stop_hook_active', 'agent_transcript_path', 'effort']);
  if (p.agent_type === '') {
    // The summary it wrote arrives formatted with PostCompact a moment later; the raw text stays
    // findable in agent_transcript_path. Kept once, not twice.
    custom.compaction = event === 'SubagentStart' ? 'started' : 'finished';
    if (typeof p.last_assistant_message === 'string') custom.last_assistant_message_chars = p.last_assistant_message.length;
    return 'compact';
  }
  const agentId = stringOf(p.agent_id);
  const started = event === 'SubagentStart';
  const message = typeof p.last_assistant_message === 'string' ? stripInternalTags(p.last_assistant_message) : '';
  context.subagent_executions = [{
    subagent_type: stringOf(p.agent_type) ?? 'unknown',
    task: agentId ? `agent ${capText(agentId, 200)}` : 'subagent',
    status: started ? 'running' : 'completed',
    started_at: now,
    completed_at: started ? null : now,
    result_summary: !started && message ? capText(redactSecrets(message), MAX_RESULT_CHARS) : null,
    ...(agentId ? { agent_id: capText(agentId, 200) } : {}),
  }];
  return undefined;
}

/**
 * PostToolBatch repeats, after a batch of parallel calls, what each call's PostToolUse /
 * PostToolUseFailure already brought: only which calls it grouped is kept (no commands, files
 * or errors, which would count them twice).
 */
function mapToolBatch(p: Json, custom: Json): void {
  const calls = Array.isArray(p.tool_calls) ? p.tool_calls : Array.isArray(p.tool_results) ? p.tool_results : undefined;
  if (!calls) return;
  custom.tool_calls_count = calls.length;
  custom.tool_calls = calls.slice(0, 50).map((call) => {
    if (!isObject(call)) return describeType(call);
    const name = stringOf(call.tool_name) ?? stringOf(call.name) ?? 'unknown';
    const id = stringOf(call.tool_use_id) ?? stringOf(call.id);
    return id ? { tool_name: capText(name, 200), tool_use_id: capText(id, 200) } : { tool_name: capText(name, 200) };
  });
}

/** The subagent that ran a tool call (`agent_id` / `agent_type` on the payload), if any. */
interface Subagent { id?: string; type: string }

function subagentOf(p: Json): Subagent | undefined {
  const id = stringOf(p.agent_id);
  const type = stringOf(p.agent_type);
  if (!id && !type) return undefined;
  return { ...(id ? { id: capText(id, 200) } : {}), type: capText(type ?? 'subagent', 200) };
}

/** The label of a subagent's record, e.g. "Bash [subagent Explore]"; the plain label otherwise. */
function byWhom(label: string, sub: Subagent | undefined): string {
  return sub ? `${label} [subagent ${sub.type}]` : label;
}

/** `now` minus a duration in milliseconds, as RFC 3339; undefined when either is unusable. */
function msBefore(now: string, ms: unknown): string | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return undefined;
  const at = Date.parse(now);
  if (Number.isNaN(at)) return undefined;
  return new Date(at - Math.round(ms)).toISOString();
}

function mapToolEvent(event: string, p: Json, context: PartialSessionContext, custom: Json, now: string): void {
  const toolName = typeof p.tool_name === 'string' ? p.tool_name : 'unknown';
  const input = isObject(p.tool_input) ? p.tool_input : {};
  const response = p.tool_response;
  custom.tool_name = toolName;
  if (typeof p.tool_use_id === 'string') custom.tool_use_id = p.tool_use_id;
  custom.tool_input = summarizeToolInput(toolName, input);
  if (typeof p.duration_ms === 'number' && Number.isFinite(p.duration_ms)) custom.duration_ms = p.duration_ms;
  if (p.effort !== undefined) custom.effort = capUnknown(redactValue(p.effort), 500);
  // Inside a subagent, the call is the subagent's: the entry says whose (custom.agent_id,
  // agent_type, subagent), and so does each record it holds (files[].subagent, errors[].subagent
  // and a "[subagent X]" in the message, tasks[].subagent). Commands stay runnable strings.
  const sub = subagentOf(p);
  if (sub) {
    if (sub.id) custom.agent_id = sub.id;
    if (typeof p.agent_type === 'string') custom.agent_type = capText(p.agent_type, 200);
    custom.subagent = sub.type;
  }
  const mark = sub ? { subagent: sub.type } : {};

  const failed = event === 'PostToolUseFailure';
  if (failed) {
    const message = errorText(p.error) ?? 'tool call failed';
    if (p.is_interrupt === true) custom.is_interrupt = true;
    const exit = toolName === 'Bash' ? exitCodeOf(message) : undefined;
    if (exit) {
      // "Exit code 2\n<output>": the command ran and failed.
      custom.exit_code = exit.code;
      const command = typeof input.command === 'string' ? firstLine(input.command) : '';
      if (exit.output) custom.output = { text: capHeadTail(redactSecrets(exit.output), MAX_OUTPUT_CHARS) };
      const tail = lastLine(exit.output);
      context.errors = [{
        error_type: p.is_interrupt === true ? 'tool_interrupted' : 'command_failed',
        message: capText(redactSecrets(`${byWhom(command || 'Bash', sub)}: exit code ${exit.code}${tail ? `: ${tail}` : ''}`), MAX_OUTPUT_CHARS),
        stack_trace: null,
        timestamp: now,
        ...mark,
      }];
    } else {
      context.errors = [{
        error_type: p.is_interrupt === true ? 'tool_interrupted' : 'tool_failed',
        message: capText(redactSecrets(`${byWhom(toolName, sub)}: ${message}`), MAX_OUTPUT_CHARS),
        stack_trace: null,
        timestamp: now,
        ...mark,
      }];
    }
  }
  if (event === 'PreToolUse') {
    custom.phase = 'pre';
    return;
  }
  custom.phase = failed ? 'failed' : 'post';

  switch (toolName) {
    case 'Bash': {
      const command = typeof input.command === 'string' ? input.command : '';
      if (command) context.commands_run = [capText(redactSecrets(command), MAX_OUTPUT_CHARS)];
      if (!failed) {
        const outcome = bashOutcome(response);
        if (outcome.output) custom.output = outcome.output;
        if (outcome.exitCode !== undefined) custom.exit_code = outcome.exitCode;
        if (outcome.persisted) Object.assign(custom, outcome.persisted);
        if (outcome.rest) custom.tool_response = outcome.rest;
        if (outcome.failure) {
          context.errors = [{
            error_type: outcome.failure.type,
            message: capText(redactSecrets(`${byWhom(firstLine(command) || 'Bash', sub)}: ${outcome.failure.message}`), MAX_OUTPUT_CHARS),
            stack_trace: null,
            timestamp: now,
            ...mark,
          }];
        }
      }
      break;
    }
    case 'Edit':
    case 'MultiEdit':
    case 'Write':
    case 'NotebookEdit': {
      const path = filePathOf(input, response);
      if (path && !failed) context.files = [{ path, ...editedFile(toolName, input, response), timestamp: now, ...mark }];
      break;
    }
    case 'Read': {
      const path = filePathOf(input, response);
      if (path && !failed) context.files = [{ path, action: 'read', lines_added: null, lines_removed: null, timestamp: now, ...mark }];
      break;
    }
    case 'TodoWrite': {
      const tasks = todoTasks(input.todos, now, sub?.type ?? null);
      if (tasks.length > 0) context.tasks = tasks;
      break;
    }
    case 'Task':
    case 'Agent': {
      // The main agent's call that ran a subagent: what it was asked, how long it took
      // (duration_ms, else the response's totalDurationMs), what it answered. The response's
      // agentId pairs it with the SubagentStart / SubagentStop records.
      const res = isObject(response) ? response : {};
      const subagent = stringOf(input.subagent_type) ?? stringOf(res.agentType) ?? 'general-purpose';
      const task = typeof input.description === 'string' ? input.description
        : typeof input.prompt === 'string' ? firstLine(input.prompt) : '';
      const status = failed ? 'failed' : stringOf(res.status) ?? 'completed';
      // A background run answers at once ("async_launched"): it has not finished.
      const finished = failed || !/^(async_launched|running|started|pending)$/.test(status);
      const agentId = stringOf(res.agentId);
      context.subagent_executions = [{
        subagent_type: capText(subagent, 200),
        task: capText(redactSecrets(task), 500),
        status: capText(status, 60),
        started_at: msBefore(now, typeof p.duration_ms === 'number' ? p.duration_ms : res.totalDurationMs) ?? now,
        completed_at: finished ? now : null,
        result_summary: failed ? null : subagentSummary(response),
        ...(agentId ? { agent_id: capText(agentId, 200) } : {}),
        ...mark,
      }];
      if (!failed && isObject(response)) {
        // The rest of the response (agentType, totalTokens, toolStats, usage, ...); not its text
        // (the result above) nor its prompt (the same as tool_input's).
        const { content: _content, prompt: _prompt, ...restOfResponse } = response;
        if (Object.keys(restOfResponse).length > 0) custom.tool_response = capUnknown(redactValue(restOfResponse), 2_000);
      }
      break;
    }
    default:
      if (!failed && response !== undefined) custom.tool_response = capUnknown(redactValue(response));
      break;
  }
}

/** `Exit code 2\n<output>` (PostToolUseFailure of Bash; "Error: " in the transcript). */
function exitCodeOf(message: string): { code: number; output: string } | undefined {
  const match = /^(?:Error: )?Exit code (\d{1,9})(?:\r?\n([\s\S]*))?$/.exec(message);
  if (!match) return undefined;
  return { code: Number(match[1]), output: (match[2] ?? '').trim() };
}

/** What a tool call was asked to do, without file contents (sizes instead). */
function summarizeToolInput(toolName: string, input: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'content' || key === 'old_string' || key === 'new_string' || key === 'new_source') {
      if (typeof value === 'string') out[`${key}_chars`] = value.length;
    } else if (key === 'edits' && Array.isArray(value)) {
      out.edits_count = value.length;
    } else if (key === 'todos' && Array.isArray(value)) {
      out.todos_count = value.length;
    } else if (typeof value === 'string') {
      out[key] = capText(redactSecrets(value), toolName === 'Bash' && key === 'command' ? MAX_OUTPUT_CHARS : 1_000);
    } else {
      out[key] = capUnknown(redactValue(value), 2_000);
    }
  }
  return out;
}

interface BashOutcome {
  exitCode?: number;
  output?: Json;
  failure?: { type: string; message: string };
  /** Where Claude Code saved an output too big to send whole (persistedOutputPath / Size). */
  persisted?: Json;
  /** Response fields not understood here. */
  rest?: Json;
}

/** Fields of Claude Code's Bash tool_response read by bashOutcome (the others are kept as they are). */
const BASH_RESPONSE_KEYS = new Set([
  'stdout', 'stderr', 'interrupted', 'isImage', 'noOutputExpected', 'persistedOutputPath', 'persistedOutputSize',
  'exit_code', 'exitCode', 'returnCode', 'code', 'is_error', 'isError',
]);

/**
 * Reads Claude Code's Bash tool_response ({stdout, stderr, interrupted, isImage, ...}; older or
 * other builds send is_error / exit_code / returnCode, or a plain string). Claude Code now
 * reports most failures with PostToolUseFailure; these are the ones that still arrive here.
 * A long output keeps its head (how it started) and its tail (where it ended: the error). For a
 * big output Claude Code sends only the first 30,000 characters, with persistedOutputPath and
 * persistedOutputSize: where the whole output is, kept in custom under those names.
 */
function bashOutcome(response: unknown): BashOutcome {
  if (typeof response === 'string') {
    return response ? { output: { text: capHeadTail(redactSecrets(response), MAX_OUTPUT_CHARS) } } : {};
  }
  if (!isObject(response)) return {};
  const stdout = typeof response.stdout === 'string' ? response.stdout : '';
  const stderr = typeof response.stderr === 'string' ? response.stderr : '';
  const output: Json = {};
  if (stdout) output.stdout = capHeadTail(redactSecrets(stdout), MAX_OUTPUT_CHARS);
  if (stderr) output.stderr = capHeadTail(redactSecrets(stderr), MAX_OUTPUT_CHARS);
  const outcome: BashOutcome = Object.keys(output).length > 0 ? { output } : {};
  const persisted: Json = {};
  copyScalars(response, persisted, ['persistedOutputPath', 'persistedOutputSize']);
  if (Object.keys(persisted).length > 0) outcome.persisted = persisted;
  const rest = unknownFields(response, BASH_RESPONSE_KEYS);
  if (rest) outcome.rest = rest;

  const code = [response.exit_code, response.exitCode, response.returnCode, response.code]
    .find((value): value is number => typeof value === 'number' && Number.isInteger(value));
  if (code !== undefined) outcome.exitCode = code;
  const tail = lastLine(stderr) || lastLine(stdout);
  if (response.interrupted === true) {
    outcome.failure = { type: 'command_interrupted', message: `interrupted${tail ? ` (${tail})` : ''}` };
  } else if (code !== undefined && code !== 0) {
    outcome.failure = { type: 'command_failed', message: `exit code ${code}${tail ? `: ${tail}` : ''}` };
  } else if (response.is_error === true || response.isError === true) {
    outcome.failure = { type: 'command_failed', message: tail || 'failed' };
  } else if (stderr && !stdout && code === undefined && looksLikeFailure(stderr)) {
    // Only stderr, and it reads like an error: e.g. "bash: foo: command not found".
    outcome.failure = { type: 'command_failed', message: lastLine(stderr) };
  }
  return outcome;
}

function looksLikeFailure(stderr: string): boolean {
  return /\b(error|fatal|not found|no such file|permission denied|failed|cannot|traceback)\b/i.test(stderr);
}

function filePathOf(input: Json, response: unknown): string | undefined {
  for (const value of [input.file_path, input.notebook_path, input.path, isObject(response) ? response.filePath : undefined]) {
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** Action and line counts of an Edit/MultiEdit/Write/NotebookEdit, from counts only. */
function editedFile(toolName: string, input: Json, response: unknown): {
  action: 'created' | 'modified'; lines_added: number | null; lines_removed: number | null;
} {
  const res = isObject(response) ? response : {};
  const fromPatch = patchLineCounts(res.structuredPatch);
  if (toolName === 'Write') {
    // Claude Code's Write answers {type: "create" | "update", ...}; without it, "modified" is
    // the safe guess (a Write usually replaces a file that Claude read first).
    const created = res.type === 'create';
    const content = typeof input.content === 'string' ? input.content : undefined;
    if (created) return { action: 'created', lines_added: content !== undefined ? countLines(content) : null, lines_removed: 0 };
    if (fromPatch) return { action: 'modified', ...fromPatch };
    return { action: 'modified', lines_added: null, lines_removed: null };
  }
  if (fromPatch) return { action: 'modified', ...fromPatch };
  if (toolName === 'NotebookEdit') return { action: 'modified', lines_added: null, lines_removed: null };
  const edits: unknown[] = toolName === 'MultiEdit' ? (Array.isArray(input.edits) ? input.edits : []) : [input];
  let added = 0;
  let removed = 0;
  let counted = false;
  for (const edit of edits) {
    if (!isObject(edit) || typeof edit.old_string !== 'string' || typeof edit.new_string !== 'string') continue;
    // An edit of text within lines counts as lines changed: each changed line is one removed
    // and one added, which is what a diff says too. replace_all can change several places;
    // without the patch the count is that of one place (an estimate, not a guess at more).
    removed += countLines(edit.old_string);
    added += countLines(edit.new_string);
    counted = true;
  }
  return { action: 'modified', lines_added: counted ? added : null, lines_removed: counted ? removed : null };
}

/** Counts `+` and `-` lines of Claude Code's structuredPatch hunks ({lines: string[]}[]). */
function patchLineCounts(patch: unknown): { lines_added: number; lines_removed: number } | undefined {
  if (!Array.isArray(patch) || patch.length === 0) return undefined;
  let added = 0;
  let removed = 0;
  for (const hunk of patch) {
    if (!isObject(hunk) || !Array.isArray(hunk.lines)) return undefined;
    for (const line of hunk.lines) {
      if (typeof line !== 'string') continue;
      if (line.startsWith('+')) added++;
      else if (line.startsWith('-')) removed++;
    }
  }
  return { lines_added: added, lines_removed: removed };
}

const TODO_STATUS: Record<string, 'pending' | 'in_progress' | 'completed' | 'failed'> = {
  pending: 'pending', in_progress: 'in_progress', completed: 'completed', failed: 'failed', cancelled: 'failed',
};

function todoTasks(todos: unknown, now: string, subagent: string | null): NonNullable<PartialSessionContext['tasks']> {
  if (!Array.isArray(todos)) return [];
  const tasks: NonNullable<PartialSessionContext['tasks']> = [];
  for (const todo of todos.slice(0, 200)) {
    if (!isObject(todo) || typeof todo.content !== 'string') continue;
    const status = TODO_STATUS[String(todo.status)] ?? 'pending';
    tasks.push({
      description: capText(redactSecrets(todo.content), 500),
      status,
      started_at: status === 'pending' ? null : now,
      completed_at: status === 'completed' || status === 'failed' ? now : null,
      subagent,
    });
  }
  return tasks;
}

function subagentSummary(response: unknown): string | null {
  let text: string | undefined;
  if (typeof response === 'string') text = response;
  else if (isObject(response) && typeof response.content === 'string') text = response.content;
  else if (isObject(response) && Array.isArray(response.content)) {
    text = response.content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')).join('\n');
  }
  const clean = text === undefined ? '' : stripInternalTags(text);
  return clean ? capText(redactSecrets(clean), MAX_OUTPUT_CHARS) : null;
}

/**
 * Claude Code's internal markup, seen in transcripts and final messages: reminders it injects
 * (`<system-reminder>`), slash-command scaffolding (`<command-name>`, `<command-message>`,
 * `<command-args>`, `<local-command-stdout>` / `-stderr>`, `<local-command-caveat>`), `!` shell
 * input and output (`<bash-input>`, `<bash-stdout>`, `<bash-stderr>`), background-task notices
 * (`<task-notification>`), hook output (`<user-prompt-submit-hook>`) and the preview of a saved
 * big output (`<persisted-output>`). Injected text goes with its tags; where the tags only wrap
 * what was said or shown, the text stays. Only complete pairs are touched, so a message that
 * merely names a tag keeps it.
 */
const DROPPED_TAGS = ['system-reminder', 'local-command-caveat', 'command-message', 'task-notification', 'user-prompt-submit-hook'];
const UNWRAPPED_TAGS = ['command-name', 'command-args', 'local-command-stdout', 'local-command-stderr', 'bash-input', 'bash-stdout', 'bash-stderr', 'persisted-output'];
/** A compaction summary may come with the model's scratch analysis and its `<summary>` wrapper. */
const COMPACT_DROPPED_TAGS = ['analysis'];
const COMPACT_UNWRAPPED_TAGS = ['summary'];

function tagPattern(tags: readonly string[]): RegExp {
  return new RegExp(`<(${tags.join('|')})(?:\\s[^>]*)?>([\\s\\S]*?)</\\1\\s*>`, 'g');
}
const DROPPED = tagPattern(DROPPED_TAGS);
const UNWRAPPED = tagPattern(UNWRAPPED_TAGS);
const COMPACT_DROPPED = tagPattern(COMPACT_DROPPED_TAGS);
const COMPACT_UNWRAPPED = tagPattern(COMPACT_UNWRAPPED_TAGS);

export function stripInternalTags(text: string, compactSummary = false): string {
  let out = text.replace(DROPPED, '').replace(UNWRAPPED, (_m, _tag: string, inner: string) => inner.trim());
  if (compactSummary) out = out.replace(COMPACT_DROPPED, '').replace(COMPACT_UNWRAPPED, (_m, _tag: string, inner: string) => inner.trim());
  // Where a block went, its blank lines go too; text without markup stays as it came.
  return out === text ? text.trim() : out.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

function errorText(error: unknown): string | undefined {
  if (typeof error === 'string') return error || undefined;
  if (isObject(error) && typeof error.message === 'string') return error.message;
  if (error === undefined || error === null) return undefined;
  return JSON.stringify(error);
}
