import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEntry, type BufferEntry } from '../../../src/core/schema';
import { buildTimeline, entryDetails, entryLane, LANES, viewTimeline } from '../../../src/views/timeline/timelineModel';

function entry(minute: number, contextType: string, context: Record<string, unknown> = {}, session: string | null = 's1'): BufferEntry {
  const timestamp = new Date(Date.UTC(2026, 4, 19, 13, minute)).toISOString();
  const { entry: parsed, problem } = parseEntry({ timestamp, context_type: contextType, id: `e${minute}`, context: { agent_type: 'claude-code', extraction_started: timestamp, session_id: session, ...context } });
  assert.ok(parsed, problem);
  return parsed;
}

const at = (minute: number) => Date.UTC(2026, 4, 19, 13, minute);
const ts = '2026-05-19T13:00:00Z';

test('every entry goes into exactly one lane by kind (a failed command is an error)', () => {
  assert.deepEqual(LANES.map((l) => l.id), ['session', 'prompt', 'tool', 'file', 'error', 'decision', 'subagent', 'compaction']);
  assert.equal(entryLane(entry(0, 'session-start')), 'session');
  assert.equal(entryLane(entry(0, 'prompt', { conversation: [{ role: 'user', content: 'go', timestamp: ts }] })), 'prompt');
  assert.equal(entryLane(entry(0, 'tool-use', { commands_run: ['ls'] })), 'tool');
  assert.equal(entryLane(entry(0, 'tool-use', { commands_run: ['ls'], errors: [{ error_type: 'command_failed', message: 'x', timestamp: ts }] })), 'error');
  assert.equal(entryLane(entry(0, 'checkpoint', { files: [{ path: 'a.ts', action: 'modified', timestamp: ts }] })), 'file');
  assert.equal(entryLane(entry(0, 'extraction', { decisions: [{ summary: 'd', timestamp: ts }] })), 'decision');
  assert.equal(entryLane(entry(0, 'subagent-stop')), 'subagent');
  assert.equal(entryLane(entry(0, 'compact')), 'compaction');
});

test('sessions run from their first to their last entry; one without a session-end is interrupted, or in progress when live', () => {
  const entries = [
    entry(0, 'session-start', {}, 'a'), entry(5, 'tool-use', { commands_run: ['ls'] }, 'a'), entry(9, 'session-end', {}, 'a'),
    entry(10, 'session-start', {}, 'b'), entry(20, 'prompt', {}, 'b'),
    entry(30, 'checkpoint', { insights: ['i'] }, null),
  ];
  const model = buildTimeline('claude-code', entries);
  assert.deepEqual(model.sessions.map((s) => [s.id, s.startMs, s.endMs, s.entries, s.ended, s.inProgress]), [
    ['a', at(0), at(9), 3, true, false],
    ['b', at(10), at(20), 2, false, false],
    [null, at(30), at(30), 1, false, false],
  ]);
  assert.equal(model.lanes.find((l) => l.id === 'session')!.count, 3);
  const live = buildTimeline('claude-code', entries, { live: true });
  assert.deepEqual(live.sessions.map((s) => s.inProgress), [false, false, true], 'only the newest open session of a live buffer');
});

test('a viewport shows one mark per entry, hidden lanes and sessions left out', () => {
  const entries = [
    entry(0, 'session-start', {}, 'a'), entry(1, 'tool-use', { commands_run: ['npm test'] }, 'a'),
    entry(2, 'error', { errors: [{ error_type: 'command_failed', message: 'npm test failed', timestamp: ts }] }, 'a'),
    entry(3, 'prompt', { conversation: [{ role: 'user', content: 'Fix it\nplease', timestamp: ts }] }, 'b'),
  ];
  const model = buildTimeline('claude-code', entries);
  const all = viewTimeline(model, { startMs: model.startMs, endMs: model.endMs, width: 800 });
  assert.deepEqual(all.marks.map((m) => [m.index, m.lane]).sort(), [[0, 'session'], [1, 'tool'], [2, 'error'], [3, 'prompt']]);
  assert.equal(all.bins.length, 0);
  assert.equal(all.marks.find((m) => m.index === 1)!.headline, '$ npm test');
  assert.equal(all.marks.find((m) => m.index === 2)!.headline, 'command_failed: npm test failed');
  assert.equal(all.marks.find((m) => m.index === 3)!.headline, 'Fix it');
  assert.deepEqual(viewTimeline(model, { startMs: model.startMs, endMs: model.endMs, width: 800, hiddenLanes: ['error'] }).marks.map((m) => m.index).sort(), [0, 1, 3]);
  assert.deepEqual(viewTimeline(model, { startMs: model.startMs, endMs: model.endMs, width: 800, hiddenSessions: [0] }).marks.map((m) => m.index), [3]);
  assert.deepEqual(viewTimeline(model, { startMs: at(1), endMs: at(2), width: 800 }).marks.map((m) => m.index).sort(), [1, 2], 'only the viewport');
});

test('100,000 entries come back as bins whose counts add up, not as 100,000 marks', () => {
  const many: BufferEntry[] = [];
  for (let i = 0; i < 100_000; i++) {
    const timestamp = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    many.push({ timestamp, context_type: i % 2 ? 'tool-use' : 'prompt', id: `m${i}`, context: { agent_type: 'a', extraction_started: timestamp, session_id: `s${Math.floor(i / 1000)}` } } as unknown as BufferEntry);
  }
  const model = buildTimeline('a', many);
  assert.equal(model.sessions.length, 100);
  const view = viewTimeline(model, { startMs: model.startMs, endMs: model.endMs, width: 1000 });
  assert.equal(view.marks.length, 0);
  assert.ok(view.bins.length <= 2 * 125, `${view.bins.length} bins for 1000 px`);
  assert.equal(view.bins.reduce((n, b) => n + b.count, 0), 100_000);
  assert.equal(view.visible, 100_000);
  // Zoomed in on a minute: few enough to draw one by one.
  const zoomed = viewTimeline(model, { startMs: model.startMs, endMs: model.startMs + 59_000, width: 1000 });
  assert.equal(zoomed.marks.length, 60);
  assert.equal(zoomed.bins.length, 0);
});

test('an entry\'s details hold every field as plain text sections', () => {
  const model = buildTimeline('claude-code', [entry(0, 'tool-use', {
    commands_run: ['npm test'],
    errors: [{ error_type: 'command_failed', message: 'exit 1', stack_trace: 'at x', timestamp: ts }],
    files: [{ path: 'src/a.ts', action: 'modified', lines_added: 3, lines_removed: 1, timestamp: ts }],
    custom: { exit_code: 1 },
  })]);
  const details = entryDetails(model, 0)!;
  assert.equal(details.lane, 'error');
  assert.equal(details.id, 'e0');
  assert.equal(details.session, 's1');
  assert.deepEqual(details.sections.map((s) => s.title), ['Commands', 'Errors', 'Files', 'Custom']);
  assert.deepEqual(details.sections[1].items, ['command_failed: exit 1\nat x']);
  assert.deepEqual(details.sections[2].items, ['modified src/a.ts (+3 -1)']);
  assert.equal(entryDetails(model, 5), undefined);
});
