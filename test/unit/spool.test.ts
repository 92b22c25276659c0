// The spool (src/agents/shared/spoolCommand.ts, src/core/spool.ts): Claude Code's tool events
// are written by a POSIX shell command (no Node start) into `<dir>/.spool/claude-hook/`, and
// become entries when a Node hook runs, the CLI reads, or the extension sees them. The shell
// command is run for real through /bin/sh, as Claude Code runs it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { claudeHookSource } from '../../src/agents/claude-code';
import { findHookSource } from '../../src/agents/registry';
import { buildSpoolCommand, SPOOL_FAILURE_LINE } from '../../src/agents/shared/spoolCommand';
import { completeHookContext } from '../../src/core/hookWriter';
import { completeContext } from '../../src/core/schema';
import { ingestSpool, rejectedDirOf, spoolDirOf, spoolEntryId, TORN_PART_MS } from '../../src/core/spool';
import { loadBuffer, scanDir } from '../../src/core/store';
import { SpoolIngester } from '../../src/host/spoolIngester';

const ROOT = path.resolve(__dirname, '../../..');
const HOOK = path.join(ROOT, 'dist', 'hook.js');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURES = path.join(ROOT, 'src', 'agents', 'claude-code', 'test', 'fixtures');
const AGENT = 'claude-code';
const posix = process.platform !== 'win32';

const temps: string[] = [];
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-spool-test-'));
  temps.push(dir);
  return dir;
}

const fixture = (name: string): Record<string, unknown> => {
  const json = JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
  return 'payload' in json ? json.payload : json;
};
const options = { findSource: findHookSource, complete: completeContext };

/** The installed spool command, run through /bin/sh with the payload on stdin. */
function spoolHook(payload: unknown, env: NodeJS.ProcessEnv, extraPath?: string) {
  const command = buildSpoolCommand({}, 'claude-hook');
  return spawnSync('/bin/sh', ['-c', command], {
    input: typeof payload === 'string' ? payload : JSON.stringify(payload),
    encoding: 'utf8',
    env: { ...process.env, ...env, ...(extraPath ? { PATH: `${extraPath}:${process.env.PATH}` } : {}) },
  });
}

function nodeHook(payload: unknown, dir: string) {
  return spawnSync(process.execPath, [HOOK, 'push', AGENT, '--from', 'claude-hook', '--dir', dir], { input: JSON.stringify(payload), encoding: 'utf8' });
}

async function entriesOf(dir: string, agent = AGENT) {
  const files = (await scanDir(dir)).get(agent);
  return files ? (await loadBuffer(files)).entries : [];
}
const eventOf = (e: { context: { custom: Record<string, unknown> } }) => e.context.custom?.hook_event_name;
const spoolFiles = (dir: string) => (fs.existsSync(spoolDirOf(dir, 'claude-hook')) ? fs.readdirSync(spoolDirOf(dir, 'claude-hook')).sort() : []);
const journalLines = (dir: string) => fs.readFileSync(path.join(dir, `${AGENT}.json.wal-shared-0`), 'utf8').split('\n').filter((l) => l.trim() && !l.includes('"nexus_journal"'));
/** Every ISO timestamp replaced: entries made at different times compare equal. */
const timeless = (value: unknown) => JSON.stringify(value).replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, 'T');

describe('the spool hook command (POSIX shell)', { skip: !posix && 'POSIX only' }, () => {
  it('writes the payload as one 0600 .json file in a 0700 folder, prints nothing, exits 0', () => {
    const dir = tempDir();
    const payload = fixture('pre-tool-use-bash.json');
    const run = spoolHook(payload, { NEXUS_BUFFER_DIR: dir });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, '');
    const files = spoolFiles(dir);
    assert.equal(files.length, 1);
    assert.match(files[0], /^\d+-\d+\.json$/);
    const file = path.join(spoolDirOf(dir, 'claude-hook'), files[0]);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), payload);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(spoolDirOf(dir, 'claude-hook')).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(dir, '.spool')).mode & 0o777, 0o700);
  });

  it('without NEXUS_BUFFER_DIR writes to the crate default folder ($XDG_DATA_HOME when absolute, else ~/.local/share)', { skip: process.platform !== 'linux' && 'linux default' }, () => {
    const home = tempDir();
    assert.equal(spoolHook({ hook_event_name: 'PreToolUse' }, { NEXUS_BUFFER_DIR: '', HOME: home, XDG_DATA_HOME: 'relative' }).status, 0);
    assert.equal(spoolFiles(path.join(home, '.local', 'share', 'nexus', 'buffer')).length, 1);
    const xdg = path.join(home, 'xdg');
    assert.equal(spoolHook({ hook_event_name: 'PreToolUse' }, { NEXUS_BUFFER_DIR: ' ', HOME: home, XDG_DATA_HOME: xdg }).status, 0);
    assert.equal(spoolFiles(path.join(xdg, 'nexus', 'buffer')).length, 1);
  });

  it('an unwritable folder: exit 1 (never 2), one line on stderr, nothing on stdout', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    const run = spoolHook({ hook_event_name: 'PreToolUse' }, { NEXUS_BUFFER_DIR: path.join(dir, 'file', 'sub') });
    assert.equal(run.status, 1);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, `${SPOOL_FAILURE_LINE}\n`);
  });

  const strace = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;
  for (const [tool, syscall] of [['cat', 'write'], ['sync', 'fsync']] as const) {
    it(`a full disk (ENOSPC injected into ${tool}'s ${syscall} by strace): exit 1, one stderr line, no file left`, { skip: !strace && 'strace is not installed' }, () => {
      const dir = tempDir();
      // Only this one tool of the command sees the full disk: a wrapper first on PATH.
      const bin = tempDir();
      const real = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\nexec strace -qq -o /dev/null -e trace=${syscall} -e inject=${syscall}:error=ENOSPC ${real} "$@"\n`, { mode: 0o755 });
      const run = spoolHook(fixture('post-tool-use-bash.json'), { NEXUS_BUFFER_DIR: dir }, bin);
      assert.equal(run.status, 1, run.stderr);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr, `${SPOOL_FAILURE_LINE}\n`);
      assert.deepEqual(spoolFiles(dir), [], 'the partial file is removed');
    });
  }
});

describe('ingesting the spool', { skip: !posix && 'POSIX only' }, () => {
  it('maps a spooled payload to the entry the Node hook makes of it (time: the file\'s mtime, id from its name)', async () => {
    for (const name of ['pre-tool-use-bash.json', 'post-tool-use-edit.json', 'post-tool-use-bash-exit-code.json']) {
      const spooled = tempDir();
      const direct = tempDir();
      const payload = fixture(name);
      assert.equal(spoolHook(payload, { NEXUS_BUFFER_DIR: spooled }).status, 0);
      const [file] = spoolFiles(spooled);
      const mtime = new Date(Number(fs.statSync(path.join(spoolDirOf(spooled, 'claude-hook'), file), { bigint: true }).mtimeNs / 1_000_000n)).toISOString();
      assert.equal(nodeHook(payload, direct).status, 0);
      const result = await ingestSpool(spooled, options);
      assert.equal(result.ingested, 1);
      assert.deepEqual(result.problems, []);
      const [viaSpool] = await entriesOf(spooled);
      const [viaNode] = await entriesOf(direct);
      assert.equal(viaSpool.context_type, viaNode.context_type, name);
      assert.equal(timeless(viaSpool.context), timeless(viaNode.context), name);
      // The same as the mapping with the file's time, exactly.
      const entry = claudeHookSource.toEntry(payload, mtime);
      assert.deepEqual(viaSpool.context, completeHookContext(entry.context, { agentType: AGENT, extractionSource: 'native', now: mtime }));
      assert.equal(viaSpool.timestamp, mtime);
      assert.equal(viaSpool.id, spoolEntryId('claude-hook', file));
      assert.deepEqual(spoolFiles(spooled), [], 'the spool file is removed once its entry is in');
    }
  });

  it('is idempotent: a crash between the append and the removal gives no duplicate', async () => {
    const dir = tempDir();
    assert.equal(spoolHook(fixture('post-tool-use-bash.json'), { NEXUS_BUFFER_DIR: dir }).status, 0);
    const [name] = spoolFiles(dir);
    const file = path.join(spoolDirOf(dir, 'claude-hook'), name);
    const copy = path.join(tempDir(), name);
    fs.copyFileSync(file, copy);
    const { mtime, atime } = fs.statSync(file);
    assert.equal((await ingestSpool(dir, options)).ingested, 1);
    // The "crash": the file is back, as it was, after its entry was appended.
    fs.copyFileSync(copy, file);
    fs.utimesSync(file, atime, mtime);
    assert.equal((await ingestSpool(dir, options)).ingested, 1);
    assert.equal(journalLines(dir).length, 2, 'the line is in the journal twice');
    const entries = await entriesOf(dir);
    assert.equal(entries.length, 1, 'and the buffer has one entry');
    assert.deepEqual(spoolFiles(dir), []);
  });

  it('keeps the order of the events (mtime, then name), before the entry of the Node hook that ingests them', async () => {
    const dir = tempDir();
    const events = ['pre-tool-use-bash.json', 'post-tool-use-bash.json', 'pre-tool-use-subagent-bash.json', 'post-tool-use-edit.json'];
    for (const name of events) assert.equal(spoolHook(fixture(name), { NEXUS_BUFFER_DIR: dir }).status, 0);
    // Names out of order: the mtime decides.
    const folder = spoolDirOf(dir, 'claude-hook');
    const files = spoolFiles(dir);
    const base = Date.now() / 1000 - 10;
    files.forEach((f, i) => fs.utimesSync(path.join(folder, f), base + i, base + i));
    fs.renameSync(path.join(folder, files[0]), path.join(folder, `9${files[0]}`));
    const stop = nodeHook(fixture('stop.json'), dir);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(stop.stdout, '');
    assert.deepEqual(spoolFiles(dir), [], 'the Node hook ingested the spool');
    const entries = await entriesOf(dir);
    assert.deepEqual(entries.map(eventOf), [...events.map((n) => eventOf({ context: { custom: fixture(n) } })), 'Stop']);
    assert.deepEqual(entries.slice(0, 4).map((e) => e.context.custom.tool_use_id), events.map((n) => fixture(n).tool_use_id));
  });

  it('refuses a symbolic link (not followed): set aside and reported once', async () => {
    const dir = tempDir();
    assert.equal(spoolHook(fixture('pre-tool-use-bash.json'), { NEXUS_BUFFER_DIR: dir }).status, 0);
    const outside = path.join(tempDir(), 'secret.json');
    fs.writeFileSync(outside, JSON.stringify(fixture('user-prompt-submit.json')));
    fs.symlinkSync(outside, path.join(spoolDirOf(dir, 'claude-hook'), '1-1.json'));
    const result = await ingestSpool(dir, options);
    assert.equal(result.ingested, 1, 'the real file is taken');
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0], /1-1\.json was not buffered \(a symbolic link \(not followed\)\)/);
    const aside = path.join(rejectedDirOf(dir, 'claude-hook'), '1-1.json');
    assert.ok(fs.lstatSync(aside).isSymbolicLink(), 'the link itself is set aside');
    assert.equal(fs.readFileSync(outside, 'utf8'), JSON.stringify(fixture('user-prompt-submit.json')), 'its target untouched');
    const entries = await entriesOf(dir);
    assert.deepEqual(entries.map((e) => e.context_type), ['tool-use', 'error']);
    assert.ok(!entries.some((e) => eventOf(e) === 'UserPromptSubmit'), 'the link was not followed');
    assert.match(entries[1].context.errors[0].message, /not buffered.*symbolic link/);
    const again = await ingestSpool(dir, options);
    assert.deepEqual(again.problems, [], 'reported once');
    assert.equal((await entriesOf(dir)).length, 2);
  });

  it('sets a torn .part older than a minute aside (never deletes it), takes a complete one, leaves a fresh one', async () => {
    const dir = tempDir();
    const folder = spoolDirOf(dir, 'claude-hook');
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    const old = (Date.now() - TORN_PART_MS - 5000) / 1000;
    const torn = JSON.stringify(fixture('post-tool-use-bash.json')).slice(0, 100);
    fs.writeFileSync(path.join(folder, '100-1.part'), torn);
    fs.utimesSync(path.join(folder, '100-1.part'), old, old);
    fs.writeFileSync(path.join(folder, '100-2.part'), JSON.stringify(fixture('pre-tool-use-bash.json')));
    fs.utimesSync(path.join(folder, '100-2.part'), old, old);
    fs.writeFileSync(path.join(folder, '100-3.part'), torn); // being written right now
    fs.writeFileSync(path.join(folder, '100-4.json'), '{"not": "closed"');
    const result = await ingestSpool(dir, options);
    assert.equal(result.ingested, 1, 'the complete .part (a lost rename)');
    assert.equal(result.remaining, true, 'the fresh .part is left for later');
    assert.deepEqual(spoolFiles(dir), ['100-3.part']);
    assert.deepEqual(fs.readdirSync(rejectedDirOf(dir, 'claude-hook')).sort(), ['100-1.part', '100-4.json']);
    assert.equal(fs.readFileSync(path.join(rejectedDirOf(dir, 'claude-hook'), '100-1.part'), 'utf8'), torn, 'kept as it was');
    assert.equal(result.problems.length, 2);
    assert.match(result.problems.join('\n'), /100-1\.part was not buffered \(a torn write/);
    assert.match(result.problems.join('\n'), /100-4\.json was not buffered \(not valid JSON/);
    const entries = await entriesOf(dir);
    assert.deepEqual(entries.map((e) => e.context_type).sort(), ['error', 'error', 'tool-use']);
  });

  it('two ingests at once append each file once (the spool lock)', async () => {
    const dir = tempDir();
    for (let i = 0; i < 6; i++) assert.equal(spoolHook(fixture('post-tool-use-bash.json'), { NEXUS_BUFFER_DIR: dir }).status, 0);
    const [a, b] = await Promise.all([ingestSpool(dir, options), ingestSpool(dir, options)]);
    assert.equal(a.ingested + b.ingested, 6);
    assert.equal(journalLines(dir).length, 6);
    assert.equal((await entriesOf(dir)).length, 6);
  });

  it('a capped ingest leaves the rest for the next one, in order', async () => {
    const dir = tempDir();
    for (let i = 0; i < 5; i++) assert.equal(spoolHook({ ...fixture('pre-tool-use-bash.json'), tool_use_id: `t${i}` }, { NEXUS_BUFFER_DIR: dir }).status, 0);
    const first = await ingestSpool(dir, { ...options, maxFiles: 2 });
    assert.equal(first.ingested, 2);
    assert.equal(first.remaining, true);
    await ingestSpool(dir, options);
    assert.deepEqual((await entriesOf(dir)).map((e) => e.context.custom.tool_use_id), ['t0', 't1', 't2', 't3', 't4']);
  });

  it('the CLI ingests before it reads: show has every spooled event; list ignores the .spool folder', () => {
    const dir = tempDir();
    assert.equal(spoolHook(fixture('pre-tool-use-bash.json'), { NEXUS_BUFFER_DIR: dir }).status, 0);
    assert.equal(spoolHook(fixture('post-tool-use-bash.json'), { NEXUS_BUFFER_DIR: dir }).status, 0);
    const show = spawnSync(process.execPath, [CLI, 'show', AGENT, '--json', '--dir', dir], { encoding: 'utf8' });
    assert.equal(show.status, 0, show.stderr);
    assert.equal(show.stderr, '');
    assert.deepEqual(JSON.parse(show.stdout).entries.map(eventOf), ['PreToolUse', 'PostToolUse']);
    assert.deepEqual(spoolFiles(dir), []);
    const list = spawnSync(process.execPath, [CLI, 'list', '--json', '--dir', dir], { encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).map((b: { agent_type: string }) => b.agent_type), [AGENT]);
    // A bad file: show warns on stderr (once) and still shows the rest.
    fs.writeFileSync(path.join(spoolDirOf(dir, 'claude-hook'), '5-5.json'), 'garbage');
    const warned = spawnSync(process.execPath, [CLI, 'show', AGENT, '--json', '--dir', dir], { encoding: 'utf8' });
    assert.equal(warned.status, 0);
    assert.match(warned.stderr, /^nexus-buffer: warning: claude-hook spool: 5-5\.json was not buffered \(not valid JSON/);
    assert.equal(warned.stderr.trim().split('\n').length, 1);
  });

  it('the extension\'s ingester takes files as they come', async () => {
    const dir = tempDir();
    const changed: string[] = [];
    const swaps: Array<() => void> = [];
    const ingester = new SpoolIngester(
      {
        dir,
        buffer: { notifyExternalChange: (agent?: string) => void changed.push(agent ?? '*'), flush: async () => undefined },
        onDidSwapBuffer: (listener) => { swaps.push(listener); return { dispose: () => undefined }; },
      },
      { info: () => undefined, warn: () => undefined },
    );
    try {
      const deadline = Date.now() + 5000;
      while (!fs.existsSync(spoolDirOf(dir, 'claude-hook')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(spoolHook(fixture('post-tool-use-bash.json'), { NEXUS_BUFFER_DIR: dir }).status, 0);
      while (changed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(changed, [AGENT]);
      assert.deepEqual(spoolFiles(dir), []);
      assert.equal((await entriesOf(dir)).length, 1);
    } finally {
      ingester.dispose();
    }
  });
});
