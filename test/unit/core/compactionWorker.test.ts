// Compactions on a worker thread (BufferOptions.compactionWorker, what the extension uses). A
// compaction whose snapshot this thread would have to parse (another process wrote it) runs on
// the worker: the snapshot it writes holds every entry and nothing of it is written here; one
// whose snapshot this thread holds already runs here. A worker that cannot start or dies hands
// the compaction back to this thread with nothing lost.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { PersistentBuffer } from '../../../src/core/buffer';
import { CompactionClient } from '../../../src/core/compactionClient';
import { faults } from '../../../src/core/faults';
import { parseSnapshot } from '../../../src/core/snapshot';
import type { Logger } from '../../../src/core/types';
import { tempDir } from './helpers';

const WORKER = path.join(__dirname, '..', '..', '..', 'src', 'core', 'compactionWorker.js');
/** The bundle the extension runs (npm run build makes it before the tests): it takes the store from dist/core.js. */
const BUNDLED_WORKER = path.join(__dirname, '..', '..', '..', '..', 'dist', 'compactionWorker.js');
const AGENT = 'claude-code';

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

/** Snapshot writes made on this thread from now on (faults is per thread: a worker has its own). */
function watchThisThreadsWrites(): string[] {
  const written: string[] = [];
  faults.beforeWrite = (file) => {
    if (file.endsWith(`${AGENT}.json`)) written.push(file);
  };
  return written;
}

async function fill(buffer: PersistentBuffer, count: number, from = 0): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) =>
    buffer.bufferContext(AGENT, { decisions: [{ summary: `decision ${from + i}`, rationale: 'r', alternatives: [], impact: 'i', timestamp: '2026-12-01T10:00:00Z' }] }, 'tool-use')));
}

/** A snapshot of `count` entries written by an earlier process (another buffer, gone). */
async function earlierProcessSnapshot(dir: string, count: number): Promise<void> {
  const earlier = new PersistentBuffer({ dir, flushIntervalMs: 0 });
  await fill(earlier, count, 0);
  await earlier.flush(AGENT, { compact: true });
  await earlier.dispose();
}

/** A buffer with `compactionWorker`, in a folder whose snapshot (10 entries) an earlier process wrote. */
async function afterAnEarlierProcess(compactionWorker: string): Promise<{ dir: string; buffer: PersistentBuffer; log: Logger & { lines: string[] } }> {
  const dir = tempDir();
  await earlierProcessSnapshot(dir, 10);
  const log = recordingLog();
  return { dir, buffer: new PersistentBuffer({ dir, flushIntervalMs: 0, compactionWorker, log }), log };
}

const snapshotOf = (dir: string) => parseSnapshot(fs.readFileSync(path.join(dir, `${AGENT}.json`)));
const journalsIn = (dir: string) => fs.readdirSync(dir).filter((n) => n.includes('.json.wal-'));
const summaries = (dir: string) => snapshotOf(dir).entries.map((e) => (e.context.decisions[0] as { summary: string }).summary);

describe('compaction on a worker thread', () => {
  afterEach(() => {
    faults.beforeWrite = undefined;
  });

  it('merges into a snapshot another process wrote on the worker: every entry, none of it written here, the journal removed', async () => {
    const dir = tempDir();
    await earlierProcessSnapshot(dir, 300);
    const written = watchThisThreadsWrites();
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactionWorker: WORKER });
    await fill(buffer, 20, 300);
    assert.equal(journalsIn(dir).length, 1, 'the new entries are not in a journal before the compaction');
    await buffer.flush(AGENT, { compact: true });
    const snapshot = snapshotOf(dir);
    assert.equal(snapshot.entries.length, 320);
    assert.deepEqual(snapshot.problems, []);
    assert.deepEqual(summaries(dir).slice(298, 302), ['decision 298', 'decision 299', 'decision 300', 'decision 301']);
    assert.deepEqual(written, [], 'the snapshot was written on the main thread');
    assert.deepEqual(journalsIn(dir), [], 'the merged journal is still there');
    // The worker's snapshot is not parsed here either: the next compaction goes to the worker too.
    await fill(buffer, 5, 320);
    await buffer.flush(AGENT, { compact: true });
    assert.equal(snapshotOf(dir).entries.length, 325);
    assert.deepEqual(buffer.compactions, { onWorker: 2, onThread: 0 });
    await buffer.dispose();
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.lock')), [], 'a lock was left behind');
  });

  it('compacts on this thread what it holds in memory already (no snapshot yet, then its own)', async () => {
    const dir = tempDir();
    const written = watchThisThreadsWrites();
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactionWorker: WORKER });
    await fill(buffer, 30);
    await buffer.flush(AGENT, { compact: true });
    await fill(buffer, 30, 30);
    await buffer.flush(AGENT, { compact: true });
    await buffer.dispose();
    assert.equal(snapshotOf(dir).entries.length, 60);
    assert.deepEqual(buffer.compactions, { onWorker: 0, onThread: 2 });
    assert.equal(written.length, 2);
  });

  it('runs as the extension ships it (dist/compactionWorker.js with dist/core.js), with no fall-back', async () => {
    const { dir, buffer, log } = await afterAnEarlierProcess(BUNDLED_WORKER);
    const written = watchThisThreadsWrites();
    await fill(buffer, 30, 10);
    await buffer.flush(AGENT, { compact: true });
    await buffer.dispose();
    assert.equal(snapshotOf(dir).entries.length, 40);
    assert.deepEqual(written, [], 'the bundled worker did not run: the snapshot was written on this thread');
    assert.deepEqual(log.lines.filter((l) => !l.startsWith('info ')), []);
  });

  it('compacts on this thread, and says so once, when the worker cannot start', async () => {
    const { dir, buffer, log } = await afterAnEarlierProcess(path.join(tempDir(), 'no-such-worker.js'));
    const written = watchThisThreadsWrites();
    await fill(buffer, 20, 10);
    await buffer.flush(AGENT, { compact: true });
    await fill(buffer, 20, 30);
    await buffer.flush(AGENT, { compact: true });
    await buffer.dispose();
    assert.equal(snapshotOf(dir).entries.length, 50);
    assert.equal(written.length, 2, 'both compactions were written on this thread');
    const warnings = log.lines.filter((l) => l.startsWith('warn ') && l.includes('compaction worker'));
    assert.equal(warnings.length, 1, `expected one warning, got ${JSON.stringify(warnings)}`);
    assert.match(warnings[0], /on the extension's thread from now on/);
  });

  it('loses nothing when the worker dies in the middle of a job', async () => {
    const dying = path.join(tempDir(), 'dying-worker.js');
    fs.writeFileSync(dying, "require('node:worker_threads').parentPort.on('message', () => process.exit(3));\n");
    const { dir, buffer, log } = await afterAnEarlierProcess(dying);
    await fill(buffer, 50, 10);
    await buffer.flush(AGENT, { compact: true });
    await buffer.dispose();
    assert.equal(snapshotOf(dir).entries.length, 60);
    assert.deepEqual(journalsIn(dir), []);
    assert.deepEqual(buffer.compactions, { onWorker: 0, onThread: 1 });
    assert.ok(log.lines.some((l) => l.includes('exited (code 3)')), JSON.stringify(log.lines));
  });

  it('lets compactions due while ingesting run on the worker, each entry once in the snapshot', async () => {
    const dir = tempDir();
    await earlierProcessSnapshot(dir, 100);
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactMinBytes: 8 * 1024, compactionWorker: WORKER });
    for (let round = 1; round <= 10; round++) await fill(buffer, 100, round * 100);
    await buffer.flush(AGENT, { compact: true });
    await buffer.dispose();
    const snapshot = snapshotOf(dir);
    // At least one ran while entries came in (how many depends on the machine's speed), then the last.
    assert.ok(buffer.compactions.onWorker >= 2, `compactions: ${JSON.stringify(buffer.compactions)}`);
    assert.equal(buffer.compactions.onThread, 0);
    assert.equal(snapshot.entries.length, 1100);
    assert.equal(new Set(snapshot.entries.map((e) => e.id)).size, 1100);
  });
});

describe('the compaction worker when idle', () => {
  it('stops after its idle time and starts again for the next job', async () => {
    const dir = tempDir();
    await earlierProcessSnapshot(dir, 5);
    const client = new CompactionClient(WORKER, undefined, 50);
    const job = { dir, agentType: AGENT, writerId: 'h000000p1rtest', ownClosedJournals: [], startedAt: '2026-12-01T10:00:00.000Z', maxBufferEntries: 1e6, maxBufferBytes: 1e9 };
    assert.equal((await client.run(job)).entries, 5);
    assert.equal(client.hasWorker, true, 'the worker stopped at once');
    const stopped = await new Promise<boolean>((resolve) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (!client.hasWorker || Date.now() - started > 5_000) {
          clearInterval(poll);
          resolve(!client.hasWorker);
        }
      }, 10);
    });
    assert.ok(stopped, 'the idle worker was not stopped');
    assert.equal((await client.run(job)).entries, 5, 'no worker for the next job');
    await client.dispose();
    assert.equal(client.hasWorker, false);
  });
});
