import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { applyPlans } from '../../shared/settingsFile';
import { buildHookCommand, HOOK_MARKER, isOurHookCommand } from '../../shared/hookCommand';
import type { HookCommandSpec, HookPlaces } from '../../types';
import {
  commandFor, copilotHooks, HOOK_ARGS, HOOK_EVENTS, HOOK_TIMEOUT_SECONDS, projectHooksPath, userHooksPath, type CopilotPlan,
} from '../installer';

let home: string;
let places: HookPlaces;
let file: string;
const spec: HookCommandSpec = { node: '/usr/bin/node', cliPath: '/opt/my ext/dist/cli.js', useElectronRunAsNode: false };

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-copilot-home-'));
  places = { home, project: path.join(home, 'proj'), env: { PATH: '' } };
  file = userHooksPath(home);
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

type HooksFile = { version?: number; hooks: Record<string, Array<Record<string, unknown>>> } & Record<string, unknown>;
const read = (target = file) => JSON.parse(fs.readFileSync(target, 'utf8')) as HooksFile;
function write(value: unknown, target = file, indent = 2): string {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const text = typeof value === 'string' ? value : `${JSON.stringify(value, null, indent)}\n`;
  fs.writeFileSync(target, text);
  return text;
}
const install = async (scope: 'user' | 'project' = 'user', s = spec) => (await applyPlans(await copilotHooks.planInstall(scope, places, s)))[0]!;
const uninstall = async (scope: 'user' | 'project' = 'user') => (await applyPlans(await copilotHooks.planUninstall(scope, places)))[0]!;
const backups = (target = file) => fs.readdirSync(path.dirname(target)).filter((name) => name.includes('nexus-buffer-backup'));

/** A user's own hooks file in the same folder's format, with other hooks of theirs. */
const theirs = {
  version: 1,
  hooks: {
    PostToolUse: [{ type: 'command', command: 'npx prettier --write "$TOOL_INPUT_FILE_PATH"', timeout: 30 }],
    preToolUse: [{ type: 'command', bash: './scripts/guard.sh', timeoutSec: 10 }],
  },
  disableAllHooks: false,
};

test('user scope: a file of its own in ~/.copilot/hooks, one handler per event, the fail-open one for PreToolUse', async () => {
  const result = await install();
  assert.equal(result.settingsPath, path.join(home, '.copilot', 'hooks', 'nexus-buffer.json'));
  assert.equal(result.changed, true);
  assert.equal(result.backupPath, undefined);
  const written = read();
  assert.deepEqual(Object.keys(written), ['version', 'hooks'], 'version first, as the Copilot runtime format has it');
  assert.equal(written.version, 1);
  assert.deepEqual(Object.keys(written.hooks), [...HOOK_EVENTS]);
  const base = buildHookCommand(spec, HOOK_ARGS);
  for (const event of HOOK_EVENTS) {
    assert.deepEqual(written.hooks[event], [{ type: 'command', command: event === 'PreToolUse' ? commandFor(spec, event) : base, timeout: HOOK_TIMEOUT_SECONDS }], event);
  }
  assert.match(written.hooks.PreToolUse![0]!.command as string, /push copilot --from copilot-hook \|\| true # nexus-buffer-hook$/);
  assert.ok(isOurHookCommand(written.hooks.PreToolUse![0]!.command));
  assert.ok((await copilotHooks.status('user', places, spec)).installed);
});

test('project scope: <project>/.github/hooks/nexus-buffer.json', async () => {
  const result = await install('project');
  assert.equal(result.settingsPath, projectHooksPath(places.project!));
  assert.equal(result.settingsPath, path.join(home, 'proj', '.github', 'hooks', 'nexus-buffer.json'));
  assert.deepEqual(Object.keys(read(result.settingsPath).hooks), [...HOOK_EVENTS]);
  assert.equal(fs.existsSync(file), false, 'the user scope is untouched');
});

test('keeps what else is in the file, backs it up, and a second install writes nothing', async () => {
  const original = write(theirs);
  const first = await install();
  assert.ok(first.backupPath && fs.readFileSync(first.backupPath, 'utf8') === original, 'backup is the previous file');
  const written = read();
  assert.equal(written.disableAllHooks, false);
  assert.deepEqual(written.hooks.preToolUse, theirs.hooks.preToolUse);
  assert.deepEqual(written.hooks.PostToolUse![0], theirs.hooks.PostToolUse[0], 'their handler stays first');
  assert.equal(written.hooks.PostToolUse!.length, 2);
  const text = fs.readFileSync(file, 'utf8');
  const second = await install();
  assert.equal(second.changed, false);
  assert.equal(second.diffText, '');
  assert.equal(fs.readFileSync(file, 'utf8'), text);
  assert.equal(backups().length, 1);
});

test('uninstall removes exactly what install added, byte for byte', async () => {
  const original = write(theirs, file, 4);
  await install();
  const plan = (await copilotHooks.planUninstall('user', places))[0]!;
  assert.deepEqual([...plan.events].sort(), [...HOOK_EVENTS].sort());
  await uninstall();
  assert.equal(fs.readFileSync(file, 'utf8'), original);
  assert.equal((await uninstall()).changed, false, 'a second uninstall changes nothing');
});

test('uninstall of the file it created leaves only {"version": 1} (nothing runs from it)', async () => {
  await install();
  await uninstall();
  assert.deepEqual(read() as unknown, { version: 1 });
  assert.equal((await copilotHooks.status('user', places, spec)).installed, false);
});

test('a moved CLI updates the handlers in place; status tells current, stale and absent apart', async () => {
  assert.deepEqual(await copilotHooks.status('user', places, spec), { installed: false, partial: false, file, commands: [] });
  write(theirs);
  await install();
  const moved: HookCommandSpec = { ...spec, cliPath: '/opt/my ext 2/dist/cli.js' };
  const stale = await copilotHooks.status('user', places, moved);
  assert.equal(stale.installed, false);
  assert.equal(stale.partial, true);
  const plan = (await copilotHooks.planInstall('user', places, moved))[0]!;
  assert.match(plan.diffText, /^-.*my ext\/dist/m);
  assert.match(plan.diffText, /^\+.*my ext 2\/dist/m);
  await install('user', moved);
  const written = read();
  for (const event of HOOK_EVENTS) {
    const ours = written.hooks[event]!.filter((h) => isOurHookCommand(h.command));
    assert.deepEqual(ours.map((h) => h.command), [commandFor(moved, event)], event);
  }
  assert.equal(written.hooks.PostToolUse![0]!.command, theirs.hooks.PostToolUse[0]!.command);
  assert.ok((await copilotHooks.status('user', places, moved)).installed);
});

test('refuses a file it cannot parse, and leaves it untouched', async () => {
  for (const broken of ['{ "version": 1, // a comment\n}', '[1]', '{"hooks": []}', '{"hooks": {"Stop": {}}}']) {
    write(broken);
    await assert.rejects(copilotHooks.planInstall('user', places, spec), /Nothing was changed/);
    await assert.rejects(copilotHooks.planUninstall('user', places), /Nothing was changed/);
    assert.equal(fs.readFileSync(file, 'utf8'), broken);
    assert.match((await copilotHooks.status('user', places, spec)).problem ?? '', /Nothing was changed/);
  }
  assert.deepEqual(backups(), []);
});

test("says so when Claude Code's hooks of ours are there too (the same events may then arrive twice)", async () => {
  const clean = (await copilotHooks.planInstall('user', places, spec))[0] as CopilotPlan;
  assert.equal(clean.notes, undefined);
  assert.ok(clean.diffText.startsWith('--- '));
  write({ hooks: { Stop: [{ hooks: [{ type: 'command', command: `node cli.js push claude-code --from claude-hook ${HOOK_MARKER}` }] }] } }, path.join(home, '.claude', 'settings.json'));
  const user = (await copilotHooks.planInstall('user', places, spec))[0] as CopilotPlan;
  assert.equal(user.notes?.length, 1);
  assert.match(user.notes![0]!, /chat\.useClaudeHooks/);
  assert.ok(user.diffText.startsWith('# '), 'the note comes before the diff');
  assert.match(user.diffText, /\n--- /);
  write({ hooks: { Stop: [{ hooks: [{ type: 'command', command: `x ${HOOK_MARKER}` }] }] } }, path.join(places.project!, '.claude', 'settings.local.json'));
  const project = (await copilotHooks.planInstall('project', places, spec))[0] as CopilotPlan;
  assert.match(project.notes![0]!, /Copilot CLI .* \.claude\/settings\.json hooks as well/);
  // Someone else's Claude hooks are no reason for a note.
  write({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }] } }, path.join(home, '.claude', 'settings.json'));
  assert.equal(((await copilotHooks.planInstall('user', places, spec))[0] as CopilotPlan).notes, undefined);
});

test('detect: ~/.copilot or a VS Code user folder, else nothing', async () => {
  assert.equal(await copilotHooks.detect(places), false);
  fs.mkdirSync(path.join(home, '.config', 'Code'), { recursive: true });
  assert.equal(await copilotHooks.detect(places), true);
  fs.rmSync(path.join(home, '.config'), { recursive: true });
  fs.mkdirSync(path.join(home, '.copilot'));
  assert.equal(await copilotHooks.detect(places), true);
});

test('the commands run through a shell; the PreToolUse one exits 0 even when the CLI fails', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "it's a dir "));
  try {
    const cli = path.join(dir, 'cli.js');
    const seen = path.join(dir, 'seen.json');
    fs.writeFileSync(cli, `require('fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ argv: process.argv.slice(2), dir: process.env.NEXUS_BUFFER_DIR, stdin: require('fs').readFileSync(0, 'utf8') })); process.stderr.write('nexus-buffer: disk full\\n'); process.exit(1);`);
    const s: HookCommandSpec = { node: process.execPath, cliPath: cli, useElectronRunAsNode: false, bufferDir: path.join(dir, 'buf fer') };
    const pre = spawnSync('/bin/sh', ['-c', commandFor(s, 'PreToolUse')], { input: '{"hookEventName":"PreToolUse"}', encoding: 'utf8' });
    assert.equal(pre.status, 0, 'fail-open: the Copilot runtime would deny the tool call on a non-zero exit');
    assert.equal(pre.stderr, 'nexus-buffer: disk full\n', 'the one line still reaches the log');
    const got = JSON.parse(fs.readFileSync(seen, 'utf8'));
    assert.deepEqual(got.argv, [...HOOK_ARGS]);
    assert.equal(got.dir, path.join(dir, 'buf fer'));
    assert.equal(got.stdin, '{"hookEventName":"PreToolUse"}');
    const post = spawnSync('/bin/sh', ['-c', commandFor(s, 'PostToolUse')], { input: '{}', encoding: 'utf8' });
    assert.equal(post.status, 1, 'elsewhere the failure is a warning the user sees');
    execFileSync('/bin/sh', ['-n', '-c', commandFor(s, 'Stop')]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
