// VS Code's agent mode (GitHub Copilot) hook payload (JSON on the hook command's stdin) -> one
// buffer entry. Pure: no I/O, no vscode. Facts and sources: FORMAT.md beside this file.
//
// Three shapes arrive, all mapped here:
// - VS Code's Local harness (the extension host's agent): common fields in camelCase
//   (`timestamp` ISO string, `cwd`, `sessionId`, `hookEventName`, `transcript_path`), event
//   fields snake_case (`tool_name`, `tool_input`, `tool_use_id`, `tool_response` = the tool's
//   result as text, `agent_id`, `agent_type`, `stop_hook_active`, `prompt`, `source`,
//   `trigger`). It fires from `~/.copilot/hooks/*.json` and `.github/hooks/*.json`, and from
//   Claude Code's settings files only when `chat.useClaudeHooks` is on.
// - The Copilot runtime (Copilot CLI, and VS Code's "Copilot" harness on the Agent Host) for a
//   PascalCase event name: its "VS Code compatible" format, all snake_case with
//   `hook_event_name`, `session_id`, `timestamp` (ISO string), `tool_result: {result_type,
//   text_result_for_llm}`, `error` (PostToolUseFailure), Claude's tool names (`Bash`) in
//   PreToolUse and the runtime's own (`bash`, `create`, `edit`, `view`, `task`) elsewhere.
// - The Copilot runtime for a camelCase event name (`preToolUse`): camelCase fields and no event
//   name at all (`toolName`, `toolArgs`, `toolResult: {resultType, textResultForLlm}`,
//   `timestamp` in milliseconds); the event is inferred from the fields.
//
// Choices (the same as Claude Code's mapping, ../claude-code/hookPayload.ts):
// - extraction_source `native`; `custom.capture = "copilot-hook"`, `custom.harness` says which
//   runtime sent it, `custom.delivered_via` through which hooks file (Claude Code's settings or
//   Copilot's own hooks file).
// - The payload's `timestamp`, where it parses, is the entry's time (the hook runs a moment later).
// - Files, commands and subagents come from PostToolUse (it knows the outcome); PreToolUse keeps
//   the intent in `custom.tool`. File contents never enter the entry: paths and line counts only.
// - A terminal command that exits non-zero is still a successful tool call for VS Code (the tool
//   ran): its PostToolUse `tool_response` ends with "Command exited with code N" (Copilot CLI:
//   "<exited with exit code N>"); that becomes an error record.
import type { PartialSessionContext } from '../../core/schema';
import {
  capTail, capText, capUnknown, copyScalars, countLines, describeType, firstLine, isObject, lastLine,
  MAX_MESSAGE_CHARS, MAX_OUTPUT_CHARS, redactSecrets, redactValue, stringOf, timestampOf, unknownFields, type Json,
} from '../shared/payload';
import type { HookEntry } from '../types';

export const COPILOT_AGENT = 'copilot';
/** Which hooks file the event came through (both may be installed; see FORMAT.md on duplicates). */
export type CopilotDelivery = 'claude-settings' | 'copilot-hooks';
export type CopilotHarness = 'vscode-local' | 'copilot-runtime';

const MAX_RESULT_CHARS = 1_000;

// ---------------------------------------------------------------------------------------------
// Recognising a Copilot payload among Claude Code's (both arrive through Claude's settings files)

/** Keys only Claude Code sends: a payload with any of them is Claude Code's. */
const CLAUDE_ONLY_KEYS = [
  'permission_mode', 'prompt_id', 'tool_use_id', 'tool_response', 'effort', 'duration_ms', 'agent_transcript_path',
  'compact_summary', 'is_interrupt', 'model', 'last_assistant_message_uuid',
] as const;

/**
 * An event of VS Code's agent mode or of the Copilot runtime, as opposed to Claude Code's:
 * - camelCase `hookEventName` and/or `sessionId` and no `hook_event_name` (VS Code's Local
 *   harness; the Copilot runtime's camelCase format), or
 * - the Copilot runtime's snake_case format: `hook_event_name` with a `timestamp` string (Claude
 *   Code sends no timestamp), none of the keys only Claude Code sends, and no transcript under
 *   a `.claude` folder.
 * A real Claude Code payload never matches (its fixtures are tested against this).
 */
export function isCopilotPayload(payload: unknown): boolean {
  if (!isObject(payload)) return false;
  if (payload.hook_event_name === undefined) {
    return stringOf(payload.hookEventName) !== undefined || stringOf(payload.sessionId) !== undefined;
  }
  return isCopilotRuntimeSnakeCase(payload);
}

function isCopilotRuntimeSnakeCase(p: Json): boolean {
  if (typeof p.hook_event_name !== 'string' || typeof p.timestamp !== 'string' || timestampOf(p.timestamp) === undefined) return false;
  if (CLAUDE_ONLY_KEYS.some((key) => p[key] !== undefined)) return false;
  return !(typeof p.transcript_path === 'string' && /[\\/]\.claude[\\/]/.test(p.transcript_path));
}

// ---------------------------------------------------------------------------------------------
// Normalising the three shapes

/** camelCase keys of the Copilot runtime (and of early VS Code builds) -> the snake_case used here. */
const CAMEL_KEYS: Record<string, string> = {
  sessionId: 'session_id', hookEventName: 'hook_event_name', transcriptPath: 'transcript_path',
  toolName: 'tool_name', toolArgs: 'tool_input', toolInput: 'tool_input', toolUseId: 'tool_use_id', toolCallId: 'tool_use_id',
  toolResult: 'tool_result', toolResponse: 'tool_response',
  stopReason: 'stop_reason', stopHookActive: 'stop_hook_active', initialPrompt: 'initial_prompt',
  agentId: 'agent_id', agentType: 'agent_type', agentName: 'agent_name', agentDisplayName: 'agent_display_name',
  agentDescription: 'agent_description', response: 'last_assistant_message', customInstructions: 'custom_instructions',
  errorContext: 'error_context', transformedPrompt: 'transformed_prompt', notificationType: 'notification_type',
};

/** The Copilot CLI's lowerCamelCase event names -> VS Code's PascalCase ones. */
const EVENT_NAMES: Record<string, string> = {
  sessionStart: 'SessionStart', sessionEnd: 'SessionEnd', userPromptSubmitted: 'UserPromptSubmit',
  userPromptSubmit: 'UserPromptSubmit', userPromptTransformed: 'UserPromptTransformed',
  preToolUse: 'PreToolUse', postToolUse: 'PostToolUse', postToolUseFailure: 'PostToolUseFailure',
  agentStop: 'Stop', stop: 'Stop', subagentStart: 'SubagentStart', subagentStop: 'SubagentStop',
  errorOccurred: 'ErrorOccurred', preCompact: 'PreCompact', notification: 'Notification', permissionRequest: 'PermissionRequest',
};

const COMMON_KEYS = ['session_id', 'hook_event_name', 'timestamp', 'cwd', 'transcript_path'] as const;

const EVENT_KEYS: Record<string, readonly string[]> = {
  SessionStart: ['source', 'initial_prompt'],
  SessionEnd: ['reason'],
  UserPromptSubmit: ['prompt'],
  UserPromptTransformed: ['prompt', 'transformed_prompt'],
  PreToolUse: ['tool_name', 'tool_input', 'tool_use_id'],
  PostToolUse: ['tool_name', 'tool_input', 'tool_use_id', 'tool_response', 'tool_result'],
  PostToolUseFailure: ['tool_name', 'tool_input', 'tool_use_id', 'error'],
  PreCompact: ['trigger', 'custom_instructions'],
  SubagentStart: ['agent_id', 'agent_type', 'agent_name', 'agent_display_name', 'agent_description'],
  SubagentStop: ['agent_id', 'agent_type', 'agent_name', 'agent_display_name', 'stop_hook_active', 'stop_reason', 'last_assistant_message'],
  Stop: ['stop_hook_active', 'stop_reason', 'last_assistant_message'],
  ErrorOccurred: ['error', 'error_context', 'recoverable'],
  Notification: ['message', 'notification_type', 'title'],
};

const CONTEXT_TYPES: Record<string, string> = {
  SessionStart: 'session-start',
  SessionEnd: 'session-end',
  PreToolUse: 'tool-use',
  PostToolUse: 'tool-use',
  PostToolUseFailure: 'error',
  ErrorOccurred: 'error',
  PreCompact: 'compact',
};

interface Normalized {
  /** Canonical PascalCase event. */
  event: string;
  /** The name as sent; undefined when inferred (camelCase runtime format). */
  sentEvent?: string;
  harness: CopilotHarness;
  p: Json;
}

function normalize(payload: Json): Normalized {
  const harness: CopilotHarness = typeof payload.hookEventName === 'string' && payload.hook_event_name === undefined ? 'vscode-local' : 'copilot-runtime';
  const p: Json = {};
  for (const [key, value] of Object.entries(payload)) {
    const snake = CAMEL_KEYS[key];
    if (snake !== undefined && payload[snake] === undefined) p[snake] = value;
    else p[key] = value;
  }
  // The runtime's camelCase toolResult holds camelCase keys too; toolArgs may be a JSON string.
  if (isObject(p.tool_result)) {
    const result = p.tool_result;
    p.tool_result = {
      ...result,
      ...(result.resultType !== undefined && result.result_type === undefined ? { result_type: result.resultType } : {}),
      ...(result.textResultForLlm !== undefined && result.text_result_for_llm === undefined ? { text_result_for_llm: result.textResultForLlm } : {}),
    };
    delete (p.tool_result as Json).resultType;
    delete (p.tool_result as Json).textResultForLlm;
  }
  if (typeof p.tool_input === 'string') {
    try {
      const parsed: unknown = JSON.parse(p.tool_input);
      if (isObject(parsed)) p.tool_input = parsed;
    } catch {
      // kept as a string
    }
  }
  const sent = stringOf(p.hook_event_name);
  const event = sent !== undefined ? (EVENT_NAMES[sent] ?? sent) : inferEvent(p);
  return { event, ...(sent !== undefined ? { sentEvent: sent } : {}), harness, p };
}

/** The Copilot runtime's camelCase format carries no event name: the fields tell which event it is. */
function inferEvent(p: Json): string {
  if (p.tool_name !== undefined) {
    if (p.tool_result !== undefined || p.tool_response !== undefined) return 'PostToolUse';
    return p.error !== undefined ? 'PostToolUseFailure' : 'PreToolUse';
  }
  if (typeof p.transformed_prompt === 'string') return 'UserPromptTransformed';
  if (typeof p.prompt === 'string') return 'UserPromptSubmit';
  if (p.error_context !== undefined || isObject(p.error)) return 'ErrorOccurred';
  if (p.trigger !== undefined) return 'PreCompact';
  if (p.agent_name !== undefined || p.agent_id !== undefined) return p.stop_reason !== undefined || p.last_assistant_message !== undefined ? 'SubagentStop' : 'SubagentStart';
  if (p.stop_reason !== undefined || p.stop_hook_active !== undefined) return 'Stop';
  if (p.source !== undefined) return 'SessionStart';
  if (p.reason !== undefined) return 'SessionEnd';
  return 'unknown';
}

// ---------------------------------------------------------------------------------------------
// The entry

/**
 * Maps one hook payload of VS Code's agent mode (or of the Copilot runtime) to an entry of the
 * `copilot` buffer. Throws an Error with a one-line message only when the payload is not a JSON
 * object, or has neither an event name nor a session id; anything else becomes an entry.
 */
export function copilotHookToEntry(payload: unknown, now: string, via: CopilotDelivery = 'claude-settings'): HookEntry {
  if (!isObject(payload)) throw new Error(`VS Code agent hook payload must be a JSON object, got ${describeType(payload)}`);
  const { event, sentEvent, harness, p } = normalize(payload);
  const sessionId = stringOf(p.session_id);
  if (sentEvent === undefined && sessionId === undefined) {
    throw new Error('VS Code agent hook payload has no "hookEventName" / "hook_event_name" or "sessionId" string (is this the JSON a hook receives on stdin?)');
  }
  const time = timestampOf(p.timestamp) ?? now;

  const custom: Json = { capture: 'copilot-hook', harness, delivered_via: via, hook_event_name: sentEvent ?? event };
  if (sentEvent === undefined) custom.event_inferred = true;
  copyScalars(p, custom, ['cwd', 'transcript_path']);
  if (p.timestamp !== undefined && timestampOf(p.timestamp) === undefined) custom.timestamp = capUnknown(redactValue(p.timestamp), 200);
  const context: PartialSessionContext = {
    agent_type: COPILOT_AGENT,
    session_id: sessionId ?? null,
    extraction_started: time,
    extraction_completed: time,
    extraction_source: 'native',
    custom,
  };

  switch (event) {
    case 'SessionStart':
      copyScalars(p, custom, ['source']);
      if (typeof p.initial_prompt === 'string') custom.initial_prompt = capText(redactSecrets(p.initial_prompt), MAX_MESSAGE_CHARS);
      break;
    case 'SessionEnd':
      copyScalars(p, custom, ['reason']);
      break;
    case 'UserPromptSubmit':
      if (typeof p.prompt === 'string') context.conversation = [{ role: 'user', content: capText(redactSecrets(p.prompt), MAX_MESSAGE_CHARS), timestamp: time }];
      break;
    case 'UserPromptTransformed':
      // The prompt itself arrived with UserPromptSubmit; the model-facing text is only sized.
      if (typeof p.transformed_prompt === 'string') custom.transformed_prompt_chars = p.transformed_prompt.length;
      break;
    case 'PreToolUse':
    case 'PostToolUse':
    case 'PostToolUseFailure':
      mapToolEvent(event, p, context, custom, time);
      break;
    case 'SubagentStart':
    case 'SubagentStop':
      mapSubagentEvent(event, p, context, custom, time);
      break;
    case 'Stop':
      copyScalars(p, custom, ['stop_hook_active', 'stop_reason']);
      if (typeof p.last_assistant_message === 'string' && p.last_assistant_message !== '') {
        context.conversation = [{ role: 'assistant', content: capText(redactSecrets(p.last_assistant_message), MAX_MESSAGE_CHARS), timestamp: time }];
      }
      break;
    case 'PreCompact':
      copyScalars(p, custom, ['trigger']);
      if (typeof p.custom_instructions === 'string' && p.custom_instructions !== '') {
        custom.custom_instructions = capText(redactSecrets(p.custom_instructions), MAX_OUTPUT_CHARS);
      }
      break;
    case 'ErrorOccurred':
      mapError(p, context, custom, time);
      break;
    case 'Notification':
      copyScalars(p, custom, ['notification_type', 'title']);
      if (typeof p.message === 'string') custom.message = capText(redactSecrets(p.message), MAX_OUTPUT_CHARS);
      break;
    default:
      break;
  }

  // Unknown events keep every field; known ones keep what was not understood.
  const known = new Set<string>([...COMMON_KEYS, ...(EVENT_KEYS[event] ?? [])]);
  const rest = unknownFields(p, known);
  if (rest) custom.hook = rest;

  return { agent: COPILOT_AGENT, context, contextType: CONTEXT_TYPES[event] ?? 'checkpoint' };
}

function mapSubagentEvent(event: string, p: Json, context: PartialSessionContext, custom: Json, time: string): void {
  copyScalars(p, custom, ['agent_id', 'agent_type', 'agent_name', 'agent_display_name', 'stop_hook_active', 'stop_reason']);
  if (typeof p.agent_description === 'string') custom.agent_description = capText(redactSecrets(p.agent_description), 500);
  const agentId = stringOf(p.agent_id);
  const type = stringOf(p.agent_type) ?? stringOf(p.agent_name) ?? 'unknown';
  const started = event === 'SubagentStart';
  const message = typeof p.last_assistant_message === 'string' ? p.last_assistant_message.trim() : '';
  context.subagent_executions = [{
    subagent_type: capText(type, 200),
    task: agentId ? `agent ${capText(agentId, 200)}` : 'subagent',
    status: started ? 'running' : 'completed',
    started_at: time,
    completed_at: started ? null : time,
    result_summary: !started && message ? capText(redactSecrets(message), MAX_RESULT_CHARS) : null,
    ...(agentId ? { agent_id: capText(agentId, 200) } : {}),
  }];
}

function mapError(p: Json, context: PartialSessionContext, custom: Json, time: string): void {
  copyScalars(p, custom, ['error_context', 'recoverable']);
  const error = p.error;
  const message = isObject(error) ? stringOf(error.message) : stringOf(error);
  const name = isObject(error) ? stringOf(error.name) : undefined;
  const stack = isObject(error) ? stringOf(error.stack) : undefined;
  const where = stringOf(p.error_context);
  context.errors = [{
    error_type: capText(where ? `${where}_error` : name ?? 'agent_error', 100),
    message: capText(redactSecrets(`${name && name !== 'Error' ? `${name}: ` : ''}${message ?? (error === undefined ? 'error' : JSON.stringify(error))}`), MAX_OUTPUT_CHARS),
    stack_trace: stack ? capText(redactSecrets(stack), MAX_OUTPUT_CHARS) : null,
    timestamp: time,
  }];
}

// ---------------------------------------------------------------------------------------------
// Tool calls

type ToolKind = 'terminal' | 'create' | 'replace' | 'multi-replace' | 'edit' | 'patch' | 'delete' | 'read' | 'str-replace-editor' | 'subagent' | 'todo' | 'other';

/**
 * VS Code's tool names (the model-facing ones, `run_in_terminal`; the contributed ones,
 * `copilot_createFile`; the docs' examples, `runTerminalCommand`, `editFiles`), the Copilot
 * runtime's (`bash`, `create`, `edit`, `view`, `task`) and Claude's that the runtime reports
 * (`Bash`, `Write`, `Edit`, `Read`, `Agent`), compared lower-case without `_` / `-`.
 */
const TOOL_KINDS: Record<string, ToolKind> = {
  runinterminal: 'terminal', runterminalcommand: 'terminal', bash: 'terminal', powershell: 'terminal', shell: 'terminal',
  createfile: 'create', create: 'create', write: 'create', newfile: 'create',
  replacestringinfile: 'replace', replacestring: 'replace', edit: 'replace', strreplace: 'replace',
  multireplacestringinfile: 'multi-replace', multireplacestring: 'multi-replace', multiedit: 'multi-replace',
  inserteditintofile: 'edit', insertedit: 'edit', editfile: 'edit', editfiles: 'edit', editnotebookfile: 'edit', editnotebook: 'edit', notebookedit: 'edit',
  applypatch: 'patch',
  deletefile: 'delete', removefile: 'delete',
  readfile: 'read', view: 'read', read: 'read',
  strreplaceeditor: 'str-replace-editor',
  runsubagent: 'subagent', task: 'subagent', agent: 'subagent', subagent: 'subagent', searchsubagent: 'subagent',
  managetodolist: 'todo', updatetodo: 'todo', todowrite: 'todo',
};

export function toolKind(name: string): ToolKind {
  const key = name.toLowerCase().replace(/^(copilot|vscode)_/, '').replace(/[^a-z0-9]/g, '');
  return TOOL_KINDS[key] ?? 'other';
}

function mapToolEvent(event: string, p: Json, context: PartialSessionContext, custom: Json, time: string): void {
  const toolName = stringOf(p.tool_name) ?? 'unknown';
  const input: Json = isObject(p.tool_input) ? p.tool_input : p.tool_input === undefined ? {} : { value: p.tool_input };
  const kind = toolKind(toolName);
  custom.tool_name = capText(toolName, 200);
  if (typeof p.tool_use_id === 'string') custom.tool_use_id = capText(p.tool_use_id, 200);
  custom.tool_input = summarizeToolInput(input);

  const failed = event === 'PostToolUseFailure';
  if (event === 'PreToolUse') {
    custom.phase = 'pre';
    return;
  }
  custom.phase = failed ? 'failed' : 'post';
  const text = responseText(p);
  const resultType = isObject(p.tool_result) ? stringOf(p.tool_result.result_type) : undefined;
  if (resultType) custom.result_type = capText(resultType, 40);
  if (failed) {
    const message = errorText(p.error) ?? 'tool call failed';
    context.errors = [{ error_type: 'tool_failed', message: capText(redactSecrets(`${toolName}: ${message}`), MAX_OUTPUT_CHARS), stack_trace: null, timestamp: time }];
  } else if (resultType && /^(failure|error|denied|rejected)$/i.test(resultType) && kind !== 'terminal') {
    context.errors = [{ error_type: 'tool_failed', message: capText(redactSecrets(`${toolName}: ${lastLine(text ?? '') || resultType}`), MAX_OUTPUT_CHARS), stack_trace: null, timestamp: time }];
  }
  const ok = !failed && !context.errors;

  switch (kind) {
    case 'terminal':
      mapTerminal(toolName, input, text, resultType, failed, context, custom, time);
      return;
    case 'subagent':
      mapSubagentTool(input, text, failed, context, time);
      return;
    case 'todo': {
      const tasks = todoTasks(input, time);
      if (tasks.length > 0) context.tasks = tasks;
      return;
    }
    case 'other':
      if (ok && text !== undefined) custom.tool_response = capTail(redactSecrets(text), MAX_OUTPUT_CHARS);
      else if (ok && p.tool_response !== undefined) custom.tool_response = capUnknown(redactValue(p.tool_response));
      return;
    default:
      if (ok) {
        const files = fileChanges(kind, input, time);
        if (files.length > 0) context.files = files;
      }
  }
}

/** The tool's result as text: VS Code's `tool_response` string, the runtime's `tool_result.text_result_for_llm`. */
function responseText(p: Json): string | undefined {
  for (const value of [p.tool_response, p.tool_result]) {
    if (typeof value === 'string') return value;
    if (!isObject(value)) continue;
    for (const key of ['text_result_for_llm', 'text', 'output', 'value']) {
      if (typeof value[key] === 'string') return value[key] as string;
    }
    if (Array.isArray(value.content)) {
      const parts = value.content.map((part) => (isObject(part) ? stringOf(part.text) ?? stringOf(part.value) ?? '' : typeof part === 'string' ? part : ''));
      const joined = parts.join('\n').trim();
      if (joined) return joined;
    }
  }
  return undefined;
}

/** VS Code: "Command exited with code N" (only for N > 0); Copilot CLI: "<exited with exit code N>". */
const EXIT_CODE_PATTERNS = [/Command exited with code (-?\d+)/, /<exited with exit code (-?\d+)>/, /^Exit code:? (-?\d+)\s*$/im];
/** Lines the tool adds to the output, not the command's own. */
const TOOL_NOTE = /^(Command exited with code -?\d+|<exited with exit code -?\d+>|Command produced no output|Exit code:? -?\d+)\s*$/;

function mapTerminal(toolName: string, input: Json, text: string | undefined, resultType: string | undefined, failed: boolean, context: PartialSessionContext, custom: Json, time: string): void {
  const command = stringOf(input.command) ?? stringOf(input.commandLine) ?? stringOf(input.script) ?? '';
  if (command) context.commands_run = [capText(redactSecrets(command), MAX_OUTPUT_CHARS)];
  if (input.isBackground === true || input.async === true || input.mode === 'async') custom.background = true;
  if (failed || text === undefined) return;
  if (text) custom.output = { text: capTail(redactSecrets(text), MAX_OUTPUT_CHARS) };
  let exitCode: number | undefined;
  for (const pattern of EXIT_CODE_PATTERNS) {
    const match = pattern.exec(text);
    if (match) {
      exitCode = Number(match[1]);
      break;
    }
  }
  if (exitCode !== undefined) custom.exit_code = exitCode;
  const tail = outputTail(text);
  const label = firstLine(command) || toolName;
  if (exitCode !== undefined && exitCode !== 0) {
    context.errors = [{ error_type: 'command_failed', message: capText(redactSecrets(`${label}: exit code ${exitCode}${tail ? `: ${tail}` : ''}`), MAX_OUTPUT_CHARS), stack_trace: null, timestamp: time }];
  } else if (resultType && /^(failure|error|denied|rejected)$/i.test(resultType)) {
    context.errors = [{ error_type: /denied|rejected/i.test(resultType) ? 'command_denied' : 'command_failed', message: capText(redactSecrets(`${label}: ${tail || resultType}`), MAX_OUTPUT_CHARS), stack_trace: null, timestamp: time }];
  }
}

function outputTail(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !TOOL_NOTE.test(line));
  const line = lines[lines.length - 1] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function mapSubagentTool(input: Json, text: string | undefined, failed: boolean, context: PartialSessionContext, time: string): void {
  const type = stringOf(input.agentName) ?? stringOf(input.agent_name) ?? stringOf(input.agent_type) ?? stringOf(input.subagent_type) ?? stringOf(input.subagentType) ?? 'default';
  const prompt = stringOf(input.prompt) ?? stringOf(input.query);
  const task = stringOf(input.description) ?? (prompt ? firstLine(prompt) : '');
  context.subagent_executions = [{
    subagent_type: capText(type, 200),
    task: capText(redactSecrets(task), 500),
    status: failed ? 'failed' : 'completed',
    started_at: time,
    completed_at: time,
    result_summary: !failed && text ? capText(redactSecrets(text.trim()), MAX_RESULT_CHARS) : null,
  }];
}

type FileChange = NonNullable<PartialSessionContext['files']>[number];

function pathOf(value: Json): string | undefined {
  for (const key of ['filePath', 'file_path', 'path', 'notebook_path', 'notebookPath', 'uri', 'file']) {
    const found = stringOf(value[key]);
    if (found) return found;
  }
  return undefined;
}

const textOf = (value: Json, keys: readonly string[]): string | undefined => {
  for (const key of keys) if (typeof value[key] === 'string') return value[key] as string;
  return undefined;
};
const OLD_KEYS = ['oldString', 'old_str', 'old_string'] as const;
const NEW_KEYS = ['newString', 'new_str', 'new_string'] as const;
const CONTENT_KEYS = ['content', 'file_text', 'fileText', 'contents', 'text'] as const;

function fileChanges(kind: ToolKind, input: Json, time: string): FileChange[] {
  const path = pathOf(input);
  const change = (file: string, action: FileChange['action'], added: number | null, removed: number | null): FileChange =>
    ({ path: file, action, lines_added: added, lines_removed: removed, timestamp: time });
  switch (kind) {
    case 'create': {
      if (!path) return [];
      const content = textOf(input, CONTENT_KEYS);
      return [change(path, 'created', content !== undefined ? countLines(content) : null, content !== undefined ? 0 : null)];
    }
    case 'replace': {
      if (!path) return [];
      const before = textOf(input, OLD_KEYS);
      const after = textOf(input, NEW_KEYS);
      return [change(path, 'modified', after !== undefined && before !== undefined ? countLines(after) : null, after !== undefined && before !== undefined ? countLines(before) : null)];
    }
    case 'multi-replace':
      return multiReplace(input, path, time);
    case 'edit': {
      const paths = path ? [path] : filesList(input.files);
      return paths.map((file) => change(file, 'modified', null, null));
    }
    case 'patch': {
      const patch = textOf(input, ['input', 'patch', 'diff']);
      return patch ? patchChanges(patch, time) : [];
    }
    case 'delete':
      return path ? [change(path, 'deleted', null, null)] : [];
    case 'read':
      return path ? [change(path, 'read', null, null)] : [];
    case 'str-replace-editor': {
      if (!path) return [];
      const command = stringOf(input.command);
      if (command === 'view') return [change(path, 'read', null, null)];
      if (command === 'create') return fileChanges('create', input, time);
      if (command === 'str_replace') return fileChanges('replace', input, time);
      if (command === 'insert') {
        const added = textOf(input, NEW_KEYS);
        return [change(path, 'modified', added !== undefined ? countLines(added) : null, added !== undefined ? 0 : null)];
      }
      return [change(path, 'modified', null, null)];
    }
    default:
      return [];
  }
}

function filesList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, 200).map((item) => (typeof item === 'string' ? item : isObject(item) ? pathOf(item) : undefined))
    .filter((item): item is string => item !== undefined && item !== '');
}

/** VS Code's multi_replace_string_in_file `{replacements: [{filePath, oldString, newString}]}`, Claude's MultiEdit `{file_path, edits}`. */
function multiReplace(input: Json, topPath: string | undefined, time: string): FileChange[] {
  const list = Array.isArray(input.replacements) ? input.replacements : Array.isArray(input.edits) ? input.edits : [];
  const byPath = new Map<string, FileChange>();
  for (const item of list.slice(0, 500)) {
    if (!isObject(item)) continue;
    const file = pathOf(item) ?? topPath;
    if (!file) continue;
    const before = textOf(item, OLD_KEYS);
    const after = textOf(item, NEW_KEYS);
    const entry = byPath.get(file) ?? { path: file, action: 'modified', lines_added: 0, lines_removed: 0, timestamp: time };
    if (before === undefined || after === undefined || entry.lines_added === null) {
      entry.lines_added = null;
      entry.lines_removed = null;
    } else {
      entry.lines_added = (entry.lines_added ?? 0) + countLines(after);
      entry.lines_removed = (entry.lines_removed ?? 0) + countLines(before);
    }
    byPath.set(file, entry);
  }
  return [...byPath.values()];
}

/**
 * The apply_patch format: `*** Begin Patch`, then per file `*** Add File: p` (every line `+`),
 * `*** Update File: p` (optionally `*** Move to: q`, then `@@` hunks of ` `/`-`/`+` lines) or
 * `*** Delete File: p`, then `*** End Patch`. Counted, never kept.
 */
export function patchChanges(patch: string, time: string): FileChange[] {
  const out: FileChange[] = [];
  let current: FileChange | undefined;
  for (const raw of patch.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const header = /^\*\*\* (Add|Update|Delete) File: (.+)$/.exec(line);
    if (header) {
      const action = header[1] === 'Add' ? 'created' : header[1] === 'Delete' ? 'deleted' : 'modified';
      current = { path: header[2]!.trim(), action, lines_added: action === 'deleted' ? null : 0, lines_removed: action === 'deleted' ? null : 0, timestamp: time };
      out.push(current);
      continue;
    }
    const moved = /^\*\*\* Move to: (.+)$/.exec(line);
    if (moved && current) {
      current.path = moved[1]!.trim();
      continue;
    }
    if (!current || current.action === 'deleted' || line.startsWith('***')) continue;
    if (line.startsWith('+')) current.lines_added = (current.lines_added ?? 0) + 1;
    else if (line.startsWith('-')) current.lines_removed = (current.lines_removed ?? 0) + 1;
  }
  return out.slice(0, 200);
}

const TODO_STATUS: Record<string, 'pending' | 'in_progress' | 'completed' | 'failed'> = {
  'not-started': 'pending', not_started: 'pending', pending: 'pending', todo: 'pending',
  'in-progress': 'in_progress', in_progress: 'in_progress', 'in progress': 'in_progress',
  completed: 'completed', done: 'completed', failed: 'failed', cancelled: 'failed', canceled: 'failed',
};

/** VS Code's manage_todo_list `{todoList: [{id, title, description, status}]}`; `{todos: [{content, status}]}` elsewhere. */
function todoTasks(input: Json, time: string): NonNullable<PartialSessionContext['tasks']> {
  const list = Array.isArray(input.todoList) ? input.todoList : Array.isArray(input.todos) ? input.todos : [];
  const tasks: NonNullable<PartialSessionContext['tasks']> = [];
  for (const todo of list.slice(0, 200)) {
    if (!isObject(todo)) continue;
    const description = stringOf(todo.title) ?? stringOf(todo.content) ?? stringOf(todo.description);
    if (!description) continue;
    const status = TODO_STATUS[String(todo.status).toLowerCase()] ?? 'pending';
    tasks.push({
      description: capText(redactSecrets(description), 500),
      status,
      started_at: status === 'pending' ? null : time,
      completed_at: status === 'completed' || status === 'failed' ? time : null,
      subagent: null,
    });
  }
  return tasks;
}

/** Keys whose values are file contents or edits: only their size is kept. */
const CONTENT_INPUT_KEYS = new Set(['content', 'contents', 'file_text', 'fileText', 'text', 'oldString', 'newString', 'old_str', 'new_str', 'old_string', 'new_string', 'code', 'newCode', 'new_source', 'input', 'patch', 'diff']);
const LIST_INPUT_KEYS = new Set(['replacements', 'edits', 'todoList', 'todos']);

/** What a tool call was asked to do, without file contents (sizes instead), secrets redacted. */
function summarizeToolInput(input: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(input)) {
    if (CONTENT_INPUT_KEYS.has(key) && typeof value === 'string') {
      out[`${key}_chars`] = value.length;
    } else if (LIST_INPUT_KEYS.has(key) && Array.isArray(value)) {
      out[`${key}_count`] = value.length;
    } else if (typeof value === 'string') {
      out[key] = capText(redactSecrets(value), key === 'command' ? MAX_OUTPUT_CHARS : 1_000);
    } else {
      out[key] = capUnknown(redactValue(value), 2_000);
    }
  }
  return out;
}

function errorText(error: unknown): string | undefined {
  if (typeof error === 'string') return error || undefined;
  if (isObject(error) && typeof error.message === 'string') return error.message;
  if (error === undefined || error === null) return undefined;
  return JSON.stringify(error);
}
