// Issue 9, point 4: what the crate's reader sees in `<agent>.json`. Every entry acknowledged at
// least the flush interval (10 s) ago is in the snapshot, for a long-lived writer (a timer) and
// for one-shot writers (the next call after the interval), up to 5 MB of snapshot; past that, the
// lag keeps a rewrite at most 64 bytes per byte buffered.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PersistentBuffer } from '../../src/core/buffer';
import { compactionDue, FRESH_SNAPSHOT_BYTES, FRESHNESS_MS, REWRITE_FACTOR } from '../../src/core/compactionPolicy';
import { runCli, scratch } from './support/hostile';

const inSnapshot = (dir: string, agent: string): number => {
  const file = path.join(dir, `${agent}.json`);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: unknown[] }).entries.length : 0;
};

/** Makes the shared journal look as if its first entry had been written `ms` ago. */
function ageSharedJournal(dir: string, agent: string, ms: number): void {
  const file = path.join(dir, `${agent}.json.wal-shared-0`);
  const [header, ...rest] = fs.readFileSync(file, 'utf8').split('\n');
  const parsed = JSON.parse(header) as { started_at: string };
  parsed.started_at = new Date(Date.now() - ms).toISOString();
  fs.writeFileSync(file, [JSON.stringify(parsed), ...rest].join('\n'));
}

describe('the policy', () => {
  it('merges entries once the oldest is 10 s old, up to 5 MB of snapshot; past that at 1/64 of it', () => {
    const base = { uncompactedBytes: 10_000, snapshotBytes: 1_000_000 };
    assert.equal(compactionDue({ ...base, oldestAgeMs: FRESHNESS_MS - 1 }), false);
    assert.equal(compactionDue({ ...base, oldestAgeMs: FRESHNESS_MS }), true);
    const big = { snapshotBytes: FRESH_SNAPSHOT_BYTES * 4, oldestAgeMs: 60_000 };
    assert.equal(compactionDue({ ...big, uncompactedBytes: Math.floor(big.snapshotBytes / REWRITE_FACTOR) - 1 }), false);
    assert.equal(compactionDue({ ...big, uncompactedBytes: Math.ceil(big.snapshotBytes / REWRITE_FACTOR) }), true);
    assert.equal(compactionDue({ uncompactedBytes: 0, oldestAgeMs: 60_000, snapshotBytes: 0 }), false);
  });
});

describe('a long-lived writer', () => {
  it('has every entry in the snapshot one flush interval after it was acknowledged, with no flush called', async () => {
    const dir = scratch();
    // A short interval stands in for the 10 s one (the rule is the same: the interval).
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 300 });
    try {
      for (let i = 0; i < 20; i++) await buffer.bufferContext('codex', { insights: [`n${i}`] });
      assert.ok(inSnapshot(dir, 'codex') < 20, 'not all in at once');
      const deadline = Date.now() + 10_000;
      while (inSnapshot(dir, 'codex') < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(inSnapshot(dir, 'codex'), 20);
    } finally {
      await buffer.dispose();
    }
  });
});

describe('a long-lived writer and what others left', () => {
  it("merges the hooks' shared journal once it is an interval old, though no other call comes (the extension)", async () => {
    const dir = scratch();
    const editor = new PersistentBuffer({ dir, flushIntervalMs: 300 });
    try {
      await editor.bufferContext('vscode', { insights: ['the editor is open'] });
      // The last hook call of a session: nobody calls again.
      assert.equal(runCli(['push', 'claude-code', '--dir', dir], { input: JSON.stringify({ insights: ['last'] }) }).status, 0);
      assert.equal(inSnapshot(dir, 'claude-code'), 0);
      const deadline = Date.now() + 10_000;
      while (inSnapshot(dir, 'claude-code') < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(inSnapshot(dir, 'claude-code'), 1);
    } finally {
      await editor.dispose();
    }
  });
});

describe('one-shot writers', () => {
  for (const [what, args, input] of [
    ['push', ['push', 'claude-code'], JSON.stringify({ insights: ['x'] })],
    ['a hook call (push --from)', ['push', '--from', 'claude-hook'], JSON.stringify({
      session_id: 's1', transcript_path: '/tmp/t.jsonl', cwd: '/tmp', hook_event_name: 'UserPromptSubmit', prompt: 'hello',
    })],
  ] as const) {
    it(`${what}: the first call after the interval brings the snapshot up to date`, () => {
      const dir = scratch();
      for (let i = 0; i < 20; i++) assert.equal(runCli([...args, '--dir', dir], { input }).status, 0);
      assert.equal(inSnapshot(dir, 'claude-code'), 0, 'young entries stay in the journal (cheap appends)');
      ageSharedJournal(dir, 'claude-code', FRESHNESS_MS + 1000);
      const next = runCli([...args, '--dir', dir], { input });
      assert.equal(next.status, 0, next.stderr);
      assert.equal(inSnapshot(dir, 'claude-code'), 21);
      assert.ok(!fs.existsSync(path.join(dir, 'claude-code.json.wal-shared-0')), 'the journal was merged');
    });
  }

  it('past 5 MB of snapshot, a small old journal waits (at most 64 bytes rewritten per byte buffered)', async () => {
    const dir = scratch();
    const big = new PersistentBuffer({ dir, flushIntervalMs: 0 });
    const payload = 'x'.repeat(2000);
    for (let i = 0; i < 3000; i++) await big.bufferContext('claude-code', { insights: [payload, String(i)] });
    await big.flush('claude-code', { compact: true });
    await big.dispose();
    assert.ok(fs.statSync(path.join(dir, 'claude-code.json')).size > FRESH_SNAPSHOT_BYTES);
    const input = JSON.stringify({ insights: ['small'] });
    assert.equal(runCli(['push', 'claude-code', '--dir', dir], { input }).status, 0);
    ageSharedJournal(dir, 'claude-code', FRESHNESS_MS + 1000);
    assert.equal(runCli(['push', 'claude-code', '--dir', dir], { input }).status, 0);
    assert.equal(inSnapshot(dir, 'claude-code'), 3000, 'not rewritten for two small entries');
  });
});
