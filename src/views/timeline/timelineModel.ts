// The timeline of one buffer, as data: every entry in one lane by kind, the sessions it holds
// (start to end, ended cleanly or not), and what a viewport shows: one mark per entry while a
// lane is sparse enough to draw, counts per time bin once it is not (100,000 entries stay a few
// hundred elements). Pure: no vscode, no I/O; the panel sends its output to the webview.
import type { BufferEntry } from '../../core/schema';
import { summarizeEntry } from '../../core/render';

export type LaneId = 'session' | 'prompt' | 'tool' | 'file' | 'error' | 'decision' | 'subagent' | 'compaction';

export const LANES: ReadonlyArray<{ id: LaneId; title: string }> = [
  { id: 'session', title: 'Session starts and ends' },
  { id: 'prompt', title: 'Prompts' },
  { id: 'tool', title: 'Tool uses and commands' },
  { id: 'file', title: 'Files' },
  { id: 'error', title: 'Errors' },
  { id: 'decision', title: 'Decisions and insights' },
  { id: 'subagent', title: 'Subagents' },
  { id: 'compaction', title: 'Compactions' },
];

const LANE_INDEX = new Map(LANES.map((lane, i) => [lane.id, i]));
const HEADLINE_MAX = 140;

/** The one lane an entry is drawn in: errors first (a failed command is looked for as an error), then its type, then what it holds. */
export function entryLane(entry: BufferEntry): LaneId {
  const ctx = entry.context;
  const type = entry.context_type;
  if (type === 'error' || (ctx?.errors?.length ?? 0) > 0) return 'error';
  if (type === 'session-start' || type === 'session-end') return 'session';
  if (type === 'compact' || type.startsWith('compact')) return 'compaction';
  if (type.startsWith('subagent') || (ctx?.subagent_executions?.length ?? 0) > 0) return 'subagent';
  if (type === 'prompt') return 'prompt';
  if (type === 'tool-use' || (ctx?.commands_run?.length ?? 0) > 0) return 'tool';
  if ((ctx?.decisions?.length ?? 0) > 0 || (ctx?.insights?.length ?? 0) > 0) return 'decision';
  if ((ctx?.files?.length ?? 0) > 0) return 'file';
  if ((ctx?.conversation ?? []).some((m) => m.role === 'user')) return 'prompt';
  return 'decision';
}

export interface TimelineSession {
  index: number;
  id: string | null;
  label: string;
  startMs: number;
  endMs: number;
  entries: number;
  /** Its newest entry is a session-end. */
  ended: boolean;
  /** Not ended, but its buffer is being written right now (the newest session of a live buffer). */
  inProgress: boolean;
}

export interface TimelineModel {
  agentType: string;
  count: number;
  startMs: number;
  endMs: number;
  lanes: Array<{ id: LaneId; title: string; count: number }>;
  sessions: TimelineSession[];
  entries: readonly BufferEntry[];
  /** Per entry (by its index in the buffer): time, lane index, session index. */
  times: Float64Array;
  laneOf: Uint8Array;
  sessionOf: Uint32Array;
  /** Entry indices in time order. */
  byTime: Uint32Array;
}

export interface BuildOptions {
  /** The buffer is written to right now: its newest unended session is in progress, not interrupted. */
  live?: boolean;
}

function entryMs(entry: BufferEntry, fallback: number): number {
  const ms = Date.parse(entry.timestamp);
  return Number.isFinite(ms) ? ms : fallback;
}

export function buildTimeline(agentType: string, entries: readonly BufferEntry[], options: BuildOptions = {}): TimelineModel {
  const n = entries.length;
  const times = new Float64Array(n);
  const laneOf = new Uint8Array(n);
  const sessionOf = new Uint32Array(n);
  const laneCounts = new Array<number>(LANES.length).fill(0);
  const sessionsById = new Map<string | null, { id: string | null; startMs: number; endMs: number; entries: number; lastType: string; lastMs: number; members: number[] }>();
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const entry = entries[i];
    const ms = entryMs(entry, previous);
    previous = ms;
    times[i] = ms;
    const lane = LANE_INDEX.get(entryLane(entry))!;
    laneOf[i] = lane;
    laneCounts[lane]++;
    const id = entry.context?.session_id ?? null;
    let session = sessionsById.get(id);
    if (!session) sessionsById.set(id, (session = { id, startMs: ms, endMs: ms, entries: 0, lastType: '', lastMs: -Infinity, members: [] }));
    session.entries++;
    session.startMs = Math.min(session.startMs, ms);
    session.endMs = Math.max(session.endMs, ms);
    // "Newest" as the core counts it for `interrupted`: the last in buffer order.
    session.lastType = entry.context_type;
    session.members.push(i);
  }
  const ordered = [...sessionsById.values()].sort((a, b) => a.startMs - b.startMs);
  const newestOpen = options.live ? ordered.filter((s) => s.lastType !== 'session-end').sort((a, b) => b.endMs - a.endMs)[0] : undefined;
  const sessions: TimelineSession[] = ordered.map((s, index) => {
    for (const member of s.members) sessionOf[member] = index;
    const ended = s.lastType === 'session-end';
    return {
      index,
      id: s.id,
      label: s.id ? `Session ${s.id.slice(0, 8)}` : 'Entries without a session id',
      startMs: s.startMs,
      endMs: s.endMs,
      entries: s.entries,
      ended,
      inProgress: !ended && s === newestOpen,
    };
  });
  const byTime = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => times[a] - times[b] || a - b);
  let startMs = n ? times[byTime[0]] : Date.now();
  let endMs = n ? times[byTime[n - 1]] : startMs;
  if (endMs - startMs < 60_000) {
    // A single moment still gets a readable minute around it.
    const middle = (startMs + endMs) / 2;
    startMs = middle - 30_000;
    endMs = middle + 30_000;
  }
  return {
    agentType,
    count: n,
    startMs,
    endMs,
    lanes: LANES.map((lane, i) => ({ ...lane, count: laneCounts[i] })),
    sessions,
    entries,
    times,
    laneOf,
    sessionOf,
    byTime,
  };
}

export interface ViewRequest {
  startMs: number;
  endMs: number;
  /** Width of the drawing area in CSS pixels (bins are `binPx` wide). */
  width: number;
  hiddenLanes?: readonly LaneId[];
  hiddenSessions?: readonly number[];
  /** A lane with more visible entries than this is drawn as bins (default 400). */
  maxMarksPerLane?: number;
  binPx?: number;
}

export interface TimelineMark {
  index: number;
  lane: LaneId;
  t: number;
  session: number;
  /** One line for the hover and the screen reader. */
  headline: string;
}

export interface TimelineBin {
  lane: LaneId;
  startMs: number;
  endMs: number;
  count: number;
  /** The first entry of the bin in time (what a click on it can show). */
  firstIndex: number;
}

export interface TimelineView {
  startMs: number;
  endMs: number;
  /** Entries in the viewport that pass the filters. */
  visible: number;
  marks: TimelineMark[];
  bins: TimelineBin[];
}

/** First position in `byTime` whose time is >= ms. */
function lowerBound(model: TimelineModel, ms: number): number {
  let lo = 0;
  let hi = model.byTime.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (model.times[model.byTime[mid]] < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What the viewport shows: marks for sparse lanes, bins for dense ones; filtered lanes and sessions left out. */
export function viewTimeline(model: TimelineModel, request: ViewRequest): TimelineView {
  const startMs = Math.min(request.startMs, request.endMs);
  const endMs = Math.max(request.endMs, startMs + 1);
  const maxMarks = request.maxMarksPerLane ?? 400;
  const binPx = Math.max(2, request.binPx ?? 8);
  const hiddenLanes = new Set((request.hiddenLanes ?? []).map((id) => LANE_INDEX.get(id)));
  const hiddenSessions = new Set(request.hiddenSessions ?? []);
  const from = lowerBound(model, startMs);
  const to = lowerBound(model, endMs + 1);
  const perLane: number[][] = LANES.map(() => []);
  for (let k = from; k < to; k++) {
    const i = model.byTime[k];
    const lane = model.laneOf[i];
    if (hiddenLanes.has(lane) || hiddenSessions.has(model.sessionOf[i])) continue;
    perLane[lane].push(i);
  }
  const marks: TimelineMark[] = [];
  const bins: TimelineBin[] = [];
  const binCount = Math.max(1, Math.floor(Math.max(1, request.width) / binPx));
  const binMs = (endMs - startMs) / binCount;
  let visible = 0;
  perLane.forEach((indices, laneIndex) => {
    visible += indices.length;
    const lane = LANES[laneIndex].id;
    if (indices.length <= maxMarks) {
      for (const i of indices) {
        marks.push({ index: i, lane, t: model.times[i], session: model.sessionOf[i], headline: entryHeadline(model.entries[i], lane) });
      }
      return;
    }
    let current: TimelineBin | undefined;
    let currentBin = -1;
    for (const i of indices) {
      const bin = Math.min(binCount - 1, Math.floor((model.times[i] - startMs) / binMs));
      if (bin !== currentBin) {
        currentBin = bin;
        current = { lane, startMs: startMs + bin * binMs, endMs: startMs + (bin + 1) * binMs, count: 0, firstIndex: i };
        bins.push(current);
      }
      current!.count++;
    }
  });
  return { startMs, endMs, visible, marks, bins };
}

function firstLine(text: unknown): string {
  const line = String(text ?? '').split(/\r?\n/).find((l) => l.trim()) ?? '';
  const trimmed = line.trim().replace(/\s+/g, ' ');
  return trimmed.length > HEADLINE_MAX ? `${trimmed.slice(0, HEADLINE_MAX - 1)}…` : trimmed;
}

/** One line that says what an entry is about, for its lane. */
export function entryHeadline(entry: BufferEntry, lane: LaneId = entryLane(entry)): string {
  const ctx = entry.context;
  const prompt = ctx?.conversation?.find((m) => m.role === 'user')?.content;
  switch (lane) {
    case 'error': {
      const error = ctx?.errors?.[0];
      if (error) return firstLine(`${error.error_type}: ${error.message}`);
      break;
    }
    case 'session':
      return entry.context_type === 'session-end' ? 'Session ended' : 'Session started';
    case 'compaction':
      return 'Context compacted';
    case 'subagent': {
      const run = ctx?.subagent_executions?.[0];
      if (run) return firstLine(`${run.subagent_type} (${run.status}): ${run.task}`);
      break;
    }
    case 'prompt':
      if (prompt) return firstLine(prompt);
      break;
    case 'tool': {
      const command = ctx?.commands_run?.[0];
      if (command) return firstLine(`$ ${command}`);
      const tool = (ctx?.custom as Record<string, unknown> | undefined)?.tool_name;
      if (typeof tool === 'string') return firstLine(tool);
      break;
    }
    case 'file': {
      const file = ctx?.files?.[0];
      if (file) return firstLine(`${file.action} ${file.path}`);
      break;
    }
    case 'decision': {
      const decision = ctx?.decisions?.[0]?.summary ?? ctx?.insights?.[0];
      if (decision) return firstLine(decision);
      break;
    }
  }
  return firstLine(summarizeEntry(entry) || entry.context_type || 'entry');
}

export interface EntryDetails {
  index: number;
  id: string | null;
  timestamp: string;
  contextType: string;
  lane: LaneId;
  laneTitle: string;
  headline: string;
  session: string | null;
  sections: Array<{ title: string; items: string[] }>;
}

/** Everything an entry holds, as plain text sections (the webview shows them as text, never as HTML). */
export function entryDetails(model: TimelineModel, index: number): EntryDetails | undefined {
  const entry = model.entries[index];
  if (!entry) return undefined;
  const ctx = entry.context;
  const lane = LANES[model.laneOf[index]];
  const sections: EntryDetails['sections'] = [];
  const section = (title: string, items: Array<string | null | undefined | false>) => {
    const kept = items.filter((item): item is string => typeof item === 'string' && item.length > 0);
    if (kept.length) sections.push({ title, items: kept });
  };
  section('Conversation', (ctx?.conversation ?? []).map((m) => `${m.role}: ${m.content}`));
  section('Commands', ctx?.commands_run ?? []);
  section('Errors', (ctx?.errors ?? []).map((e) => `${e.error_type}: ${e.message}${e.stack_trace ? `\n${e.stack_trace}` : ''}`));
  section('Files', (ctx?.files ?? []).map((f) => {
    const delta = [typeof f.lines_added === 'number' ? `+${f.lines_added}` : '', typeof f.lines_removed === 'number' ? `-${f.lines_removed}` : ''].filter(Boolean).join(' ');
    return `${f.action} ${f.path}${delta ? ` (${delta})` : ''}`;
  }));
  section('Decisions', (ctx?.decisions ?? []).map((d) => [d.summary, d.rationale && `Rationale: ${d.rationale}`, d.alternatives?.length && `Alternatives: ${d.alternatives.join('; ')}`, d.impact && `Impact: ${d.impact}`].filter(Boolean).join('\n')));
  section('Insights', ctx?.insights ?? []);
  section('Tasks', (ctx?.tasks ?? []).map((t) => `[${t.status.replace(/_/g, ' ')}] ${t.description}${t.subagent ? ` (by ${t.subagent})` : ''}`));
  section('Subagent executions', (ctx?.subagent_executions ?? []).map((s) => `${s.subagent_type} (${s.status}): ${s.task}${s.result_summary ? `\nResult: ${s.result_summary}` : ''}`));
  if (ctx?.custom && Object.keys(ctx.custom).length > 0) section('Custom', [JSON.stringify(ctx.custom, null, 2)]);
  return {
    index,
    id: entry.id ?? null,
    timestamp: entry.timestamp,
    contextType: entry.context_type,
    lane: lane.id,
    laneTitle: lane.title,
    headline: entryHeadline(entry, lane.id),
    session: ctx?.session_id ?? null,
    sections,
  };
}

/** The position of the entry with this id (or undefined). */
export function indexOfEntry(model: TimelineModel, id: string): number | undefined {
  const i = model.entries.findIndex((e) => e.id === id);
  return i >= 0 ? i : undefined;
}
