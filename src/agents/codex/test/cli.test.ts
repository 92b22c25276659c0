// End to end through the built CLI (dist/cli.js, `npm run build`): the hook command and the
// notify program as Codex runs them, fed the payloads a real Codex CLI 0.171.0 sent (fixtures),
// then `show codex --json`; and `hooks install` / `uninstall` on a temporary home.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { BufferData } from '../../../core/schema';
import { fixturesDir } from '../../shared/testSupport';

// Compiled to out/src/agents/codex/test.
const ROOT = path.resolve(__dirname, '../../../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURES = fixturesDir(__dirname);
const temps: string[] = [];
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});
const tempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
};

function run(args: string[], input = '', env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const base = { ...process.env };
  delete base.NEXUS_BUFFER_DIR;
  delete base.CODEX_HOME;
  const result = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', env: { ...base, ...env }, cwd: os.tmpdir() });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const payload = (name: string) => (JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as { payload: Record<string, unknown> }).payload;

test('a Codex session through `push --from codex-hook` and `--from codex-notify`, then `show codex --json`', () => {
  const dir = tempDir('nexus-codex-cli-');
  const session = ['session-start.json', 'user-prompt-submit.json', 'pre-tool-use-bash.json', 'post-tool-use-bash.json',
    'post-tool-use-bash-failed.json', 'post-tool-use-apply-patch-add.json', 'stop.json', 'session-end.json'];
  for (const name of session) {
    const result = run(['push', '--from', 'codex-hook', '--dir', dir], JSON.stringify(payload(name)));
    assert.equal(result.status, 0, `${name}: ${result.stderr}`);
    assert.equal(result.stdout, '', `${name}: a hook prints nothing on stdout (Codex would read it)`);
    assert.equal(result.stderr, '', name);
  }
  // notify: the JSON is the last argument, after any arguments of the program line.
  const notify = run(['push', 'codex', '--from', 'codex-notify', '--dir', dir, JSON.stringify(payload('notify-turn-complete.json'))]);
  assert.equal(notify.status, 0, notify.stderr);
  assert.equal(notify.stdout, '');

  const shown = run(['show', 'codex', '--json', '--dir', dir]);
  assert.equal(shown.status, 0, shown.stderr);
  const data = JSON.parse(shown.stdout) as BufferData;
  assert.equal(data.agent_type, 'codex');
  const entries = data.entries;
  assert.deepEqual(entries.map((e) => e.context_type), [
    'session-start', 'checkpoint', 'tool-use', 'tool-use', 'tool-use', 'tool-use', 'checkpoint', 'session-end', 'checkpoint',
  ]);
  for (const entry of entries) {
    assert.equal(entry.context.session_id, '01a233a8-dd33-7e53-8ee4-ee7db349952e');
    assert.equal(entry.context.extraction_source, 'native');
    assert.equal(entry.context.agent_type, 'codex');
  }
  assert.deepEqual(entries.flatMap((e) => e.context.commands_run), ['echo hello-nexus', 'ls /nonexistent-nexus-dir']);
  assert.deepEqual(entries.flatMap((e) => e.context.errors.map((x) => x.error_type)), ['command_failed']);
  assert.deepEqual(entries.flatMap((e) => e.context.files.map((f) => [f.path, f.action, f.lines_added, f.lines_removed])), [
    ['/home/dev/proj/notes.txt', 'created', 2, 0],
  ]);
  assert.deepEqual(entries.flatMap((e) => e.context.conversation.map((m) => `${m.role}: ${m.content}`)), [
    'user: Add a notes file and run the tests', 'assistant: All done.', 'user: do the thing', 'assistant: All done.',
  ]);
});

test('a garbage payload exits 1 with one line on stderr and nothing on stdout; never exit 2', () => {
  const dir = tempDir('nexus-codex-cli-');
  for (const [args, input] of [
    [['push', '--from', 'codex-hook', '--dir', dir], 'this is not json'],
    [['push', '--from', 'codex-hook', '--dir', dir], '[1,2]'],
    [['push', '--from', 'codex-hook', '--dir', dir], '{"no_event": true}'],
    [['push', '--from', 'codex-notify', '--dir', dir, '{"thread-id": "x"}'], ''],
    [['push', '--from', 'codex-notify', '--dir', dir, 'garbage'], ''],
  ] as Array<[string[], string]>) {
    const result = run(args, input);
    assert.equal(result.status, 1, `${args.join(' ')} ${input}: ${result.stderr}`);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /^nexus-buffer: /);
  }
  assert.notEqual(run(['show', 'codex', '--json', '--dir', dir]).status, 0, 'nothing was buffered');
});

test('`hooks install --agent codex` on a temporary home, then `uninstall` gives every file back', () => {
  const home = tempDir('nexus-codex-cli-home-');
  const codexDir = path.join(home, '.codex');
  fs.mkdirSync(codexDir);
  const config = '# mine\nmodel = "gpt-5.5"\n\n[features]\nweb_search = true\n';
  fs.writeFileSync(path.join(codexDir, 'config.toml'), config);
  const env = { HOME: home, PATH: path.dirname(process.execPath) };
  const dry = run(['hooks', 'install', '--agent', 'codex', '--dry-run'], '', env);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /# Codex runs a new or changed hook only after you trust it/);
  assert.match(dry.stdout, /\+hooks = true # added by nexus-buffer/);
  assert.ok(!fs.existsSync(path.join(codexDir, 'hooks.json')), 'a dry run writes nothing');

  const installed = run(['hooks', 'install', '--agent', 'codex', '--yes', '--dir', path.join(home, 'buffers')], '', env);
  assert.equal(installed.status, 0, installed.stderr);
  const hooks = fs.readFileSync(path.join(codexDir, 'hooks.json'), 'utf8');
  assert.match(hooks, /NEXUS_BUFFER_DIR=.*push codex --from codex-hook # nexus-buffer-hook/);
  assert.match(fs.readFileSync(path.join(codexDir, 'config.toml'), 'utf8'), /^notify = \["env", "NEXUS_BUFFER_DIR=.*", "push", "codex", "--from", "codex-notify"\] # added by nexus-buffer$/m);
  const status = run(['hooks', 'status', '--agent', 'codex', '--json', '--dir', path.join(home, 'buffers')], '', env);
  assert.equal((JSON.parse(status.stdout) as Array<{ installed: boolean }>)[0]!.installed, true, status.stdout);

  const removed = run(['hooks', 'uninstall', '--agent', 'codex', '--yes'], '', env);
  assert.equal(removed.status, 0, removed.stderr);
  assert.equal(fs.readFileSync(path.join(codexDir, 'config.toml'), 'utf8'), config);
  assert.equal(JSON.parse(fs.readFileSync(path.join(codexDir, 'hooks.json'), 'utf8')).hooks, undefined);
});
