// Claude Code hook payload (JSON on the hook command's stdin) -> one buffer entry.
// Pure: no I/O, no vscode. Used by `nexus-buffer push claude-code --from claude-hook`.
//
// Facts about the payloads: FORMAT.md beside this file, and ../../../../shared/notes/claude-code-hooks.md. Every payload has
// session_id, transcript_path, cwd, hook_event_name (usually permission_mode); per event:
// prompt, tool_name/tool_input/tool_use_id/tool_response, error/is_interrupt
// (PostToolUseFailure), source, reason, trigger, message, stop_hook_active, ...
// New events and fields keep appearing: anything not understood goes to `custom.hook`, capped,
// and is never an error.
//
// Choices:
// - extraction_source is `native`: the entry comes from the agent's own hook mechanism, live,
//   which is what the crate's `native` means (as opposed to `cli`, parsed from a command's
//   output, or `fallback`). Staying inside the crate's vocabulary keeps Nexus's consumers
//   working; `custom.capture = "claude-hook"` says exactly where it came from.
// - context_type stays inside the crate's vocabulary too: session-start, checkpoint (a prompt,
//   a stop, anything unknown), tool-use, error (a failed tool call), compact, session-end.
// - Files, commands and subagents are recorded from PostToolUse / PostToolUseFailure only (they
//   know the outcome: created vs modified, exit status). PreToolUse records the intent in
//   `custom.tool`, so a crash in the middle of a tool call still leaves a trace, without
//   counting every file and command twice.
// - File contents never enter the entry: only paths and line counts.
import type { PartialSessionContext } from '../../core/schema';
import {
  capTail, capText, capUnknown, copyScalars, countLines, describeType, firstLine, isObject, lastLine,
  MAX_MESSAGE_CHARS, MAX_OUTPUT_CHARS, redactSecrets, redactValue, unknownFields, type Json,
} from '../shared/payload';

export { MAX_MESSAGE_CHARS, MAX_OUTPUT_CHARS };
export const CLAUDE_HOOK_EXTRACTION_SOURCE = 'native';

export interface ClaudeHookEntry {
  context: PartialSessionContext;
  contextType: string;
}

/** Keys every payload carries (or may), stored under `custom` under their own names. */
const COMMON_KEYS = ['session_id', 'transcript_path', 'cwd', 'hook_event_name', 'permission_mode'] as const;

/** Per-event keys understood here; everything else lands in `custom.hook`. */
const EVENT_KEYS: Record<string, readonly string[]> = {
  SessionStart: ['source', 'model', 'agent_type'],
  UserPromptSubmit: ['prompt'],
  PreToolUse: ['tool_name', 'tool_input', 'tool_use_id'],
  PostToolUse: ['tool_name', 'tool_input', 'tool_use_id', 'tool_response'],
  PostToolUseFailure: ['tool_name', 'tool_input', 'tool_use_id', 'error', 'is_interrupt'],
  Stop: ['stop_hook_active', 'last_assistant_message'],
  SubagentStop: ['stop_hook_active', 'last_assistant_message', 'agent_id', 'agent_type', 'agent_transcript_path'],
  PreCompact: ['trigger', 'custom_instructions'],
  SessionEnd: ['reason'],
  Notification: ['message', 'notification_type', 'title'],
};

const CONTEXT_TYPES: Record<string, string> = {
  SessionStart: 'session-start',
  UserPromptSubmit: 'checkpoint',
  PreToolUse: 'tool-use',
  PostToolUse: 'tool-use',
  PostToolUseFailure: 'error',
  PermissionRequest: 'tool-use',
  Stop: 'checkpoint',
  SubagentStop: 'checkpoint',
  SubagentStart: 'checkpoint',
  PreCompact: 'compact',
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

  const known = new Set<string>([...COMMON_KEYS, ...(EVENT_KEYS[event] ?? [])]);
  switch (event) {
    case 'SessionStart':
      copyScalars(p, custom, ['source', 'model', 'agent_type']);
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
    case 'Stop':
    case 'SubagentStop':
      copyScalars(p, custom, ['stop_hook_active', 'agent_id', 'agent_type', 'agent_transcript_path']);
      if (typeof p.last_assistant_message === 'string' && p.last_assistant_message !== '') {
        context.conversation = [{
          role: 'assistant',
          content: capText(redactSecrets(p.last_assistant_message), MAX_MESSAGE_CHARS),
          timestamp: now,
        }];
      }
      break;
    case 'PreCompact':
      copyScalars(p, custom, ['trigger']);
      if (typeof p.custom_instructions === 'string' && p.custom_instructions !== '') {
        custom.custom_instructions = capText(redactSecrets(p.custom_instructions), MAX_OUTPUT_CHARS);
      }
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

  return { context, contextType: CONTEXT_TYPES[event] ?? 'checkpoint' };
}

function mapToolEvent(event: string, p: Json, context: PartialSessionContext, custom: Json, now: string): void {
  const toolName = typeof p.tool_name === 'string' ? p.tool_name : 'unknown';
  const input = isObject(p.tool_input) ? p.tool_input : {};
  const response = p.tool_response;
  custom.tool_name = toolName;
  if (typeof p.tool_use_id === 'string') custom.tool_use_id = p.tool_use_id;
  custom.tool_input = summarizeToolInput(toolName, input);

  const failed = event === 'PostToolUseFailure';
  if (failed) {
    const message = errorText(p.error) ?? 'tool call failed';
    if (p.is_interrupt === true) custom.is_interrupt = true;
    context.errors = [{
      error_type: p.is_interrupt === true ? 'tool_interrupted' : 'tool_failed',
      message: capText(redactSecrets(`${toolName}: ${message}`), MAX_OUTPUT_CHARS),
      stack_trace: null,
      timestamp: now,
    }];
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
        if (outcome.failure) {
          context.errors = [{
            error_type: outcome.failure.type,
            message: capText(redactSecrets(`${firstLine(command) || 'Bash'}: ${outcome.failure.message}`), MAX_OUTPUT_CHARS),
            stack_trace: null,
            timestamp: now,
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
      if (path && !failed) context.files = [{ path, ...editedFile(toolName, input, response), timestamp: now }];
      break;
    }
    case 'Read': {
      const path = filePathOf(input, response);
      if (path && !failed) context.files = [{ path, action: 'read', lines_added: null, lines_removed: null, timestamp: now }];
      break;
    }
    case 'TodoWrite': {
      const tasks = todoTasks(input.todos, now);
      if (tasks.length > 0) context.tasks = tasks;
      break;
    }
    case 'Task':
    case 'Agent': {
      const subagent = typeof input.subagent_type === 'string' ? input.subagent_type : 'general-purpose';
      const task = typeof input.description === 'string' ? input.description
        : typeof input.prompt === 'string' ? firstLine(input.prompt) : '';
      context.subagent_executions = [{
        subagent_type: subagent,
        task: capText(redactSecrets(task), 500),
        status: failed ? 'failed' : 'completed',
        started_at: now,
        completed_at: now,
        result_summary: failed ? null : subagentSummary(response),
      }];
      break;
    }
    default:
      if (!failed && response !== undefined) custom.tool_response = capUnknown(redactValue(response));
      break;
  }
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
}

/**
 * Reads Claude Code's Bash tool_response ({stdout, stderr, interrupted, isImage, ...}; older or
 * other builds send is_error / exit_code / returnCode, or a plain string). Claude Code now
 * reports most failures with PostToolUseFailure; these are the ones that still arrive here.
 */
function bashOutcome(response: unknown): BashOutcome {
  if (typeof response === 'string') {
    return response ? { output: { text: capTail(redactSecrets(response), MAX_OUTPUT_CHARS) } } : {};
  }
  if (!isObject(response)) return {};
  const stdout = typeof response.stdout === 'string' ? response.stdout : '';
  const stderr = typeof response.stderr === 'string' ? response.stderr : '';
  const output: Json = {};
  if (stdout) output.stdout = capTail(redactSecrets(stdout), MAX_OUTPUT_CHARS);
  if (stderr) output.stderr = capTail(redactSecrets(stderr), MAX_OUTPUT_CHARS);
  const outcome: BashOutcome = Object.keys(output).length > 0 ? { output } : {};

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

function todoTasks(todos: unknown, now: string): NonNullable<PartialSessionContext['tasks']> {
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
      subagent: null,
    });
  }
  return tasks;
}

function subagentSummary(response: unknown): string | null {
  if (typeof response === 'string') return capText(redactSecrets(response), 1_000);
  if (!isObject(response)) return null;
  const content = response.content;
  if (typeof content === 'string') return capText(redactSecrets(content), 1_000);
  if (Array.isArray(content)) {
    const text = content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')).join('\n').trim();
    return text ? capText(redactSecrets(text), 1_000) : null;
  }
  return null;
}

function errorText(error: unknown): string | undefined {
  if (typeof error === 'string') return error || undefined;
  if (isObject(error) && typeof error.message === 'string') return error.message;
  if (error === undefined || error === null) return undefined;
  return JSON.stringify(error);
}
