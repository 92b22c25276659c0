// `nexus-buffer hooks install|uninstall|status` as a process, on temporary homes: the change is
// shown, confirmed, backed up, idempotent, undone exactly; the hook it installs really buffers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const temps: string[] = [];
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-hooks-test-'));
  temps.push(dir);
  return dir;
}

/** A home with Claude Code's folder and a settings file of the user's own. */
function claudeHome(settings: object = { model: 'opus', hooks: { Stop: [{ hooks: [{ type: 'command', command: 'say done' }] }] } }): string {
  const home = tempDir();
  mkdirSync(path.join(home, '.claude'));
  writeFileSync(path.join(home, '.claude', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
  return home;
}

function run(home: string, args: string[], opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, PATH: '/usr/bin:/bin', ...opts.env };
  delete env.NEXUS_BUFFER_DIR;
  if (opts.env?.NEXUS_BUFFER_DIR) env.NEXUS_BUFFER_DIR = opts.env.NEXUS_BUFFER_DIR;
  const result = spawnSync(process.execPath, [CLI, ...args], { input: opts.input ?? '', encoding: 'utf8', env, cwd: opts.cwd ?? home });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const settingsOf = (home: string) => JSON.parse(readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'));
const backups = (home: string) => readdirSync(path.join(home, '.claude')).filter((f) => f.includes('nexus-buffer-backup'));

test('hooks install without --yes on a pipe refuses and changes nothing', () => {
  const home = claudeHome();
  const before = readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8');
  const result = run(home, ['hooks', 'install', '--agent', 'claude-code']);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /pass --yes/);
  assert.equal(readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'), before);
  assert.deepEqual(backups(home), []);
});

test('hooks install --dry-run shows the diff and writes nothing', () => {
  const home = claudeHome();
  const before = readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8');
  const result = run(home, ['hooks', 'install', '--agent', 'claude-code', '--dry-run']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^--- .*settings\.json$/m);
  assert.match(result.stdout, /^\+.*push claude-code --from claude-hook # nexus-buffer-hook/m);
  assert.match(result.stdout, /dry run, nothing written/);
  assert.equal(readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'), before);
});

test('install, status, a second install, uninstall: every other setting stays as it was', () => {
  const home = claudeHome();
  const original = settingsOf(home);
  const installed = run(home, ['hooks', 'install', '--agent', 'claude-code', '--yes', '--json']);
  assert.equal(installed.status, 0, installed.stderr);
  const [report] = JSON.parse(installed.stdout);
  assert.equal(report.agent, 'claude-code');
  assert.equal(report.changed, true);
  assert.ok(report.files[0].events.includes('PostCompact'));
  assert.ok(existsSync(report.files[0].backup));
  assert.equal(backups(home).length, 1);

  const settings = settingsOf(home);
  assert.equal(settings.model, 'opus');
  assert.deepEqual(settings.hooks.Stop[0], original.hooks.Stop[0], "the user's own Stop hook is untouched");

  const status = run(home, ['hooks', 'status', '--agent', 'claude-code', '--json']);
  assert.equal(status.status, 0, status.stderr);
  assert.deepEqual(JSON.parse(status.stdout).map((r: { agent: string; installed: boolean; file: string }) => [r.agent, r.installed, r.file]),
    [['claude-code', true, path.join(home, '.claude', 'settings.json')]]);

  const again = run(home, ['hooks', 'install', '--agent', 'claude-code', '--yes']);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /already installed/);
  assert.equal(backups(home).length, 1, 'a second install writes nothing, so no second backup');

  const removed = run(home, ['hooks', 'uninstall', '--agent', 'claude-code', '--yes']);
  assert.equal(removed.status, 0, removed.stderr);
  assert.deepEqual(settingsOf(home), original);
  const after = run(home, ['hooks', 'status', '--agent', 'claude-code', '--json']);
  assert.equal(JSON.parse(after.stdout)[0].installed, false);
});

test('without --agent, install hooks the agents found on the machine, and says so when there is none', () => {
  const empty = tempDir();
  const none = run(empty, ['hooks', 'install', '--yes']);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no agent found on this machine/);

  const home = claudeHome({});
  const result = run(home, ['hooks', 'install', '--yes', '--json']);
  assert.equal(result.status, 0, result.stderr);
  const agents = JSON.parse(result.stdout).map((r: { agent: string }) => r.agent);
  assert.ok(agents.includes('claude-code'));
  for (const agent of agents) assert.notEqual(agent, 'copilot', 'copilot has no installer of its own through this list unless it has hooks');
});

test('project scope writes the project folder, and the hook command it writes really buffers', () => {
  const home = claudeHome({});
  const project = tempDir();
  const buffers = tempDir();
  const result = run(home, ['hooks', 'install', '--agent', 'claude-code', '--scope', 'project', '--project', project, '--dir', buffers, '--yes']);
  assert.equal(result.status, 0, result.stderr);
  const file = path.join(project, '.claude', 'settings.json');
  const settings = JSON.parse(readFileSync(file, 'utf8'));
  const command: string = settings.hooks.UserPromptSubmit[0].hooks[0].command;
  assert.match(command, new RegExp(`^NEXUS_BUFFER_DIR=${buffers.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
  assert.deepEqual(settingsOf(home), {}, 'the user settings are not touched by a project install');

  // Run the installed command as Claude Code would: through a shell, the event on stdin.
  const payload = { session_id: 's-1', transcript_path: '/t.jsonl', cwd: project, hook_event_name: 'UserPromptSubmit', prompt: 'add a test' };
  const hook = spawnSync('/bin/sh', ['-c', command], { input: JSON.stringify(payload), encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: home } });
  assert.equal(hook.status, 0, hook.stderr);
  assert.equal(hook.stdout, '', 'a hook prints nothing on stdout');
  const shown = run(home, ['show', 'claude-code', '--json', '--dir', buffers]);
  assert.equal(shown.status, 0, shown.stderr);
  const [entry] = JSON.parse(shown.stdout).entries;
  assert.equal(entry.context.session_id, 's-1');
  assert.deepEqual(entry.context.conversation.map((m: { role: string; content: string }) => [m.role, m.content]), [['user', 'add a test']]);
});

test('hooks: usage mistakes exit 2 with a message', () => {
  const home = claudeHome();
  for (const args of [['hooks'], ['hooks', 'frobnicate'], ['hooks', 'install', '--agent', 'nobody'], ['hooks', 'status', '--scope', 'galaxy'], ['hooks', 'status', 'extra']]) {
    const result = run(home, args);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /^nexus-buffer: hooks/);
  }
});

test('a settings file that is not JSON is refused and left as it was', () => {
  const home = claudeHome();
  const file = path.join(home, '.claude', 'settings.json');
  writeFileSync(file, '{ "model": "opus", // a comment\n}');
  const result = run(home, ['hooks', 'install', '--agent', 'claude-code', '--yes']);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /not valid JSON.*Nothing was changed/);
  assert.equal(readFileSync(file, 'utf8'), '{ "model": "opus", // a comment\n}');
  const status = run(home, ['hooks', 'status', '--agent', 'claude-code', '--json']);
  assert.match(JSON.parse(status.stdout)[0].problem, /not valid JSON/);
});
