// A compaction that only adds entries copies the snapshot's bytes up to its last entry and writes
// the new entries and the tail after them (store.ts, writeAppending). What it writes must be what
// a whole rewrite writes; the bytes it keeps must be the file's own, exactly; and it must never
// append to a file it no longer holds (replaced meanwhile by another writer, the crate).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PersistentBuffer } from '../../../src/core/buffer';
import { faults } from '../../../src/core/faults';
import { sourceOf } from '../../../src/core/rawEntries';
import { parseSnapshot } from '../../../src/core/snapshot';
import { fixture, tempDir } from './helpers';

const AGENT = 'claude-code';
const at = (i: number) => new Date(Date.parse('2026-12-01T10:00:00.000Z') + i * 1000).toISOString();

/** Entry i, the same in any buffer (its own id and time). */
async function add(buffer: PersistentBuffer, i: number): Promise<void> {
  await buffer.bufferContext(AGENT, {
    decisions: [{ summary: `decision ${i} — ünïcödé ✓ "quoted" \\ back`, rationale: null, alternatives: ['a', 'b'], impact: 'i', timestamp: at(i) }],
    files: [{ path: `src/f${i}.ts`, action: 'modified', lines_added: i, lines_removed: null, timestamp: at(i) }],
    custom: { n: i, nested: { empty: {}, list: [] } }, reliability_score: i % 2 ? 1 : 0.5,
  }, 'tool-use', { id: `entry-${i}`, timestamp: at(i) });
}

const snapshotOf = (dir: string) => fs.readFileSync(path.join(dir, `${AGENT}.json`), 'utf8');
const withoutLastFlush = (text: string) => text.replace(/"last_flush": (null|"[^"]*")/, '"last_flush": "…"');

describe('appending compaction', () => {
  it('writes, round after round, byte for byte what one whole rewrite of the same entries writes', async () => {
    const appended = tempDir();
    const said: string[] = [];
    const log = { info: (m: string) => said.push(m), warn: (m: string) => said.push(m), error: (m: string) => said.push(m) };
    const buffer = new PersistentBuffer({ dir: appended, flushIntervalMs: 0, compactMinBytes: 1e12, writerId: 'w1', log });
    const rounds = [[0, 5], [5, 6], [6, 30], [30, 31]];
    for (const [from, to] of rounds) {
      for (let i = from; i < to; i++) await add(buffer, i);
      await buffer.flush(AGENT, { compact: true });
    }
    assert.deepEqual(said.filter((m) => m.includes('compacted')).map((m) => /(\d+) appended/.exec(m)?.[1] ?? 'whole'), ['whole', '1', '24', '1']);
    // No entry is held as text once written (its bytes are on disk).
    const held = buffer.entries(AGENT);
    assert.equal(held.length, 31);
    assert.ok(held.every((e) => sourceOf(e) === undefined), 'entries kept their texts in memory');
    await buffer.dispose();

    const whole = tempDir();
    const once = new PersistentBuffer({ dir: whole, flushIntervalMs: 0, compactMinBytes: 1e12, writerId: 'w2' });
    for (let i = 0; i < 31; i++) await add(once, i);
    await once.flush(AGENT, { compact: true });
    await once.dispose();

    const text = snapshotOf(appended);
    assert.equal(withoutLastFlush(text), withoutLastFlush(snapshotOf(whole)).replace(/"started_at": "[^"]*"/, text.match(/"started_at": "[^"]*"/)![0]));
    const parsed = parseSnapshot(text);
    assert.equal(parsed.damaged, false);
    assert.deepEqual(parsed.entries.map((e) => e.id), Array.from({ length: 31 }, (_, i) => `entry-${i}`));
  });

  it('keeps a crate-written file\'s bytes as they are (serde\'s spellings) and adds after its last entry', async () => {
    const dir = tempDir();
    const crate = fs.readFileSync(fixture('crate-every-field.json'), 'utf8');
    fs.writeFileSync(path.join(dir, `${AGENT}.json`), crate);
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactMinBytes: 1e12 });
    await buffer.read(AGENT); // held from here, as a window that shows the buffer holds it
    await add(buffer, 1);
    await add(buffer, 2);
    await buffer.flush(AGENT, { compact: true });
    await buffer.dispose();
    const text = snapshotOf(dir);
    const lastEntryEnd = crate.lastIndexOf('\n    }') + '\n    }'.length;
    assert.ok(text.startsWith(crate.slice(0, lastEntryEnd)), 'the crate\'s entries were not kept byte for byte');
    const parsed = parseSnapshot(text);
    assert.equal(parsed.damaged, false);
    assert.equal(parsed.entries.length, parseSnapshot(crate).entries.length + 2);
    assert.deepEqual(parsed.entries.slice(-2).map((e) => e.id), ['entry-1', 'entry-2']);
  });

  it('completes an entry the file holds without a key the crate requires, rather than keep its bytes', async () => {
    const dir = tempDir();
    const crate = fs.readFileSync(fixture('crate-every-field.json'), 'utf8');
    // The first entry without `insights`: we read it (as []), the crate's reader would refuse the whole file.
    const incomplete = crate.replace(/\n {8}"insights": \[[^\]]*\],/, '');
    assert.notEqual(incomplete, crate);
    fs.writeFileSync(path.join(dir, `${AGENT}.json`), incomplete);
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactMinBytes: 1e12 });
    await add(buffer, 1);
    await buffer.flush(AGENT, { compact: true });
    await buffer.dispose();
    const written = JSON.parse(snapshotOf(dir)) as { entries: Array<{ context: Record<string, unknown> }> };
    assert.ok(written.entries.every((e) => Array.isArray(e.context.insights)), 'an entry was kept without its insights');
  });

  it('never appends to a file replaced since it was held: the other writer\'s entries are merged, not garbled', async () => {
    const dir = tempDir();
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactMinBytes: 1e12 });
    for (let i = 0; i < 3; i++) await add(buffer, i);
    await buffer.flush(AGENT, { compact: true });
    // The crate rewrites the file (a temp file renamed over it): other entries, another layout offset.
    const file = path.join(dir, `${AGENT}.json`);
    const theirs = parseSnapshot(fs.readFileSync(fixture('crate-every-field.json')));
    const replaced = fs.readFileSync(fixture('crate-every-field.json'), 'utf8');
    fs.writeFileSync(`${file}.tmp-1`, replaced);
    fs.renameSync(`${file}.tmp-1`, file);
    await add(buffer, 3);
    await buffer.flush(AGENT, { compact: true });
    await buffer.dispose();
    const parsed = parseSnapshot(fs.readFileSync(file));
    assert.equal(parsed.damaged, false, parsed.problems.join('; '));
    const ids = parsed.entries.map((e) => e.id ?? e.timestamp);
    for (const entry of theirs.entries) assert.ok(ids.includes(entry.id ?? entry.timestamp), `the crate's entry of ${entry.timestamp} is missing`);
    assert.ok(ids.includes('entry-3'));
  });

  // The file's size, mtime and inode say whether it is the one held; the bytes the append keeps
  // are checked too (store.ts, laidOutAsHeld), for a file changed in place within the same
  // mtime. GNU touch sets the mtime back to the nanosecond (Node's utimes cannot).
  it('checks the kept bytes too: a file changed in place under the same size, mtime and inode is rewritten, not appended to', { skip: process.platform !== 'linux' }, async () => {
    const dir = tempDir();
    const said: string[] = [];
    const log = { info: (m: string) => said.push(m), warn: (m: string) => said.push(m), error: (m: string) => said.push(m) };
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactMinBytes: 1e12, log });
    for (let i = 0; i < 3; i++) await add(buffer, i);
    await buffer.flush(AGENT, { compact: true });
    const file = path.join(dir, `${AGENT}.json`);
    const held = fs.statSync(file, { bigint: true });
    const text = snapshotOf(dir);
    const started = parseSnapshot(text).startedAt!;
    const changed = text.replace(`"started_at": "${started}"`, `"started_at": "${started.replace(/^\d{4}/, '1999')}"`);
    assert.notEqual(changed, text);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, changed, 0);
    fs.closeSync(fd);
    const ns = held.mtimeNs;
    execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, file]);
    const now = fs.statSync(file, { bigint: true });
    assert.deepEqual([now.size, now.mtimeNs, now.ino], [held.size, held.mtimeNs, held.ino], 'the change in place did not keep the signature');
    await add(buffer, 3);
    await buffer.flush(AGENT, { compact: true });
    await buffer.dispose();
    assert.deepEqual(said.filter((m) => m.includes('compacted')).map((m) => /(\d+) appended/.exec(m)?.[1] ?? 'whole'), ['whole', 'whole']);
    const parsed = parseSnapshot(snapshotOf(dir));
    assert.equal(parsed.startedAt, started, 'the append kept bytes it did not write');
    assert.deepEqual(parsed.entries.map((e) => e.id), ['entry-0', 'entry-1', 'entry-2', 'entry-3']);
  });

  it('rewrites the whole file when its head changes: an orphan journal started earlier', async () => {
    const dir = tempDir();
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactMinBytes: 1e12 });
    for (let i = 0; i < 3; i++) await add(buffer, i);
    await buffer.flush(AGENT, { compact: true });
    const started = parseSnapshot(snapshotOf(dir)).startedAt!;
    // A writer that is gone (no liveness lock) left a journal begun before this buffer started.
    const earlier = '2026-01-01T00:00:00.000Z';
    const header = { nexus_journal: 1, agent_type: AGENT, started_at: earlier, writer_id: 'gone1' };
    const orphan = { ...buffer.entries(AGENT)[0], id: 'orphan-entry', timestamp: at(100) };
    fs.writeFileSync(path.join(dir, `${AGENT}.json.wal-gone1-0`), `${JSON.stringify(header)}\n${JSON.stringify(orphan)}\n`);
    await add(buffer, 3);
    await buffer.flush(AGENT, { compact: true });
    await buffer.dispose();
    const parsed = parseSnapshot(snapshotOf(dir));
    assert.ok(earlier < started);
    assert.equal(parsed.startedAt, earlier, 'the head kept the later start: the file was appended to under an old head');
    assert.deepEqual(parsed.entries.map((e) => e.id), ['entry-0', 'entry-1', 'entry-2', 'entry-3', 'orphan-entry']);
  });

  it('an append that would pass the size limit writes the whole file instead, which rolls over: each entry once', async () => {
    const dir = tempDir();
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactMinBytes: 1e12 });
    for (let i = 0; i < 3; i++) await add(buffer, i);
    await buffer.flush(AGENT, { compact: true });
    // Room for less than one more entry (each is over a kilobyte in the file).
    buffer.configure({ maxBufferBytes: Buffer.byteLength(snapshotOf(dir)) + 200 });
    for (let i = 3; i < 5; i++) await add(buffer, i);
    await buffer.flush(AGENT, { compact: true });
    await buffer.dispose();
    const archives = fs.readdirSync(dir).filter((n) => /^claude-code\.archive-.*\.json$/.test(n));
    assert.equal(archives.length, 1, `no roll-over: ${fs.readdirSync(dir).join(', ')}`);
    const archived = parseSnapshot(fs.readFileSync(path.join(dir, archives[0]))).entries.map((e) => e.id);
    assert.deepEqual(archived, ['entry-0', 'entry-1', 'entry-2', 'entry-3', 'entry-4']);
    assert.equal(fs.readdirSync(dir).filter((n) => n.includes('.tmp-')).length, 0, 'the abandoned append left its temp file');
  });

  it('a write that fails leaves the file as it was and the entries in the journal; the next compaction writes them', async () => {
    const dir = tempDir();
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactMinBytes: 1e12 });
    for (let i = 0; i < 3; i++) await add(buffer, i);
    await buffer.flush(AGENT, { compact: true });
    const before = snapshotOf(dir);
    await add(buffer, 3);
    faults.beforeWrite = () => {
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    };
    try {
      await assert.rejects(buffer.flush(AGENT, { compact: true }), /no space/);
    } finally {
      faults.beforeWrite = undefined;
    }
    assert.equal(snapshotOf(dir), before);
    assert.deepEqual((await new PersistentBuffer({ dir, flushIntervalMs: 0 }).read(AGENT))!.data.entries.map((e) => e.id), ['entry-0', 'entry-1', 'entry-2', 'entry-3']);
    await add(buffer, 4);
    await buffer.flush(AGENT, { compact: true });
    await buffer.dispose();
    assert.deepEqual(parseSnapshot(snapshotOf(dir)).entries.map((e) => e.id), ['entry-0', 'entry-1', 'entry-2', 'entry-3', 'entry-4']);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes('.wal-') || n.includes('.tmp-')), []);
  });
});
