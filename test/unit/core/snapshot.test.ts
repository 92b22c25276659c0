// The crate's snapshot format: byte-exact round trips, and salvage of damaged files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PersistentBuffer } from '../../../src/core/buffer';
import { parseSnapshot, serializeSnapshot } from '../../../src/core/snapshot';
import { bufferFiles, fixture, tempDir } from './helpers';

const crateText = () => fs.readFileSync(fixture('crate-every-field.json'), 'utf8');

/** Every timestamp-looking string in a text, in order. */
const timestamps = (text: string) => text.match(/\d{4}-\d{2}-\d{2}T[0-9:.]+Z/g) ?? [];
/** Every key path of a JSON value. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keyPaths(v, `${prefix}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [`${prefix}.${k}`, ...keyPaths(v, `${prefix}.${k}`)]);
  }
  return [];
}

describe('snapshot format', () => {
  it('reads a crate-written file with every field and writes it back byte for byte', () => {
    const text = crateText();
    const parsed = parseSnapshot(text);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.entries.length, 2);
    const written = serializeSnapshot({
      ...parsed.extra, started_at: parsed.startedAt!, entries: parsed.entries, last_flush: parsed.lastFlush, agent_type: parsed.agentType!,
    });
    assert.equal(written, text);
  });

  it('keeps every key and every nanosecond timestamp through recover and a compaction by PersistentBuffer', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'claude-code.json'), crateText());
    const buffer = new PersistentBuffer({ dir });
    try {
      await buffer.recover('claude-code');
      await buffer.flush('claude-code', { compact: true });
    } finally {
      await buffer.dispose();
    }
    const original = JSON.parse(crateText());
    const after = JSON.parse(fs.readFileSync(path.join(dir, 'claude-code.json'), 'utf8'));
    assert.deepEqual(keyPaths(after), keyPaths(original));
    assert.deepEqual(after.entries, original.entries);
    assert.equal(after.started_at, original.started_at);
    const originalStamps = timestamps(crateText()).filter((t) => t !== original.last_flush);
    assert.deepEqual(timestamps(fs.readFileSync(path.join(dir, 'claude-code.json'), 'utf8')).filter((t) => t !== after.last_flush), originalStamps);
  });

  it('writes every key the crate requires for a context given with almost nothing', async () => {
    const dir = tempDir();
    const buffer = new PersistentBuffer({ dir });
    try {
      await buffer.bufferContext('codex', { commands_run: ['ls'] });
      await buffer.flush('codex', { compact: true });
    } finally {
      await buffer.dispose();
    }
    const doc = JSON.parse(fs.readFileSync(path.join(dir, 'codex.json'), 'utf8'));
    assert.deepEqual(Object.keys(doc), ['started_at', 'entries', 'last_flush', 'agent_type']);
    assert.deepEqual(Object.keys(doc.entries[0]).slice(0, 3), ['timestamp', 'context_type', 'context']);
    assert.deepEqual(Object.keys(doc.entries[0].context), [
      'agent_type', 'extraction_started', 'extraction_completed', 'session_id', 'conversation', 'decisions', 'files',
      'tasks', 'insights', 'errors', 'subagent_executions', 'commands_run', 'custom', 'extraction_source', 'reliability_score',
    ]);
    assert.equal(doc.entries[0].context.extraction_source, 'unknown');
    assert.equal(doc.entries[0].context.reliability_score, 1);
    assert.match(fs.readFileSync(path.join(dir, 'codex.json'), 'utf8'), /"reliability_score": 1\.0/);
  });

  it('serialises entry by entry exactly as one pretty JSON.stringify would, extra keys and empty arrays included', () => {
    const parsed = parseSnapshot(crateText());
    const base = { started_at: parsed.startedAt!, entries: parsed.entries, last_flush: parsed.lastFlush, agent_type: parsed.agentType! };
    const reference = (doc: object) => JSON.stringify(doc, null, 2).replace(/("reliability_score": -?\d+)(?=,?\n|,?$)/g, '$1.0');
    for (const doc of [{ ...base, future: { a: [1, { b: 'line\nbreak' }] }, none: [] }, { ...base, entries: [] }]) {
      assert.equal(serializeSnapshot(doc), reference(doc));
      assert.equal(serializeSnapshot(doc), reference(doc), 'and again from the per-entry cache');
    }
  });

  it('keeps unknown keys at every level', () => {
    const doc = JSON.parse(crateText());
    doc.future_top = { a: 1 };
    doc.entries[0].future_entry = 'kept';
    doc.entries[0].context.future_context = [1, 2];
    doc.entries[0].context.files[0].future_file = true;
    const parsed = parseSnapshot(JSON.stringify(doc));
    const written = JSON.parse(serializeSnapshot({ ...parsed.extra, started_at: parsed.startedAt!, entries: parsed.entries, last_flush: parsed.lastFlush, agent_type: parsed.agentType! }));
    assert.deepEqual(written, doc);
  });
});

describe('damaged snapshots are salvaged, never lost', () => {
  it('salvages every complete entry of a file truncated at any offset', () => {
    const text = crateText();
    const secondEntryEnd = text.indexOf('"context_type": "tool-use"');
    for (let cut = 1; cut < text.length; cut += 7) {
      const parsed = parseSnapshot(text.slice(0, cut));
      assert.ok(parsed.problems.length > 0, `cut at ${cut} reports a problem`);
      // The first entry is complete once the text passes the start of the second one.
      if (cut > secondEntryEnd) assert.ok(parsed.entries.length >= 1, `cut at ${cut} keeps the first entry`);
      for (const entry of parsed.entries) assert.equal(entry.context.agent_type, 'claude-code');
    }
  });

  for (const [name, content, expectEntries] of [
    ['an empty file', '', 0],
    ['garbage', '\u0000\u0001not json at all }{', 0],
    ['a file with a byte-order mark', '\ufeff' + '{"started_at":"2026-01-01T00:00:00Z","entries":[],"last_flush":null,"agent_type":"x"}', 0],
    ['wrong types at the top', '{"started_at": 5, "entries": "no", "last_flush": null, "agent_type": "x"}', 0],
  ] as const) {
    it(`handles ${name} without throwing`, () => {
      const parsed = parseSnapshot(content);
      assert.equal(parsed.entries.length, expectEntries);
      if (name.includes('byte-order')) assert.deepEqual(parsed.problems, []);
      else assert.ok(parsed.problems.length > 0 && parsed.damaged);
    });
  }

  it('keeps valid entries and sets invalid ones aside, saying which', () => {
    const doc = JSON.parse(crateText());
    doc.entries.splice(1, 0, { timestamp: 'yesterday', context_type: 3, context: {} });
    const parsed = parseSnapshot(JSON.stringify(doc));
    assert.equal(parsed.entries.length, 2);
    assert.match(parsed.problems.join(' '), /1 invalid entry set aside \(first: entries\[1\]/);
  });

  it('a writer sets a damaged file aside as .damaged-<time>, keeps its valid entries, and lists it', async () => {
    const dir = tempDir();
    const text = crateText();
    fs.writeFileSync(path.join(dir, 'claude-code.json'), text.slice(0, text.length - 200));
    fs.writeFileSync(path.join(dir, 'codex.json'), JSON.stringify({ started_at: '2026-01-01T00:00:00Z', entries: [], last_flush: null, agent_type: 'codex' }));
    const buffer = new PersistentBuffer({ dir });
    const notices: string[] = [];
    buffer.onDidChange((e) => e.notice && notices.push(e.notice.message));
    try {
      const listed = await buffer.listBuffers();
      assert.deepEqual(listed.map((s) => [s.agentType, s.damaged]), [['claude-code', true], ['codex', false]]);
      assert.match(listed[0].problems.join(' '), /not valid JSON/);
      const report = await buffer.repair();
      assert.equal(report.salvaged.length, 1);
      assert.equal(report.salvaged[0].entriesKept, 1);
      assert.ok(bufferFiles(dir).some((n) => /^claude-code\.json\.damaged-\d{8}T\d+Z$/.test(n)));
      const damagedCopy = bufferFiles(dir).find((n) => n.includes('.damaged-'))!;
      assert.equal(fs.readFileSync(path.join(dir, damagedCopy), 'utf8'), text.slice(0, text.length - 200), 'the original bytes are kept');
      assert.equal(parseSnapshot(fs.readFileSync(path.join(dir, 'claude-code.json'), 'utf8')).problems.length, 0);
      const after = await buffer.status('claude-code');
      assert.equal(after?.entriesCount, 1);
      assert.match(after!.problems.join(' '), /claude-code\.json\.damaged-\S+ is a copy of claude-code\.json/);
      assert.ok(notices.some((m) => /damaged.*1 valid entries were kept/.test(m)));
      assert.equal((await buffer.status('codex'))?.problems.length, 0, 'the other buffer is untouched');
    } finally {
      await buffer.dispose();
    }
  });

  it('never mistakes a leftover .json.tmp or a write-file-atomic temp file for a buffer', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'codex.json.tmp'), '{"torn":');
    fs.writeFileSync(path.join(dir, 'codex.json.3127706241'), '{"torn":');
    const buffer = new PersistentBuffer({ dir });
    try {
      assert.deepEqual(await buffer.listBuffers(), []);
      assert.equal(await buffer.hasBuffer('codex'), false);
    } finally {
      await buffer.dispose();
    }
  });

  it('salvages a huge damaged file', async () => {
    const dir = tempDir();
    const one = JSON.parse(crateText()).entries[0];
    const doc = { started_at: '2026-01-01T00:00:00Z', entries: Array.from({ length: 8000 }, () => one), last_flush: null, agent_type: 'big' };
    const text = JSON.stringify(doc, null, 2); // ~25 MB
    fs.writeFileSync(path.join(dir, 'big.json'), text.slice(0, text.length - 1000));
    const buffer = new PersistentBuffer({ dir, maxBufferEntries: 100_000, maxBufferBytes: 1 << 30 });
    try {
      const recovered = await buffer.recover('big');
      assert.equal(recovered?.data.entries.length, 7999);
    } finally {
      await buffer.dispose();
    }
  });
});
