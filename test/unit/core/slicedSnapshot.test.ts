// The snapshot read and written in slices (what compaction and the extension use) gives exactly
// what the whole-file reader and writer give, on healthy files and on damaged ones.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PersistentBuffer } from '../../../src/core/buffer';
import { sourceOf } from '../../../src/core/rawEntries';
import type { BufferEntry } from '../../../src/core/schema';
import { entryKeys, parseSnapshot, parseSnapshotSliced, serializeSnapshot, serializeSnapshotSliced } from '../../../src/core/snapshot';
import { TimeSlicer } from '../../../src/core/timeSlice';
import { fixture, tempDir } from './helpers';

const crateBytes = () => fs.readFileSync(fixture('crate-every-field.json'));

/** What a reader's result says, sources included, for comparison. */
function view(parsed: ReturnType<typeof parseSnapshot>) {
  return {
    ...parsed,
    keys: undefined,
    layout: undefined, // only the sliced reader works it out (checked on its own below)
    sources: parsed.entries.map((e) => sourceOf(e) ?? null),
  };
}

async function entriesOfAWriter(count: number): Promise<{ dir: string; bytes: Buffer }> {
  const dir = tempDir();
  const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0 });
  for (let i = 0; i < count; i++) {
    await buffer.bufferContext('claude-code', { decisions: [{ summary: `decision ${i} — ünïcödé ✓`, rationale: 'r', alternatives: [], impact: 'i', timestamp: '2026-12-01T10:00:00Z' }], reliability_score: i % 2 ? 1 : 0.5, custom: { reliability_score: 1, n: i } }, 'tool-use');
  }
  await buffer.flush('claude-code', { compact: true });
  await buffer.dispose();
  return { dir, bytes: fs.readFileSync(path.join(dir, 'claude-code.json')) };
}

/** The layout found names the text before the first entry and the byte just after the last. */
function assertLayout(parsed: ReturnType<typeof parseSnapshot>, bytes: Buffer): void {
  const layout = parsed.layout;
  assert.ok(layout, 'no layout for a file laid out as we write it');
  assert.ok(bytes.toString('utf8').startsWith(layout.head));
  assert.match(layout.head, /"entries": \[\n {4}$/);
  assert.equal(bytes.subarray(0, layout.entriesEnd).toString('utf8').slice(-6), '\n    }');
  assert.ok(bytes.subarray(layout.entriesEnd).toString('utf8').startsWith('\n  ],\n'));
}

describe('snapshot read and written in slices', () => {
  it('reads a crate-written file as the whole-file reader does, with its merge keys', async () => {
    const bytes = crateBytes();
    const sliced = await parseSnapshotSliced(bytes, new TimeSlicer(0));
    const whole = parseSnapshot(bytes);
    assert.deepEqual(view(sliced), view(whole));
    assert.ok(sliced.entries.length > 0);
    assert.deepEqual(sliced.keys, entryKeys(whole.entries));
    assertLayout(sliced, bytes);
    // Written back byte for byte from the kept sources.
    assert.equal(serializeSnapshot({ started_at: sliced.startedAt!, entries: sliced.entries, last_flush: sliced.lastFlush, agent_type: sliced.agentType!, ...sliced.extra }), bytes.toString('utf8'));
  });

  it('reads our own snapshot (non-ASCII text, a BOM) as the whole-file reader does', async () => {
    const { bytes } = await entriesOfAWriter(40);
    for (const input of [bytes, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes])]) {
      const sliced = await parseSnapshotSliced(input, new TimeSlicer(0));
      assert.equal(sliced.damaged, false);
      assert.equal(sliced.entries.length, 40);
      assert.deepEqual(view(sliced), view(parseSnapshot(input)));
      if (input === bytes) assertLayout(sliced, bytes);
      else assert.equal(sliced.layout, undefined, 'a file with a BOM is not appended to (serde_json refuses the BOM the kept bytes would carry)');
    }
  });

  it('leaves damaged files to the salvage, which reports what it found', async () => {
    const { bytes } = await entriesOfAWriter(5);
    const text = bytes.toString('utf8');
    const damaged = [
      text.slice(0, Math.floor(text.length * 0.6)), // torn
      text.replace('"context_type": "tool-use"', '"context_type": 7'), // an invalid entry
      text.replace('"agent_type": "claude-code"\n}', '"agent_type": "claude-code",\n  "entries": []\n}'), // entries twice
    ].map((t) => Buffer.from(t));
    damaged.push(Buffer.concat([bytes.subarray(0, 200), Buffer.from([0xff]), bytes.subarray(201)])); // not UTF-8
    for (const input of damaged) {
      const sliced = await parseSnapshotSliced(input, new TimeSlicer(0));
      assert.equal(sliced.damaged, true);
      assert.deepEqual(view(sliced), view(parseSnapshot(input)));
    }
  });

  it('takes nested "entries" for nothing: only the document\'s own list is its entries', async () => {
    const { bytes } = await entriesOfAWriter(2);
    const odd = bytes.toString('utf8').replace('{\n  "started_at"', '{\n  "x": {\n  "entries": [\n    {\n      "a": 1\n    }\n  ]},\n  "started_at"');
    const sliced = await parseSnapshotSliced(Buffer.from(odd), new TimeSlicer(0));
    assert.deepEqual(view(sliced), view(parseSnapshot(odd)));
  });

  it('writes in pieces the text serializeSnapshot writes, with serde\'s 1.0 for the score only', async () => {
    const { bytes } = await entriesOfAWriter(6);
    const fresh = parseSnapshot(bytes).entries.map((e) => structuredClone(e) as BufferEntry); // no kept source
    const data = { started_at: '2026-12-01T10:00:00Z', entries: fresh, last_flush: null, agent_type: 'claude-code' };
    const pieces = await serializeSnapshotSliced(data, new TimeSlicer(0));
    const text = pieces.parts.join('');
    assert.equal(pieces.length, text.length);
    assert.equal(text, serializeSnapshot({ ...data, entries: fresh.map((e) => structuredClone(e)) }));
    assert.equal(text.slice(text.indexOf('"entries"')), bytes.toString('utf8').slice(bytes.indexOf('"entries"')).replace(/"last_flush": "[^"]*"/, '"last_flush": null'), 'the crate layout, as the file on disk');
    assert.match(text, /"reliability_score": 1\.0\n/);
    assert.match(text, /"reliability_score": 0\.5\n/);
    assert.match(text, /"custom": \{\n\s+"reliability_score": 1,\n\s+"n": \d+\n/, 'a custom value keeps its own spelling');
  });

  it('a compaction writes what a fresh reader of the journals would have written', async () => {
    const dir = tempDir();
    const writer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactMinBytes: 1e12 });
    for (let i = 0; i < 30; i++) await writer.bufferContext('codex', { insights: [`insight ${i}`] }, 'note');
    const before = await new PersistentBuffer({ dir, flushIntervalMs: 0 }).read('codex');
    await writer.flush('codex', { compact: true });
    await writer.dispose();
    const after = parseSnapshot(fs.readFileSync(path.join(dir, 'codex.json')));
    assert.equal(after.damaged, false);
    assert.deepEqual(after.entries, before!.data.entries);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes('.wal-')), [], 'the merged journal is gone');
  });
});
