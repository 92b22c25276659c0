// The ingest path's fast code keeps the rules of the slow code it replaced (issue 12, point 5):
// timestamps scanned by hand against the RFC 3339 grammar as a regex, the crate's walk that names
// paths only once it finds a problem, completion without copying the input, and the journal's
// batches encoded as lines arrive.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { crateContext, crateEntry, timestampProblem } from '../../../src/core/crateSchema';
import { JournalWriter, parseJournal } from '../../../src/core/journal';
import { completeContext, type BufferEntry } from '../../../src/core/schema';
import { tempDir } from './helpers';

const HINT = 'must be an RFC 3339 timestamp, e.g. 2026-06-14T09:12:03.418Z';
const GRAMMAR = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** The rules as they were written before the hand scanner: the grammar as a regex, then the calendar. */
function referenceProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return HINT;
  const m = GRAMMAR.exec(value);
  if (!m) return HINT;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (month < 1 || month > 12 || day < 1 || day > days) return `${HINT}: ${value} is not a day of the calendar`;
  if (hour > 23 || minute > 59 || second > 60) return `${HINT}: ${value} is not a time of day`;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return `${HINT}: the offset of ${value} is 24 hours or more`;
  return undefined;
}

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('timestampProblem: the hand scanner', () => {
  const seeds = [
    '2026-06-14T09:12:03.418Z', '2026-06-14T09:12:03Z', '2026-06-14t09:12:03.418275913z', '2026-06-14 09:12:03+02:00',
    '2024-02-29T23:59:60-23:59', '2023-02-29T00:00:00Z', '2026-02-30T10:00:00Z', '2026-02-03T10:00:00+25:00',
    '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z', '2026-04-31T00:00:00Z', '2026-06-14T24:00:00Z', '2026-06-14T09:60:00Z',
    '2026-06-14T09:12:61Z', '2026-06-14T09:12:03.Z', '2026-06-14T09:12:03.5', '2026-06-14T09:12:03+0200', '2026-06-14T09:12:03+02:60',
    '2026-06-14T09:12:03Z\n', ' 2026-06-14T09:12:03Z', '2000-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '0000-01-01T00:00:00Z',
    '2026-06-14T09:12:03.418Zx', '２026-06-14T09:12:03Z', '',
  ];

  it('agrees with the grammar and the calendar on every seed and on 20,000 mutations of them', () => {
    const next = random(12);
    const alphabet = '0123456789-:.+ TtZz\n\u0660x';
    const cases: unknown[] = [...seeds, undefined, null, 20260614, {}];
    for (let i = 0; i < 20_000; i++) {
      const chars = [...seeds[Math.floor(next() * seeds.length)]];
      for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
        const at = Math.floor(next() * (chars.length + 1));
        const c = alphabet[Math.floor(next() * alphabet.length)];
        const kind = next();
        if (kind < 0.4) chars[at] = c;
        else if (kind < 0.7) chars.splice(at, 0, c);
        else chars.splice(at, 1);
      }
      cases.push(chars.join(''));
    }
    for (const value of cases) assert.equal(timestampProblem(value), referenceProblem(value), JSON.stringify(value));
  });
});

describe("the crate's walk names where a problem is, though it builds no paths on the way", () => {
  const at = '2026-06-14T09:12:03.418Z';
  const base = { agent_type: 'a', extraction_started: at, extraction_source: 'x', reliability_score: 1 };

  it('names the field of a nested item, and the key of an unknown value', () => {
    assert.throws(
      () => crateContext({ ...base, files: [{ path: 'a', action: 'modified', timestamp: at }, { path: 'b', action: 'moved', timestamp: at }] }),
      { message: 'context.files[1].action: must be one of created, modified, deleted, read' },
    );
    assert.throws(() => crateContext({ ...base, decisions: [{ summary: 's', timestamp: at, alternatives: ['x', 3] }] }), { message: 'context.decisions[0].alternatives[1]: must be a string' });
    assert.throws(() => crateContext({ ...base, custom: { deep: { list: [1, Infinity] } } }), { message: 'context.custom.deep.list[1]: must be a finite number (JSON has no Infinity)' });
    assert.throws(() => crateContext({ ...base, extra: { x: [undefined] } }), { message: 'context.extra.x[0]: must be plain JSON, not undefined' });
    assert.throws(() => crateEntry({ timestamp: at, context_type: 't', context: { ...base, tasks: [{ description: 'd' }] } }), { message: 'entry.context.tasks[0].status: must be one of pending, in_progress, completed, failed' });
  });

  it('keeps unknown keys after the known ones, in input order, __proto__ as an own key', () => {
    const input = JSON.parse(`{"zeta":1,"agent_type":"a","__proto__":{"p":1},"extraction_started":"${at}","alpha":[2]}`) as Record<string, unknown>;
    const out = crateContext(input);
    assert.deepEqual(Object.keys(out).slice(-3), ['zeta', '__proto__', 'alpha']);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { p: 1 });
    assert.equal(Object.keys(out)[0], 'agent_type');
  });

  it('reading: an entry laid out as written is checked in place and kept, not copied; any other layout is put in order', () => {
    const full = completeContext({ ...base, files: [{ path: 'a', action: 'read', timestamp: at }], custom: { k: [1] } }, { agentType: 'a' });
    const text = JSON.stringify({ timestamp: at, context_type: 't', context: { ...full, later: { x: 1 } }, id: 'e1' });
    const parsed = JSON.parse(text) as { context: { files: unknown[]; custom: unknown } };
    const { entry, complete } = crateEntry(parsed);
    assert.equal(complete, true);
    assert.equal(entry, parsed, 'the parsed entry itself');
    assert.equal(entry.context, parsed.context);
    assert.equal((entry.context as typeof parsed.context).files[0], parsed.context.files[0]);
    assert.equal(JSON.stringify(entry), text, 'unchanged');
    // Known keys out of order, and an item that needs completing: a copy in the crate's order.
    const shuffled = JSON.parse(`{"context_type":"t","timestamp":"${at}","context":${JSON.stringify({ ...full, files: [{ path: 'a', action: 'read', timestamp: at }] })}}`) as Record<string, unknown>;
    const read = crateEntry(shuffled);
    assert.notEqual(read.entry, shuffled);
    assert.deepEqual(Object.keys(read.entry), ['timestamp', 'context_type', 'context']);
    assert.equal(read.complete, false, 'lines_added and lines_removed were filled in');
    assert.deepEqual((read.entry.context as typeof full).files[0], { path: 'a', action: 'read', lines_added: null, lines_removed: null, timestamp: at });
    // In place, the rules still hold, deep in an array and among unknown keys.
    const bad = (mutate: (e: any) => void) => {
      const e = JSON.parse(text);
      mutate(e);
      return () => crateEntry(e);
    };
    assert.throws(bad((e) => (e.context.files[0].action = 'moved')), { message: 'entry.context.files[0].action: must be one of created, modified, deleted, read' });
    assert.throws(bad((e) => (e.context.later = { x: '\ud800' })), /entry\.context\.later\.x: holds an unpaired UTF-16 surrogate/);
    assert.throws(bad((e) => (e.context.custom = [])), { message: 'entry.context.custom: must be an object' });
  });

  it('says whether reading had to fill something in', () => {
    const full = completeContext({ ...base }, { agentType: 'a' });
    assert.equal(crateEntry({ timestamp: at, context_type: 't', context: full }).complete, true);
    const { conversation: _dropped, ...partial } = full;
    assert.equal(crateEntry({ timestamp: at, context_type: 't', context: partial }).complete, false);
  });
});

describe('completeContext without a copy of the input', () => {
  const now = '2026-06-14T09:12:03.418Z';

  it('takes the defaults for missing or null agent_type, extraction_started and extraction_source, and leaves the input as it was', () => {
    const input = { agent_type: null, extraction_source: null, session_id: 's' };
    const before = JSON.stringify(input);
    const out = completeContext(input, { agentType: 'claude-code', extractionSource: 'cli', now });
    assert.equal(out.agent_type, 'claude-code');
    assert.equal(out.extraction_started, now);
    assert.equal(out.extraction_source, 'cli');
    assert.equal(completeContext({}, { agentType: 'a', now }).extraction_source, 'unknown');
    assert.equal(JSON.stringify(input), before);
    assert.notEqual(out, input as unknown);
  });

  it('takes a given value over a default, and refuses a bad one', () => {
    assert.equal(completeContext({ agent_type: 'codex' }, { agentType: 'claude-code', now }).agent_type, 'codex');
    assert.throws(() => completeContext({ agent_type: 7 }, { agentType: 'claude-code', now }), /context\.agent_type: must be a string/);
    assert.throws(() => completeContext({ extraction_started: 'yesterday' }, { agentType: 'a', now }), /context\.extraction_started: must be an RFC 3339/);
  });

  it('takes a class instance by its own enumerable keys, as before', () => {
    class Context {
      session_id = 's';
      insights = ['i'];
    }
    const out = completeContext(new Context(), { agentType: 'a', now });
    assert.equal(out.session_id, 's');
    assert.deepEqual(out.insights, ['i']);
  });

  it('names a context nested too deep as such, even when it breaks another rule too', () => {
    let deep: unknown = [];
    for (let i = 0; i < 200; i++) deep = [deep];
    assert.throws(() => completeContext({ custom: { deep }, files: 'no' }, { agentType: 'a', now }), /context\.custom\.deep\[0\].*nested deeper than 124 levels/);
  });
});

describe('JournalWriter batches', () => {
  const header = { nexus_journal: 1 as const, agent_type: 'a', started_at: '2026-06-14T09:12:03.418Z', writer_id: 'w1' };
  const entry = (i: number, text: string): BufferEntry => ({
    timestamp: header.started_at, context_type: 't', context: completeContext({ insights: [text] }, { agentType: 'a', now: header.started_at }), id: `id-${i}`,
  });

  it('writes every line as given, across batches that outgrow their buffer, in multi-byte text too', async () => {
    const dir = tempDir();
    const writer = new JournalWriter(dir, header, 0, { syncEach: false, batchWindowMs: 5 });
    const durable: number[] = [];
    const lines: string[] = [];
    const texts = ['plain', 'café ünïcödé', '日本語のテキスト', '🦀 emoji', 'x'.repeat(200_000)];
    const appends: Array<Promise<void>> = [];
    for (let i = 0; i < 300; i++) {
      const line = JSON.stringify(entry(i, `${texts[i % texts.length]} ${i}`));
      lines.push(line);
      appends.push(writer.appendLine(line).then(() => void durable.push(i)));
    }
    await Promise.all(appends);
    // A second batch reuses the first one's bytes: what it writes must still be only its own.
    const later = JSON.stringify(entry(300, 'after'));
    lines.push(later);
    await writer.appendLine(later, Buffer.byteLength(later));
    await writer.close();
    assert.deepEqual(durable, [...Array(300).keys()]);
    const text = fs.readFileSync(path.join(dir, 'a.json.wal-w1-0'), 'utf8');
    assert.equal(text, `${JSON.stringify(header)}\n${lines.join('\n')}\n`);
    assert.equal(writer.bytes, Buffer.byteLength(text));
    assert.equal(writer.entries, 301);
    assert.deepEqual(parseJournal(text).entries.map((e) => e.id), lines.map((_, i) => `id-${i}`));
  });

  it('refuses a line whose byte length is given wrong, and writes nothing of it', async () => {
    const dir = tempDir();
    const writer = new JournalWriter(dir, header, 0, { syncEach: false, batchWindowMs: 0 });
    const line = JSON.stringify(entry(1, 'café'));
    assert.throws(() => writer.appendLine(line, line.length), /journal line of \d+ bytes, said to be \d+/);
    await writer.appendLine(line);
    await writer.close();
    assert.equal(fs.readFileSync(path.join(dir, 'a.json.wal-w1-0'), 'utf8'), `${JSON.stringify(header)}\n${line}\n`);
  });

  it('with one fsync per entry ("always"), each append is a batch of its own, counted once durable', async () => {
    const dir = tempDir();
    const counted: number[] = [];
    const writer = new JournalWriter(dir, header, 0, { syncEach: true, batchWindowMs: 5 }, (bytes) => counted.push(bytes));
    const lines = [0, 1, 2].map((i) => JSON.stringify(entry(i, `e${i}`)));
    await Promise.all(lines.map((l) => writer.appendLine(l)));
    await writer.close();
    assert.deepEqual(counted, lines.map((l) => Buffer.byteLength(l) + 1));
  });
});
