// A damaged snapshot's salvage and a roll-over into an archive, interrupted the hard way: the
// CLI as a process under strace fault injection (fsync failing with EIO) and SIGKILLed in the
// middle. Whatever happens, no entry may be lost and none may end up twice.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { completeContext, type BufferEntry } from '../../src/core/schema';
import { serializeSnapshot } from '../../src/core/snapshot';
import { runCli, runCliKilledWhen, scratch, skipWithout, straceWorks } from './support/hostile';

function entries(n: number): BufferEntry[] {
  const ts = '2026-06-14T09:12:03.418275913Z';
  const context = completeContext({ insights: ['x'] }, { agentType: 'ag', extractionSource: 'cli', now: ts });
  return Array.from({ length: n }, (_, i) => ({ timestamp: ts, context_type: 'checkpoint', context: { ...context, insights: [`insight ${i}`] }, id: `e${i}` }));
}

function writeBuffer(dir: string, n: number, damage = ''): void {
  const text = serializeSnapshot({ started_at: '2026-06-14T09:00:00Z', entries: entries(n), last_flush: null, agent_type: 'ag' });
  fs.writeFileSync(path.join(dir, 'ag.json'), text + damage);
}

/** The ids `show --json` gives for an agent (none when it has no buffer). */
function shownIds(dir: string, agent = 'ag'): string[] {
  const shown = runCli(['show', agent, '--json', '--dir', dir]);
  if (shown.status !== 0) return [];
  return (JSON.parse(shown.stdout) as { entries: BufferEntry[] }).entries.map((e) => e.id!);
}

const damagedCopies = (dir: string) => fs.readdirSync(dir).filter((n) => n.includes('.json.damaged-'));

/** Every entry id in the snapshot and every archive of `ag`, with repeats. */
function idsOnDisk(dir: string): string[] {
  return fs.readdirSync(dir)
    .filter((n) => n === 'ag.json' || /^ag\.archive-[0-9TZ]+\.json$/.test(n))
    .flatMap((n) => (JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as { entries: BufferEntry[] }).entries.map((e) => e.id!));
}

/**
 * SIGKILLs the CLI that strace runs (killing strace alone lets its tracee run on): the node
 * process started by this test, found by its command line, which names this test's own folder.
 */
function killTracee(dir: string): void {
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (argv[0] === process.execPath && argv.includes('recover') && argv.includes(dir)) process.kill(Number(pid), 'SIGKILL');
  }
}

describe('the salvage of a damaged snapshot never loses it', () => {
  it('keeps the damaged file in place when the replacement cannot be made durable (fsync fails with EIO)', { skip: skipWithout(straceWorks, 'strace') }, () => {
    const dir = scratch();
    writeBuffer(dir, 3, 'X');
    for (let attempt = 0; attempt < 2; attempt++) {
      const failed = runCli(['recover', 'ag', '--dir', dir], { inject: 'fsync:error=EIO' });
      assert.notEqual(failed.status, 2);
      assert.deepEqual(shownIds(dir), ['e0', 'e1', 'e2'], `after failed attempt ${attempt + 1}, show still has every entry`);
      assert.ok(fs.existsSync(path.join(dir, 'ag.json')), 'the damaged original is where it was');
    }
    assert.match(runCli(['list', '--dir', dir]).stdout, /^ag\s+3\s/m);
    assert.ok(damagedCopies(dir).length <= 1, `no pile of identical copies: ${damagedCopies(dir).join(', ')}`);
    const done = runCli(['recover', 'ag', '--dir', dir]);
    assert.equal(done.status, 0, done.stderr);
    assert.deepEqual(idsOnDisk(dir), ['e0', 'e1', 'e2'], 'the replacement is healthy');
    assert.equal(damagedCopies(dir).length, 1, 'one copy of the damaged bytes');
    assert.ok(fs.readFileSync(path.join(dir, damagedCopies(dir)[0]), 'utf8').endsWith('X'), 'the copy holds the damaged bytes');
    assert.match(runCli(['show', 'ag', '--dir', dir]).stderr, /is a copy of ag\.json .*nothing readable was lost/);
  });

  it('loses none of 20,000 entries when killed at any moment of the salvage', async () => {
    const dir = scratch();
    writeBuffer(dir, 20_000, 'X');
    const moments: Array<[string, () => boolean]> = [
      ['the damaged copy appears', () => damagedCopies(dir).length > 0],
      ['the replacement is being written', () => fs.readdirSync(dir).some((n) => /^ag\.json\.(?!damaged|wal|lock)/.test(n))],
    ];
    for (const [moment, when] of moments) {
      await runCliKilledWhen(['recover', 'ag', '--dir', dir], when);
      assert.equal(shownIds(dir).length, 20_000, `killed when ${moment}: every entry is still there`);
    }
    const done = runCli(['recover', 'ag', '--dir', dir], { timeoutMs: 120_000 });
    assert.equal(done.status, 0, done.stderr);
    assert.equal(new Set(idsOnDisk(dir)).size, 20_000);
    assert.equal(damagedCopies(dir).length, 1, 'one copy of the damaged bytes, however often the salvage was cut short');
  });
});

describe('a roll-over into an archive is one step', () => {
  it('killed between writing the archive and emptying the buffer, leaves one copy of each entry', { skip: skipWithout(straceWorks, 'strace') }, async () => {
    const dir = scratch();
    writeBuffer(dir, 20_001);
    // Every rename is slowed down, so the kill lands right after the archive appears.
    const archived = () => fs.readdirSync(dir).some((n) => /^ag\.archive-[0-9TZ]+\.json$/.test(n));
    const killed = await runCliKilledWhen(['recover', 'ag', '--dir', dir], () => archived() && (killTracee(dir), true), { inject: 'rename:delay_enter=300000' });
    assert.ok(killed.killed, 'the archive appeared');
    runCli(['recover', 'ag', '--dir', dir], { timeoutMs: 120_000 });
    const ids = idsOnDisk(dir);
    assert.equal(new Set(ids).size, 20_001, 'no entry lost');
    assert.equal(ids.length, 20_001, 'no entry twice');
  });
});
