// An entry answered "not buffered" must never become visible later: a caller that retries it
// would make a duplicate. The disk fails for real here (strace makes fdatasync, fsync or
// ftruncate return EIO in the CLI process), and the folder is read afterwards without faults.
// strace counts `when=N` per thread, and Node syncs files on its thread pool: the runs that
// count calls use one pool thread (UV_THREADPOOL_SIZE=1), so the Nth call is the Nth for sure.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { cliCommand, ROOT, runCli, scratch, skipWithout, straceWorks, type RunOptions } from './support/hostile';

const skip = skipWithout(straceWorks, 'strace');
const ONE_THREAD = { ...process.env, UV_THREADPOOL_SIZE: '1' };

const context = (n: number | string) => JSON.stringify({ insights: [`n${n}`] });

/** The entries `show --json` lists (no fault injected), as their first insight. */
function listed(dir: string, agent: string): string[] {
  const run = runCli(['show', agent, '--json', '--dir', dir]);
  if (run.status !== 0) return [];
  return (JSON.parse(run.stdout) as { entries: Array<{ context: { insights: string[] } }> }).entries.map((e) => e.context.insights[0]);
}

const journalBytes = (dir: string, agent: string) => {
  const file = path.join(dir, `${agent}.json.wal-shared-0`);
  return fs.existsSync(file) ? fs.statSync(file).size : 0;
};

const STOP_EVENT = JSON.parse(fs.readFileSync(path.join(ROOT, 'src/agents/claude-code/test/fixtures/stop.json'), 'utf8')).payload;

describe('a push that fails to reach the disk leaves nothing behind', () => {
  it('push with fdatasync failing: exit 1, "not buffered", and show does not list it; the journal is back to its length', { skip }, () => {
    const dir = scratch();
    assert.equal(runCli(['push', 'foo', '--dir', dir], { input: context('kept') }).status, 0);
    const before = journalBytes(dir, 'foo');
    const run = runCli(['push', 'foo', '--dir', dir], { input: context('failed'), inject: 'fdatasync:error=EIO' });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /not buffered, nothing acknowledged/);
    assert.equal(journalBytes(dir, 'foo'), before);
    assert.deepEqual(listed(dir, 'foo'), ['nkept']);
  });

  it('the first push into a new folder with the folder fsync failing: not listed either', { skip }, () => {
    const dir = path.join(scratch(), 'buffer');
    const run = runCli(['push', 'foo', '--dir', dir], { input: context('failed'), inject: 'fsync:error=EIO' });
    assert.equal(run.status, 1, run.stderr);
    assert.deepEqual(listed(dir, 'foo'), []);
  });

  it('the hook path (push --from claude-hook) with fdatasync failing: exit 1, not listed', { skip }, () => {
    const dir = scratch();
    const event = JSON.stringify(STOP_EVENT);
    assert.equal(runCli(['push', '--from', 'claude-hook', '--dir', dir], { input: event }).status, 0);
    const before = journalBytes(dir, 'claude-code');
    const run = runCli(['push', '--from', 'claude-hook', '--dir', dir], { input: event, inject: 'fdatasync:error=EIO' });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /not buffered, nothing acknowledged/);
    assert.equal(journalBytes(dir, 'claude-code'), before);
    assert.equal(listed(dir, 'claude-code').length, 1);
  });

  it('the hook path with the truncate failing too: a void marker keeps the entry out', { skip }, () => {
    const dir = scratch();
    const event = JSON.stringify(STOP_EVENT);
    assert.equal(runCli(['push', '--from', 'claude-hook', '--dir', dir], { input: event }).status, 0);
    // The entry's fdatasync fails, the truncate fails, the marker's fdatasync succeeds.
    const run = runCli(['push', '--from', 'claude-hook', '--dir', dir], { input: event, inject: ['fdatasync:error=EIO:when=1', 'ftruncate:error=EIO'], env: { UV_THREADPOOL_SIZE: '1' } });
    assert.equal(run.status, 1, run.stderr);
    assert.match(fs.readFileSync(path.join(dir, 'claude-code.json.wal-shared-0'), 'utf8'), /"nexus_void":\["/);
    assert.equal(listed(dir, 'claude-code').length, 1);
  });
});

/** The message of point 5: a process that exits right after must not promise a retry. */
describe('what a one-shot process says about a failed write', () => {
  it('push and push --stream say "not buffered", never "held in memory and retried"', { skip }, () => {
    const dir = scratch();
    const one = runCli(['push', 'foo', '--dir', dir], { input: context(1), inject: 'fdatasync:error=EIO' });
    const stream = runCli(['push', 'foo', '--stream', '--dir', dir], { input: `${context(2)}\n`, inject: 'fdatasync:error=EIO' });
    for (const run of [one, stream]) {
      assert.equal(run.status, 1);
      assert.match(run.stderr, /not buffered, nothing acknowledged/);
      assert.doesNotMatch(run.stderr, /held in memory|retried|nothing is lost/);
    }
  });
});

/**
 * `push --stream` fed in chunks, each sent once everything before it was answered (an ack on
 * stdout or a "line N:" on stderr), so that every chunk is a batch of its own (one fdatasync).
 */
function runStream(dir: string, lines: string[], chunk: number, inject: RunOptions['inject']): Promise<{ status: number | null; acked: string[]; refused: number[]; stderr: string }> {
  const { file, argv } = cliCommand(['push', 'foo', '--stream', '--dir', dir], { inject });
  return new Promise((resolve) => {
    const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: ONE_THREAD });
    let stdout = '';
    let stderr = '';
    let sent = 0;
    const answered = () => (stdout.match(/^ack /gm)?.length ?? 0) + (stderr.match(/^nexus-buffer: line \d+:/gm)?.length ?? 0);
    const sendMore = () => {
      if (sent >= lines.length) return;
      if (answered() < sent) return;
      const part = lines.slice(sent, sent + chunk);
      sent += part.length;
      child.stdin.write(part.map((l) => `${l}\n`).join(''));
      if (sent >= lines.length) child.stdin.end();
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      sendMore();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      sendMore();
    });
    child.on('exit', (status) => {
      const refused = [...stderr.matchAll(/^nexus-buffer: line (\d+):/gm)].map((m) => Number(m[1]));
      resolve({ status, acked: stdout.match(/^ack \S+/gm)?.map((a) => a.slice(4)) ?? [], refused, stderr });
    });
    sendMore();
  });
}

describe('push --stream with fdatasync failing: what it reported not buffered never turns up', () => {
  const lines = Array.from({ length: 500 }, (_, i) => context(i + 1));

  for (const [name, inject] of [
    ['from the 4th call on', 'fdatasync:error=EIO:when=4+'],
    ['on the 4th call only (later batches go through)', 'fdatasync:error=EIO:when=4'],
    ['once, with the truncate failing too (a void marker)', ['fdatasync:error=EIO:when=4', 'ftruncate:error=EIO']],
  ] as const) {
    it(name, { skip }, async () => {
      const dir = scratch();
      const run = await runStream(dir, lines, 50, inject as RunOptions['inject']);
      assert.equal(run.acked.length + run.refused.length, 500, run.stderr);
      assert.ok(run.acked.length > 0 && run.refused.length > 0, `a mix of acked and refused lines (${run.acked.length} acked)`);
      assert.equal(run.status, 1);
      const shown = runCli(['show', 'foo', '--json', '--dir', dir]);
      const entries = (JSON.parse(shown.stdout) as { entries: Array<{ id: string; context: { insights: string[] } }> }).entries;
      const insights = entries.map((e) => e.context.insights[0]);
      for (const n of run.refused) assert.ok(!insights.includes(`n${n}`), `line ${n} was reported not buffered, yet it is listed`);
      const ids = entries.map((e) => e.id);
      for (const id of run.acked) assert.equal(ids.filter((x) => x === id).length, 1, `acked ${id} listed once`);
      assert.equal(entries.length, run.acked.length);
    });
  }
});

describe('the core API (PersistentBuffer) with fdatasync failing', () => {
  const script = (dir: string, retry: boolean) => `
    const { PersistentBuffer } = require(${JSON.stringify(path.join(ROOT, 'out/src/core/buffer.js'))});
    (async () => {
      const buffer = new PersistentBuffer({ dir: ${JSON.stringify(dir)}, flushIntervalMs: 0, writerId: 'w1', retryFailedWrites: ${retry} });
      await buffer.bufferContext('foo', { insights: ['kept'] });
      const failed = await buffer.bufferContext('foo', { insights: ['failed'] }).then(() => 'acknowledged', (e) => e.message);
      const status = await buffer.status('foo');
      await buffer.dispose();
      process.stdout.write(JSON.stringify({ failed, inMemory: status.entriesCount }));
    })();`;

  // Only the journal's calls are traced (-P): its fdatasync #1 is the header's, #2 the first
  // entry's, #3 the second entry's, which fails.
  const failSecondEntry = (dir: string) =>
    ['-f', '-qq', '-o', '/dev/null', '-P', path.join(dir, 'foo.json.wal-w1-0'), '-e', 'trace=fdatasync', '-e', 'inject=fdatasync:error=EIO:when=3'];

  it('retryFailedWrites false: rejected as "not buffered", gone from memory and from the journal', { skip }, () => {
    const dir = scratch();
    const run = spawnSync('strace', [...failSecondEntry(dir), '--', process.execPath, '-e', script(dir, false)], { encoding: 'utf8', env: ONE_THREAD });
    const out = JSON.parse(run.stdout) as { failed: string; inMemory: number };
    assert.match(out.failed, /^not buffered, nothing acknowledged/);
    assert.equal(out.inMemory, 1);
    assert.deepEqual(listed(dir, 'foo'), ['kept']);
  });

  it('by default (a long-lived host): kept in memory and retried, and the message says so', { skip }, () => {
    const dir = scratch();
    const run = spawnSync('strace', [...failSecondEntry(dir), '--', process.execPath, '-e', script(dir, true)], { encoding: 'utf8', env: ONE_THREAD });
    const out = JSON.parse(run.stdout) as { failed: string; inMemory: number };
    assert.match(out.failed, /held in memory and retried/);
    assert.equal(out.inMemory, 2);
  });
});
