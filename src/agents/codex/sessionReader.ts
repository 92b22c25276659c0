// Codex's own rollouts (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`) -> buffer
// entries, for `nexus-buffer import`. Facts: FORMAT.md beside this file ("Session files").
//
// Lines are `{timestamp, type, payload}`. Codex gives its lines no id of their own, and a rollout
// only grows (a resumed session appends to it), so a record's id is the session's id with the
// line's number (`native-codex-<session>-L<n>`), or, for a tool call's outcome, with its
// `call_id`. What a line means goes through the hook mapping (hookPayload.ts) as the hook
// payload of the same moment: the person's message a UserPromptSubmit, the model's a Stop, a
// `function_call_output` / `custom_tool_call_output` with its call (carried from an earlier
// line) a PostToolUse. Bookkeeping (token counts, turn contexts, world state, the event_msg
// duplicates of response items) gives no record.
import * as path from 'node:path';
import { isObject, stringOf, type Json } from '../shared/payload';
import { instantOf } from '../shared/instant';
import { readJsonLines, type JsonLine } from '../shared/jsonLines';
import { findFiles, firstLines, oneLinePrompt } from '../shared/sessionFiles';
import { bareRecord, sessionRecord, type LineSource } from '../shared/sessionRecord';
import type { HookPlaces, SessionFileInfo, SessionReadResult, SessionReadStart, SessionRecord, SessionSource } from '../types';
import { CODEX_AGENT, codexHookToEntry } from './hookPayload';
import { codexHome } from './installer';

const BOOKKEEPING = new Set(['turn_context', 'event_msg', 'world_state', 'token_usage_record']);
const QUIET_ITEMS = new Set(['reasoning', 'web_search_call', 'ghost_snapshot']);
const MAX_CARRIED = 500;

interface Carry {
  sessionId?: string;
  cwd?: string;
  calls: Record<string, { name: string; input: Json }>;
}

export function codexSessionsDir(places: HookPlaces): string {
  return path.join(codexHome(places), 'sessions');
}

/** The id at the end of `rollout-<time>-<id>.jsonl`. */
function idFromName(file: string): string {
  const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i.exec(path.basename(file));
  return m ? m[1]! : path.basename(file, '.jsonl');
}

export const codexSessions: SessionSource = {
  roots: (places) => [codexSessionsDir(places)],
  async list(places) {
    const files = await findFiles(codexSessionsDir(places), (name) => name.startsWith('rollout-') && name.endsWith('.jsonl'), 3);
    const infos: SessionFileInfo[] = [];
    for (const found of files) {
      const lines = await firstLines(found.file);
      const meta = lines.find((l) => l.value.type === 'session_meta')?.value.payload;
      const prompt = lines.map((l) => userText(l.value)).find((t) => t !== undefined);
      infos.push({
        agent: CODEX_AGENT,
        file: found.file,
        sessionId: (isObject(meta) ? stringOf(meta.id) : undefined) ?? idFromName(found.file),
        project: isObject(meta) ? stringOf(meta.cwd) ?? null : null,
        firstPrompt: prompt ? oneLinePrompt(prompt) : null,
        startedAt: instantOf(lines[0]?.value.timestamp) ?? new Date(found.mtimeMs).toISOString(),
        modifiedAt: new Date(found.mtimeMs).toISOString(),
        bytes: found.bytes,
      });
    }
    return infos;
  },
  read: readCodexSession,
};

/** The person's text of a `response_item` user message (not the context Codex adds itself). */
function userText(value: Json): string | undefined {
  const p = value.payload;
  if (value.type !== 'response_item' || !isObject(p) || p.type !== 'message' || p.role !== 'user') return undefined;
  const text = messageText(p);
  if (/^\s*<(environment_context|user_instructions|permissions|skills_instructions|turn_aborted)\b/.test(text)) return undefined;
  return text.trim() === '' ? undefined : text;
}

function messageText(p: Json): string {
  if (!Array.isArray(p.content)) return typeof p.content === 'string' ? p.content : '';
  return p.content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')).join('\n');
}

export async function readCodexSession(file: string, start: SessionReadStart): Promise<SessionReadResult> {
  const read = await readJsonLines(file, start.offset, start.line);
  const carry: Carry = !read.restarted && isObject(start.carry) && isObject(start.carry.calls)
    ? { ...(start.carry as unknown as Carry), calls: { ...(start.carry.calls as Carry['calls']) } }
    : { calls: {} };
  carry.sessionId ??= idFromName(file);
  const records: SessionRecord[] = [];
  const problems = [...read.problems];
  for (const line of read.lines) {
    try {
      const result = recordOf(file, line, carry);
      if (result.record) records.push(result.record);
      if (result.problem) problems.push({ file, line: line.line, message: result.problem });
    } catch (error) {
      problems.push({ file, line: line.line, message: `could not be read (${(error as Error).message}); skipped` });
    }
  }
  const keys = Object.keys(carry.calls);
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_CARRIED))) delete carry.calls[old];
  return { records, problems, next: { ...read.next, carry } };
}

function recordOf(file: string, line: JsonLine, carry: Carry): { record?: SessionRecord; problem?: string } {
  const v = line.value;
  const type = typeof v.type === 'string' ? v.type : '';
  const p = isObject(v.payload) ? v.payload : {};
  const itemType = typeof p.type === 'string' ? p.type : '';
  const source: LineSource = { agent: CODEX_AGENT, file, line: line.line, lineType: itemType ? `${type}/${itemType}` : type || 'unknown' };
  const timestamp = instantOf(v.timestamp);
  if (type === 'session_meta') {
    carry.sessionId = stringOf(p.id) ?? carry.sessionId;
    carry.cwd = stringOf(p.cwd) ?? carry.cwd;
    const at = timestamp ?? instantOf(p.timestamp);
    if (!at) return { problem: 'session_meta without a valid timestamp; skipped' };
    const custom: Json = {};
    for (const key of ['cwd', 'originator', 'cli_version', 'source', 'model_provider']) if (typeof p[key] === 'string') custom[key] = p[key];
    return { record: bareRecord({ ...source, lineType: 'session-start' }, `${carry.sessionId}-start`, at, carry.sessionId ?? null, 'session-start', custom) };
  }
  if (type === 'turn_context' && typeof p.cwd === 'string') carry.cwd = p.cwd;
  if (BOOKKEEPING.has(type)) return {};
  if (!timestamp) return { problem: `a ${type || 'line'} without a valid timestamp (${JSON.stringify(v.timestamp ?? null)}); skipped` };
  const session = carry.sessionId ?? null;
  const base: Json = { session_id: session, cwd: carry.cwd };
  const hook = (payload: Json) => codexHookToEntry({ ...base, ...payload }, timestamp);
  const lineId = `${session}-L${line.line}`;
  if (type === 'compacted') {
    const message = typeof p.message === 'string' ? p.message : '';
    return { record: sessionRecord(source, lineId, timestamp, session, { context: message ? { insights: [`Summary of the compacted conversation:\n\n${message}`] } : {}, contextType: 'compact' }) };
  }
  if (type !== 'response_item') return { problem: `unknown line type ${JSON.stringify(type || null)}; skipped` };
  switch (itemType) {
    case 'message': {
      if (p.role === 'user') {
        const text = userText(v);
        return text === undefined ? {} : { record: sessionRecord(source, lineId, timestamp, session, hook({ hook_event_name: 'UserPromptSubmit', prompt: text })) };
      }
      if (p.role === 'assistant') {
        const text = messageText(p);
        return text.trim() === '' ? {} : { record: sessionRecord(source, lineId, timestamp, session, hook({ hook_event_name: 'Stop', last_assistant_message: text })) };
      }
      return {}; // developer / system instructions
    }
    case 'function_call':
    case 'custom_tool_call':
    case 'local_shell_call': {
      const id = stringOf(p.call_id) ?? stringOf(p.id);
      if (id) carry.calls[id] = { name: stringOf(p.name) ?? (itemType === 'local_shell_call' ? 'local_shell' : 'unknown'), input: callInput(p) };
      return {};
    }
    case 'function_call_output':
    case 'custom_tool_call_output': {
      const id = stringOf(p.call_id);
      const call = id ? carry.calls[id] : undefined;
      if (id) delete carry.calls[id];
      const mapped = hook({ hook_event_name: 'PostToolUse', tool_name: call?.name ?? 'unknown', tool_input: call?.input ?? {}, tool_use_id: id, tool_response: outputOf(p.output) });
      return { record: sessionRecord(source, id ? `${session}-${id}` : lineId, timestamp, session, mapped) };
    }
    default:
      if (QUIET_ITEMS.has(itemType)) return {};
      return { problem: `unknown response item ${JSON.stringify(itemType || null)}; skipped` };
  }
}

/** A call's input: `arguments` (a JSON string) of a function call, `input` of a custom one (apply_patch's patch), `action` of a local shell. */
function callInput(p: Json): Json {
  if (typeof p.arguments === 'string') {
    try {
      const parsed = JSON.parse(p.arguments) as unknown;
      if (isObject(parsed)) return parsed;
    } catch {
      return { arguments: p.arguments };
    }
  }
  if (typeof p.input === 'string') return { input: p.input };
  if (isObject(p.action)) return p.action;
  return {};
}

/** A tool's output: a string, or (older builds) a JSON string `{output, metadata: {exit_code}}`. */
function outputOf(output: unknown): unknown {
  if (typeof output !== 'string') return output;
  if (output.startsWith('{')) {
    try {
      const parsed = JSON.parse(output) as unknown;
      if (isObject(parsed)) return parsed;
    } catch {
      return output;
    }
  }
  return output;
}
