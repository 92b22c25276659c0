// Cursor hook payload (JSON on the hook command's stdin, `~/.cursor/hooks.json` or
// `<project>/.cursor/hooks.json`) -> one buffer entry. Pure: no I/O, no vscode. Used by
// `nexus-buffer push cursor --from cursor-hook`.
//
// Facts about the payloads: FORMAT.md beside this file (Cursor's hooks reference,
// cursor.com/docs/agent/hooks). Every agent payload has conversation_id, generation_id,
// hook_event_name, workspace_roots, usually model, cursor_version, transcript_path; per event:
// command / cwd / output / duration / sandbox (shell), tool_name / tool_input / result_json (MCP,
// tool hooks), file_path / edits[] (file edits), prompt / attachments, text, status / loop_count
// (stop), trigger and context sizes (preCompact), session_id / reason (sessionStart, sessionEnd).
// New events and fields keep appearing: anything not understood goes to `custom.hook`, capped,
// and is never an error.
//
// Choices:
// - session_id is conversation_id (sessionStart/sessionEnd's own session_id is the same value).
// - extraction_source is `native`; `custom.capture = "cursor-hook"` says where it came from.
// - context_type stays in the crate's vocabulary: session-start, session-end, compact, tool-use
//   (shell, MCP, file and tool events), error (a failed tool call, a stop with status error or
//   aborted), checkpoint (prompts, responses, thoughts, subagents, anything unknown).
// - File contents never enter the entry: edits become line counts, beforeReadFile's `content`
//   becomes a character count. Thinking text (afterAgentThought) is kept capped in `custom`.
// - `user_email` is not stored: it says who the user is, not what the session did.
import type { PartialSessionContext } from '../../core/schema';
import {
  capTail, capText, capUnknown, copyScalars, countLines, describeType, firstLine, isObject, lastLine,
  MAX_MESSAGE_CHARS, MAX_OUTPUT_CHARS, redactSecrets, redactValue, unknownFields, type Json,
} from '../shared/payload';

export const CURSOR_AGENT = 'cursor';
export const CURSOR_HOOK_EXTRACTION_SOURCE = 'native';

export interface CursorHookEntry {
  context: PartialSessionContext;
  contextType: string;
}

type Context = PartialSessionContext;
type ErrorEntry = NonNullable<Context['errors']>[number];

/** Keys every agent payload carries (or may); all but user_email are kept in `custom`. */
const COMMON_KEYS = [
  'conversation_id', 'generation_id', 'hook_event_name', 'model', 'model_id', 'model_params', 'cursor_version',
  'workspace_roots', 'user_email', 'transcript_path', 'cwd',
] as const;
/** The common keys copied into `custom` as they are (capped). */
const KEPT_COMMON = ['generation_id', 'model', 'model_id', 'model_params', 'cursor_version', 'workspace_roots', 'transcript_path', 'cwd'] as const;

/** Per-event keys understood here; everything else lands in `custom.hook`. */
const EVENT_KEYS: Record<string, readonly string[]> = {
  sessionStart: ['session_id', 'is_background_agent', 'composer_mode'],
  sessionEnd: ['session_id', 'reason', 'duration_ms', 'is_background_agent', 'final_status', 'error_message'],
  beforeSubmitPrompt: ['prompt', 'attachments'],
  afterAgentResponse: ['text'],
  afterAgentThought: ['text', 'duration_ms'],
  beforeShellExecution: ['command', 'sandbox'],
  afterShellExecution: ['command', 'output', 'duration', 'sandbox', 'exit_code', 'exitCode', 'exit_status'],
  beforeMCPExecution: ['tool_name', 'tool_input', 'url', 'command'],
  afterMCPExecution: ['tool_name', 'tool_input', 'result_json', 'duration', 'url', 'command'],
  afterFileEdit: ['file_path', 'edits'],
  afterTabFileEdit: ['file_path', 'edits'],
  beforeReadFile: ['file_path', 'content', 'attachments'],
  beforeTabFileRead: ['file_path', 'content'],
  preToolUse: ['tool_name', 'tool_input', 'tool_use_id', 'agent_message'],
  postToolUse: ['tool_name', 'tool_input', 'tool_output', 'tool_use_id', 'duration'],
  postToolUseFailure: ['tool_name', 'tool_input', 'tool_use_id', 'error_message', 'failure_type', 'duration', 'is_interrupt'],
  subagentStart: ['subagent_id', 'subagent_type', 'task', 'parent_conversation_id', 'tool_call_id', 'subagent_model', 'is_parallel_worker', 'git_branch'],
  subagentStop: ['subagent_id', 'subagent_type', 'status', 'task', 'description', 'summary', 'duration_ms', 'message_count', 'tool_call_count', 'loop_count', 'modified_files', 'agent_transcript_path'],
  preCompact: ['trigger', 'context_usage_percent', 'context_tokens', 'context_window_size', 'message_count', 'messages_to_compact', 'is_first_compaction'],
  stop: ['status', 'loop_count'],
  workspaceOpen: [],
};

const CONTEXT_TYPES: Record<string, string> = {
  sessionStart: 'session-start',
  sessionEnd: 'session-end',
  beforeSubmitPrompt: 'checkpoint',
  afterAgentResponse: 'checkpoint',
  afterAgentThought: 'checkpoint',
  beforeShellExecution: 'tool-use',
  afterShellExecution: 'tool-use',
  beforeMCPExecution: 'tool-use',
  afterMCPExecution: 'tool-use',
  afterFileEdit: 'tool-use',
  afterTabFileEdit: 'tool-use',
  beforeReadFile: 'tool-use',
  beforeTabFileRead: 'tool-use',
  preToolUse: 'tool-use',
  postToolUse: 'tool-use',
  postToolUseFailure: 'error',
  subagentStart: 'checkpoint',
  subagentStop: 'checkpoint',
  preCompact: 'compact',
  stop: 'checkpoint',
  workspaceOpen: 'checkpoint',
};

/**
 * Maps one Cursor hook payload to a buffer entry (a partial context and its type).
 * Throws an Error with a one-line message when the payload is not a JSON object with a
 * string `hook_event_name`; anything else, however unexpected, becomes an entry.
 */
export function cursorHookToEntry(payload: unknown, now: string = new Date().toISOString()): CursorHookEntry {
  if (!isObject(payload)) {
    throw new Error(`Cursor hook payload must be a JSON object, got ${describeType(payload)}`);
  }
  const p = payload;
  const event = p.hook_event_name;
  if (typeof event !== 'string' || event.trim() === '') {
    throw new Error('Cursor hook payload has no "hook_event_name" string (is this the JSON a Cursor hook receives on stdin?)');
  }

  const custom: Json = { capture: 'cursor-hook', hook_event_name: event };
  copyScalars(p, custom, KEPT_COMMON);
  const sessionId = [p.conversation_id, p.session_id].find((value): value is string => typeof value === 'string' && value !== '');
  const context: Context = {
    agent_type: CURSOR_AGENT,
    session_id: sessionId ?? null,
    extraction_started: now,
    extraction_completed: now,
    extraction_source: CURSOR_HOOK_EXTRACTION_SOURCE,
    custom,
  };
  if (typeof p.session_id === 'string' && p.session_id !== sessionId) custom.session_id = capText(p.session_id, 1_000);

  let contextType = CONTEXT_TYPES[event] ?? 'checkpoint';
  const known = new Set<string>([...COMMON_KEYS, ...(EVENT_KEYS[event] ?? [])]);
  const error = (type: string, message: string): ErrorEntry =>
    ({ error_type: type, message: capText(redactSecrets(message), MAX_OUTPUT_CHARS), stack_trace: null, timestamp: now });

  switch (event) {
    case 'sessionStart':
      copyScalars(p, custom, ['is_background_agent', 'composer_mode']);
      break;
    case 'sessionEnd':
      copyScalars(p, custom, ['reason', 'duration_ms', 'is_background_agent', 'final_status']);
      if (p.reason === 'error' || (typeof p.error_message === 'string' && p.error_message !== '')) {
        context.errors = [error('session_error', typeof p.error_message === 'string' && p.error_message !== '' ? p.error_message : 'the session ended with an error')];
      }
      break;
    case 'beforeSubmitPrompt':
      if (typeof p.prompt === 'string') {
        context.conversation = [{ role: 'user', content: capText(redactSecrets(p.prompt), MAX_MESSAGE_CHARS), timestamp: now }];
      }
      keepAttachments(p.attachments, custom);
      break;
    case 'afterAgentResponse':
      if (typeof p.text === 'string' && p.text !== '') {
        context.conversation = [{ role: 'assistant', content: capText(redactSecrets(p.text), MAX_MESSAGE_CHARS), timestamp: now }];
      }
      break;
    case 'afterAgentThought':
      copyScalars(p, custom, ['duration_ms']);
      if (typeof p.text === 'string' && p.text !== '') custom.thought = capText(redactSecrets(p.text), MAX_OUTPUT_CHARS);
      break;
    case 'beforeShellExecution':
      custom.phase = 'pre';
      if (typeof p.command === 'string') custom.command = capText(redactSecrets(p.command), MAX_OUTPUT_CHARS);
      copyScalars(p, custom, ['sandbox']);
      break;
    case 'afterShellExecution':
      mapShell(p, context, custom, error);
      break;
    case 'beforeMCPExecution':
    case 'afterMCPExecution':
      mapMcp(event, p, context, custom, error);
      break;
    case 'afterFileEdit':
    case 'afterTabFileEdit': {
      if (event === 'afterTabFileEdit') custom.source = 'tab';
      const path = typeof p.file_path === 'string' && p.file_path !== '' ? p.file_path : undefined;
      const counts = editLineCounts(p.edits);
      if (Array.isArray(p.edits)) custom.edits_count = p.edits.length;
      if (path) context.files = [{ path, action: 'modified', ...counts, timestamp: now }];
      break;
    }
    case 'beforeReadFile':
    case 'beforeTabFileRead': {
      if (event === 'beforeTabFileRead') custom.source = 'tab';
      const path = typeof p.file_path === 'string' && p.file_path !== '' ? p.file_path : undefined;
      if (path) context.files = [{ path, action: 'read', lines_added: null, lines_removed: null, timestamp: now }];
      if (typeof p.content === 'string') custom.content_chars = p.content.length;
      keepAttachments(p.attachments, custom);
      break;
    }
    case 'preToolUse':
    case 'postToolUse':
    case 'postToolUseFailure':
      mapTool(event, p, context, custom, error, now);
      break;
    case 'subagentStart':
      copyScalars(p, custom, ['subagent_id', 'subagent_type', 'parent_conversation_id', 'tool_call_id', 'subagent_model', 'is_parallel_worker', 'git_branch']);
      if (typeof p.task === 'string') custom.task = capText(redactSecrets(p.task), 1_000);
      break;
    case 'subagentStop':
      contextType = mapSubagentStop(p, context, custom, error, now);
      break;
    case 'preCompact':
      copyScalars(p, custom, ['trigger', 'context_usage_percent', 'context_tokens', 'context_window_size', 'message_count', 'messages_to_compact', 'is_first_compaction']);
      break;
    case 'stop':
      copyScalars(p, custom, ['status', 'loop_count']);
      if (p.status === 'error') {
        context.errors = [error('agent_error', 'the agent loop ended with an error (stop status "error")')];
        contextType = 'error';
      } else if (p.status === 'aborted') {
        context.errors = [error('agent_aborted', 'the agent loop was aborted (stop status "aborted")')];
        contextType = 'error';
      }
      break;
    default:
      break;
  }

  // Unknown events keep every field; known ones keep what was not understood.
  const rest = unknownFields(p, known);
  if (rest) custom.hook = rest;
  return { context, contextType };
}

type MakeError = (type: string, message: string) => ErrorEntry;

function mapShell(p: Json, context: Context, custom: Json, error: MakeError): void {
  const command = typeof p.command === 'string' ? p.command : '';
  if (command) context.commands_run = [capText(redactSecrets(command), MAX_OUTPUT_CHARS)];
  copyScalars(p, custom, ['duration', 'sandbox']);
  const output = typeof p.output === 'string' ? p.output : '';
  if (output) custom.output = capTail(redactSecrets(output), MAX_OUTPUT_CHARS);
  // Cursor's reference documents no exit status for afterShellExecution; some builds send one.
  const code = integerOf(p.exit_code, p.exitCode, p.exit_status);
  if (code !== undefined) {
    custom.exit_code = code;
    if (code !== 0) {
      const tail = lastLine(output);
      context.errors = [error('command_failed', `${firstLine(command) || 'shell command'}: exit code ${code}${tail ? `: ${tail}` : ''}`)];
    }
  }
}

function mapMcp(event: string, p: Json, context: Context, custom: Json, error: MakeError): void {
  const toolName = typeof p.tool_name === 'string' && p.tool_name !== '' ? p.tool_name : 'unknown';
  custom.phase = event === 'beforeMCPExecution' ? 'pre' : 'post';
  const mcp: Json = { tool_name: capText(toolName, 1_000) };
  if (p.tool_input !== undefined) mcp.tool_input = capUnknown(redactValue(parseJsonText(p.tool_input)), 2_000);
  if (typeof p.url === 'string') mcp.server_url = capText(redactSecrets(p.url), 1_000);
  if (typeof p.command === 'string') mcp.server_command = capText(redactSecrets(p.command), 1_000);
  if (typeof p.duration === 'number') mcp.duration = p.duration;
  if (event === 'afterMCPExecution' && p.result_json !== undefined) {
    const result = parseJsonText(p.result_json);
    mcp.result = capUnknown(redactValue(result), MAX_OUTPUT_CHARS);
    // An MCP tool result says a failure with `isError: true` (the MCP protocol's CallToolResult).
    if (isObject(result) && result.isError === true) {
      context.errors = [error('mcp_tool_failed', `${toolName}: ${mcpErrorText(result) ?? 'the MCP tool reported an error'}`)];
    }
  }
  custom.mcp = mcp;
}

function mapTool(event: string, p: Json, context: Context, custom: Json, error: MakeError, now: string): void {
  const toolName = typeof p.tool_name === 'string' && p.tool_name !== '' ? p.tool_name : 'unknown';
  const input = isObject(p.tool_input) ? p.tool_input : {};
  custom.tool_name = capText(toolName, 1_000);
  if (typeof p.tool_use_id === 'string') custom.tool_use_id = capText(p.tool_use_id, 1_000);
  if (p.tool_input !== undefined) custom.tool_input = summarizeToolInput(isObject(p.tool_input) ? p.tool_input : { value: p.tool_input });
  copyScalars(p, custom, ['duration']);
  const command = typeof input.command === 'string' ? input.command : '';
  const path = [input.file_path, input.path, input.target_file].find((value): value is string => typeof value === 'string' && value !== '');

  if (event === 'preToolUse') {
    custom.phase = 'pre';
    if (typeof p.agent_message === 'string') custom.agent_message = capText(redactSecrets(p.agent_message), 1_000);
    return;
  }
  if (event === 'postToolUseFailure') {
    custom.phase = 'failed';
    copyScalars(p, custom, ['failure_type', 'is_interrupt']);
    const type = p.is_interrupt === true ? 'tool_interrupted'
      : p.failure_type === 'timeout' ? 'tool_timeout'
        : p.failure_type === 'permission_denied' ? 'tool_denied' : 'tool_failed';
    const what = toolName === 'Shell' && command ? `Shell (${firstLine(command)})` : toolName;
    const message = typeof p.error_message === 'string' && p.error_message !== '' ? p.error_message : 'tool call failed';
    context.errors = [error(type, `${what}: ${message}`)];
    // The command itself is recorded by afterShellExecution; here only the failure.
    return;
  }

  custom.phase = 'post';
  const output = parseJsonText(p.tool_output);
  switch (toolName) {
    case 'Shell': {
      if (command) context.commands_run = [capText(redactSecrets(command), MAX_OUTPUT_CHARS)];
      const result = isObject(output) ? output : {};
      const code = integerOf(result.exitCode, result.exit_code);
      const text = [result.stdout, result.stderr, result.output].filter((value): value is string => typeof value === 'string' && value !== '').join('\n');
      if (text) custom.output = capTail(redactSecrets(text), MAX_OUTPUT_CHARS);
      if (code !== undefined) {
        custom.exit_code = code;
        if (code !== 0) {
          const tail = lastLine(typeof result.stderr === 'string' && result.stderr ? result.stderr : text);
          context.errors = [error('command_failed', `${firstLine(command) || 'Shell'}: exit code ${code}${tail ? `: ${tail}` : ''}`)];
        }
      }
      break;
    }
    case 'Read':
      if (path) context.files = [{ path, action: 'read', lines_added: null, lines_removed: null, timestamp: now }];
      break;
    case 'Delete':
      if (path) context.files = [{ path, action: 'deleted', lines_added: null, lines_removed: null, timestamp: now }];
      break;
    default:
      if (p.tool_output !== undefined) custom.tool_output = capUnknown(redactValue(output), MAX_OUTPUT_CHARS);
      break;
  }
}

function mapSubagentStop(p: Json, context: Context, custom: Json, error: MakeError, now: string): string {
  copyScalars(p, custom, ['subagent_id', 'status', 'duration_ms', 'message_count', 'tool_call_count', 'loop_count', 'agent_transcript_path']);
  if (Array.isArray(p.modified_files)) {
    // Kept as names only: the edits themselves arrive as afterFileEdit events.
    custom.modified_files = capUnknown(redactValue(p.modified_files), 2_000);
  }
  const subagentType = typeof p.subagent_type === 'string' && p.subagent_type !== '' ? p.subagent_type : 'unknown';
  const task = [p.task, p.description].find((value): value is string => typeof value === 'string' && value !== '') ?? '';
  const status = p.status === 'completed' ? 'completed' : p.status === 'error' ? 'failed' : p.status === 'aborted' ? 'aborted' : 'completed';
  const duration = typeof p.duration_ms === 'number' && Number.isFinite(p.duration_ms) && p.duration_ms >= 0 ? p.duration_ms : undefined;
  const nowMs = Date.parse(now);
  const startedAt = duration !== undefined && !Number.isNaN(nowMs) ? new Date(nowMs - duration).toISOString() : now;
  context.subagent_executions = [{
    subagent_type: capText(subagentType, 200),
    task: capText(redactSecrets(task), 500),
    status,
    started_at: startedAt,
    completed_at: now,
    result_summary: typeof p.summary === 'string' && p.summary !== '' ? capText(redactSecrets(p.summary), 1_000) : null,
  }];
  if (p.status === 'error') {
    context.errors = [error('subagent_failed', `subagent ${subagentType}${task ? ` (${firstLine(task)})` : ''} ended with an error`)];
    return 'error';
  }
  return 'checkpoint';
}

/** Line counts of search/replace edits: each changed line counts as one removed and one added. */
function editLineCounts(edits: unknown): { lines_added: number | null; lines_removed: number | null } {
  if (!Array.isArray(edits)) return { lines_added: null, lines_removed: null };
  let added = 0;
  let removed = 0;
  let counted = false;
  for (const edit of edits) {
    if (!isObject(edit)) continue;
    if (typeof edit.old_string === 'string') { removed += countLines(edit.old_string); counted = true; }
    if (typeof edit.new_string === 'string') { added += countLines(edit.new_string); counted = true; }
  }
  return counted ? { lines_added: added, lines_removed: removed } : { lines_added: null, lines_removed: null };
}

/** Prompt attachments as type + path (never their contents). */
function keepAttachments(attachments: unknown, custom: Json): void {
  if (!Array.isArray(attachments) || attachments.length === 0) return;
  custom.attachments = attachments.slice(0, 50).map((item) => {
    if (!isObject(item)) return capUnknown(redactValue(item), 200);
    const path = item.file_path ?? item.filePath;
    return { type: typeof item.type === 'string' ? capText(item.type, 100) : null, file_path: typeof path === 'string' ? capText(path, 1_000) : null };
  });
  if (attachments.length > 50) (custom.attachments as unknown[]).push(`… ${attachments.length - 50} more left out`);
}

/** A tool's input without file contents (sizes instead). */
function summarizeToolInput(input: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(input)) {
    if ((key === 'content' || key === 'contents' || key === 'old_string' || key === 'new_string' || key === 'code_edit') && typeof value === 'string') {
      out[`${key}_chars`] = value.length;
    } else if (typeof value === 'string') {
      out[key] = capText(redactSecrets(value), key === 'command' ? MAX_OUTPUT_CHARS : 1_000);
    } else {
      out[key] = capUnknown(redactValue(value), 2_000);
    }
  }
  return out;
}

/** Cursor passes MCP inputs and results (and postToolUse's tool_output) as JSON strings. */
function parseJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (!text.startsWith('{') && !text.startsWith('[')) return value;
  try {
    return JSON.parse(text);
  } catch {
    return value;
  }
}

function integerOf(...values: unknown[]): number | undefined {
  return values.find((value): value is number => typeof value === 'number' && Number.isInteger(value));
}

function mcpErrorText(result: Json): string | undefined {
  const content = result.content;
  if (typeof content === 'string' && content !== '') return firstLine(content);
  if (Array.isArray(content)) {
    const text = content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')).join('\n').trim();
    if (text) return firstLine(text);
  }
  return typeof result.error === 'string' && result.error !== '' ? firstLine(result.error) : undefined;
}
