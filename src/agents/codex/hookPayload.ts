// Codex CLI payloads -> one buffer entry each. Pure: no I/O, no vscode, nothing heavy.
// Two sources (facts and where they come from: FORMAT.md beside this file):
// - `codex-hook`: a hook event, JSON on stdin (hooks.json). Common keys session_id,
//   transcript_path (may be null), cwd, hook_event_name, model, permission_mode, turn_id (turn
//   events), agent_id / agent_type (inside a subagent); per event prompt, source, tool_name,
//   tool_input, tool_response, tool_use_id, last_assistant_message, stop_hook_active, trigger,
//   reason, error, error_details.
// - `codex-notify`: the `notify` program's one JSON argument: type (agent-turn-complete),
//   thread-id, turn-id, cwd, input-messages, last-assistant-message, client.
//
// Choices, as for Claude Code (../claude-code/hookPayload.ts): extraction_source `native`,
// context types in the crate's vocabulary, commands and files from PostToolUse only (PreToolUse
// records the intent in `custom.tool`), never file contents (an apply_patch gives paths and
// counted lines), anything not understood kept in `custom`, capped and redacted.
import type { PartialSessionContext } from '../../core/schema';
import {
  capTail, capText, capUnknown, copyScalars, describeType, firstLine, isObject, lastLine,
  MAX_MESSAGE_CHARS, MAX_OUTPUT_CHARS, redactSecrets, redactValue, unknownFields, type Json,
} from '../shared/payload';

export const CODEX_AGENT = 'codex';
export const CODEX_EXTRACTION_SOURCE = 'native';

export interface CodexEntry {
  context: PartialSessionContext;
  contextType: string;
}

type Message = NonNullable<PartialSessionContext['conversation']>[number];
type FileChange = NonNullable<PartialSessionContext['files']>[number];

const COMMON_KEYS = ['session_id', 'transcript_path', 'cwd', 'hook_event_name', 'model', 'permission_mode', 'turn_id', 'agent_id', 'agent_type'] as const;

const EVENT_KEYS: Record<string, readonly string[]> = {
  SessionStart: ['source'],
  UserPromptSubmit: ['prompt'],
  PreToolUse: ['tool_name', 'tool_input', 'tool_use_id'],
  PermissionRequest: ['tool_name', 'tool_input'],
  PostToolUse: ['tool_name', 'tool_input', 'tool_use_id', 'tool_response'],
  Stop: ['stop_hook_active', 'last_assistant_message'],
  StopFailure: ['error', 'error_details', 'last_assistant_message'],
  SubagentStart: [],
  SubagentStop: ['stop_hook_active', 'last_assistant_message', 'agent_transcript_path'],
  PreCompact: ['trigger'],
  PostCompact: ['trigger'],
  SessionEnd: ['reason'],
};

const CONTEXT_TYPES: Record<string, string> = {
  SessionStart: 'session-start',
  UserPromptSubmit: 'checkpoint',
  PreToolUse: 'tool-use',
  PermissionRequest: 'tool-use',
  PostToolUse: 'tool-use',
  Stop: 'checkpoint',
  StopFailure: 'error',
  SubagentStart: 'checkpoint',
  SubagentStop: 'checkpoint',
  PreCompact: 'compact',
  PostCompact: 'compact',
  SessionEnd: 'session-end',
};

/** Codex's shell tools: `Bash` in hook payloads; the model-facing names in other builds. */
const SHELL_TOOLS = new Set(['Bash', 'shell', 'exec_command', 'local_shell', 'container.exec', 'shell_command', 'unified_exec']);
const PATCH_TOOLS = new Set(['apply_patch', 'ApplyPatch']);

function baseContext(sessionId: unknown, now: string, custom: Json): PartialSessionContext {
  return {
    agent_type: CODEX_AGENT,
    session_id: typeof sessionId === 'string' && sessionId !== '' ? sessionId : null,
    extraction_started: now,
    extraction_completed: now,
    extraction_source: CODEX_EXTRACTION_SOURCE,
    custom,
  };
}

function message(role: 'user' | 'assistant', text: string, now: string): Message {
  return { role, content: capText(redactSecrets(text), MAX_MESSAGE_CHARS), timestamp: now };
}

/**
 * Maps one Codex hook payload (stdin of a hooks.json command) to a buffer entry. Throws a
 * one-line Error only when it is not a JSON object with a string `hook_event_name`.
 */
export function codexHookToEntry(payload: unknown, now: string = new Date().toISOString()): CodexEntry {
  if (!isObject(payload)) throw new Error(`Codex hook payload must be a JSON object, got ${describeType(payload)}`);
  const p = payload;
  const event = p.hook_event_name;
  if (typeof event !== 'string' || event.trim() === '') {
    throw new Error('Codex hook payload has no "hook_event_name" string (is this the JSON a Codex hook receives on stdin?)');
  }
  const custom: Json = { capture: 'codex-hook', hook_event_name: event };
  copyScalars(p, custom, COMMON_KEYS.filter((key) => key !== 'session_id' && key !== 'hook_event_name'));
  const context = baseContext(p.session_id, now, custom);
  const known = new Set<string>([...COMMON_KEYS, ...(EVENT_KEYS[event] ?? [])]);

  switch (event) {
    case 'SessionStart':
      copyScalars(p, custom, ['source']);
      break;
    case 'UserPromptSubmit':
      if (typeof p.prompt === 'string') context.conversation = [message('user', p.prompt, now)];
      break;
    case 'PreToolUse':
    case 'PermissionRequest':
    case 'PostToolUse':
      mapToolEvent(event, p, context, custom, now);
      break;
    case 'Stop':
    case 'SubagentStop':
    case 'StopFailure': {
      copyScalars(p, custom, ['stop_hook_active', 'agent_transcript_path']);
      const last = typeof p.last_assistant_message === 'string' && p.last_assistant_message !== '' ? p.last_assistant_message : undefined;
      if (last !== undefined) context.conversation = [message('assistant', last, now)];
      if (event === 'SubagentStop') {
        context.subagent_executions = [{
          subagent_type: typeof p.agent_type === 'string' && p.agent_type !== '' ? p.agent_type : 'default',
          task: typeof p.agent_id === 'string' ? `subagent ${p.agent_id}` : 'subagent',
          status: 'completed',
          started_at: now,
          completed_at: now,
          result_summary: last !== undefined ? capText(redactSecrets(last), 1_000) : null,
        }];
      }
      if (event === 'StopFailure') {
        const kind = typeof p.error === 'string' && p.error !== '' ? p.error : 'unknown';
        const details = typeof p.error_details === 'string' && p.error_details !== '' ? `: ${p.error_details}` : '';
        custom.error = kind;
        context.errors = [{
          error_type: `turn_failed_${kind}`,
          message: capText(redactSecrets(`the turn failed (${kind})${details}`), MAX_OUTPUT_CHARS),
          stack_trace: null,
          timestamp: now,
        }];
      }
      break;
    }
    case 'SubagentStart':
      context.subagent_executions = [{
        subagent_type: typeof p.agent_type === 'string' && p.agent_type !== '' ? p.agent_type : 'default',
        task: typeof p.agent_id === 'string' ? `subagent ${p.agent_id}` : 'subagent',
        status: 'running',
        started_at: now,
        completed_at: null,
        result_summary: null,
      }];
      break;
    case 'PreCompact':
    case 'PostCompact':
      copyScalars(p, custom, ['trigger']);
      custom.phase = event === 'PreCompact' ? 'pre' : 'post';
      break;
    case 'SessionEnd':
      copyScalars(p, custom, ['reason']);
      break;
    default:
      break;
  }

  const rest = unknownFields(p, known);
  if (rest) custom.hook = rest;
  return { context, contextType: CONTEXT_TYPES[event] ?? 'checkpoint' };
}

function mapToolEvent(event: string, p: Json, context: PartialSessionContext, custom: Json, now: string): void {
  const toolName = typeof p.tool_name === 'string' && p.tool_name !== '' ? p.tool_name : 'unknown';
  const input: Json = isObject(p.tool_input) ? p.tool_input : {};
  custom.tool_name = toolName;
  if (typeof p.tool_use_id === 'string') custom.tool_use_id = p.tool_use_id;
  custom.phase = event === 'PreToolUse' ? 'pre' : event === 'PermissionRequest' ? 'permission' : 'post';
  const isShell = SHELL_TOOLS.has(toolName);
  const isPatch = PATCH_TOOLS.has(toolName) || (isShell && patchOfShellCommand(commandText(input)) !== undefined);
  const patchText = isPatch ? patchTextOf(input) : undefined;
  custom.tool_input = summarizeToolInput(input, patchText);
  if (patchText !== undefined) custom.patch_files = parsePatch(patchText).map((file) => `${file.action} ${file.path}`).slice(0, 100);
  if (event !== 'PostToolUse') return;

  const response = p.tool_response;
  if (isPatch && patchText !== undefined) {
    const outcome = toolOutcome(response);
    if (outcome.output !== undefined) custom.output = outcome.output;
    if (outcome.exitCode !== undefined) custom.exit_code = outcome.exitCode;
    const failed = outcome.exitCode !== undefined ? outcome.exitCode !== 0 : outcome.text !== undefined && looksLikePatchFailure(outcome.text);
    if (failed) {
      context.errors = [{
        error_type: 'patch_failed',
        message: capText(redactSecrets(`apply_patch: ${lastLine(outcome.text ?? '') || `exit code ${outcome.exitCode}`}`), MAX_OUTPUT_CHARS),
        stack_trace: null,
        timestamp: now,
      }];
      return;
    }
    const files = parsePatch(patchText).slice(0, 200).map((file): FileChange => ({ ...file, path: resolvePath(file.path, p.cwd), timestamp: now }));
    if (files.length > 0) context.files = files;
    return;
  }
  if (isShell) {
    const command = commandText(input);
    if (command) context.commands_run = [capText(redactSecrets(command), MAX_OUTPUT_CHARS)];
    const outcome = toolOutcome(response);
    if (outcome.output !== undefined) custom.output = outcome.output;
    if (outcome.exitCode !== undefined) custom.exit_code = outcome.exitCode;
    const failure = shellFailure(outcome);
    if (failure) {
      context.errors = [{
        error_type: 'command_failed',
        message: capText(redactSecrets(`${firstLine(command) || toolName}: ${failure}`), MAX_OUTPUT_CHARS),
        stack_trace: null,
        timestamp: now,
      }];
    }
    return;
  }
  if (response !== undefined) custom.tool_response = capUnknown(redactValue(response));
  if (isObject(response) && response.isError === true) {
    context.errors = [{
      error_type: 'tool_failed',
      message: capText(redactSecrets(`${toolName}: ${errorTextOf(response) ?? 'failed'}`), MAX_OUTPUT_CHARS),
      stack_trace: null,
      timestamp: now,
    }];
  }
}

/**
 * The command line of a shell tool call: `tool_input.command` as a string (hooks), or an argv
 * array (`shell` / `local_shell`: `["bash", "-lc", "npm test"]`), or `cmd` (`exec_command`).
 */
export function commandText(input: Json): string {
  const value = input.command ?? input.cmd;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((word) => typeof word === 'string')) {
    const words = value as string[];
    // A shell wrapper: the script is what was run.
    if (words.length >= 3 && /(^|\/)(ba|z|da|k)?sh$/.test(words[0]!) && /^-[a-z]*c[a-z]*$/.test(words[1]!)) return words.slice(2).join(' ');
    return words.map(quoteWord).join(' ');
  }
  return '';
}

function quoteWord(word: string): string {
  return /^[A-Za-z0-9_/.:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The patch of an apply_patch call: `command` (hooks), `input` / `patch` (other builds), or an argv. */
function patchTextOf(input: Json): string | undefined {
  for (const value of [input.command, input.input, input.patch]) {
    if (typeof value === 'string' && value.includes('*** Begin Patch')) return value;
    if (Array.isArray(value)) {
      const found = value.find((word): word is string => typeof word === 'string' && word.includes('*** Begin Patch'));
      if (found) return found;
    }
  }
  const command = commandText(input);
  return patchOfShellCommand(command);
}

/** A shell command that runs `apply_patch <<'EOF' … EOF` (how models also call it). */
function patchOfShellCommand(command: string): string | undefined {
  if (!/\bapply_patch\b/.test(command)) return undefined;
  const start = command.indexOf('*** Begin Patch');
  if (start === -1) return undefined;
  const end = command.indexOf('*** End Patch', start);
  return end === -1 ? command.slice(start) : command.slice(start, end + '*** End Patch'.length);
}

export interface PatchedFile {
  path: string;
  action: 'created' | 'modified' | 'deleted';
  lines_added: number | null;
  lines_removed: number | null;
}

/**
 * The files of an apply_patch patch (`*** Add File:`, `*** Update File:` with an optional
 * `*** Move to:`, `*** Delete File:`), with their `+` / `-` lines counted. A deleted file's
 * removed lines are not in the patch (null); a move is the old path deleted and the new one
 * created with the old file's lines plus the hunks' changes (counts of the hunks only).
 */
export function parsePatch(patch: string): PatchedFile[] {
  const files: PatchedFile[] = [];
  let current: PatchedFile | undefined;
  let counting: 'added-only' | 'both' | 'none' = 'none';
  for (const raw of patch.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const header = /^\*\*\* (Add|Update|Delete) File: (.+)$/.exec(line);
    if (header) {
      const kind = header[1]!;
      const path = header[2]!.trim();
      current = kind === 'Add' ? { path, action: 'created', lines_added: 0, lines_removed: 0 }
        : kind === 'Delete' ? { path, action: 'deleted', lines_added: 0, lines_removed: null }
          : { path, action: 'modified', lines_added: 0, lines_removed: 0 };
      counting = kind === 'Add' ? 'added-only' : kind === 'Delete' ? 'none' : 'both';
      files.push(current);
      continue;
    }
    const move = /^\*\*\* Move to: (.+)$/.exec(line);
    if (move && current?.action === 'modified') {
      const target: PatchedFile = { path: move[1]!.trim(), action: 'created', lines_added: current.lines_added, lines_removed: current.lines_removed };
      files.splice(files.length - 1, 1, { path: current.path, action: 'deleted', lines_added: 0, lines_removed: null }, target);
      current = target;
      continue;
    }
    if (!current || counting === 'none' || line.startsWith('***') || line.startsWith('@@')) continue;
    if (line.startsWith('+')) current.lines_added = (current.lines_added ?? 0) + 1;
    else if (line.startsWith('-') && counting === 'both') current.lines_removed = (current.lines_removed ?? 0) + 1;
  }
  // A file a patch names twice (an update after an add) is kept once, with the counts summed.
  const merged = new Map<string, PatchedFile>();
  for (const file of files) {
    const seen = merged.get(file.path);
    if (!seen) { merged.set(file.path, { ...file }); continue; }
    if (file.action === 'deleted') { merged.set(file.path, { ...file }); continue; }
    seen.lines_added = sum(seen.lines_added, file.lines_added);
    seen.lines_removed = sum(seen.lines_removed, file.lines_removed);
  }
  return [...merged.values()];
}

function sum(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

/** A patch path as Codex resolves it: relative to the session's cwd. */
function resolvePath(file: string, cwd: unknown): string {
  if (typeof cwd !== 'string' || cwd === '' || file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file)) return file;
  const sep = cwd.includes('\\') && !cwd.includes('/') ? '\\' : '/';
  const parts = `${cwd.replace(/[\\/]+$/, '')}${sep}${file}`.split(/[\\/]/);
  const out: string[] = [];
  for (const part of parts) {
    if (part === '..' && out.length > 1) out.pop();
    else if (part !== '.') out.push(part);
  }
  return out.join(sep);
}

interface ToolOutcome {
  /** The output as text (a string response, or its output / stdout / stderr). */
  text?: string;
  exitCode?: number;
  output?: Json;
}

/**
 * Reads a tool_response. Codex's hooks send a shell tool's output as a plain string (no exit
 * status: "hello\n"), apply_patch's as the tool's text ("Exit code: 0\nWall time: …\nOutput:\n…");
 * other builds give `{output, exit_code}` / `{stdout, stderr, exit_code}` / "Process exited
 * with code N". Whatever states an exit code is used.
 */
function toolOutcome(response: unknown): ToolOutcome {
  if (typeof response === 'string') {
    const exitCode = exitCodeInText(response);
    return response === '' ? { ...(exitCode !== undefined ? { exitCode } : {}) }
      : { text: response, output: { text: capTail(redactSecrets(response), MAX_OUTPUT_CHARS) }, ...(exitCode !== undefined ? { exitCode } : {}) };
  }
  if (!isObject(response)) return {};
  const parts: string[] = [];
  const output: Json = {};
  for (const key of ['output', 'stdout', 'stderr', 'aggregated_output', 'formatted_output']) {
    const value = response[key];
    if (typeof value === 'string' && value !== '') {
      parts.push(value);
      output[key] = capTail(redactSecrets(value), MAX_OUTPUT_CHARS);
    }
  }
  const metadata = isObject(response.metadata) ? response.metadata : {};
  const code = [response.exit_code, response.exitCode, metadata.exit_code]
    .find((value): value is number => typeof value === 'number' && Number.isInteger(value));
  const text = parts.join('\n');
  const exitCode = code ?? (text ? exitCodeInText(text) : undefined);
  return {
    ...(text ? { text } : {}),
    ...(Object.keys(output).length > 0 ? { output } : {}),
    ...(exitCode !== undefined ? { exitCode } : {}),
  };
}

function exitCodeInText(text: string): number | undefined {
  const match = /^(?:Exit code: |Process exited with code )(-?\d+)\s*$/m.exec(text.slice(0, 2_000));
  return match ? Number(match[1]) : undefined;
}

/** Why a shell call failed, when it did (an exit status, or an error message in the output). */
function shellFailure(outcome: ToolOutcome): string | undefined {
  const tail = lastLine(stripToolPreamble(outcome.text ?? ''));
  if (outcome.exitCode !== undefined) return outcome.exitCode === 0 ? undefined : `exit code ${outcome.exitCode}${tail ? `: ${tail}` : ''}`;
  // No exit status in the payload (Codex's hooks give only the output): an output whose
  // last line reads like an error counts as a failure, e.g. "ls: cannot access 'x': No such file".
  if (tail && looksLikeFailure(tail)) return tail;
  return undefined;
}

function stripToolPreamble(text: string): string {
  const at = /^Output:\n/m.exec(text);
  return at ? text.slice(at.index + at[0].length) : text;
}

function looksLikeFailure(line: string): boolean {
  return /\b(error|fatal|not found|no such file|permission denied|failed|cannot|traceback|command not found|exception)\b/i.test(line);
}

function looksLikePatchFailure(text: string): boolean {
  return !/\bSuccess\b/.test(text) && /\b(error|failed|invalid|cannot|not found|verification)\b/i.test(text);
}

function errorTextOf(response: Json): string | undefined {
  const content = response.content;
  if (Array.isArray(content)) {
    const text = content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')).join('\n').trim();
    if (text) return firstLine(text);
  }
  return typeof response.error === 'string' ? firstLine(response.error) : undefined;
}

/** What a tool call was asked to do: strings capped and redacted, a patch as its size only. */
function summarizeToolInput(input: Json, patchText: string | undefined): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(input)) {
    if (patchText !== undefined && (value === patchText || (typeof value === 'string' && value.includes('*** Begin Patch')))) {
      out[`${key}_chars`] = (value as string).length;
    } else if (typeof value === 'string') {
      out[key] = capText(redactSecrets(value), key === 'command' || key === 'cmd' ? MAX_OUTPUT_CHARS : 1_000);
    } else {
      out[key] = capUnknown(redactValue(value), 2_000);
    }
  }
  return out;
}

/**
 * Maps the `notify` program's JSON (the last argument) to a buffer entry: the turn's user
 * messages and the assistant's last message. Throws a one-line Error only when it is not a JSON
 * object with a string `type`.
 */
export function codexNotifyToEntry(payload: unknown, now: string = new Date().toISOString()): CodexEntry {
  if (!isObject(payload)) throw new Error(`Codex notify payload must be a JSON object, got ${describeType(payload)}`);
  const p = payload;
  if (typeof p.type !== 'string' || p.type.trim() === '') {
    throw new Error('Codex notify payload has no "type" string (is this the JSON Codex appends to the notify command?)');
  }
  const custom: Json = { capture: 'codex-notify', notify_type: p.type };
  const context = baseContext(p['thread-id'], now, custom);
  copyScalars(p, custom, ['turn-id', 'cwd', 'client']);
  const conversation: Message[] = [];
  const inputs = p['input-messages'];
  if (Array.isArray(inputs)) {
    for (const text of inputs.slice(0, 50)) if (typeof text === 'string' && text !== '') conversation.push(message('user', text, now));
  } else if (typeof inputs === 'string' && inputs !== '') {
    conversation.push(message('user', inputs, now));
  }
  const last = p['last-assistant-message'];
  if (typeof last === 'string' && last !== '') conversation.push(message('assistant', last, now));
  if (conversation.length > 0) context.conversation = conversation;
  const rest = unknownFields(p, new Set(['type', 'thread-id', 'turn-id', 'cwd', 'client', 'input-messages', 'last-assistant-message']));
  if (rest) custom.notify = rest;
  return { context, contextType: 'checkpoint' };
}
