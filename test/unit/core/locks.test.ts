// The agent lock (core/ownedLock.ts through lock.ts and the hook path's writer): a lock whose
// holder was killed is taken over at once, a live one never, an older version's bare lock
// folder is honoured until stale, and compaction removes the temp files killed writers left.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { appendSharedEntry, completeHookContext, hookEntryLine } from '../../../src/core/hookWriter';
import { withAgentLock } from '../../../src/core/lock';
import { HOST } from '../../../src/core/ownedLock';
import { compact, removeLeftoverTemps } from '../../../src/core/store';
import { tempDir } from './helpers';

const CHILD = path.join(__dirname, 'lockChild.js');
const NOW = '2026-11-26T00:15:02.123Z';
const line = hookEntryLine(completeHookContext({ insights: ['x'] }, { agentType: 'claude-code', extractionSource: 'native', now: NOW })!, 'checkpoint', NOW);

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

/** Starts a child that takes the agent lock through the core, and SIGKILLs it while it holds it. */
async function killWhileHolding(dir: string, agent: string, { expectLeft = true } = {}): Promise<void> {
  const child = spawn(process.execPath, [CHILD, 'hold', dir, agent], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    child.on('exit', () => reject(new Error('the lock child ended before it held the lock')));
  });
  const gone = exited(child);
  child.kill('SIGKILL');
  await gone;
  // (Not while others hammer the lock: one of them may have taken it over already.)
  if (expectLeft) assert.ok(fs.existsSync(path.join(dir, `${agent}.json.lock`)), 'the killed holder left its lock');
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t0 = Date.now();
  await fn();
  return Date.now() - t0;
}

describe('the agent lock of a killed process', () => {
  it('is taken over at once by the core (it took 10 s)', async () => {
    const dir = tempDir();
    await killWhileHolding(dir, 'claude-code');
    const ms = await timed(() => withAgentLock(dir, 'claude-code', undefined, async () => undefined));
    assert.ok(ms < 2000, `the core waited ${ms} ms for a dead holder's lock`);
    assert.ok(!fs.existsSync(path.join(dir, 'claude-code.json.lock')), 'released after');
  });

  it('is taken over at once by the hook path, well within its deadline', async () => {
    const dir = tempDir();
    await killWhileHolding(dir, 'claude-code');
    const ms = await timed(() => appendSharedEntry(dir, 'claude-code', line, { startedAt: NOW, deadlineAt: Date.now() + 4750 }));
    assert.ok(ms < 2000, `the hook path waited ${ms} ms for a dead holder's lock`);
    assert.ok(fs.readFileSync(path.join(dir, 'claude-code.json.wal-shared-0'), 'utf8').includes('"insights":["x"]'));
  });

  it('is taken over at once when its pid now belongs to another process (Linux: the start time differs)', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
    const dir = tempDir();
    const lockDir = path.join(dir, 'claude-code.json.lock');
    fs.mkdirSync(lockDir);
    // Our own pid, which is alive, with a start time that is not ours: a reused pid.
    fs.writeFileSync(path.join(lockDir, 'owner'), `h${HOST}p${process.pid}r0 start=1\n`);
    const ms = await timed(() => withAgentLock(dir, 'claude-code', undefined, async () => undefined));
    assert.ok(ms < 2000, `waited ${ms} ms`);
  });
});

describe('a live lock', () => {
  it('is never taken: processes hammering it through the core and the hook path never overlap, also while taking over the locks of killed holders', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const log = path.join(dir, 'critical.log');
    const stop = path.join(dir, 'stop');
    const children = ['core', 'core', 'lean'].map((via) => spawn(process.execPath, [CHILD, 'hammer', dir, 'claude-code', stop, log, via], { stdio: 'inherit' }));
    const ended = Promise.all(children.map(exited));
    try {
      // Each dead holder's lock is taken over by whichever hammering process gets there first.
      for (let i = 0; i < 4; i++) await killWhileHolding(dir, 'claude-code', { expectLeft: false });
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      // Whatever happened, the hammering processes stop (a failed check must not leave them running).
      fs.writeFileSync(stop, '');
      setTimeout(() => children.forEach((child) => child.kill('SIGKILL')), 60_000).unref();
    }
    assert.deepEqual(await ended, [0, 0, 0], 'a hammering process gave up (its "lock child failed" line above says on whom it waited)');
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    assert.ok(lines.length >= 200, `only ${lines.length / 2} critical sections`);
    for (let i = 0; i < lines.length; i += 2) {
      const [what, pid] = lines[i].split(' ');
      assert.equal(what, 'in', `line ${i + 1}: ${lines[i]}`);
      assert.equal(lines[i + 1], `out ${pid}`, `line ${i + 2}: two critical sections overlap`);
    }
    assert.equal(new Set(lines.map((l) => l.split(' ')[1])).size, 3, 'every hammering process got the lock');
  });

  it('of another machine is honoured while its mtime is fresh, and taken once it is 10 s old', async () => {
    const dir = tempDir();
    const lockDir = path.join(dir, 'claude-code.json.lock');
    fs.mkdirSync(lockDir);
    const otherHost = HOST === 'ffffff' ? 'eeeeee' : 'ffffff';
    fs.writeFileSync(path.join(lockDir, 'owner'), `h${otherHost}p1r0\n`);
    await assert.rejects(appendSharedEntry(dir, 'claude-code', line, { startedAt: NOW, deadlineAt: Date.now() + 300 }), /held by a process on another machine/);
    const old = new Date(Date.now() - 11_000);
    fs.utimesSync(lockDir, old, old);
    await appendSharedEntry(dir, 'claude-code', line, { startedAt: NOW, deadlineAt: Date.now() + 300 });
  });

  it('of an older version (a bare folder, no owner file) is honoured until its mtime is 10 s old', async () => {
    const dir = tempDir();
    const lockDir = path.join(dir, 'claude-code.json.lock');
    fs.mkdirSync(lockDir);
    const aged = new Date(Date.now() - 8_500);
    fs.utimesSync(lockDir, aged, aged);
    // Stale 1.5 s from now: the core waits that long, not less, and then takes it.
    const ms = await timed(() => withAgentLock(dir, 'claude-code', undefined, async () => undefined));
    assert.ok(ms >= 1000, `an older version's live lock was taken after ${ms} ms`);
    assert.ok(!fs.existsSync(lockDir));
  });
});

describe('temporary files killed writers left', () => {
  it('are removed by the next compaction of the agent (ours at once, the crate\'s once a minute old), and nothing else', async () => {
    const dir = tempDir();
    const old = new Date(Date.now() - 120_000);
    const make = (name: string, bytes: number, mtime?: Date) => {
      fs.writeFileSync(path.join(dir, name), Buffer.alloc(bytes, 'x'));
      if (mtime) fs.utimesSync(path.join(dir, name), mtime, mtime);
    };
    make('claude-code.json.3735928559', 6000); // write-file-atomic's
    make('claude-code.json.tmp-1764633502123456789', 3000, old); // the crate's (and our newer writer's)
    make('claude-code.json.tmp', 1000, old); // the crate's, earlier
    make('claude-code.archive-20261126T001502123Z.json.123', 500); // of its archive
    make('claude-code.json.tmp-1764633599000000000', 10); // fresh: the crate may be writing it
    make('codex.json.3735928559', 10); // another agent's: its lock is not held
    make('claude-code.json.damaged-20261126T001502123Z', 10);
    const infos: string[] = [];
    const log = { info: (m: string) => infos.push(m), warn: (m: string) => assert.fail(`warned: ${m}`), error: (m: string) => assert.fail(`error: ${m}`) };
    await compact({
      dir, agentType: 'claude-code', writerId: 'hffffffp1r0', ownClosedJournals: new Set(), memoryEntries: [], startedAt: NOW,
      maxBufferEntries: 1000, maxBufferBytes: 1 << 30, log,
    });
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      'claude-code.json.damaged-20261126T001502123Z', 'claude-code.json.tmp-1764633599000000000', 'codex.json.3735928559',
    ]);
    assert.equal(infos.length, 1);
    assert.match(infos[0], /^claude-code: removed 4 temporary files left by interrupted writes \(10 KB reclaimed\)$/);
    assert.equal(await removeLeftoverTemps(dir, 'claude-code'), 0);
  });
});
