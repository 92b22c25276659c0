// Gemini CLI's own chats (`<GEMINI_CLI_HOME or ~>/.gemini/tmp/<project>/chats/session-*.jsonl`,
// older versions one `session-*.json` document) -> buffer entries, for `nexus-buffer import`.
// Facts: FORMAT.md beside this file ("Session files").
//
// A JSON-lines chat starts with a header `{sessionId, projectHash, startTime, …}`; then message
// records `{id, timestamp, type: user | gemini | info | error | warning, content, toolCalls?}`,
// and `{"$set": {…}}` updates of the header. A gemini message is written when it starts and again,
// with the same id, once its tool calls are done: its text becomes the record `native-gemini-<id>`
// (the first time it has any), each finished tool call `native-gemini-<call id>`, mapped through
// the hook mapping (hookPayload.ts) as the AfterTool payload of that call.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { capText, isObject, MAX_OUTPUT_CHARS, redactSecrets, stringOf, type Json } from '../shared/payload';
import { instantOf } from '../shared/instant';
import { readJsonLines, withoutNul } from '../shared/jsonLines';
import { findFiles, firstLines, oneLinePrompt } from '../shared/sessionFiles';
import { bareRecord, sessionRecord, type LineSource } from '../shared/sessionRecord';
import type { HookPlaces, SessionFileInfo, SessionProblem, SessionReadResult, SessionReadStart, SessionRecord, SessionSource } from '../types';
import { GEMINI_AGENT, geminiHookToEntry } from './hookPayload';
import { geminiRetention } from './retention';

const FINISHED = new Set(['success', 'error', 'cancelled']);

/** `$GEMINI_CLI_HOME/.gemini`, else `~/.gemini` (Gemini CLI's own rule). */
export function geminiDir(places: HookPlaces): string {
  const env = places.env ?? process.env;
  const home = env.GEMINI_CLI_HOME?.trim();
  return path.join(home ? path.resolve(home) : places.home, '.gemini');
}

interface Carry {
  sessionId?: string;
  /** Message ids whose text was recorded. */
  said: string[];
  /** Tool call ids recorded. */
  done: string[];
}

export const geminiSessions: SessionSource = {
  roots: (places) => [path.join(geminiDir(places), 'tmp')],
  retention: (places) => geminiRetention(geminiDir(places)),
  async list(places) {
    const files = await findFiles(path.join(geminiDir(places), 'tmp'), (name) => name.startsWith('session-') && /\.jsonl?$/.test(name), 2);
    const projects = await projectNames(places);
    const infos: SessionFileInfo[] = [];
    for (const found of files.filter((f) => path.basename(path.dirname(f.file)) === 'chats')) {
      const { header, messages } = await peek(found.file);
      const prompt = messages.map(promptOf).find((t) => t !== undefined);
      const folder = path.basename(path.dirname(path.dirname(found.file)));
      infos.push({
        agent: GEMINI_AGENT,
        file: found.file,
        sessionId: stringOf(header.sessionId) ?? path.basename(found.file).replace(/\.jsonl?$/, ''),
        project: projects.get(folder) ?? null,
        firstPrompt: prompt ? oneLinePrompt(prompt) : null,
        startedAt: instantOf(header.startTime) ?? new Date(found.mtimeMs).toISOString(),
        modifiedAt: new Date(found.mtimeMs).toISOString(),
        bytes: found.bytes,
      });
    }
    return infos;
  },
  read: readGeminiSession,
};

/** `~/.gemini/projects.json`: project folder -> its short name under tmp/ (reversed). */
async function projectNames(places: HookPlaces): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  try {
    const doc = JSON.parse(await fs.readFile(path.join(geminiDir(places), 'projects.json'), 'utf8')) as Json;
    if (isObject(doc.projects)) for (const [folder, name] of Object.entries(doc.projects)) if (typeof name === 'string') names.set(name, folder);
  } catch {
    // no map: the project stays unknown
  }
  return names;
}

async function peek(file: string): Promise<{ header: Json; messages: Json[] }> {
  if (file.endsWith('.json')) {
    const doc = await readDocument(file).catch(() => undefined);
    return { header: doc ?? {}, messages: Array.isArray(doc?.messages) ? doc.messages.filter(isObject) : [] };
  }
  const lines = await firstLines(file);
  return { header: lines[0]?.value ?? {}, messages: lines.map((l) => l.value).filter((v) => typeof v.type === 'string') };
}

async function readDocument(file: string): Promise<Json> {
  const doc = JSON.parse(withoutNul(await fs.readFile(file, 'utf8'))) as unknown;
  if (!isObject(doc)) throw new Error('not a JSON object');
  return doc;
}

function promptOf(message: Json): string | undefined {
  if (message.type !== 'user') return undefined;
  const text = partsText(message.content);
  return text.trim() === '' || /^\s*<session_context>/.test(text) ? undefined : text;
}

function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

export async function readGeminiSession(file: string, start: SessionReadStart): Promise<SessionReadResult> {
  if (file.endsWith('.json')) return readDocumentSession(file);
  const read = await readJsonLines(file, start.offset, start.line);
  const prior = !read.restarted && isObject(start.carry) ? (start.carry as unknown as Carry) : undefined;
  const carry: Carry = { sessionId: prior?.sessionId, said: [...(prior?.said ?? [])], done: [...(prior?.done ?? [])] };
  const records: SessionRecord[] = [];
  const problems: SessionProblem[] = [...read.problems];
  for (const line of read.lines) {
    try {
      const out = recordsOf(file, line.line, line.value, carry, line.offset === 0);
      records.push(...out.records);
      if (out.problem) problems.push({ file, line: line.line, message: out.problem });
    } catch (error) {
      problems.push({ file, line: line.line, message: `could not be read (${(error as Error).message}); skipped` });
    }
  }
  carry.said = carry.said.slice(-1000);
  carry.done = carry.done.slice(-1000);
  return { records, problems, next: { ...read.next, carry } };
}

/** An older chat: one JSON document; read whole every time (ids keep it from adding anything twice). */
async function readDocumentSession(file: string): Promise<SessionReadResult> {
  const stat = await fs.stat(file);
  let doc: Json;
  try {
    doc = await readDocument(file);
  } catch (error) {
    return { records: [], problems: [{ file, line: 1, message: `not a JSON chat (${(error as Error).message}); skipped` }], next: { offset: stat.size, line: 1 } };
  }
  const carry: Carry = { sessionId: stringOf(doc.sessionId), said: [], done: [] };
  const records: SessionRecord[] = [];
  if (instantOf(doc.startTime)) records.push(...recordsOf(file, 1, { sessionId: doc.sessionId, startTime: doc.startTime }, carry, true).records);
  const problems: SessionProblem[] = [];
  (Array.isArray(doc.messages) ? doc.messages : []).forEach((message, i) => {
    if (!isObject(message)) return;
    const out = recordsOf(file, i + 1, message, carry, false);
    records.push(...out.records);
    if (out.problem) problems.push({ file, line: i + 1, message: `messages[${i}]: ${out.problem}` });
  });
  return { records, problems, next: { offset: stat.size, line: 1 } };
}

function recordsOf(file: string, line: number, v: Json, carry: Carry, first: boolean): { records: SessionRecord[]; problem?: string } {
  const source: LineSource = { agent: GEMINI_AGENT, file, line, lineType: typeof v.type === 'string' ? v.type : 'unknown' };
  if (first && typeof v.sessionId === 'string') {
    carry.sessionId = v.sessionId;
    const at = instantOf(v.startTime);
    if (!at) return { records: [], problem: 'the header has no valid startTime; no session start recorded' };
    const custom: Json = {};
    for (const key of ['projectHash', 'kind']) if (typeof v[key] === 'string') custom[key] = v[key];
    return { records: [bareRecord({ ...source, lineType: 'session-start' }, `${v.sessionId}-start`, at, v.sessionId, 'session-start', custom)] };
  }
  if (isObject(v.$set)) return { records: [] };
  const id = stringOf(v.id);
  const type = stringOf(v.type);
  if (!id || !type) return { records: [], problem: 'neither a message (id, type) nor a header update; skipped' };
  const timestamp = instantOf(v.timestamp);
  if (!timestamp) return { records: [], problem: `message ${id} has no valid timestamp; skipped` };
  const session = carry.sessionId ?? null;
  const base: Json = { session_id: session };
  const records: SessionRecord[] = [];
  const text = partsText(v.content);
  if (!carry.said.includes(id) && text.trim() !== '') {
    if (type === 'user' && !/^\s*<session_context>/.test(text) && !isToolResponse(v.content)) {
      records.push(sessionRecord(source, id, timestamp, session, geminiHookToEntry({ ...base, hook_event_name: 'BeforeAgent', prompt: text, timestamp }, timestamp)));
      carry.said.push(id);
    } else if (type === 'gemini') {
      records.push(sessionRecord(source, id, timestamp, session, geminiHookToEntry({ ...base, hook_event_name: 'AfterAgent', prompt_response: text, timestamp }, timestamp)));
      carry.said.push(id);
    } else if (type === 'error' || type === 'warning') {
      records.push(sessionRecord(source, id, timestamp, session, {
        context: { errors: [{ error_type: `gemini_${type}`, message: capText(redactSecrets(text), MAX_OUTPUT_CHARS), stack_trace: null, timestamp }] },
        contextType: 'error',
      }));
      carry.said.push(id);
    } else if (type !== 'user' && type !== 'info') {
      return { records, problem: `unknown message type ${JSON.stringify(type)}; skipped` };
    }
  }
  for (const call of Array.isArray(v.toolCalls) ? v.toolCalls.filter(isObject) : []) {
    const callId = stringOf(call.id);
    if (!callId || carry.done.includes(callId) || !FINISHED.has(String(call.status))) continue;
    const at = instantOf(call.timestamp) ?? timestamp;
    const response: Json = { llmContent: responseText(call.result), returnDisplay: call.resultDisplay };
    if (call.status === 'error') response.error = { message: stringOf(call.resultDisplay) ?? (responseText(call.result) || 'the tool call failed') };
    if (call.status === 'cancelled') response.error = { message: 'cancelled', type: 'cancelled' };
    const mapped = geminiHookToEntry({ ...base, hook_event_name: 'AfterTool', tool_name: call.name, tool_input: isObject(call.args) ? call.args : {}, tool_response: response, timestamp: at }, at);
    records.push(sessionRecord({ ...source, lineType: 'tool-call' }, callId, at, session, mapped));
    carry.done.push(callId);
  }
  return { records };
}

function isToolResponse(content: unknown): boolean {
  return Array.isArray(content) && content.some((part) => isObject(part) && isObject(part.functionResponse));
}

function responseText(result: unknown): string {
  if (!Array.isArray(result)) return typeof result === 'string' ? result : '';
  return result.map((part) => {
    const response = isObject(part) && isObject(part.functionResponse) && isObject(part.functionResponse.response) ? part.functionResponse.response : undefined;
    if (!response) return '';
    return typeof response.output === 'string' ? response.output : typeof response.error === 'string' ? response.error : JSON.stringify(response);
  }).join('\n');
}
