// Claude Code's own transcripts (`<config>/projects/<cwd, every non-alphanumeric as ->/<id>.jsonl`)
// -> buffer entries, for `nexus-buffer import`. Facts: FORMAT.md beside this file ("Session files").
//
// One record per line that has a `uuid` (user, assistant, system, and unknown types that carry
// one), with the id `native-claude-code-<uuid>`; `attachment` lines (reminders Claude Code adds)
// and the bookkeeping lines without a uuid (queue-operation, last-prompt, api-request, …) give
// none. What a line means goes through the hook mapping (hookPayload.ts) as the hook payload of
// the same moment: a prompt is a UserPromptSubmit, a tool_use an intent (PreToolUse), its
// tool_result the outcome (PostToolUse, or PostToolUseFailure when is_error), the compaction
// summary a PostCompact. Decisions are taken from the assistant's text where it states them.
//
// Every record of a line with a uuid keeps the line itself (`custom.transcript.line`), so that
// restoreSession.ts can write the session file back for `claude --resume`. The attachment lines
// are not kept: a line whose parent was one names the nearest kept ancestor instead
// (`custom.transcript.parent`), which keeps the parentUuid chain whole without them.
//
// Between reads (a grown file) the reader carries the open tool calls (id -> name and input, to
// pair a later tool_result) and the skipped lines' parents.
import * as path from 'node:path';
import { capText, isObject, MAX_MESSAGE_CHARS, redactSecrets, stringOf, type Json } from '../shared/payload';
import { instantOf } from '../shared/instant';
import { readJsonLines, type JsonLine } from '../shared/jsonLines';
import { findFiles, firstLines, oneLinePrompt } from '../shared/sessionFiles';
import { bareRecord, sessionRecord, type LineSource } from '../shared/sessionRecord';
import type { HookPlaces, SessionFileInfo, SessionReadResult, SessionReadStart, SessionRecord, SessionSource } from '../types';
import { claudeHookToEntry, stripInternalTags } from './hookPayload';
import { claudeRetention } from './retention';

const AGENT = 'claude-code';

/** Longest line kept for a restore; a longer one (a huge tool result) is kept without its text. */
export const MAX_KEPT_LINE_BYTES = 1024 * 1024;
/** Open tool calls and skipped lines carried between reads, at most. */
const MAX_CARRIED = 500;

/** Lines without a uuid that say nothing a buffer needs (Claude Code's own bookkeeping). */
const BOOKKEEPING = new Set([
  'queue-operation', 'last-prompt', 'tools-used', 'cost-state', 'mode', 'api-request', 'api-request-shape',
  'api-request-blob', 'atis-latch', 'file-history-snapshot', 'custom-title', 'ai-title', 'tag', 'agent-name',
  'pr-link', 'permission-mode',
]);

/** What a read carries to the next read of the same file. */
interface Carry {
  /** Open tool calls: tool_use id -> name and input (strings capped). */
  tools: Record<string, { name: string; input: Json }>;
  /** Skipped lines (attachments): uuid -> the nearest kept ancestor (null: the root). */
  skipped: Record<string, string | null>;
}

/** `~/.claude`, or `$CLAUDE_CONFIG_DIR`. */
export function claudeConfigDir(places: HookPlaces): string {
  const env = places.env ?? process.env;
  const dir = env.CLAUDE_CONFIG_DIR?.trim();
  return dir ? path.resolve(dir) : path.join(places.home, '.claude');
}

export function claudeProjectsDir(places: HookPlaces): string {
  return path.join(claudeConfigDir(places), 'projects');
}

/** Claude Code's folder name for a working folder: every character not a letter or digit becomes `-`. */
export function projectFolderName(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, '-');
}

export const claudeSessions: SessionSource = {
  roots: (places) => [claudeProjectsDir(places)],
  retention: (places) => claudeRetention(claudeConfigDir(places)),
  async list(places) {
    // <projects>/<folder>/<id>.jsonl; subagents' files are one level deeper and belong to their session.
    const files = await findFiles(claudeProjectsDir(places), (name) => name.endsWith('.jsonl'), 1);
    const infos: SessionFileInfo[] = [];
    for (const found of files) {
      if (path.dirname(path.dirname(found.file)) !== claudeProjectsDir(places)) continue;
      const lines = await firstLines(found.file);
      const first = lines.find((l) => instantOf(l.value.timestamp));
      const cwd = lines.map((l) => stringOf(l.value.cwd)).find((c) => c !== undefined);
      const prompt = lines.map((l) => promptOf(l.value)).find((p) => p !== undefined);
      infos.push({
        agent: AGENT,
        file: found.file,
        sessionId: path.basename(found.file, '.jsonl'),
        project: cwd ?? null,
        firstPrompt: prompt ? oneLinePrompt(prompt) : null,
        startedAt: instantOf(first?.value.timestamp) ?? new Date(found.mtimeMs).toISOString(),
        modifiedAt: new Date(found.mtimeMs).toISOString(),
        bytes: found.bytes,
      });
    }
    return infos;
  },
  read: readClaudeSession,
};

export async function readClaudeSession(file: string, start: SessionReadStart): Promise<SessionReadResult> {
  const read = await readJsonLines(file, start.offset, start.line);
  const carry = read.restarted ? emptyCarry() : carryOf(start.carry);
  const records: SessionRecord[] = [];
  const problems = [...read.problems];
  const fileSession = path.basename(file, '.jsonl');
  for (const line of read.lines) {
    try {
      const record = recordOf(file, line, carry, fileSession, read.lines[0] === line && line.offset === 0);
      records.push(...record.records);
      if (record.problem) problems.push({ file, line: line.line, message: record.problem });
    } catch (error) {
      problems.push({ file, line: line.line, message: `could not be read (${(error as Error).message}); skipped` });
    }
  }
  trimCarry(carry);
  problems.sort((a, b) => a.line - b.line);
  return { records, problems, next: { ...read.next, carry } };
}

function emptyCarry(): Carry {
  return { tools: {}, skipped: {} };
}

function carryOf(value: unknown): Carry {
  if (!isObject(value) || !isObject(value.tools) || !isObject(value.skipped)) return emptyCarry();
  return { tools: { ...(value.tools as Carry['tools']) }, skipped: { ...(value.skipped as Carry['skipped']) } };
}

function trimCarry(carry: Carry): void {
  for (const key of ['tools', 'skipped'] as const) {
    const keys = Object.keys(carry[key]);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_CARRIED))) delete carry[key][old];
  }
}

/** The person's prompt of a `user` line, when it is one (not a tool result, not Claude Code's own). */
function promptOf(value: Json): string | undefined {
  if (value.type !== 'user' || value.isMeta === true || value.isCompactSummary === true) return undefined;
  const message = isObject(value.message) ? value.message : {};
  const content = typeof message.content === 'string' ? message.content
    : Array.isArray(message.content) && message.content.every((b) => isObject(b) && b.type === 'text')
      ? message.content.map((b) => String((b as Json).text ?? '')).join('\n') : undefined;
  // The output of a local command (`/compact`'s "Compacted …") is Claude Code's, not the person's.
  if (content === undefined || /^\s*<local-command-(stdout|stderr)>/.test(content)) return undefined;
  const text = stripInternalTags(content);
  return text === '' ? undefined : text;
}

interface LineResult {
  records: SessionRecord[];
  problem?: string;
}

function recordOf(file: string, line: JsonLine, carry: Carry, fileSession: string, first: boolean): LineResult {
  const v = line.value;
  const type = typeof v.type === 'string' ? v.type : '';
  const uuid = stringOf(v.uuid);
  const sessionId = stringOf(v.sessionId) ?? fileSession;
  const timestamp = instantOf(v.timestamp);
  const source: LineSource = { agent: AGENT, file, line: line.line, lineType: type || 'unknown' };
  const records: SessionRecord[] = [];
  if (first && timestamp) {
    // The session's start: the file's first line (a resumed session goes on in the same file).
    records.push(bareRecord({ ...source, lineType: 'session-start' }, `${sessionId}-start`, timestamp, sessionId, 'session-start', {
      ...(stringOf(v.cwd) ? { cwd: v.cwd } : {}), ...(stringOf(v.version) ? { claude_code_version: v.version } : {}),
      ...(stringOf(v.gitBranch) ? { git_branch: v.gitBranch } : {}),
    }));
  }
  if (type === 'attachment' && uuid) {
    carry.skipped[uuid] = keptParent(v.parentUuid, carry);
    return { records };
  }
  if (type === 'summary') {
    // Older versions: a summary of an earlier conversation, pointing at its last message.
    const leaf = stringOf(v.leafUuid);
    if (typeof v.summary === 'string' && leaf) {
      const at = timestamp ?? new Date(0).toISOString();
      records.push(sessionRecord(source, `summary-${leaf}`, at, sessionId, withTranscript(
        { context: { insights: [capText(redactSecrets(v.summary), MAX_MESSAGE_CHARS)] }, contextType: 'compact' }, line, undefined,
      )));
    }
    return { records };
  }
  if (!uuid) {
    if (BOOKKEEPING.has(type)) return { records };
    return { records, problem: `unknown line type ${JSON.stringify(type || null)} without a uuid; skipped` };
  }
  if (!timestamp) return { records, problem: `line ${uuid} has no valid timestamp (${JSON.stringify(v.timestamp ?? null)}); skipped` };
  const parent = stringOf(v.parentUuid);
  const kept = parent !== undefined && parent in carry.skipped ? carry.skipped[parent]! : undefined;
  const relinked = kept !== undefined ? kept : undefined;
  const hookBase = { session_id: sessionId, cwd: v.cwd, permission_mode: v.permissionMode };
  const mapped = mapLine(type, v, hookBase, timestamp, carry);
  if (!mapped.known) {
    records.push(sessionRecord(source, uuid, timestamp, sessionId, withTranscript({ context: {}, contextType: 'checkpoint' }, line, relinked, parent)));
    return { records, problem: `unknown line type ${JSON.stringify(type)}; kept as it is (for a restore), nothing read from it` };
  }
  for (const [i, entry] of mapped.entries.entries()) {
    const id = i === 0 ? uuid : `${uuid}-${i}`;
    records.push(sessionRecord(source, id, timestamp, sessionId, i === 0 ? withTranscript(entry, line, relinked, parent) : entry));
  }
  return { records };
}

function keptParent(parent: unknown, carry: Carry): string | null {
  const id = stringOf(parent);
  if (id === undefined) return null;
  return id in carry.skipped ? carry.skipped[id]! : id;
}

type Mapped = { context: import('../../core/schema').PartialSessionContext; contextType: string };

/** Keeps the line (for a restore) in the first record of a line; a relinked parent beside it. */
function withTranscript(mapped: Mapped, line: JsonLine, relinked: string | null | undefined, parent?: string): Mapped {
  const transcript: Json = Buffer.byteLength(line.text) <= MAX_KEPT_LINE_BYTES
    ? { line: line.text }
    : { line_omitted_bytes: Buffer.byteLength(line.text) };
  if (relinked !== undefined && relinked !== parent) transcript.parent = relinked;
  const custom = { ...((mapped.context.custom as Json | undefined) ?? {}), transcript };
  return { ...mapped, context: { ...mapped.context, custom } };
}

function mapLine(type: string, v: Json, base: Json, now: string, carry: Carry): { known: boolean; entries: Mapped[] } {
  const message = isObject(v.message) ? v.message : {};
  const blocks = Array.isArray(message.content) ? message.content.filter(isObject) : [];
  const hook = (payload: Json): Mapped => claudeHookToEntry({ ...base, ...payload }, now);
  switch (type) {
    case 'user': {
      if (v.isCompactSummary === true) {
        const text = typeof message.content === 'string' ? message.content : blocks.map((b) => (typeof b.text === 'string' ? b.text : '')).join('\n');
        return { known: true, entries: [hook({ hook_event_name: 'PostCompact', trigger: 'session-file', compact_summary: text })] };
      }
      const results = blocks.filter((b) => b.type === 'tool_result');
      if (results.length > 0) return { known: true, entries: results.map((block) => toolResult(block, v, hook, carry)) };
      const prompt = v.isMeta === true ? undefined : promptOf(v);
      if (prompt !== undefined) return { known: true, entries: [hook({ hook_event_name: 'UserPromptSubmit', prompt })] };
      return { known: true, entries: [checkpoint({ meta: v.isMeta === true })] };
    }
    case 'assistant': {
      const entries: Mapped[] = [];
      const text = blocks.filter((b) => b.type === 'text' && typeof b.text === 'string').map((b) => b.text as string).join('\n');
      for (const block of blocks.filter((b) => b.type === 'tool_use')) {
        const name = stringOf(block.name) ?? 'unknown';
        const input = isObject(block.input) ? block.input : {};
        const id = stringOf(block.id);
        if (id) carry.tools[id] = { name, input: cappedInput(input) };
        entries.push(hook({ hook_event_name: 'PreToolUse', tool_name: name, tool_input: input, tool_use_id: id }));
      }
      if (text.trim() !== '' || entries.length === 0) {
        const said = hook({ hook_event_name: 'Stop', last_assistant_message: text });
        delete (said.context.custom as Json).stop_hook_active;
        const decisions = decisionsIn(stripInternalTags(text), now);
        if (decisions.length > 0) said.context.decisions = decisions;
        entries.unshift(said);
      }
      for (const e of entries) {
        if (stringOf(message.model)) (e.context.custom as Json).model = message.model;
        if (stringOf(message.id)) (e.context.custom as Json).message_id = message.id;
      }
      return { known: true, entries };
    }
    case 'system': {
      const subtype = stringOf(v.subtype) ?? 'system';
      const custom: Json = { subtype };
      if (typeof v.content === 'string') custom.content = capText(v.content, 1_000);
      if (subtype === 'compact_boundary') {
        if (isObject(v.compactMetadata)) custom.trigger = v.compactMetadata.trigger;
        return { known: true, entries: [{ context: { custom }, contextType: 'compact' }] };
      }
      return { known: true, entries: [checkpoint(custom)] };
    }
    default:
      return { known: false, entries: [] };
  }
}

function checkpoint(custom: Json): Mapped {
  return { context: { custom }, contextType: 'checkpoint' };
}

/** A tool_result block with its tool_use (carried from an earlier line) as the hook payload of its outcome. */
function toolResult(block: Json, v: Json, hook: (payload: Json) => Mapped, carry: Carry): Mapped {
  const id = stringOf(block.tool_use_id);
  const call = id ? carry.tools[id] : undefined;
  if (id) delete carry.tools[id];
  const payload: Json = { tool_name: call?.name ?? 'unknown', tool_input: call?.input ?? {}, tool_use_id: id };
  if (block.is_error === true) {
    const error = typeof v.toolUseResult === 'string' ? v.toolUseResult : contentText(block.content);
    return hook({ ...payload, hook_event_name: 'PostToolUseFailure', error: error.replace(/^Error: /, '') });
  }
  return hook({ ...payload, hook_event_name: 'PostToolUse', tool_response: v.toolUseResult ?? contentText(block.content) });
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')).join('\n');
  return '';
}

/** A tool call's input as carried to its result: long strings cut (file contents are never kept whole). */
function cappedInput(input: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(input)) out[key] = typeof value === 'string' ? capText(value, 4_000) : value;
  return out;
}

/**
 * Decisions the assistant states in so many words: a sentence that starts with "Decision:",
 * "I decided to", "I'll go with", "We'll use", … (the reason after "because" as its rationale).
 * Nothing is guessed from anything less explicit. A sentence ends at . ! ? before a space or
 * the end (so `notes.txt` stays whole).
 */
const DECISION = /(?:^|[.!?\n]\s*)((?:Decision:|I (?:have )?decided to|I(?:'ll| will) go with|We(?:'ll| will) (?:go with|use)|Going with)\s*(?:[^.!?\n]|[.!?](?=\S)){3,400}[.!?]?)/gi;

function decisionsIn(text: string, now: string): NonNullable<Mapped['context']['decisions']> {
  const out: NonNullable<Mapped['context']['decisions']> = [];
  for (const match of text.matchAll(DECISION)) {
    const sentence = match[1]!.replace(/^Decision:\s*/i, '').trim();
    const because = /\s*,?\s*\bbecause\b\s*/i.exec(sentence);
    out.push({
      summary: capText(redactSecrets(because ? sentence.slice(0, because.index) : sentence), 500),
      rationale: because ? capText(redactSecrets(sentence.slice(because.index + because[0].length).replace(/[.!?]$/, '')), 500) : null,
      alternatives: [],
      impact: null,
      timestamp: now,
    });
    if (out.length >= 10) break;
  }
  return out;
}
