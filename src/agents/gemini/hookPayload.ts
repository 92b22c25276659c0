// Gemini CLI hook payload (JSON on the hook command's stdin) -> one buffer entry.
// Pure: no I/O, no vscode. Used by `nexus-buffer push gemini --from gemini-hook`.
//
// Facts about the payloads: FORMAT.md beside this file. Every payload has session_id,
// transcript_path, cwd, hook_event_name, timestamp; per event: SessionStart `source`,
// SessionEnd `reason`, BeforeAgent `prompt`, AfterAgent `prompt`/`prompt_response`/
// `stop_hook_active`, BeforeTool / AfterTool `tool_name`/`tool_input`/`mcp_context`/
// `original_request_name` (+ AfterTool `tool_response` = {llmContent, returnDisplay, error?}),
// Notification `notification_type`/`message`/`details`, PreCompress `trigger`, BeforeModel /
// BeforeToolSelection `llm_request`, AfterModel `llm_request`/`llm_response`.
// New events and fields keep appearing: anything not understood goes to `custom.hook`, capped,
// and is never an error.
//
// Choices (as for Claude Code, ../claude-code/hookPayload.ts):
// - extraction_source `native`; context_type in the crate's vocabulary: session-start,
//   checkpoint (a prompt, an answer, a notification, anything unknown), tool-use, error (a
//   failed tool call), compact (PreCompress), session-end.
// - Files, commands and subagents come from AfterTool only (it knows the outcome); BeforeTool
//   records the intent in `custom.tool_input`, so a crash mid-call still leaves a trace.
// - File contents never enter the entry: write_file / replace answer with the old and new
//   contents and a diff (returnDisplay); only the path, isNewFile and diffStat's line counts
//   are read from it.
// - BeforeModel / AfterModel / BeforeToolSelection fire for every model call (AfterModel for
//   every streamed chunk) with the whole request: the installer does not hook them; one that
//   arrives anyway keeps a summary (model, message count, finish reason, tokens), never the
//   messages.
import type { PartialSessionContext } from '../../core/schema';
import {
  capTail, capText, capUnknown, copyScalars, countLines, describeType, firstLine, isObject, lastLine,
  MAX_MESSAGE_CHARS, MAX_OUTPUT_CHARS, redactSecrets, redactValue, stringOf, timestampOf, unknownFields, type Json,
} from '../shared/payload';

export const GEMINI_AGENT = 'gemini';
export const GEMINI_CAPTURE = 'gemini-hook';

export interface GeminiHookEntry {
  context: PartialSessionContext;
  contextType: string;
}

const COMMON_KEYS = ['session_id', 'transcript_path', 'cwd', 'hook_event_name', 'timestamp'] as const;

const TOOL_KEYS = ['tool_name', 'tool_input', 'mcp_context', 'original_request_name'] as const;
const MODEL_KEYS = ['llm_request', 'llm_response'] as const;

/** Per-event keys understood here; everything else lands in `custom.hook`. */
const EVENT_KEYS: Record<string, readonly string[]> = {
  SessionStart: ['source'],
  SessionEnd: ['reason'],
  BeforeAgent: ['prompt'],
  AfterAgent: ['prompt', 'prompt_response', 'stop_hook_active'],
  BeforeTool: TOOL_KEYS,
  AfterTool: [...TOOL_KEYS, 'tool_response'],
  Notification: ['notification_type', 'message', 'details'],
  PreCompress: ['trigger'],
  BeforeModel: MODEL_KEYS,
  AfterModel: MODEL_KEYS,
  BeforeToolSelection: MODEL_KEYS,
};

const CONTEXT_TYPES: Record<string, string> = {
  SessionStart: 'session-start',
  SessionEnd: 'session-end',
  BeforeAgent: 'checkpoint',
  AfterAgent: 'checkpoint',
  BeforeTool: 'tool-use',
  AfterTool: 'tool-use',
  Notification: 'checkpoint',
  PreCompress: 'compact',
  BeforeModel: 'checkpoint',
  AfterModel: 'checkpoint',
  BeforeToolSelection: 'checkpoint',
};

/** Gemini CLI's built-in tools, by what they do (current names and earlier ones). */
const SHELL_TOOLS = new Set(['run_shell_command']);
const WRITE_TOOLS = new Set(['write_file']);
const EDIT_TOOLS = new Set(['replace', 'edit']);
const READ_TOOLS = new Set(['read_file']);
const READ_MANY_TOOLS = new Set(['read_many_files']);
const SUBAGENT_TOOLS = new Set(['invoke_agent', 'delegate_to_agent']);
const TODO_TOOLS = new Set(['write_todos']);
/** Tools whose answer is file contents or listings: their response is summarised, never kept. */
const CONTENT_TOOLS = new Set([
  'read_file', 'read_many_files', 'glob', 'grep_search', 'search_file_content', 'list_directory',
  'web_fetch', 'google_web_search', 'get_internal_docs', 'read_mcp_resource',
]);
/** Input keys that hold file contents or long text: kept as their length only. */
const CONTENT_INPUT_KEYS = new Set(['content', 'old_string', 'new_string', 'ai_proposed_content', 'new_content']);

/**
 * Maps one Gemini CLI hook payload to a buffer entry (a partial context and its type).
 * Throws an Error with a one-line message when the payload is not a JSON object with a
 * string `hook_event_name`; anything else, however unexpected, becomes an entry.
 */
export function geminiHookToEntry(payload: unknown, now: string = new Date().toISOString()): GeminiHookEntry {
  if (!isObject(payload)) {
    throw new Error(`Gemini CLI hook payload must be a JSON object, got ${describeType(payload)}`);
  }
  const p = payload;
  const event = p.hook_event_name;
  if (typeof event !== 'string' || event.trim() === '') {
    throw new Error('Gemini CLI hook payload has no "hook_event_name" string (is this the JSON a hook receives on stdin?)');
  }

  // The event's own time, when it carries a valid one; else the time we received it.
  const at = timestampOf(p.timestamp) ?? now;
  const custom: Json = { capture: GEMINI_CAPTURE, hook_event_name: event };
  for (const key of ['transcript_path', 'cwd'] as const) {
    if (p[key] !== undefined && p[key] !== '') custom[key] = capUnknown(p[key]);
  }
  if (typeof p.timestamp === 'string') custom.event_timestamp = capText(p.timestamp, 100);
  const context: PartialSessionContext = {
    agent_type: GEMINI_AGENT,
    session_id: stringOf(p.session_id) ?? null,
    extraction_started: now,
    extraction_completed: now,
    extraction_source: 'native',
    custom,
  };
  let contextType = CONTEXT_TYPES[event] ?? 'checkpoint';

  switch (event) {
    case 'SessionStart':
      copyScalars(p, custom, ['source']);
      break;
    case 'SessionEnd':
      copyScalars(p, custom, ['reason']);
      break;
    case 'BeforeAgent':
      if (typeof p.prompt === 'string') {
        context.conversation = [{ role: 'user', content: capText(redactSecrets(p.prompt), MAX_MESSAGE_CHARS), timestamp: at }];
      }
      break;
    case 'AfterAgent':
      // The prompt was recorded by BeforeAgent; here only its size, and the answer.
      if (typeof p.prompt === 'string') custom.prompt_chars = p.prompt.length;
      copyScalars(p, custom, ['stop_hook_active']);
      if (typeof p.prompt_response === 'string' && p.prompt_response !== '') {
        context.conversation = [{ role: 'assistant', content: capText(redactSecrets(p.prompt_response), MAX_MESSAGE_CHARS), timestamp: at }];
      }
      break;
    case 'BeforeTool':
    case 'AfterTool':
      if (mapToolEvent(event, p, context, custom, at)) contextType = 'error';
      break;
    case 'Notification':
      copyScalars(p, custom, ['notification_type']);
      if (typeof p.message === 'string') custom.message = capText(redactSecrets(p.message), MAX_OUTPUT_CHARS);
      if (isObject(p.details)) custom.details = notificationDetails(p.details);
      break;
    case 'PreCompress':
      copyScalars(p, custom, ['trigger']);
      break;
    case 'BeforeModel':
    case 'AfterModel':
    case 'BeforeToolSelection':
      custom.model_call = modelCallSummary(p);
      break;
    default:
      break;
  }

  const known = new Set<string>([...COMMON_KEYS, ...(EVENT_KEYS[event] ?? [])]);
  const rest = unknownFields(p, known);
  if (rest) custom.hook = rest;
  return { context, contextType };
}

/** Fills a tool event's context; true when the call failed (its entry is then an `error`). */
function mapToolEvent(event: 'BeforeTool' | 'AfterTool', p: Json, context: PartialSessionContext, custom: Json, at: string): boolean {
  const toolName = typeof p.tool_name === 'string' && p.tool_name !== '' ? p.tool_name : 'unknown';
  const input = isObject(p.tool_input) ? p.tool_input : {};
  custom.tool_name = toolName;
  custom.tool_input = summarizeToolInput(toolName, input);
  if (typeof p.original_request_name === 'string') custom.original_request_name = capText(p.original_request_name, 200);
  if (isObject(p.mcp_context)) custom.mcp_context = capUnknown(redactValue(p.mcp_context), 2_000);
  if (event === 'BeforeTool') {
    custom.phase = 'pre';
    return false;
  }
  custom.phase = 'post';

  const response = isObject(p.tool_response) ? p.tool_response : {};
  const llmText = partsText(response.llmContent);
  const toolError = toolErrorOf(response.error);
  if (toolError) {
    custom.tool_error = toolError;
    context.errors = [{
      error_type: toolError.type ?? 'tool_failed',
      message: capText(redactSecrets(`${toolName}: ${toolError.message}`), MAX_OUTPUT_CHARS),
      stack_trace: null,
      timestamp: at,
    }];
  }
  let failed = toolError !== undefined;

  if (SHELL_TOOLS.has(toolName)) {
    const command = typeof input.command === 'string' ? input.command : '';
    if (command) context.commands_run = [capText(redactSecrets(command), MAX_OUTPUT_CHARS)];
    const outcome = shellOutcome(llmText, response.returnDisplay);
    if (outcome.output) custom.output = capTail(redactSecrets(outcome.output), MAX_OUTPUT_CHARS);
    if (outcome.exitCode !== undefined) custom.exit_code = outcome.exitCode;
    if (outcome.signal) custom.signal = outcome.signal;
    if (outcome.failure && !toolError) {
      context.errors = [{
        error_type: outcome.failure.type,
        message: capText(redactSecrets(`${firstLine(command) || toolName}: ${outcome.failure.message}`), MAX_OUTPUT_CHARS),
        stack_trace: null,
        timestamp: at,
      }];
      failed = true;
    }
  } else if (WRITE_TOOLS.has(toolName) || EDIT_TOOLS.has(toolName)) {
    const path = filePathOf(input, response.returnDisplay);
    if (path && !failed) context.files = [{ path, ...editedFile(toolName, input, response.returnDisplay, llmText), timestamp: at }];
    const summary = displaySummary(response.returnDisplay);
    if (summary) custom.result = summary;
  } else if (READ_TOOLS.has(toolName)) {
    const path = filePathOf(input, undefined);
    if (path && !failed) context.files = [{ path, action: 'read', lines_added: null, lines_removed: null, timestamp: at }];
  } else if (READ_MANY_TOOLS.has(toolName)) {
    if (!failed) {
      const paths = processedFiles(response.returnDisplay);
      if (paths.length > 0) {
        context.files = paths.map((path) => ({ path, action: 'read' as const, lines_added: null, lines_removed: null, timestamp: at }));
      }
    }
  } else if (SUBAGENT_TOOLS.has(toolName)) {
    const subagent = stringOf(input.agent_name) ?? stringOf(input.name) ?? 'subagent';
    const task = stringOf(input.prompt) ?? stringOf(input.description) ?? stringOf(input.query) ?? '';
    context.subagent_executions = [{
      subagent_type: capText(subagent, 200),
      task: capText(redactSecrets(firstLine(task)), 500),
      status: failed ? 'failed' : 'completed',
      started_at: at,
      completed_at: at,
      result_summary: failed || !llmText ? null : capText(redactSecrets(llmText.trim()), 1_000),
    }];
  } else if (TODO_TOOLS.has(toolName)) {
    const tasks = todoTasks(input.todos, at);
    if (tasks.length > 0) context.tasks = tasks;
  } else if (!CONTENT_TOOLS.has(toolName) && !failed) {
    // Another tool (an MCP server's, a newer built-in): what it answered, capped and redacted.
    if (llmText) custom.tool_response = capTail(redactSecrets(llmText), MAX_OUTPUT_CHARS);
    else if (p.tool_response !== undefined) custom.tool_response = capUnknown(redactValue(p.tool_response), 2_000);
  }
  if (CONTENT_TOOLS.has(toolName) && llmText) custom.response_chars = llmText.length;
  return failed;
}

/** What a tool call was asked to do, without file contents (their sizes instead). */
function summarizeToolInput(toolName: string, input: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(input)) {
    if (CONTENT_INPUT_KEYS.has(key)) {
      if (typeof value === 'string') out[`${key}_chars`] = value.length;
    } else if (key === 'todos' && Array.isArray(value)) {
      out.todos_count = value.length;
    } else if (typeof value === 'string') {
      out[key] = capText(redactSecrets(value), SHELL_TOOLS.has(toolName) && key === 'command' ? MAX_OUTPUT_CHARS : 1_000);
    } else {
      out[key] = capUnknown(redactValue(value), 2_000);
    }
  }
  return out;
}

/**
 * The text of a tool's llmContent: a string, a Part ({text}), or a list of them. Gemini CLI
 * wraps shell output in `<untrusted_context>` tags; they are taken off.
 */
function partsText(content: unknown): string {
  let text = '';
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) text = content.map(partsText).filter(Boolean).join('\n');
  else if (isObject(content) && typeof content.text === 'string') text = content.text;
  return text.replace(/^\s*<untrusted_context>\n?/, '').replace(/\n?<\/untrusted_context>\s*$/, '');
}

function toolErrorOf(error: unknown): { message: string; type?: string } | undefined {
  if (error === undefined || error === null || error === false) return undefined;
  if (typeof error === 'string') return error ? { message: error } : undefined;
  if (isObject(error)) {
    const message = typeof error.message === 'string' && error.message !== '' ? error.message : 'tool call failed';
    return { message: capText(message, MAX_OUTPUT_CHARS), ...(typeof error.type === 'string' ? { type: capText(error.type, 100) } : {}) };
  }
  return { message: capText(String(JSON.stringify(error)), MAX_OUTPUT_CHARS) };
}

interface ShellOutcome {
  output?: string;
  exitCode?: number;
  signal?: string;
  failure?: { type: string; message: string };
}

/**
 * Reads run_shell_command's answer. Its llmContent is lines of `Output: …`, then `Error: …`,
 * `Exit Code: N` (only when not 0), `Signal: …`, `Background PIDs: …`, `Process Group PGID: …`
 * (earlier versions: `Command:`, `Directory:`, `Stdout:`, `Stderr:` first). The exit code is
 * not passed to hooks any other way; the last such line is the tool's (the output comes first).
 */
function shellOutcome(llmText: string, returnDisplay: unknown): ShellOutcome {
  const outcome: ShellOutcome = {};
  const lines = llmText.split('\n');
  let exitCode: number | undefined;
  let signal: string | undefined;
  let errorLine: string | undefined;
  let tailStart = lines.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    const exit = /^Exit Code: (-?\d+|\(none\))\s*$/.exec(line);
    const sig = /^Signal: (\S+)\s*$/.exec(line);
    const err = /^Error: (.*)$/.exec(line);
    if (exit) { if (exitCode === undefined && exit[1] !== '(none)') exitCode = Number(exit[1]); tailStart = i; continue; }
    if (sig) { if (signal === undefined && sig[1] !== '(none)') signal = sig[1]; tailStart = i; continue; }
    if (err && err[1] !== '(none)') { errorLine ??= err[1]; tailStart = i; continue; }
    if (/^(Background PIDs|Process Group PGID): /.test(line)) { tailStart = i; continue; }
    break;
  }
  const body = lines.slice(0, tailStart).join('\n').replace(/^Output: /, '');
  // Without a parsable llmContent, the returnDisplay (the output as shown) instead.
  const output = llmText.trim() === '' ? (typeof returnDisplay === 'string' ? returnDisplay : '') : body === '(empty)' ? '' : body;
  if (output) outcome.output = output;
  if (exitCode !== undefined) outcome.exitCode = exitCode;
  if (signal) outcome.signal = signal;
  const tail = lastLine(output);
  if (/^Command was (automatically )?cancelled/.test(llmText.trim())) {
    outcome.failure = { type: 'command_interrupted', message: firstLine(llmText) };
  } else if (exitCode !== undefined && exitCode !== 0) {
    outcome.failure = { type: 'command_failed', message: `exit code ${exitCode}${tail ? `: ${tail}` : ''}` };
  } else if (signal) {
    outcome.failure = { type: 'command_interrupted', message: `signal ${signal}${tail ? ` (${tail})` : ''}` };
  } else if (errorLine) {
    outcome.failure = { type: 'command_failed', message: errorLine };
  }
  return outcome;
}

function filePathOf(input: Json, returnDisplay: unknown): string | undefined {
  const fromDisplay = isObject(returnDisplay) ? returnDisplay.filePath : undefined;
  for (const value of [fromDisplay, input.file_path, input.absolute_path, input.path]) {
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

const numberOf = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);

/**
 * Action and line counts of a write_file / replace, from counts only. Their returnDisplay is a
 * FileDiff {fileDiff, fileName, filePath, originalContent, newContent, diffStat, isNewFile};
 * a replace that creates a file answers with the string "Created <path>".
 */
function editedFile(toolName: string, input: Json, returnDisplay: unknown, llmText: string): {
  action: 'created' | 'modified'; lines_added: number | null; lines_removed: number | null;
} {
  const display = isObject(returnDisplay) ? returnDisplay : undefined;
  const created = display?.isNewFile === true
    || (typeof returnDisplay === 'string' && /^Created /.test(returnDisplay))
    || /^(Successfully created|Created new file)/.test(llmText.trim());
  const stat = display && isObject(display.diffStat) ? display.diffStat : undefined;
  if (stat) {
    // model_*: the model's proposal against the old file; user_*: what the person changed in
    // the proposal before accepting (0 unless they edited it). Their sum is the change made
    // (exact when the person did not edit it).
    const added = numberOf(stat.model_added_lines);
    const removed = numberOf(stat.model_removed_lines);
    if (added !== undefined && removed !== undefined) {
      return {
        action: created ? 'created' : 'modified',
        lines_added: added + (numberOf(stat.user_added_lines) ?? 0),
        lines_removed: created ? 0 : removed + (numberOf(stat.user_removed_lines) ?? 0),
      };
    }
  }
  if (WRITE_TOOLS.has(toolName)) {
    const content = typeof input.content === 'string' ? input.content : undefined;
    if (created) return { action: 'created', lines_added: content !== undefined ? countLines(content) : null, lines_removed: 0 };
    return { action: 'modified', lines_added: null, lines_removed: null };
  }
  const oldString = typeof input.old_string === 'string' ? input.old_string : undefined;
  const newString = typeof input.new_string === 'string' ? input.new_string : undefined;
  if (created) return { action: 'created', lines_added: newString !== undefined ? countLines(newString) : null, lines_removed: 0 };
  if (oldString === undefined || newString === undefined) return { action: 'modified', lines_added: null, lines_removed: null };
  // One place replaced (allow_multiple can replace more: an estimate, not a guess at more).
  return { action: 'modified', lines_added: countLines(newString), lines_removed: countLines(oldString) };
}

/** A FileDiff's harmless parts (names and counts), or a short string answer. */
function displaySummary(returnDisplay: unknown): unknown {
  if (typeof returnDisplay === 'string') return returnDisplay ? capText(redactSecrets(returnDisplay), 500) : undefined;
  if (!isObject(returnDisplay)) return undefined;
  const out: Json = {};
  if (typeof returnDisplay.fileName === 'string') out.file_name = capText(returnDisplay.fileName, 500);
  if (typeof returnDisplay.isNewFile === 'boolean') out.is_new_file = returnDisplay.isNewFile;
  if (isObject(returnDisplay.diffStat)) {
    const stat: Json = {};
    for (const [key, value] of Object.entries(returnDisplay.diffStat)) if (typeof value === 'number') stat[key] = value;
    out.diff_stat = stat;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The files read_many_files reports in its returnDisplay (`- \`path\`` under **Processed Files**). */
function processedFiles(returnDisplay: unknown): string[] {
  if (typeof returnDisplay !== 'string') return [];
  const at = returnDisplay.search(/\*\*Processed Files/);
  if (at === -1) return [];
  const paths: string[] = [];
  for (const line of returnDisplay.slice(at).split('\n').slice(1)) {
    const match = /^- `(.+)`\s*$/.exec(line.trim());
    if (match) paths.push(match[1]!);
    else if (line.trim().startsWith('**')) break;
  }
  return paths.slice(0, 50);
}

const TODO_STATUS: Record<string, 'pending' | 'in_progress' | 'completed' | 'failed'> = {
  pending: 'pending', in_progress: 'in_progress', completed: 'completed', cancelled: 'failed', failed: 'failed', blocked: 'pending',
};

function todoTasks(todos: unknown, at: string): NonNullable<PartialSessionContext['tasks']> {
  if (!Array.isArray(todos)) return [];
  const tasks: NonNullable<PartialSessionContext['tasks']> = [];
  for (const todo of todos.slice(0, 200)) {
    if (!isObject(todo)) continue;
    const description = stringOf(todo.description) ?? stringOf(todo.content);
    if (!description) continue;
    const status = TODO_STATUS[String(todo.status)] ?? 'pending';
    tasks.push({
      description: capText(redactSecrets(description), 500),
      status,
      started_at: status === 'pending' ? null : at,
      completed_at: status === 'completed' || status === 'failed' ? at : null,
      subagent: null,
    });
  }
  return tasks;
}

/**
 * A Notification's details (a tool permission request: its confirmation details, which for an
 * edit hold the diff and both contents): scalars only, contents left out.
 */
function notificationDetails(details: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(details).slice(0, 40)) {
    if (CONTENT_INPUT_KEYS.has(key) || /content|diff/i.test(key)) {
      if (typeof value === 'string') out[`${key}_chars`] = value.length;
    } else if (typeof value === 'string') {
      out[key] = capText(redactSecrets(value), 1_000);
    } else if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
      out[key] = value;
    } else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      out[key] = value.slice(0, 20).map((item) => capText(redactSecrets(item as string), 1_000));
    }
  }
  return out;
}

/** A model call's shape, never its messages: model, message count, finish reason, tokens. */
function modelCallSummary(p: Json): Json {
  const out: Json = {};
  const request = isObject(p.llm_request) ? p.llm_request : undefined;
  if (request) {
    if (typeof request.model === 'string') out.model = capText(request.model, 200);
    if (Array.isArray(request.messages)) out.messages = request.messages.length;
    if (isObject(request.toolConfig)) {
      if (typeof request.toolConfig.mode === 'string') out.tool_mode = capText(request.toolConfig.mode, 50);
      if (Array.isArray(request.toolConfig.allowedFunctionNames)) out.allowed_functions = request.toolConfig.allowedFunctionNames.length;
    }
  }
  const response = isObject(p.llm_response) ? p.llm_response : undefined;
  if (response) {
    const candidate = Array.isArray(response.candidates) && isObject(response.candidates[0]) ? response.candidates[0] : undefined;
    if (candidate && typeof candidate.finishReason === 'string') out.finish_reason = capText(candidate.finishReason, 100);
    const usage = isObject(response.usageMetadata) ? response.usageMetadata : undefined;
    if (usage && typeof usage.totalTokenCount === 'number') out.total_tokens = usage.totalTokenCount;
  }
  return out;
}
