// "Copy as Prompt": a buffer as a compact Markdown brief to paste into an agent so it can pick
// the work up again. Pure: no I/O, no vscode.
//
// What matters most comes first and survives the size limit: the user's latest requests, the
// agent's last reply, decisions, errors, files changed, open tasks, then commands, insights,
// subagents and files read. Within a section the newest item comes first, and repeated items
// are merged (a command run five times is one line "×5"; a file edited ten times is one line
// with the summed line counts). Every section gets a few items before any section gets more,
// so one long list cannot crowd out the others; what does not fit is counted in a closing note.
import type { BufferData, BufferEntry, FileChange, Task } from '../core/schema';
import { compareTimestamps } from '../core/schema';
import { code, formatTimestamp } from '../core/render';

export interface PromptOptions {
  /** Hard limit on the length of the result, in characters. */
  maxCharacters: number;
}

export const DEFAULT_PROMPT_MAX_CHARACTERS = 12_000;
/** How many items every section may have after each round of filling. */
const ROUNDS = [3, 10, Infinity];
/** Room kept for the closing "left out" note. */
const NOTE_RESERVE = 220;

interface Section {
  title: string;
  /** What one item is called in the "left out" note (singular, plural). */
  noun: [string, string];
  items: string[];
}

export function renderPrompt(data: BufferData, opts: PromptOptions): string {
  const max = Math.max(1, Math.floor(opts.maxCharacters));
  const entries = [...(data.entries ?? [])].sort((a, b) => compareTimestamps(b.timestamp, a.timestamp));
  const header = renderHeader(data, entries);
  const sections = collectSections(entries);

  const budget = max - NOTE_RESERVE;
  const chosen = sections.map(() => 0);
  let length = header.length;
  const sectionCost = (i: number) => `\n\n## ${sections[i]!.title}\n`.length;
  const tryTake = (i: number): boolean => {
    const item = sections[i]!.items[chosen[i]!];
    if (item === undefined) return false;
    const cost = item.length + 1 + (chosen[i] === 0 ? sectionCost(i) : 0);
    if (length + cost > budget) return false;
    length += cost;
    chosen[i]!++;
    return true;
  };
  // Rounds: every section gets up to 3 items, then up to 10, then the rest, most important
  // section first in each round. A section stops at its first item that does not fit: items
  // are newest first, and a gap in the middle of a list would go unnoticed.
  for (const upTo of ROUNDS) {
    for (let i = 0; i < sections.length; i++) while (chosen[i]! < upTo && tryTake(i));
  }

  const parts = [header];
  const leftOut: string[] = [];
  sections.forEach((section, i) => {
    const taken = section.items.slice(0, chosen[i]);
    if (taken.length > 0) parts.push(`\n\n## ${section.title}\n${taken.join('\n')}`);
    const missing = section.items.length - taken.length;
    if (missing > 0) leftOut.push(`${missing} ${section.noun[missing === 1 ? 0 : 1]}`);
  });
  let text = parts.join('');
  if (leftOut.length > 0) {
    text += `\n\n_Left out to stay under ${max} characters (older or less important first): ${leftOut.join(', ')}. The full buffer has them._`;
  }
  text += '\n';
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

function renderHeader(data: BufferData, newestFirst: BufferEntry[]): string {
  const lines = [`# Resume: ${data.agent_type} session`];
  if (newestFirst.length === 0) {
    lines.push('', `The ${data.agent_type} buffer is empty: there is no session context to resume.`);
    return lines.join('\n');
  }
  const oldest = newestFirst[newestFirst.length - 1]!;
  const newest = newestFirst[0]!;
  const facts = [
    `${newestFirst.length} buffered ${newestFirst.length === 1 ? 'entry' : 'entries'} from ${formatTimestamp(oldest.timestamp)} to ${formatTimestamp(newest.timestamp)}`,
  ];
  const sessions = unique(newestFirst.map((e) => e.context.session_id).filter((s): s is string => !!s));
  if (sessions.length === 1) facts.push(`session ${code(sessions[0]!)}`);
  else if (sessions.length > 1) facts.push(`${sessions.length} sessions, latest ${code(sessions[0]!)}`);
  const where = latestCustom(newestFirst, ['cwd', 'workspace_folder', 'workspace']);
  if (where) facts.push(`in ${code(where)}`);
  const branch = latestCustom(newestFirst, ['git_branch', 'branch']);
  if (branch) facts.push(`on branch ${code(branch)}`);
  lines.push('', `Context of an earlier coding session, recovered by Nexus Buffer: ${facts.join(', ')}.`);
  lines.push('Newest first. Continue the work from where it stopped; check the current state of the files before relying on this.');
  return lines.join('\n');
}

/** How the Claude Code mapping starts a compaction summary's insight. */
const COMPACT_SUMMARY_PREFIX = 'Summary of the compacted conversation';

function collectSections(newestFirst: BufferEntry[]): Section[] {
  const requests: string[] = [];
  let lastReply: string | undefined;
  const decisions: string[] = [];
  const errors: string[] = [];
  const files = new Map<string, { action: FileChange['action']; added: number | null; removed: number | null; edits: number }>();
  const reads: string[] = [];
  const commands = new Map<string, number>();
  const tasks = new Map<string, Task>();
  const insights: string[] = [];
  let compactSummary: string | undefined;
  // One line per subagent run: the same run is recorded when it starts, when it stops and by
  // the tool call that launched it (paired by agent_id); the newest status wins, and the task
  // comes from whichever record named it.
  const subagentRuns = new Map<string, { type: string; task: string; status: string; result: string | null }>();

  for (const entry of newestFirst) {
    const ctx = entry.context;
    for (const message of [...(ctx.conversation ?? [])].reverse()) {
      if (message.role === 'user') requests.push(`- ${formatTimestamp(message.timestamp)}:\n${quote(message.content, 1_200)}`);
      else if (message.role === 'assistant' && lastReply === undefined) lastReply = quote(message.content, 1_200);
    }
    for (const decision of [...(ctx.decisions ?? [])].reverse()) {
      let line = `- ${clip(decision.summary, 300)}`;
      if (decision.rationale) line += ` — because ${clip(decision.rationale, 300)}`;
      if (decision.alternatives?.length) line += ` (instead of ${decision.alternatives.slice(0, 3).map((a) => clip(a, 80)).join('; ')})`;
      decisions.push(line);
    }
    for (const error of [...(ctx.errors ?? [])].reverse()) {
      errors.push(`- ${clip(error.error_type, 60)}: ${clip(error.message, 400)} (${formatTimestamp(error.timestamp)})`);
    }
    for (const file of [...(ctx.files ?? [])].reverse()) {
      if (file.action === 'read') {
        reads.push(file.path);
        continue;
      }
      const seen = files.get(file.path);
      if (!seen) {
        files.set(file.path, { action: file.action, added: file.lines_added, removed: file.lines_removed, edits: 1 });
      } else {
        // Going back in time: an older "created" explains the newer "modified".
        if (file.action === 'created' && seen.action === 'modified') seen.action = 'created';
        seen.added = sum(seen.added, file.lines_added);
        seen.removed = sum(seen.removed, file.lines_removed);
        seen.edits++;
      }
    }
    for (const command of [...(ctx.commands_run ?? [])].reverse()) commands.set(command, (commands.get(command) ?? 0) + 1);
    for (const task of ctx.tasks ?? []) if (!tasks.has(task.description)) tasks.set(task.description, task);
    for (const insight of [...(ctx.insights ?? [])].reverse()) {
      // A compaction's summary replaced the conversation: it gets a section of its own.
      if (entry.context_type === 'compact' && insight.startsWith(COMPACT_SUMMARY_PREFIX)) {
        compactSummary ??= quote(insight.slice(insight.indexOf(':') + 1), 4_000);
        continue;
      }
      insights.push(`- ${clip(insight, 400)}`);
    }
    for (const run of [...(ctx.subagent_executions ?? [])].reverse()) {
      const agentId = typeof run.agent_id === 'string' && run.agent_id ? run.agent_id : undefined;
      const key = agentId ?? `${run.subagent_type}\u0000${run.task}\u0000${run.status}\u0000${run.result_summary ?? ''}`;
      const placeholder = (task: string) => !task || (agentId !== undefined && task === `agent ${agentId}`);
      const seen = subagentRuns.get(key);
      if (!seen) {
        subagentRuns.set(key, { type: run.subagent_type, task: run.task, status: run.status, result: run.result_summary ?? null });
      } else {
        if (placeholder(seen.task) && !placeholder(run.task)) seen.task = run.task;
        seen.result ??= run.result_summary ?? null;
      }
    }
  }

  const statusOrder: Record<string, number> = { in_progress: 0, pending: 1, failed: 2, completed: 3 };
  const taskLines = [...tasks.values()]
    .map((task, newestRank) => ({ task, newestRank }))
    .sort((a, b) => (statusOrder[a.task.status] ?? 9) - (statusOrder[b.task.status] ?? 9) || a.newestRank - b.newestRank)
    .map(({ task }) => `- [${task.status.replace('_', ' ')}] ${clip(task.description, 300)}${task.subagent ? ` (${clip(task.subagent, 60)})` : ''}`);

  const fileLines = [...files.entries()].map(([path, f]) => {
    const counts = f.added !== null || f.removed !== null ? ` +${f.added ?? '?'} −${f.removed ?? '?'}` : '';
    return `- ${code(path)} ${f.action}${counts}${f.edits > 1 ? ` (${f.edits} changes)` : ''}`;
  });
  const subagents = [...subagentRuns.values()].map((run) =>
    `- ${clip(run.type, 60)}: ${clip(run.task, 200)} (${clip(run.status, 30)})${run.result ? ` — ${clip(run.result, 300)}` : ''}`);
  const commandLines = [...commands.entries()].map(([command, count]) => `- ${code(clip(command, 400))}${count > 1 ? ` ×${count}` : ''}`);

  return [
    { title: 'Latest requests from the user', noun: ['request', 'requests'], items: unique(requests) },
    { title: 'Last reply from the agent', noun: ['reply', 'replies'], items: lastReply ? [lastReply] : [] },
    { title: 'Summary of the conversation before the last compaction', noun: ['summary', 'summaries'], items: compactSummary ? [compactSummary] : [] },
    { title: 'Decisions', noun: ['decision', 'decisions'], items: unique(decisions) },
    { title: 'Errors', noun: ['error', 'errors'], items: unique(errors) },
    { title: 'Files changed', noun: ['file', 'files'], items: fileLines },
    { title: 'Tasks', noun: ['task', 'tasks'], items: taskLines },
    { title: 'Commands run', noun: ['command', 'commands'], items: commandLines },
    { title: 'Insights', noun: ['insight', 'insights'], items: unique(insights) },
    { title: 'Subagents', noun: ['subagent run', 'subagent runs'], items: unique(subagents) },
    { title: 'Files read', noun: ['file read', 'files read'], items: unique(reads).map((p) => `- ${code(p)}`) },
  ];
}

function latestCustom(newestFirst: BufferEntry[], keys: string[]): string | undefined {
  for (const entry of newestFirst) {
    const custom = entry.context.custom ?? {};
    for (const key of keys) {
      const value = custom[key];
      if (typeof value === 'string' && value.trim()) return clip(value, 200);
    }
  }
  return undefined;
}

/** A multi-line text as a Markdown quote block (indented under a list item), capped. */
function quote(text: string, max: number): string {
  const capped = text.length > max ? `${text.slice(0, max).trimEnd()} …` : text;
  return capped.trim().split(/\r?\n/).map((line) => `  > ${line}`).join('\n');
}

/** One line, capped. */
function clip(text: string, max: number): string {
  const line = String(text ?? '').replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function sum(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
