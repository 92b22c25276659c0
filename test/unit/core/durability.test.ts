// Lose nothing that was acknowledged: torn journals, writers that crash (SIGKILL at random
// moments), several writers at once, and a disk that fails and comes back.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PersistentBuffer } from '../../../src/core/buffer';
import { type BufferError } from '../../../src/core/errors';
import { faults } from '../../../src/core/faults';
import { parseJournal } from '../../../src/core/journal';
import { parseSnapshot } from '../../../src/core/snapshot';
import { bufferFiles, tempDir } from './helpers';

const CHILD = path.join(__dirname, 'childWriter.js');
const CRASH_ITERATIONS = Number(process.env.NEXUS_CRASH_ITERATIONS ?? 200);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a child writer; kills it with SIGKILL after `killAfterMs` (if given). Returns its acks. */
function runWriter(dir: string, agent: string, count: number | 'forever', killAfterMs?: number, compactEvery = 0): Promise<{ acks: string[]; killed: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, agent, String(count), String(compactEvery)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timer: NodeJS.Timeout | undefined;
    if (killAfterMs !== undefined) {
      // Start the clock once the writer is acknowledging, so kills land mid-write, not mid-start-up.
      child.stdout.once('data', () => (timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)));
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      // Only complete lines count: a line cut by the kill was never fully acknowledged.
      const acks = out.split('\n').filter((l) => /^ack \S+$/.test(l)).map((l) => l.slice(4));
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`writer exited ${code}: ${stderr}`));
      else resolve({ acks, killed: signal === 'SIGKILL', stderr });
    });
  });
}

async function recoverIds(dir: string, agent: string): Promise<{ ids: string[]; problems: string[] }> {
  const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0 });
  try {
    const recovered = await buffer.recover(agent);
    return { ids: recovered?.data.entries.map((e) => e.id!) ?? [], problems: recovered?.problems ?? [] };
  } finally {
    await buffer.dispose();
  }
}

describe('journal', () => {
  it('tolerates a torn last line: counted and reported, never fatal', () => {
    const entry = { timestamp: '2026-01-01T00:00:00Z', context_type: 'checkpoint', context: { agent_type: 'a', extraction_started: '2026-01-01T00:00:00Z' }, id: 'one' };
    const header = { nexus_journal: 1, agent_type: 'a', started_at: '2026-01-01T00:00:00Z', writer_id: 'w' };
    const text = `${JSON.stringify(header)}\n${JSON.stringify(entry)}\n${JSON.stringify({ ...entry, id: 'two' }).slice(0, 40)}`;
    const parsed = parseJournal(text, 'a.json.wal-w-0');
    assert.deepEqual(parsed.entries.map((e) => e.id), ['one']);
    assert.equal(parsed.badLines, 1);
    assert.match(parsed.problems[0], /torn last line was ignored/);
  });

  it('a torn line in the middle does not swallow the next entry', () => {
    const entry = (id: string) => JSON.stringify({ timestamp: '2026-01-01T00:00:00Z', context_type: 'c', context: { agent_type: 'a', extraction_started: '2026-01-01T00:00:00Z' }, id });
    const parsed = parseJournal(`${entry('one')}\n${entry('two').slice(0, 30)}\n${entry('three')}\n`);
    assert.deepEqual(parsed.entries.map((e) => e.id), ['one', 'three']);
    assert.match(parsed.problems[0], /1 unreadable line\(s\) ignored \(first at line 2\)/);
  });
});

describe('crashes', () => {
  it('the next writer merges the journal of a writer that was killed into the snapshot', async () => {
    const dir = tempDir();
    const { acks, killed } = await runWriter(dir, 'claude-code', 'forever', 150);
    assert.ok(killed && acks.length > 0);
    assert.ok(bufferFiles(dir).some((n) => n.includes('.wal-')), 'the killed writer left a journal');
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0 });
    try {
      const status = await buffer.status('claude-code');
      assert.equal(status?.leftover, true, 'a dead writer does not own its buffer');
      const report = await buffer.repair();
      assert.ok(report.mergedJournals >= 1, 'its journal(s) were merged (two when it was killed between rotating and merging)');
    } finally {
      await buffer.dispose();
    }
    assert.deepEqual(bufferFiles(dir).filter((n) => n.includes('.wal-')), [], 'the orphan journal was merged and removed');
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('.writer-')), [], "the killed writer's liveness lock was removed");
    const snapshot = parseSnapshot(fs.readFileSync(path.join(dir, 'claude-code.json'), 'utf8'));
    const onDisk = new Set(snapshot.entries.map((e) => e.id));
    assert.deepEqual(acks.filter((id) => !onDisk.has(id)), []);
  });

  it(`every acknowledged entry survives ${CRASH_ITERATIONS} SIGKILLs at random moments`, { timeout: 30 * 60_000 }, async () => {
    // Two lanes (one per core), each a folder that one writer after another crashes into; the
    // writers compact often, so kills also land inside snapshot rewrites and orphan merges.
    const lanes = 2;
    const perLane = Math.ceil(CRASH_ITERATIONS / lanes);
    const results = await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        const dir = tempDir(`nexus-crash-${lane}-`);
        const acked: string[] = [];
        let kills = 0;
        for (let i = 0; i < perLane; i++) {
          const run = await runWriter(dir, 'claude-code', 'forever', Math.floor(Math.random() * 60), 25);
          acked.push(...run.acks);
          if (run.killed) kills++;
        }
        const { ids, problems } = await recoverIds(dir, 'claude-code');
        return { dir, acked, kills, ids, problems };
      }),
    );
    for (const { dir, acked, kills, ids } of results) {
      assert.ok(kills >= perLane * 0.9, `most writers were killed (${kills}/${perLane})`);
      assert.ok(acked.length > 0, 'writers acknowledged entries before being killed');
      const present = new Set(ids);
      const missing = acked.filter((id) => !present.has(id));
      assert.deepEqual(missing, [], `acknowledged but lost in ${dir}`);
      assert.equal(new Set(ids).size, ids.length, 'no entry twice');
      // Readable by the crate's rules: the snapshot parses as a whole.
      const snapshot = parseSnapshot(fs.readFileSync(path.join(dir, 'claude-code.json'), 'utf8'));
      assert.equal(snapshot.damaged, false);
    }
  });
});

describe('several writers', () => {
  it('4 processes writing the same agent at once: every entry present exactly once', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const runs = await Promise.all([0, 1, 2, 3].map(() => runWriter(dir, 'codex', 300, undefined, 40)));
    const acked = runs.flatMap((r) => r.acks);
    assert.equal(acked.length, 1200);
    const { ids } = await recoverIds(dir, 'codex');
    assert.equal(ids.length, 1200);
    assert.deepEqual([...new Set(ids)].sort(), [...acked].sort());
  });

  it('one-shot writers (hook calls) share one journal instead of leaving a file each', async () => {
    const dir = tempDir();
    const ids = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const oneShot = new PersistentBuffer({ dir, sharedJournal: true, flushIntervalMs: 0 });
        try {
          return (await oneShot.bufferContext('claude-code', { insights: [`hook ${i}`] }, 'tool-use')).id!;
        } finally {
          await oneShot.dispose();
        }
      }),
    );
    assert.deepEqual(bufferFiles(dir).filter((n) => !n.startsWith('.')), ['claude-code.json.wal-shared-0']);
    const { ids: recovered } = await recoverIds(dir, 'claude-code');
    assert.deepEqual([...recovered].sort(), [...ids].sort());
    assert.deepEqual(bufferFiles(dir).filter((n) => !n.startsWith('.')), ['claude-code.json'], 'recovery merged the shared journal');
  });

  it('a compaction under the lock keeps entries another writer put in the snapshot meanwhile', async () => {
    const dir = tempDir();
    const a = new PersistentBuffer({ dir, flushIntervalMs: 0 });
    const b = new PersistentBuffer({ dir, flushIntervalMs: 0 });
    try {
      const fromA = await a.bufferContext('gemini', { insights: ['a'] });
      await a.flush('gemini', { compact: true });
      const fromB = await b.bufferContext('gemini', { insights: ['b'] });
      await b.flush('gemini', { compact: true });
      const fromA2 = await a.bufferContext('gemini', { insights: ['a2'] });
      await a.flush('gemini', { compact: true });
      const snapshot = parseSnapshot(fs.readFileSync(path.join(dir, 'gemini.json'), 'utf8'));
      assert.deepEqual(snapshot.entries.map((e) => e.id), [fromA.id, fromB.id, fromA2.id]);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});

describe('a failing disk', () => {
  const inject = (code: string) => {
    faults.beforeWrite = () => {
      throw Object.assign(new Error(`${code}: simulated`), { code });
    };
  };

  for (const code of ['ENOSPC', 'EROFS', 'EACCES']) {
    it(`${code}: refuses to acknowledge, keeps entries in memory, says so once, and loses nothing once writable`, async () => {
      const dir = tempDir();
      const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0 });
      const notices: string[] = [];
      buffer.onDidChange((e) => e.notice && notices.push(`${e.notice.severity}: ${e.notice.message}`));
      try {
        const before = await buffer.bufferContext('codex', { insights: ['before'] });
        inject(code);
        for (const n of [1, 2, 3]) {
          await assert.rejects(buffer.bufferContext('codex', { insights: [`during ${n}`] }), (e: BufferError) => e.code === 'DISK' && /held in memory/.test(e.message));
        }
        const status = await buffer.status('codex');
        assert.equal(status?.unflushed, 3);
        assert.equal(status?.entriesCount, 4);
        assert.equal(notices.filter((n) => n.startsWith('error:')).length, 1, 'said once, not per entry');
        delete faults.beforeWrite;
        await buffer.flush('codex');
        assert.ok(notices.some((n) => n.startsWith('info:') && /being written again; 3 entries/.test(n)));
        const recovered = await recoverIds(dir, 'codex');
        assert.equal(recovered.ids.length, 4);
        assert.equal(recovered.ids[0], before.id);
      } finally {
        delete faults.beforeWrite;
        await buffer.dispose();
      }
    });
  }

  it('retries by itself with backoff until the disk is writable again', async () => {
    const dir = tempDir();
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0 });
    try {
      inject('ENOSPC');
      await assert.rejects(buffer.bufferContext('codex', { insights: ['held'] }));
      delete faults.beforeWrite;
      for (let i = 0; i < 100 && (await buffer.status('codex'))?.unflushed; i++) await sleep(50);
      assert.equal((await buffer.status('codex'))?.unflushed, 0);
      assert.equal((await recoverIds(dir, 'codex')).ids.length, 1);
    } finally {
      delete faults.beforeWrite;
      await buffer.dispose();
    }
  });

  it('a snapshot write that fails leaves the previous snapshot and the journal intact', async () => {
    const dir = tempDir();
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0 });
    try {
      await buffer.bufferContext('codex', { insights: ['one'] });
      await buffer.flush('codex', { compact: true });
      const good = fs.readFileSync(path.join(dir, 'codex.json'), 'utf8');
      await buffer.bufferContext('codex', { insights: ['two'] });
      faults.beforeWrite = (file) => {
        if (file.endsWith('.json')) throw Object.assign(new Error('ENOSPC: simulated'), { code: 'ENOSPC' });
      };
      await assert.rejects(buffer.flush('codex', { compact: true }));
      delete faults.beforeWrite;
      assert.equal(fs.readFileSync(path.join(dir, 'codex.json'), 'utf8'), good);
      assert.equal((await buffer.read('codex'))?.data.entries.length, 2);
    } finally {
      delete faults.beforeWrite;
      await buffer.dispose();
    }
  });

  it('rolls a buffer that outgrows its limit over into an archive that stays listed and recoverable', async () => {
    const dir = tempDir();
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, maxBufferEntries: 5 });
    const notices: string[] = [];
    buffer.onDidChange((e) => e.notice && notices.push(e.notice.message));
    try {
      for (let i = 0; i < 6; i++) await buffer.bufferContext('codex', { insights: [`n${i}`] });
      await buffer.flush('codex', { compact: true });
      const list = await buffer.listBuffers();
      const archive = list.find((s) => s.archiveOf === 'codex');
      assert.ok(archive, 'the archive is listed');
      assert.equal(archive.entriesCount, 6);
      assert.ok(notices.some((m) => /rolled over into codex\.archive-/.test(m)));
      const recovered = await buffer.read(archive.agentType);
      assert.deepEqual(recovered?.data.entries.map((e) => e.context.insights[0]), ['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
      await buffer.bufferContext('codex', { insights: ['after'] });
      assert.equal((await buffer.status('codex'))?.entriesCount, 1);
    } finally {
      await buffer.dispose();
    }
  });
});
