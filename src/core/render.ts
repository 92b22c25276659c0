// Buffer entries → Markdown, for the recovered document, `nexus-buffer show` and hand-off.
// Pure: no I/O, no vscode. Content comes from agents and hooks, so it is treated as untrusted
// text: inline text is escaped (no emphasis, links or raw HTML can sneak in), and anything
// verbatim (paths, commands, stack traces, custom JSON) goes into code spans or fences that are
// longer than any backtick run inside them.
import { serializeSnapshot } from './snapshot';
import type { BufferData, BufferEntry, SessionContext } from './schema';

export interface RenderBufferOptions {
  /** Heading of the document; default "Nexus Buffer: <agent>". */
  title?: string;
}

export interface RenderEntryOptions {
  /** 1-based position shown in the heading ("3. checkpoint …"). */
  index?: number;
  /** Heading level of the entry (2 by default; sections are one level below). */
  headingLevel?: number;
}

/**
 * The whole buffer, grouped by session (in the order sessions started), with a table of
 * contents; entries oldest first within a session, numbered in buffer order. A buffer whose
 * entries carry no session id lists them without grouping.
 */
export function renderBufferMarkdown(data: BufferData, opts: RenderBufferOptions = {}): string {
  const entries = data.entries ?? [];
  const title = opts.title ?? `Nexus Buffer: ${data.agent_type}`;
  const out: string[] = [`# ${escapeInline(singleLine(title))}`, ''];
  out.push(`- **Agent:** ${code(data.agent_type)}`);
  out.push(`- **Started:** ${formatTimestamp(data.started_at)}`);
  out.push(`- **Last flush:** ${data.last_flush ? formatTimestamp(data.last_flush) : 'never'}`);
  out.push(`- **Entries:** ${entries.length}`);
  out.push('');
  if (entries.length === 0) {
    out.push('_This buffer has no entries._', '');
    return out.join('\n');
  }
  const sessions = groupBySession(entries);
  if (sessions.length === 1 && sessions[0].id === null) {
    entries.forEach((entry, i) => out.push(renderEntryMarkdown(entry, { index: i + 1 }).trimEnd(), ''));
    return out.join('\n');
  }
  // Headings are "Session N" so that the preview's anchors (#session-n) never depend on what
  // an agent put in a session id.
  out.push('## Sessions', '');
  sessions.forEach((session, n) => {
    out.push(`${n + 1}. [${sessionHeading(session, n)}](#${sessionHeading(session, n).toLowerCase().replace(/ /g, '-')}): ${sessionLine(session)}`);
  });
  out.push('');
  sessions.forEach((session, n) => {
    out.push(`## ${sessionHeading(session, n)}`, '', sessionLine(session), '');
    for (const { entry, index } of session.entries) out.push(renderEntryMarkdown(entry, { index: index + 1, headingLevel: 3 }).trimEnd(), '');
  });
  return out.join('\n');
}

interface SessionGroup {
  id: string | null;
  entries: Array<{ entry: BufferEntry; index: number }>;
}

/** Entries by session id, sessions in the order their first entry appears. */
function groupBySession(entries: readonly BufferEntry[]): SessionGroup[] {
  const groups = new Map<string | null, SessionGroup>();
  entries.forEach((entry, index) => {
    const id = entry.context?.session_id ?? null;
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { id, entries: [] }));
    group.entries.push({ entry, index });
  });
  return [...groups.values()];
}

function sessionHeading(session: SessionGroup, n: number): string {
  return session.id === null ? 'Without a session id' : `Session ${n + 1}`;
}

/** "`a3e9…` · 2026-05-19 13:02:45 UTC to 13:15:40 UTC · 3 entries · ended". */
function sessionLine(session: SessionGroup): string {
  const first = session.entries[0].entry;
  const last = session.entries[session.entries.length - 1].entry;
  const count = `${session.entries.length} entr${session.entries.length === 1 ? 'y' : 'ies'}`;
  // The core's rule for an interrupted session: its newest entry is not a session-end.
  const state = last.context_type === 'session-end' ? 'ended' : 'no session-end (interrupted, or still running)';
  const span = first === last ? formatTimestamp(first.timestamp) : `${formatTimestamp(first.timestamp)} to ${formatTimestamp(last.timestamp)}`;
  return [session.id === null ? null : code(session.id), span, count, state].filter(Boolean).join(' · ');
}

/** One entry: heading (context type, time), a meta line, then one section per non-empty field. */
export function renderEntryMarkdown(entry: BufferEntry, opts: RenderEntryOptions = {}): string {
  const level = Math.min(Math.max(opts.headingLevel ?? 2, 1), 5);
  const h = '#'.repeat(level);
  const sub = '#'.repeat(level + 1);
  const ctx: Partial<SessionContext> = entry.context ?? {};
  const prefix = opts.index !== undefined ? `${opts.index}. ` : '';
  const out: string[] = [
    `${h} ${prefix}${escapeInline(singleLine(entry.context_type || 'entry'))} · ${formatTimestamp(entry.timestamp)}`,
    '',
  ];

  const meta: string[] = [];
  if (ctx.session_id) meta.push(`session ${code(ctx.session_id)}`);
  if (ctx.agent_type) meta.push(`agent ${code(ctx.agent_type)}`);
  if (ctx.extraction_source) meta.push(`source ${code(ctx.extraction_source)}`);
  if (typeof ctx.reliability_score === 'number' && ctx.reliability_score !== 1) {
    meta.push(`reliability ${ctx.reliability_score}`);
  }
  if (entry.id) meta.push(`id ${code(entry.id)}`);
  if (meta.length) out.push(meta.join(' · '), '');
  const summary = summarizeEntry(entry);
  if (!summary && !hasCustom(ctx)) out.push('_No content._', '');

  const section = (title: string, lines: string[]): void => {
    if (lines.length) out.push(`${sub} ${title}`, '', ...lines, '');
  };

  section('Conversation', (ctx.conversation ?? []).map((m) => {
    const when = m.timestamp ? ` (${formatTime(m.timestamp)})` : '';
    return listItem(`**${escapeInline(singleLine(m.role || '?'))}**${when}:`, m.content);
  }));

  section('Decisions', (ctx.decisions ?? []).flatMap((d) => {
    const lines = [listItem(`**${inlineText(singleLine(d.summary))}**`, '')];
    if (d.rationale) lines.push(subItem('Rationale:', d.rationale));
    if (d.alternatives?.length) lines.push(subItem('Alternatives:', d.alternatives.map(singleLine).join('; ')));
    if (d.impact) lines.push(subItem('Impact:', d.impact));
    return lines;
  }));

  section('Files', (ctx.files ?? []).map((f) => {
    const delta: string[] = [];
    if (typeof f.lines_added === 'number') delta.push(`+${f.lines_added}`);
    if (typeof f.lines_removed === 'number') delta.push(`-${f.lines_removed}`);
    return `- ${code(f.path)} ${escapeInline(String(f.action))}${delta.length ? ` (${delta.join(' ')})` : ''}`;
  }));

  section('Tasks', (ctx.tasks ?? []).map((t) => {
    const box = t.status === 'completed' ? '[x]' : '[ ]';
    const status = t.status === 'completed' ? '' : ` _(${escapeInline(String(t.status).replace(/_/g, ' '))})_`;
    const by = t.subagent ? ` by ${code(t.subagent)}` : '';
    return `- ${box} ${escapeInline(singleLine(t.description))}${status}${by}`;
  }));

  section('Insights', (ctx.insights ?? []).map((i) => listItem('', i)));

  section('Errors', (ctx.errors ?? []).flatMap((e) => {
    const lines = [listItem(`**${escapeInline(singleLine(e.error_type || 'error'))}** (${formatTime(e.timestamp)}):`, e.message)];
    if (e.stack_trace) lines.push(indent(fence(e.stack_trace, 'text'), '  '));
    return lines;
  }));

  section('Subagent executions', (ctx.subagent_executions ?? []).flatMap((s) => {
    const lines = [`- **${escapeInline(singleLine(s.subagent_type))}** _(${escapeInline(singleLine(s.status))})_: ${escapeInline(singleLine(s.task))}`];
    if (s.result_summary) lines.push(subItem('Result:', s.result_summary));
    return lines;
  }));

  const commands = ctx.commands_run ?? [];
  if (commands.length) {
    // One block when every command fits a line (readable); one block each otherwise.
    const blocks = commands.every((c) => !/[\r\n]/.test(c)) ? [fence(commands.join('\n'), 'sh')] : commands.map((c) => fence(c, 'sh'));
    section('Commands', blocks.flatMap((b) => [b, '']).slice(0, -1));
  }

  if (hasCustom(ctx)) section('Custom', [fence(JSON.stringify(ctx.custom, null, 2), 'json')]);

  return out.join('\n');
}

/** Counts of what an entry holds, e.g. "3 files · 2 commands · 1 error"; "" when empty. */
export function summarizeEntry(entry: BufferEntry): string {
  const ctx: Partial<SessionContext> = entry.context ?? {};
  const parts: Array<[number, string, string]> = [
    [ctx.conversation?.length ?? 0, 'message', 'messages'],
    [ctx.decisions?.length ?? 0, 'decision', 'decisions'],
    [ctx.files?.length ?? 0, 'file', 'files'],
    [ctx.tasks?.length ?? 0, 'task', 'tasks'],
    [ctx.insights?.length ?? 0, 'insight', 'insights'],
    [ctx.errors?.length ?? 0, 'error', 'errors'],
    [ctx.subagent_executions?.length ?? 0, 'subagent run', 'subagent runs'],
    [ctx.commands_run?.length ?? 0, 'command', 'commands'],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, one, many]) => `${n} ${n === 1 ? one : many}`)
    .join(' · ');
}

// ---- helpers (exported for tests and for other renderers such as "Copy as Prompt") ----

/**
 * Escapes text so Markdown shows it literally: no emphasis, links, code, HTML tags or entities,
 * and no block syntax (heading, quote, list, rule) at the start of a line. Keeps ordinary
 * words, paths and snake_case readable (an underscore inside a word is left alone).
 */
export function escapeInline(text: string): string {
  return String(text)
    .replace(/[\\`*[\]<>|~]/g, (c) => `\\${c}`)
    .replace(/(^|[^A-Za-z0-9])_|_(?=$|[^A-Za-z0-9])/g, (m) => m.replace('_', '\\_'))
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '\\&')
    .split('\n')
    .map((line) => line.replace(/^(\s*)([#>+=-]|\d+[.)])/, (_m, sp: string, mark: string) => `${sp}${mark.replace(/([#>+=\-.)])$/, '\\$1')}`))
    .join('\n');
}

/**
 * One line of an agent's text: what it wrote as inline code (`npm test`) stays a code span,
 * shown verbatim; everything else is escaped. A lone backtick is escaped like any other mark.
 */
export function inlineText(text: string): string {
  const out: string[] = [];
  let rest = String(text);
  const span = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/;
  for (let m = span.exec(rest); m; m = span.exec(rest)) {
    // A run of backticks right before the match belongs to no span: escape it with the text.
    out.push(escapeInline(rest.slice(0, m.index)), code(m[2]));
    rest = rest.slice(m.index + m[0].length);
  }
  out.push(escapeInline(rest));
  return out.join('');
}

/** An inline code span that shows `text` verbatim, whatever backticks it holds. */
export function code(text: string): string {
  const t = singleLine(String(text));
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const ticks = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') || t === '' ? ' ' : '';
  return `${ticks}${pad}${t}${pad}${ticks}`;
}

/** A fenced code block that shows `text` verbatim (the fence outgrows any backtick run inside). */
export function fence(text: string, lang = ''): string {
  const longest = Math.max(0, ...(String(text).match(/`{3,}/g) ?? []).map((r) => r.length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}${lang}\n${String(text).replace(/\r\n?/g, '\n')}\n${ticks}`;
}

/** "2026-05-19T13:10:05.330118552Z" → "2026-05-19 13:10:05 UTC"; anything else as it is. */
export function formatTimestamp(ts: string | null | undefined): string {
  if (!ts) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(ts);
  if (!m) return escapeInline(singleLine(ts));
  return `${m[1]} ${m[2]} ${m[3].toUpperCase() === 'Z' ? 'UTC' : m[3]}`;
}

function formatTime(ts: string | null | undefined): string {
  const full = formatTimestamp(ts);
  const m = /^\d{4}-\d{2}-\d{2} (.*)$/.exec(full);
  return m ? m[1] : full;
}

function singleLine(text: string): string {
  return String(text ?? '').replace(/\s*[\r\n]+\s*/g, ' ');
}

function indent(text: string, by: string): string {
  return text.split('\n').map((l) => (l ? by + l : l)).join('\n');
}

/**
 * A list item: a label, then the text inline when it is one line, or as a fenced block under
 * the item when it spans lines (keeps the author's own Markdown and code readable and inert).
 */
function listItem(label: string, text: string | null | undefined): string {
  const body = String(text ?? '');
  const head = label ? `- ${label}` : '-';
  if (!body) return head;
  if (!/[\r\n]/.test(body)) return `${head} ${inlineText(body)}`;
  return `${head}\n\n${indent(fence(body, 'text'), '  ')}`;
}

function subItem(label: string, text: string): string {
  return indent(listItem(label, text), '  ');
}

function hasCustom(ctx: Partial<SessionContext>): boolean {
  return !!ctx.custom && typeof ctx.custom === 'object' && Object.keys(ctx.custom).length > 0;
}

// ---- the crate's JSON document ----

/**
 * The snapshot document as the crate writes it: 2-space JSON, every key the crate's reader
 * requires, in the crate's order; our own keys (an entry `id`) after them. Timestamps are the
 * original strings. No trailing newline, like the crate.
 */
export function renderBufferJson(data: BufferData): string {
  // Entries are validated by the schema, which already completes and orders every crate key.
  return serializeSnapshot(data);
}
