import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSince, SearchIndex, searchableTexts } from '../../../src/core/search';
import { parseEntry, type BufferEntry } from '../../../src/core/schema';

function entry(minute: number, context: Record<string, unknown>, id = `e${minute}`, contextType = 'checkpoint'): BufferEntry {
  const timestamp = new Date(Date.UTC(2026, 4, 19, 13, minute)).toISOString();
  const { entry: parsed, problem } = parseEntry({ timestamp, context_type: contextType, id, context: { agent_type: 'claude-code', extraction_started: timestamp, ...context } });
  assert.ok(parsed, problem);
  return parsed;
}

const entries = [
  entry(1, { conversation: [{ role: 'user', content: 'Fix the Upload retry', timestamp: '2026-05-19T13:01:00Z' }, { role: 'assistant', content: 'upload is fine', timestamp: '2026-05-19T13:01:00Z' }] }),
  entry(2, { commands_run: ['npm test -- upload'], files: [{ path: 'src/upload/client.ts', action: 'modified', timestamp: '2026-05-19T13:02:00Z' }] }),
  entry(3, { errors: [{ error_type: 'command_failed', message: 'npm test exited with 1', timestamp: '2026-05-19T13:03:00Z' }] }),
  entry(4, { decisions: [{ summary: 'Retry uploads with backoff', timestamp: '2026-05-19T13:04:00Z' }], insights: ['uploads time out at 30 s'] }),
];

test('each field is searched: prompts (user messages only), commands, errors, file paths, decisions, insights', () => {
  assert.deepEqual(searchableTexts(entries[0]).map((t) => t.field), ['prompt']);
  const index = new SearchIndex();
  index.set('claude-code', 1, entries);
  const hits = index.search('UPLOAD');
  assert.deepEqual(hits.map((h) => [h.field, h.id]), [
    ['decision', 'e4'], ['insight', 'e4'], ['command', 'e2'], ['file', 'e2'], ['prompt', 'e1'],
  ], 'newest first; the assistant\'s "upload is fine" is not a prompt');
  assert.equal(hits[0].text, 'Retry uploads with backoff');
  assert.equal(hits[0].entryIndex, 3);
  assert.deepEqual(index.search('exited with').map((h) => [h.field, h.contextType]), [['error', 'checkpoint']]);
  assert.deepEqual(index.search('   '), []);
  assert.deepEqual(index.search('nowhere'), []);
});

test('agents, since and limit narrow the hits; newest first across buffers', () => {
  const index = new SearchIndex();
  index.set('claude-code', 1, entries);
  index.set('codex', 1, [entry(5, { commands_run: ['npm test'] }, 'x5'), entry(0, { commands_run: ['npm ci'] }, 'x0')]);
  assert.deepEqual(index.search('npm').map((h) => `${h.agentType}:${h.id}`), ['codex:x5', 'claude-code:e3', 'claude-code:e2', 'codex:x0'], 'out-of-order entries are sorted too');
  assert.deepEqual(index.search('npm', { agents: ['codex'] }).map((h) => h.id), ['x5', 'x0']);
  assert.deepEqual(index.search('npm', { sinceMs: Date.UTC(2026, 4, 19, 13, 3) }).map((h) => h.id), ['x5', 'e3']);
  assert.deepEqual(index.search('npm', { limit: 1 }).map((h) => h.id), ['x5']);
});

test('the haystack is rebuilt only for a new version of a buffer', () => {
  const index = new SearchIndex();
  index.set('claude-code', 1, entries);
  index.set('claude-code', 1, []);
  assert.equal(index.search('upload').length, 5, 'same version: kept');
  assert.ok(index.has('claude-code', 1));
  index.set('claude-code', 2, [entry(9, { insights: ['only this'] })]);
  assert.deepEqual(index.search('upload'), []);
  assert.equal(index.search('only this').length, 1);
  index.retainOnly([]);
  assert.deepEqual(index.search('only this'), []);
});

test('100,000 entries are searched fast enough to type (a bound generous for a loaded machine)', () => {
  const many: BufferEntry[] = [];
  for (let i = 0; i < 100_000; i++) {
    const timestamp = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    many.push({ timestamp, context_type: 'tool-use', id: `m${i}`, context: { agent_type: 'a', extraction_started: timestamp, commands_run: [`cargo build --bin tool-${i}`], files: [{ path: `src/mod${i}.rs`, action: 'modified', timestamp }] } } as unknown as BufferEntry);
  }
  const index = new SearchIndex();
  index.set('a', 1, many);
  const started = Date.now();
  for (let i = 0; i < 10; i++) index.search(`tool-9999${i % 10}`);
  const missing = index.search('not in any entry');
  const perQuery = (Date.now() - started) / 11;
  assert.deepEqual(missing, []);
  assert.equal(index.search('tool-99999')[0].id, 'm99999');
  assert.ok(perQuery < 1000, `one search over 100,000 entries took ${perQuery} ms`);
});

test('--since takes a duration back from now or a date', () => {
  const now = Date.UTC(2026, 4, 19, 12);
  assert.equal(parseSince('2d', now), now - 2 * 86_400_000);
  assert.equal(parseSince('90m', now), now - 90 * 60_000);
  assert.equal(parseSince('1w', now), now - 7 * 86_400_000);
  assert.equal(parseSince('2026-05-18', now), Date.UTC(2026, 4, 18));
  assert.equal(parseSince('2026-05-18T10:00:00Z', now), Date.UTC(2026, 4, 18, 10));
  assert.equal(parseSince('yesterday', now), undefined);
  assert.equal(parseSince('2x', now), undefined);
});
