// The parts of the command line a spawned process cannot reach: a NUL byte in an argument
// (the OS refuses it in argv) and the confirmation prompt on a terminal.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { CliIo } from '../../src/cli/io';
import { isHookGuest, runCli } from '../../src/cli/main';
import { faults } from '../../src/core/faults';

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-cli-inproc-'));
  temps.push(dir);
  return dir;
}

function fakeIo(opts: { stdin?: string; tty?: boolean; answer?: string } = {}) {
  const captured = { out: '', err: '', questions: [] as string[] };
  const io: CliIo = {
    out: (t) => void (captured.out += t),
    err: (t) => void (captured.err += t),
    readStdin: async () => opts.stdin ?? '',
    stdinLines: async function* () {
      for (const line of (opts.stdin ?? '').split('\n')) yield line;
    },
    stdinIsTTY: opts.tty ?? false,
    confirm: async (q) => {
      captured.questions.push(q);
      return /^y/i.test(opts.answer ?? '');
    },
    env: {},
  };
  return { io, captured };
}

test('an agent name with a NUL byte is refused and nothing is written', async () => {
  const dir = tempDir();
  for (const command of ['push', 'show', 'clear']) {
    const { io, captured } = fakeIo({ stdin: '{}' });
    const code = await runCli([command, 'claude\0code', '--dir', dir, '--yes'].filter((a) => command === 'clear' || a !== '--yes'), io);
    assert.equal(code, 1, command);
    assert.match(captured.err, /invalid agent name/);
    assert.equal(captured.out, '');
  }
  assert.deepEqual(readdirSync(dir), []);
});

test('clear on a terminal asks "Delete N entries of AGENT? [y/N]" and keeps the buffer on no', async () => {
  const dir = tempDir();
  assert.equal(await runCli(['push', 'codex', '--dir', dir], fakeIo({ stdin: '{}' }).io), 0);
  assert.equal(await runCli(['push', 'codex', '--dir', dir], fakeIo({ stdin: '{}' }).io), 0);

  const no = fakeIo({ tty: true, answer: '' });
  assert.equal(await runCli(['clear', 'codex', '--dir', dir], no.io), 1);
  assert.deepEqual(no.captured.questions, ['Delete 2 entries of codex? [y/N] ']);
  assert.match(no.captured.err, /nothing deleted/);
  const shown = fakeIo();
  assert.equal(await runCli(['show', 'codex', '--json', '--dir', dir], shown.io), 0);
  assert.equal(JSON.parse(shown.captured.out).entries.length, 2);

  const yes = fakeIo({ tty: true, answer: 'y' });
  assert.equal(await runCli(['clear', 'codex', '--dir', dir], yes.io), 0);
  assert.equal(yes.captured.questions.length, 1);
  assert.equal(await runCli(['show', 'codex', '--dir', dir], fakeIo().io), 1);
});

test('push refuses to wait on a terminal: usage error pointing at stdin', async () => {
  const { io, captured } = fakeIo({ tty: true });
  assert.equal(await runCli(['push', 'codex', '--dir', tempDir()], io), 2);
  assert.match(captured.err, /pipe JSON into stdin/);
});

test('hook mode is recognised from the raw arguments, whatever their order', () => {
  assert.ok(isHookGuest(['push', 'claude-code', '--from', 'claude-hook']));
  assert.ok(isHookGuest(['push', '--from=claude-hook', 'claude-code']));
  assert.ok(isHookGuest(['--from', 'claude-hook']));
  // Any --from is a guest, even an unknown source: a mistake then never exits 2 inside an agent.
  assert.ok(isHookGuest(['push', 'claude-code', '--from', 'elsewhere']));
  assert.ok(isHookGuest(['push', 'codex', '--from', 'codex-notify', '{"type":"agent-turn-complete"}']));
  assert.ok(!isHookGuest(['push', 'claude-hook']));
});

test('hook mode: even --help and internal failures stay off stdout', async () => {
  const help = fakeIo();
  assert.equal(await runCli(['push', 'claude-code', '--from', 'claude-hook', '--help'], help.io), 0);
  assert.equal(help.captured.out, '');
  assert.match(help.captured.err, /Usage: nexus-buffer push/);

  // A folder that cannot be created (a file is in the way): one line, exit 1.
  const dir = tempDir();
  const blocked = path.join(dir, 'file');
  writeFileSync(blocked, '');
  const { io, captured } = fakeIo({ stdin: JSON.stringify({ hook_event_name: 'Stop', session_id: 's' }) });
  const code = await runCli(['push', 'claude-code', '--from', 'claude-hook', '--dir', path.join(blocked, 'sub')], io);
  assert.equal(code, 1);
  assert.equal(captured.out, '');
  assert.match(captured.err, /^nexus-buffer: [^\n]+\n$/);
});

test('a full disk: push is not acknowledged (exit 1, no id printed), in every mode', async () => {
  const dir = path.join(tempDir(), '.local', 'buffer'); // a dotted path, as the default folder has
  faults.beforeWrite = () => {
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  };
  try {
    const one = fakeIo({ stdin: '{"insights":["x"]}' });
    assert.equal(await runCli(['push', 'codex', '--dir', dir], one.io), 1);
    assert.equal(one.captured.out, '');
    assert.match(one.captured.err, /^nexus-buffer: not buffered, nothing acknowledged: Cannot write the codex buffer in .*\.local\/buffer: the disk is full\.\n$/);

    const stream = fakeIo({ stdin: '{"insights":["a"]}\n{"insights":["b"]}\n' });
    assert.equal(await runCli(['push', 'codex', '--stream', '--dir', dir], stream.io), 1);
    assert.equal(stream.captured.out, '', 'no ack for an entry that is not on disk');
    assert.match(stream.captured.err, /line 1: .*disk is full/);

    const hook = fakeIo({ stdin: JSON.stringify({ hook_event_name: 'Stop', session_id: 's' }) });
    assert.equal(await runCli(['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], hook.io), 1);
    assert.equal(hook.captured.out, '');
    assert.match(hook.captured.err, /^nexus-buffer: [^\n]*disk is full[^\n]*\n$/);
  } finally {
    faults.beforeWrite = undefined;
  }
});
