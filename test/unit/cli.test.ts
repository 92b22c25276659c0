// The command line as a process: spawn dist/cli.js (built by `npm run build`) with a temporary
// --dir, and check stdout, stderr and the exit code.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const temps: string[] = [];

after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-cli-test-'));
  temps.push(dir);
  return dir;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], input = '', opts: { cwd?: string } = {}): Run {
  const env = { ...process.env };
  delete env.NEXUS_BUFFER_DIR;
  delete env.NEXUS_BUFFER_DEBUG;
  const result = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', env, cwd: opts.cwd ?? os.tmpdir() });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function showJson(dir: string, agent: string) {
  const shown = run(['show', agent, '--json', '--dir', dir]);
  assert.equal(shown.status, 0, shown.stderr);
  return JSON.parse(shown.stdout);
}

const CONTEXT_KEYS = [
  'agent_type', 'extraction_started', 'extraction_completed', 'session_id', 'conversation', 'decisions', 'files',
  'tasks', 'insights', 'errors', 'subagent_executions', 'commands_run', 'custom', 'extraction_source', 'reliability_score',
];

function assertNoStackTrace(text: string): void {
  assert.ok(!/\n\s+at .+\(.*:\d+:\d+\)/.test(text) && !/^\s+at /m.test(text), `stack trace in: ${text}`);
}

test('the CLI bundle is built', () => {
  assert.ok(existsSync(CLI), 'run `npm run build` first');
});

test('push completes a partial context; list and show --json have it with every crate key', () => {
  const dir = tempDir();
  const pushed = run(['push', 'claude-code', '--dir', dir, '--type', 'extraction'], JSON.stringify({ insights: ['cache keys are per tenant'] }));
  assert.equal(pushed.status, 0, pushed.stderr);
  const id = pushed.stdout.trim();
  assert.match(id, /^\S+$/);
  assert.equal(pushed.stderr, '');

  const listed = run(['list', '--json', '--dir', dir]);
  assert.equal(listed.status, 0, listed.stderr);
  const rows = JSON.parse(listed.stdout);
  assert.equal(rows.length, 1);
  assert.deepEqual(Object.keys(rows[0]).sort(), ['agent_type', 'bytes', 'entries_count', 'last_flush', 'leftover', 'problems', 'started_at']);
  assert.equal(rows[0].agent_type, 'claude-code');
  assert.equal(rows[0].entries_count, 1);
  assert.ok(rows[0].bytes > 0);
  assert.deepEqual(rows[0].problems, []);
  assert.equal(rows[0].leftover, 'interrupted', 'no session-end: the rule of core/leftovers.ts');

  const doc = showJson(dir, 'claude-code');
  assert.deepEqual(Object.keys(doc), ['started_at', 'entries', 'last_flush', 'agent_type']);
  assert.equal(doc.agent_type, 'claude-code');
  assert.equal(doc.entries.length, 1);
  const [entry] = doc.entries;
  assert.equal(entry.id, id);
  assert.equal(entry.context_type, 'extraction');
  assert.deepEqual(Object.keys(entry.context).slice(0, CONTEXT_KEYS.length), CONTEXT_KEYS);
  assert.equal(entry.context.agent_type, 'claude-code');
  assert.equal(entry.context.extraction_source, 'cli');
  assert.match(entry.context.extraction_started, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  assert.deepEqual(entry.context.insights, ['cache keys are per tenant']);
  assert.deepEqual(entry.context.files, []);
  assert.equal(entry.context.reliability_score, 1);

  const text = run(['list', '--dir', dir]);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /^AGENT\s+ENTRIES\s+STARTED\s+LAST FLUSH\s+SIZE\s+LEFTOVER\s+PROBLEMS\n/);
  assert.match(text.stdout, /\nclaude-code\s+1\s+\d{4}-.*interrupted session/);

  const md = run(['show', 'claude-code', '--dir', dir]);
  assert.equal(md.status, 0);
  assert.match(md.stdout, /## 1\. extraction · /);
  assert.match(md.stdout, /- cache keys are per tenant/);
  assert.equal(run(['show', 'claude-code', '--markdown', '--dir', dir]).stdout, md.stdout);
});

test('NEXUS_BUFFER_DIR is used when --dir is not given', () => {
  const dir = tempDir();
  const env = { ...process.env, NEXUS_BUFFER_DIR: dir };
  const result = spawnSync(process.execPath, [CLI, 'push', 'codex'], { input: '{}', encoding: 'utf8', env });
  assert.equal(result.status, 0, result.stderr);
  assert.ok(readdirSync(dir).some((name) => name.startsWith('codex.json')));
});

test('a crate-written snapshot is shown unchanged by show --json (keys, order, nanosecond timestamps)', () => {
  const dir = tempDir();
  copyFileSync(path.join(FIXTURES, 'crate-full.json'), path.join(dir, 'claude-code.json'));
  const shown = run(['show', 'claude-code', '--json', '--dir', dir]);
  assert.equal(shown.status, 0, shown.stderr);
  const original = readFileSync(path.join(FIXTURES, 'crate-full.json'), 'utf8');
  assert.equal(shown.stdout, `${original}\n`, 'byte for byte, as the crate wrote it');
});

test('non-JSON stdin and wrong types name the problem, exit 1 and write nothing', () => {
  const dir = tempDir();
  const cases: Array<[string, RegExp]> = [
    ['this is not json', /not valid JSON/],
    ['', /empty/],
    ['[1,2]', /must be a JSON object/],
    [JSON.stringify({ files: [{ path: 'a.ts', action: 'exploded', timestamp: '2026-05-19T13:10:05Z' }] }), /files\[0\]\.action/],
    [JSON.stringify({ insights: 'one' }), /insights/],
    [JSON.stringify({ reliability_score: 'high' }), /reliability_score/],
    // What the crate's reader refuses (and with it every entry of the file): named, with the rule.
    [JSON.stringify({ files: [{ path: 'a.ts', action: 'modified', lines_added: -1, timestamp: '2026-05-19T13:10:05Z' }] }), /files\[0\]\.lines_added: must be a whole number of 0 or more/],
    [JSON.stringify({ files: [{ path: 'a.ts', action: 'modified', lines_added: 2.5, timestamp: '2026-05-19T13:10:05Z' }] }), /files\[0\]\.lines_added: must be a whole number/],
    [JSON.stringify({ extraction_started: '2026-02-30T10:00:00Z' }), /extraction_started: .*not a day of the calendar/],
    [JSON.stringify({ extraction_started: '2026-02-03T10:00:00+25:00' }), /extraction_started: .*offset .* 24 hours or more/],
    [JSON.stringify({ insights: ['\ud800'] }), /insights\[0\]: holds an unpaired UTF-16 surrogate/],
    [JSON.stringify({ custom: { [`k\udc00`]: 1 } }), /custom: a key holds an unpaired UTF-16 surrogate/],
    [`{"custom":${'{"a":'.repeat(130)}1${'}'.repeat(130)}}`, /custom(\.a)+.*: nested deeper than 124 levels/],
    [JSON.stringify({ extraction_started: 'yesterday' }), /extraction_started/],
  ];
  for (const [input, message] of cases) {
    const result = run(['push', 'codex', '--dir', dir], input);
    assert.equal(result.status, 1, `${input}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.equal(result.stdout, '');
    assertNoStackTrace(result.stderr);
  }
  assert.deepEqual(readdirSync(dir).filter((name) => !name.startsWith('.')), []);
  assert.equal(run(['show', 'codex', '--dir', dir]).status, 1);
});

test('hostile agent names are refused and nothing is created outside --dir', () => {
  const root = tempDir();
  const dir = path.join(root, 'buffers');
  const cwd = path.join(root, 'cwd');
  mkdirSync(cwd);
  const names = ['../x', 'a/b', 'CON', 'nul.txt', '.hidden', 'x'.repeat(65), '', '..', 'a\\b', 'C:x', '-x'];
  for (const name of names) {
    for (const args of [['push', name, '--dir', dir], ['show', name, '--dir', dir], ['clear', name, '--yes', '--dir', dir]]) {
      const result = run(args, '{}', { cwd });
      assert.ok(result.status === 1 || result.status === 2, `${JSON.stringify(name)} ${args[0]}: exit ${result.status}`);
      assert.ok(result.stderr.length > 0);
      assertNoStackTrace(result.stderr);
      assert.equal(result.stdout, '');
    }
  }
  const push = run(['push', '../x', '--dir', dir], '{}', { cwd });
  assert.match(push.stderr, /invalid agent name "\.\.\/x": an agent name is 1 to 64 characters/);
  // Nothing anywhere: not in the root, not in cwd, not in --dir (if it was created at all).
  assert.deepEqual(readdirSync(root).sort(), existsSync(dir) ? ['buffers', 'cwd'] : ['cwd']);
  assert.deepEqual(readdirSync(cwd), []);
  if (existsSync(dir)) assert.deepEqual(readdirSync(dir).filter((n) => !n.startsWith('.writer')), []);
});

test('a truncated snapshot and an empty file are listed with their problem; the others still are; a .tmp is not', () => {
  const dir = tempDir();
  const full = readFileSync(path.join(FIXTURES, 'crate-full.json'), 'utf8');
  writeFileSync(path.join(dir, 'good.json'), full);
  writeFileSync(path.join(dir, 'trunc.json'), full.slice(0, Math.floor(full.length / 2)));
  writeFileSync(path.join(dir, 'empty.json'), '');
  writeFileSync(path.join(dir, 'x.json.tmp'), full);

  const listed = run(['list', '--json', '--dir', dir]);
  assert.equal(listed.status, 0, listed.stderr);
  assertNoStackTrace(listed.stderr);
  const rows: Array<{ agent_type: string; entries_count: number; problems: string[] }> = JSON.parse(listed.stdout);
  const byName = new Map(rows.map((r) => [r.agent_type, r]));
  assert.deepEqual([...byName.keys()].sort(), ['empty', 'good', 'trunc']);
  assert.equal(byName.get('good')!.entries_count, 3);
  assert.deepEqual(byName.get('good')!.problems, []);
  assert.ok(byName.get('trunc')!.problems.length > 0);
  assert.ok(byName.get('empty')!.problems.length > 0);

  const text = run(['list', '--dir', dir]);
  assert.equal(text.status, 0);
  assertNoStackTrace(text.stdout + text.stderr);
  assert.match(text.stdout, /\ngood\s+3\s/);
  assert.match(text.stdout, /\ntrunc\s+\d+\s.*trunc\.json/);
  assert.match(text.stdout, /\nempty\s+0\s.*empty/);
  assert.ok(!/x\.json/.test(text.stdout), 'the leftover .tmp was listed');

  // The others stay usable; show of the damaged one warns on stderr instead of crashing.
  assert.equal(showJson(dir, 'good').entries.length, 3);
  const trunc = run(['show', 'trunc', '--dir', dir]);
  assert.equal(trunc.status, 0);
  assert.match(trunc.stderr, /warning: trunc\.json/);
  assertNoStackTrace(trunc.stderr);
  assert.equal(run(['show', 'x', '--dir', dir]).status, 1);
});

test('show of an unknown agent exits 1 with a clear message', () => {
  const dir = tempDir();
  const result = run(['show', 'gemini', '--dir', dir]);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /no buffer for agent "gemini"/);
  assert.equal(result.stdout, '');
});

test('push --stream acks each entry as it becomes durable, reports a bad line by number and keeps the good ones', async () => {
  const dir = tempDir();
  const child = spawn(process.execPath, [CLI, 'push', 'codex', '--stream', '--dir', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async () => (await lines.next()).value as string | undefined;

  // The first ack arrives while stdin is still open: acks do not wait for the end of input.
  child.stdin.write(`${JSON.stringify({ insights: ['one'] })}\n`);
  const first = await nextLine();
  assert.match(first ?? '', /^ack \S+$/);

  child.stdin.write('{"insights": [\n'); // line 2: not JSON
  child.stdin.write('\n'); // line 3: blank, skipped
  child.stdin.write(`${JSON.stringify({ files: [{ path: 'a', action: 'exploded', timestamp: '2026-05-19T13:10:05Z' }] })}\n`); // line 4
  for (let i = 0; i < 20; i++) child.stdin.write(`${JSON.stringify({ insights: [`bulk ${i}`] })}\n`);
  child.stdin.end();
  const acks = [first!];
  for (let line = await nextLine(); line !== undefined; line = await nextLine()) acks.push(line);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

  assert.equal(code, 1, 'exit 1 because some lines were bad');
  assert.equal(acks.length, 21);
  for (const ack of acks) assert.match(ack, /^ack \S+$/);
  assert.match(stderr, /line 2: not valid JSON/);
  assert.match(stderr, /line 4: .*files\[0\]\.action/);
  assert.ok(!/line 3/.test(stderr));

  const doc = showJson(dir, 'codex');
  assert.deepEqual(new Set(doc.entries.map((e: { id: string }) => `ack ${e.id}`)), new Set(acks));
  assert.deepEqual(doc.entries.map((e: { context: { insights: string[] } }) => e.context.insights[0]), ['one', ...Array.from({ length: 20 }, (_, i) => `bulk ${i}`)]);
});

test('push --stream of only good lines exits 0', () => {
  const dir = tempDir();
  const input = Array.from({ length: 5 }, (_, i) => JSON.stringify({ commands_run: [`make ${i}`] })).join('\n');
  const result = run(['push', 'codex', '--stream', '--dir', dir], input);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim().split('\n').length, 5);
  assert.equal(showJson(dir, 'codex').entries.length, 5);
});

test('--from claude-hook: silent on stdout, exit 0 for a valid payload', () => {
  const dir = tempDir();
  const payload = {
    session_id: 'abc123', transcript_path: '/tmp/t.jsonl', cwd: '/tmp', hook_event_name: 'UserPromptSubmit',
    prompt: 'Fix the flaky test',
  };
  const result = run(['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], JSON.stringify(payload));
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, '');
  const doc = showJson(dir, 'claude-code');
  assert.equal(doc.entries.length, 1);
  assert.equal(doc.entries[0].context.session_id, 'abc123');
  assert.ok(doc.entries[0].context.conversation.some((m: { content: string }) => m.content.includes('Fix the flaky test')));
});

test('--from claude-hook: a malformed payload or a usage mistake exits 1 (never 2) with one stderr line and nothing on stdout', () => {
  const dir = tempDir();
  const cases: Array<[string[], string]> = [
    [['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], 'not json at all'],
    [['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], ''],
    [['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], '[1]'],
    [['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], '{"session_id":"x"}'],
    [['push', 'claude-code', '--from=claude-hook', '--bogus', '--dir', dir], '{}'],
    [['push', '--from', 'claude-hook', '--dir', dir], '{}'],
    [['push', '../evil', '--from', 'claude-hook', '--dir', dir], '{"hook_event_name":"Stop"}'],
    [['push', 'claude-code', 'extra', '--from', 'claude-hook', '--dir', dir], '{"hook_event_name":"Stop"}'],
  ];
  for (const [args, input] of cases) {
    const result = run(args, input);
    assert.equal(result.status, 1, `${args.join(' ')} <<< ${input}: exit ${result.status} ${result.stderr}`);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^nexus-buffer: [^\n]+\n$/, `not exactly one line: ${JSON.stringify(result.stderr)}`);
  }
  assert.deepEqual(readdirSync(dir).filter((n) => !n.startsWith('.')), []);
});

test('clear --yes deletes the buffer; without a terminal and without --yes it refuses', () => {
  const dir = tempDir();
  assert.equal(run(['push', 'codex', '--dir', dir], '{}').status, 0);
  assert.equal(run(['push', 'codex', '--dir', dir], '{}').status, 0);

  const refused = run(['clear', 'codex', '--dir', dir]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /--yes/);
  assert.equal(showJson(dir, 'codex').entries.length, 2);

  const cleared = run(['clear', 'codex', '--yes', '--dir', dir]);
  assert.equal(cleared.status, 0, cleared.stderr);
  assert.match(cleared.stdout, /Deleted 2 entries of codex/);
  assert.equal(run(['show', 'codex', '--dir', dir]).status, 1);
  assert.deepEqual(JSON.parse(run(['list', '--json', '--dir', dir]).stdout), []);
  assert.equal(run(['clear', 'codex', '--yes', '--dir', dir]).status, 1, 'clearing what is not there is an error');
});

test('recover merges the journals into the snapshot file the crate reads', () => {
  const dir = tempDir();
  assert.equal(run(['push', 'codex', '--dir', dir], JSON.stringify({ insights: ['kept'] })).status, 0);
  assert.ok(!existsSync(path.join(dir, 'codex.json')), 'precondition: the entry is only in a journal');
  const recovered = run(['recover', 'codex', '--dir', dir]);
  assert.equal(recovered.status, 0, recovered.stderr);
  assert.match(recovered.stdout, /- kept/);
  const snapshot = JSON.parse(readFileSync(path.join(dir, 'codex.json'), 'utf8'));
  assert.deepEqual(snapshot.entries.map((e: { context: { insights: string[] } }) => e.context.insights), [['kept']]);
});

test('one push per process does not pile up journals: every push appends to the shared one', () => {
  const dir = tempDir();
  const journals = () => readdirSync(dir).filter((name) => name.startsWith('codex.json.wal-'));
  for (let i = 0; i < 17; i++) {
    const result = run(['push', 'codex', '--dir', dir], JSON.stringify({ commands_run: [`step ${i}`] }));
    assert.equal(result.status, 0, result.stderr);
  }
  assert.deepEqual(journals(), ['codex.json.wal-shared-0']);
  const doc = showJson(dir, 'codex');
  assert.deepEqual(doc.entries.map((e: { context: { commands_run: string[] } }) => e.context.commands_run[0]), Array.from({ length: 17 }, (_, i) => `step ${i}`));
});

test('the bin file is executable, so npx nexus-buffer runs straight after npm ci', { skip: process.platform === 'win32' }, () => {
  assert.ok(statSync(CLI).mode & 0o111, 'dist/cli.js has an execute bit');
  assert.match(readFileSync(CLI, 'utf8').slice(0, 30), /^#!\/usr\/bin\/env node/);
});

test('--help on every command and at the top level; usage mistakes exit 2 with a hint', () => {
  for (const command of ['list', 'show', 'push', 'clear', 'recover']) {
    const help = run([command, '--help']);
    assert.equal(help.status, 0, command);
    assert.match(help.stdout, new RegExp(`^Usage: nexus-buffer ${command}`));
    assert.match(help.stdout, /--dir DIR/);
  }
  const top = run(['--help']);
  assert.equal(top.status, 0);
  for (const command of ['list', 'show', 'push', 'clear', 'recover']) assert.match(top.stdout, new RegExp(`\\n  ${command}\\s`));
  assert.equal(run(['help', 'push']).stdout, run(['push', '--help']).stdout);

  const usage: string[][] = [[], ['frobnicate'], ['list', '--bogus'], ['show'], ['show', 'a', 'b'], ['show', 'a', '--json', '--markdown'], ['list', '--dir'], ['list', '--dir', '']];
  for (const args of usage) {
    const result = run(args, '{}');
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.ok(result.stderr.length > 0);
    assertNoStackTrace(result.stderr);
  }
  assert.match(run(['list', '--bogus']).stderr, /Run "nexus-buffer list --help" for usage/);
  // Any --from means "inside an agent": even an unknown source is exit 1 with one line, never 2.
  const unknownSource = run(['push', 'a', '--from', 'elsewhere'], '{}');
  assert.equal(unknownSource.status, 1);
  assert.equal(unknownSource.stdout, '');
  assert.match(unknownSource.stderr, /^nexus-buffer: push: unknown --from source "elsewhere" \(sources: claude-hook[^\n]*\)\n$/);
});
