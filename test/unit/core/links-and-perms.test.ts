// The core never follows a link in the buffer folder (a writer's own journal, the snapshot's temp
// file, the snapshot read), and uses the folder only while it is ours alone.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PersistentBuffer } from '../../../src/core/buffer';
import { readSnapshotFile, writeSnapshot } from '../../../src/core/snapshot';
import type { BufferData } from '../../../src/core/schema';
import type { Logger } from '../../../src/core/types';
import { canDropPrivileges, giveTo, skipWithout, UNPRIVILEGED } from '../support/hostile';
import { tempDir } from './helpers';

const VICTIM_BYTES = '{"precious": true}\n';

/** A buffer folder, and a victim file outside it for links to point to. */
function setting(): { dir: string; victim: string } {
  const dir = tempDir();
  const victim = path.join(tempDir(), 'victim.json');
  fs.writeFileSync(victim, VICTIM_BYTES);
  return { dir, victim };
}

const assertUntouched = (victim: string) => assert.equal(fs.readFileSync(victim, 'utf8'), VICTIM_BYTES, 'the file outside the folder was written');

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m) };
}

const data = (agent: string): BufferData => ({ started_at: '2026-01-01T00:00:00Z', entries: [], last_flush: '2026-01-01T00:00:00Z', agent_type: agent });

describe('links in the buffer folder', () => {
  it("a writer's own journal name as a link: the entry goes to a file of the folder, the link is set aside and reported", async () => {
    const { dir, victim } = setting();
    fs.symlinkSync(victim, path.join(dir, 'sa.json.wal-w1-0'));
    const buffer = new PersistentBuffer({ dir, writerId: 'w1', durability: 'always', flushIntervalMs: 0 });
    try {
      const entry = await buffer.bufferContext('sa', { insights: ['acknowledged'] });
      assertUntouched(victim);
      const journal = path.join(dir, 'sa.json.wal-w1-0');
      assert.ok(fs.lstatSync(journal).isFile());
      assert.match(fs.readFileSync(journal, 'utf8'), new RegExp(entry.id!));
      await buffer.flush('sa', { compact: true });
      assertUntouched(victim);
      const [status] = await buffer.listBuffers();
      assert.equal(status.entriesCount, 1);
      assert.equal(status.damaged, true);
      assert.match(status.problems.join('\n'), /a symbolic link \(to .*victim\.json\) found where a buffer file belongs was set aside as sa\.json\.damaged-/);
    } finally {
      await buffer.dispose();
    }
  });

  it('a link planted where the snapshot\'s temp file goes is not written through (another temp name is taken)', async () => {
    const { dir, victim } = setting();
    const file = path.join(dir, 'sa.json');
    const realNow = Date.now;
    const realHr = process.hrtime.bigint;
    Date.now = () => 1_800_000_000_000;
    process.hrtime.bigint = () => 123_456n;
    try {
      // The crate's temp name, <agent>.json.tmp-<unix nanoseconds>, as the writer computes it.
      const planted = `${file}.tmp-${1_800_000_000_000n * 1_000_000n + 123_456n}`;
      fs.symlinkSync(victim, planted);
      await writeSnapshot(file, data('sa'));
      assertUntouched(victim);
      assert.ok(fs.lstatSync(planted).isSymbolicLink(), 'the planted link is left alone');
      assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).agent_type, 'sa');
      assert.deepEqual(fs.readdirSync(dir).sort(), [path.basename(file), path.basename(planted)], 'no other temp file left');
    } finally {
      Date.now = realNow;
      process.hrtime.bigint = realHr;
    }
  });

  it('writing a snapshot whose name is a link replaces the link, never its target', async () => {
    const { dir, victim } = setting();
    const file = path.join(dir, 'sa.json');
    fs.symlinkSync(victim, file);
    await writeSnapshot(file, data('sa'));
    assertUntouched(victim);
    assert.ok(fs.lstatSync(file).isFile());
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  it('reading a snapshot whose name is a link refuses (BufferError UNSAFE), it does not read through', async () => {
    const { dir, victim } = setting();
    const file = path.join(dir, 'sa.json');
    fs.symlinkSync(victim, file);
    await assert.rejects(readSnapshotFile(file), (error: Error & { code?: string }) => error.code === 'UNSAFE' && /sa\.json is a symbolic link .*not followed/.test(error.message));
  });
});

describe('the buffer folder must be ours alone', () => {
  it('one of ours that others can write is made owner-only, said once through the logger', async () => {
    const { dir } = setting();
    fs.chmodSync(dir, 0o777);
    const log = recordingLog();
    const buffer = new PersistentBuffer({ dir, log, durability: 'always', flushIntervalMs: 0 });
    try {
      await buffer.bufferContext('sa', { insights: ['a'] });
      await buffer.flush('sa', { compact: true });
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
      const said = log.warnings.filter((w) => /could be written by anyone \(mode 0777\).*owner-only \(0700\)/.test(w));
      assert.equal(said.length, 1, log.warnings.join('\n'));
    } finally {
      await buffer.dispose();
    }
  });

  it("someone else's is refused, and nothing is written in it", { skip: skipWithout(canDropPrivileges, 'root') }, async () => {
    const { dir } = setting();
    giveTo(UNPRIVILEGED, dir); // we are root here: the folder is nobody's
    const buffer = new PersistentBuffer({ dir, durability: 'always', sharedJournal: true, flushIntervalMs: 0 });
    try {
      await assert.rejects(buffer.bufferContext('sa', { insights: ['a'] }), /the buffer folder .* belongs to another user \(uid \d+\)/);
      assert.deepEqual(fs.readdirSync(dir), []);
    } finally {
      await buffer.dispose();
    }
  });
});
