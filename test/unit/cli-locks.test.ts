// The command line and the agent lock, as processes: a compaction killed while it holds the lock
// costs the next push and hook call nothing (it cost them 10 s, past the hooks' 5 s deadline),
// its temp snapshot goes with the next compaction, and a folder the user cannot write is said
// at once, not after 13 s as a lock "held by another process".
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { completeHookContext, hookEntryLine } from '../../src/core/hookWriter';
import { canDropPrivileges, runCli, runCliKilledWhen, giveTo, scratch, skipWithout, straceWorks, UNPRIVILEGED } from './support/hostile';

const NOW = '2026-11-26T00:15:02.123Z';
const hookEvent = JSON.stringify({ session_id: 's-locks', transcript_path: '/t.jsonl', cwd: '/w', hook_event_name: 'SessionStart', source: 'startup' });
const TEMP = /^claude-code\.json\.(\d+|tmp.*)$/;

/**
 * A snapshot of `count` entries of ~2 KB (its compaction writes a temp snapshot that size) and
 * a shared journal of one entry to merge into it (small: no hook call compacts after this).
 */
function bigBuffer(dir: string, count: number): void {
  const entry = (text: string) => {
    const context = completeHookContext({ insights: [text, 'y'.repeat(2000)] }, { agentType: 'claude-code', extractionSource: 'cli', now: NOW })!;
    return hookEntryLine(context, 'checkpoint', NOW);
  };
  const entries = Array.from({ length: count }, (_, i) => JSON.parse(entry(`big ${i}`)));
  fs.writeFileSync(path.join(dir, 'claude-code.json'), JSON.stringify({ started_at: NOW, entries, last_flush: NOW, agent_type: 'claude-code' }, null, 2));
  const header = JSON.stringify({ nexus_journal: 1, agent_type: 'claude-code', started_at: NOW, writer_id: 'shared' });
  fs.writeFileSync(path.join(dir, 'claude-code.json.wal-shared-0'), `${header}\n${entry('journal')}\n`);
}

const temps = (dir: string) => fs.readdirSync(dir).filter((name) => TEMP.test(name));

/** The pid of the node process (not strace) whose command line names `dir`. */
function nodeProcessOf(dir: string): number | undefined {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const argv = (() => {
      try {
        return fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      } catch {
        return [];
      }
    })();
    if (argv[0] === process.execPath && argv.includes(dir)) return Number(name);
  }
  return undefined;
}

describe('a compaction killed while it holds the agent lock', () => {
  it('costs the next hook call and push no wait, and its temp snapshot goes with the next compaction', { skip: skipWithout(straceWorks, 'strace') }, async () => {
    const dir = scratch();
    bigBuffer(dir, 3000);
    // fsync is held up 20 s, so the compaction is caught with its temp snapshot written and
    // the lock held; the node process itself is killed (killing strace would only detach it).
    let killedPid: number | undefined;
    const killed = await runCliKilledWhen(['recover', 'claude-code', '--dir', dir], () => {
      const temp = temps(dir)[0];
      if (!temp || (fs.statSync(path.join(dir, temp), { throwIfNoEntry: false })?.size ?? 0) < 1_000_000) return false;
      killedPid = nodeProcessOf(dir);
      if (killedPid) process.kill(killedPid, 'SIGKILL');
      return killedPid !== undefined;
    }, { inject: ['fsync:delay_enter=20000000', 'fdatasync:delay_enter=20000000'], pollMs: 5 });
    assert.ok(killed.killed && killedPid, `the compaction was not caught: ${killed.stderr}`);
    assert.ok(fs.existsSync(path.join(dir, 'claude-code.json.lock')), 'the killed compaction left its lock');
    const left = temps(dir);
    assert.equal(left.length, 1, `temp files: ${left.join(', ')}`);
    assert.ok(fs.statSync(path.join(dir, left[0])).size > 1_000_000, 'the temp snapshot is the size of the buffer');

    const hook = runCli(['push', '--from', 'claude-hook', '--dir', dir], { input: hookEvent });
    assert.equal(hook.status, 0, hook.stderr);
    assert.ok(hook.ms < 2000, `the hook call took ${hook.ms} ms (it waited for the dead compaction's lock)`);

    // A temp of the crate's naming is removed once a minute old (the crate takes no lock): age it.
    const aged = new Date(Date.now() - 120_000);
    for (const name of temps(dir)) fs.utimesSync(path.join(dir, name), aged, aged);
    const push = runCli(['push', 'claude-code', '--dir', dir], { input: JSON.stringify({ insights: ['after the kill'] }) });
    assert.equal(push.status, 0, push.stderr);
    assert.ok(push.ms < 2000, `the push took ${push.ms} ms`);

    const recover = runCli(['recover', 'claude-code', '--dir', dir]);
    assert.equal(recover.status, 0, recover.stderr);
    assert.deepEqual(temps(dir), [], 'the temp snapshot of the killed compaction is still there');
    assert.ok(!fs.existsSync(path.join(dir, 'claude-code.json.lock')));
    const entries = JSON.parse(fs.readFileSync(path.join(dir, 'claude-code.json'), 'utf8')).entries as Array<{ context: { insights: string[] } }>;
    assert.equal(entries.length, 3003);
    assert.ok(entries.some((e) => e.context.insights[0] === 'after the kill'));
  });
});

describe('a buffer folder the user cannot write', () => {
  const skip = skipWithout(canDropPrivileges, 'root with runuser and a nobody account');

  for (const [what, args, input] of [
    ['push', ['push', 'claude-code'], JSON.stringify({ insights: ['x'] })],
    ['push --from (the hooks)', ['push', '--from', 'claude-hook'], hookEvent],
  ] as const) {
    // A folder of the user's own that is read-only (one of someone else's is refused before any
    // write is tried: reliability-links.test.ts), and a folder to create inside root's.
    for (const [where, sub] of [['a read-only folder of its own', ''], ['a folder to create in a root-owned one', 'sub']] as const) {
      it(`${what} into ${where}: permission denied, at once, exit 1, one line`, { skip }, () => {
        const root = scratch(); // root's, 0755
        if (!sub) {
          giveTo(UNPRIVILEGED, root);
          fs.chmodSync(root, 0o555);
        }
        const dir = path.join(root, sub);
        const run = runCli([...args, '--dir', dir], { input, asUser: UNPRIVILEGED });
        assert.equal(run.status, 1, run.stderr);
        assert.equal(run.stdout, '');
        assert.match(run.stderr, /^nexus-buffer: [^\n]*permission denied[^\n]*\n$/);
        assert.ok(run.stderr.includes(dir), `the message does not name ${dir}: ${run.stderr}`);
        assert.doesNotMatch(run.stderr, /locked|another process/);
        assert.ok(run.ms < 2000, `took ${run.ms} ms`);
        assert.deepEqual(fs.readdirSync(root), []);
      });
    }
  }
});
