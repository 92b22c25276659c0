// "Lose nothing, let no one in", through the command line as a process (dist/cli.js): a link
// planted where a buffer file belongs is never written through (the file it points to, outside
// the folder, stays byte for byte as it was) and the entries pushed are still listed; a buffer
// folder others can write is made owner-only and said once; someone else's folder is refused
// (as the unprivileged user `nobody`); option-like agent names are refused.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { canDropPrivileges, runCli, scratch, skipWithout, UNPRIVILEGED } from './support/hostile';

/** Every file under `root` with its bytes (links as their target), to compare before and after. */
function contentsOf(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir)) {
      const full = path.join(dir, name);
      const stat = fs.lstatSync(full);
      if (stat.isDirectory()) walk(full);
      else found.set(full, stat.isSymbolicLink() ? `link:${fs.readlinkSync(full)}` : fs.readFileSync(full).toString('base64'));
    }
  };
  walk(root);
  return found;
}

/** Files outside the buffer folder that a command created or changed; every test expects none. */
let outsideChecks = 0;
function assertNothingWrittenOutside(outside: string, before: Map<string, string>): void {
  const now = contentsOf(outside);
  const written = [...now].filter(([file, bytes]) => before.get(file) !== bytes).map(([file]) => file);
  const removed = [...before.keys()].filter((file) => !now.has(file));
  outsideChecks++;
  assert.deepEqual({ written, removed }, { written: [], removed: [] }, 'files written outside the buffer folder');
}
after(() => console.log(`# files written outside the folder: 0 (checked ${outsideChecks} times)`));

/** A buffer folder and, beside it, a folder with a victim file a planted link points to. */
function setting(): { dir: string; outside: string; victim: string; victimBytes: string } {
  const root = scratch('nexus-links-');
  const dir = path.join(root, 'buffer');
  fs.mkdirSync(dir, { mode: 0o700 });
  const outside = path.join(root, 'outside');
  fs.mkdirSync(outside);
  const victim = path.join(outside, 'victim.json');
  // Shaped like a buffer, so a writer that followed the link would happily merge it.
  const victimBytes = JSON.stringify({ started_at: '2026-01-01T00:00:00Z', entries: [], last_flush: '2026-01-01T00:00:00Z', agent_type: 'victim' }, null, 2);
  fs.writeFileSync(victim, victimBytes);
  return { dir, outside, victim, victimBytes };
}

const context = (insight: string) => JSON.stringify({ insights: [insight] });
const shownEntries = (dir: string, agent: string): Array<{ id: string; context: { insights: string[] } }> => {
  const shown = runCli(['show', agent, '--json', '--dir', dir]);
  assert.equal(shown.status, 0, shown.stderr);
  return JSON.parse(shown.stdout).entries;
};
const listed = (dir: string): Array<{ agent_type: string; entries_count: number; problems: string[] }> => {
  const run = runCli(['list', '--json', '--dir', dir]);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
};

const hookPayload = JSON.stringify({
  session_id: 's-links', transcript_path: '/t.jsonl', cwd: '/w', hook_event_name: 'PostToolUse', tool_name: 'Bash',
  tool_input: { command: 'ls' }, tool_response: { stdout: 'a\n', stderr: '', interrupted: false }, tool_use_id: 'toolu_1',
});

describe('a link where a buffer file belongs', () => {
  it('<agent>.json as a link: push and recover leave the file it points to untouched, and the entry stays listed', () => {
    const { dir, outside, victim } = setting();
    fs.symlinkSync(victim, path.join(dir, 'sa.json'));
    const before = contentsOf(outside);
    const pushed = runCli(['push', 'sa', '--dir', dir], { input: context('acknowledged') });
    assert.equal(pushed.status, 0, pushed.stderr);
    const id = pushed.stdout.trim();
    const recovered = runCli(['recover', 'sa', '--dir', dir]);
    assert.equal(recovered.status, 0, recovered.stderr);
    assertNothingWrittenOutside(outside, before);

    assert.deepEqual(shownEntries(dir, 'sa').map((e) => e.id), [id], 'the acknowledged entry is still there');
    // The snapshot is now a file of the folder; the link was moved aside, not followed, not lost.
    assert.ok(fs.lstatSync(path.join(dir, 'sa.json')).isFile());
    const asides = fs.readdirSync(dir).filter((n) => n.startsWith('sa.json.damaged-'));
    assert.equal(asides.length, 1);
    assert.equal(fs.readlinkSync(path.join(dir, asides[0])), victim);
    const [sa] = listed(dir);
    assert.equal(sa.entries_count, 1);
    assert.match(sa.problems.join('\n'), new RegExp(`symbolic link \\(to ${victim.replace(/[.\\]/g, '\\$&')}\\).*never followed`));
    assertNothingWrittenOutside(outside, before);
  });

  it('<agent>.json.wal-shared-0 as a link: a push does not append to the file it points to', () => {
    const { dir, outside, victim } = setting();
    fs.symlinkSync(victim, path.join(dir, 'sa.json.wal-shared-0'));
    const before = contentsOf(outside);
    const pushed = runCli(['push', 'sa', '--dir', dir], { input: context('acknowledged') });
    assert.equal(pushed.status, 0, pushed.stderr);
    assertNothingWrittenOutside(outside, before);
    assert.deepEqual(shownEntries(dir, 'sa').map((e) => e.id), [pushed.stdout.trim()]);
    assert.ok(fs.lstatSync(path.join(dir, 'sa.json.wal-shared-0')).isFile(), 'the journal is a file of the folder now');
    assert.match(listed(dir)[0].problems.join('\n'), /symbolic link.*was set aside as sa\.json\.damaged-\d+T\d+Z; it was never followed/);
  });

  it('on the hook path too (push --from): the event is buffered in the folder, not through the link', () => {
    const { dir, outside, victim } = setting();
    fs.symlinkSync(victim, path.join(dir, 'claude-code.json.wal-shared-0'));
    fs.symlinkSync(victim, path.join(dir, 'claude-code.json'));
    const before = contentsOf(outside);
    const hook = runCli(['push', '--from', 'claude-hook', '--dir', dir], { input: hookPayload });
    assert.equal(hook.status, 0, hook.stderr);
    assert.equal(hook.stdout, '');
    assertNothingWrittenOutside(outside, before);
    const entries = shownEntries(dir, 'claude-code');
    assert.equal(entries.length, 1);
    // The snapshot link was never read: the victim's (empty) buffer is not what is shown.
    assert.match(listed(dir)[0].problems.join('\n'), /claude-code\.json is a symbolic link .*not followed/);
    assertNothingWrittenOutside(outside, before);
  });

  it('a link named like another writer\'s journal is reported and never read', () => {
    const { dir, outside } = setting();
    const foreign = path.join(outside, 'journal');
    fs.writeFileSync(foreign, `${JSON.stringify({ nexus_journal: 1, agent_type: 'sa', started_at: '2026-01-01T00:00:00Z', writer_id: 'hx' })}\n${JSON.stringify({ timestamp: '2026-01-01T00:00:00Z', context_type: 'checkpoint', context: { agent_type: 'sa', extraction_started: '2026-01-01T00:00:00Z' }, id: 'planted' })}\n`);
    fs.symlinkSync(foreign, path.join(dir, 'sa.json.wal-hx-0'));
    const pushed = runCli(['push', 'sa', '--dir', dir], { input: context('mine') });
    assert.equal(pushed.status, 0, pushed.stderr);
    const before = contentsOf(outside);
    assert.equal(runCli(['recover', 'sa', '--dir', dir]).status, 0);
    assertNothingWrittenOutside(outside, before);
    assert.deepEqual(shownEntries(dir, 'sa').map((e) => e.id), [pushed.stdout.trim()], 'the planted entry was not read');
    assert.match(listed(dir)[0].problems.join('\n'), /sa\.json\.wal-hx-0 is a symbolic link .*not followed/);
    assert.ok(fs.lstatSync(path.join(dir, 'sa.json.wal-hx-0')).isSymbolicLink(), 'left alone, not merged or removed');
  });
});

describe('a buffer folder others can write', () => {
  it('is made owner-only when it is ours, and that is said once', () => {
    const { dir } = setting();
    fs.chmodSync(dir, 0o777);
    const pushed = runCli(['push', 'sa', '--dir', dir], { input: context('a') });
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const lines = pushed.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, pushed.stderr);
    assert.match(lines[0], /^nexus-buffer: warning: the buffer folder .* could be written by anyone \(mode 0777\).*now owner-only \(0700\)$/);
    const again = runCli(['push', 'sa', '--dir', dir], { input: context('b') });
    assert.equal(again.stderr, '', 'said once: the folder is owner-only now');
  });

  it('on the hook path too: tightened, one stderr line, the event buffered', () => {
    const { dir } = setting();
    fs.chmodSync(dir, 0o770);
    const hook = runCli(['push', '--from', 'claude-hook', '--dir', dir], { input: hookPayload });
    assert.equal(hook.status, 0, hook.stderr);
    assert.equal(hook.stdout, '');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.match(hook.stderr, /^nexus-buffer: warning: the buffer folder .* could be written by its group \(mode 0770\).*0700\)\n$/);
    assert.equal(shownEntries(dir, 'claude-code').length, 1);
  });

  it('is refused when it belongs to someone else (run as nobody): nothing is written, exit 1, never 2', { skip: skipWithout(canDropPrivileges, 'root with runuser and a nobody account') }, () => {
    // root's folder, open to all (like a shared /tmp folder), inside a folder nobody can reach.
    const root = scratch('nexus-foreign-');
    const dir = path.join(root, 'buffer');
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o777);
    const pushed = runCli(['push', 'sa', '--dir', dir], { input: context('a'), asUser: UNPRIVILEGED });
    assert.equal(pushed.status, 1, pushed.stderr);
    assert.match(pushed.stderr, /^nexus-buffer: the buffer folder .* belongs to another user \(uid 0\), who could then plant links or files in it; nothing was written\./);
    assert.equal(pushed.stderr.split('\n').filter(Boolean).length, 1);
    const hook = runCli(['push', '--from', 'claude-hook', '--dir', dir], { input: hookPayload, asUser: UNPRIVILEGED });
    assert.equal(hook.status, 1, hook.stderr);
    assert.equal(hook.stdout, '');
    assert.match(hook.stderr, /^nexus-buffer: the buffer folder .* belongs to another user \(uid 0\)/);
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing written in it');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o777, 'not ours to change');
  });
});

describe('option-like agent names', () => {
  for (const args of [['--', '-rf'], ['-']]) {
    it(`push ${args.join(' ')} is refused with the rule, nothing created`, () => {
      const dir = path.join(scratch('nexus-names-'), 'buffer');
      const pushed = runCli(['push', '--dir', dir, ...args], { input: context('a') });
      assert.equal(pushed.status, 1, pushed.stderr);
      assert.match(pushed.stderr, /invalid agent name "-(rf)?": .*starts with a letter or a digit/);
      assert.equal(fs.existsSync(dir), false);
    });
  }

  it('push - --from claude-hook is refused too (exit 1)', () => {
    const dir = path.join(scratch('nexus-names-'), 'buffer');
    const hook = runCli(['push', '-', '--from', 'claude-hook', '--dir', dir], { input: hookPayload });
    assert.equal(hook.status, 1, hook.stderr);
    assert.match(hook.stderr, /invalid agent name "-": .*starts with a letter or a digit/);
    assert.equal(fs.existsSync(dir), false);
  });
});
