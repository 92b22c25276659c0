import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { applyPlan, applyPlans } from '../../shared/settingsFile';
import { HOOK_MARKER } from '../../shared/hookCommand';
import type { HookCommandSpec } from '../../types';
import { cursor } from '../index';
import { commandFor, cursorHooks, HOOK_EVENTS, projectHooksPath, userHooksPath } from '../installer';

let home: string;
let file: string;
const spec: HookCommandSpec = { node: '/usr/bin/node', cliPath: '/opt/my ext/dist/cli.js', useElectronRunAsNode: false };
const places = () => ({ home, env: { PATH: '' } });

/** A user's hooks.json with hooks of their own (documented shapes), to be kept untouched. */
const userHooks = {
  version: 1,
  hooks: {
    afterFileEdit: [{ command: './hooks/format.sh' }],
    beforeShellExecution: [{ command: './hooks/approve-network.sh', timeout: 30, matcher: 'curl|wget|nc' }],
    stop: [{ command: './hooks/audit.sh', loop_limit: 10 }],
  },
};

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-cursor-home-'));
  file = userHooksPath(home);
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

function write(value: unknown, indent = 2): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const text = typeof value === 'string' ? value : `${JSON.stringify(value, null, indent)}\n`;
  fs.writeFileSync(file, text);
  return text;
}
type HooksFile = { version?: number; hooks: Record<string, Array<Record<string, unknown>>> } & Record<string, unknown>;
const read = () => JSON.parse(fs.readFileSync(file, 'utf8')) as HooksFile;
const backups = () => fs.readdirSync(path.dirname(file)).filter((name) => name.includes('nexus-buffer-backup'));
const leftovers = () => fs.readdirSync(path.dirname(file)).filter((name) => name.includes('nexus-buffer-tmp'));
const install = async (at = file) => applyPlan(await cursorHooks.planInstallFile(at, spec));
const uninstall = async (at = file) => applyPlan(await cursorHooks.planUninstallFile(at));

test('creates ~/.cursor/hooks.json with version 1 and one flat entry per event', async () => {
  assert.equal(cursorHooks.settingsPath('user', places()), path.join(home, '.cursor', 'hooks.json'));
  const [plan] = await cursorHooks.planInstall('user', places(), spec);
  assert.equal(plan!.settingsPath, file);
  const result = await applyPlan(plan!);
  assert.equal(result.changed, true);
  assert.equal(result.backupPath, undefined);
  const written = read();
  assert.deepEqual(Object.keys(written), ['version', 'hooks']);
  assert.equal(written.version, 1);
  assert.deepEqual(Object.keys(written.hooks), [...HOOK_EVENTS]);
  for (const event of HOOK_EVENTS) assert.deepEqual(written.hooks[event], [{ command: commandFor(spec) }], event);
  assert.match(commandFor(spec), /push cursor --from cursor-hook # nexus-buffer-hook$/);
  assert.deepEqual(leftovers(), []);
});

test('keeps the user hooks and other keys, backs up, and a second install writes nothing', async () => {
  const original = write({ ...userHooks, $schema: 'https://example.com/hooks.schema.json' });
  const first = await applyPlan(await cursorHooks.planInstallFile(file, spec), { now: new Date('2026-06-14T09:12:03Z') });
  assert.ok(first.backupPath && fs.readFileSync(first.backupPath, 'utf8') === original, 'backup is the previous file');
  const written = read();
  assert.equal(written.$schema, 'https://example.com/hooks.schema.json');
  assert.deepEqual(written.hooks.beforeShellExecution, userHooks.hooks.beforeShellExecution, 'a before* hook of the user is left alone, and none added');
  assert.deepEqual(written.hooks.afterFileEdit, [userHooks.hooks.afterFileEdit[0], { command: commandFor(spec) }], 'theirs first, ours after');
  assert.deepEqual(written.hooks.stop![0], userHooks.hooks.stop[0]);
  const text = fs.readFileSync(file, 'utf8');
  const again = await install();
  assert.equal(again.changed, false);
  assert.equal(again.diffText, '');
  assert.equal(fs.readFileSync(file, 'utf8'), text);
  assert.equal(backups().length, 1);
});

test('uninstall removes exactly what install added, byte for byte', async () => {
  for (const indent of [2, 4]) {
    const original = write(userHooks, indent);
    await install();
    const plan = await cursorHooks.planUninstallFile(file);
    assert.deepEqual([...plan.events].sort(), [...HOOK_EVENTS].sort());
    await applyPlan(plan);
    assert.equal(fs.readFileSync(file, 'utf8'), original);
    assert.equal((await uninstall()).changed, false, 'a second uninstall changes nothing');
  }
});

test('uninstall of a file install created leaves an empty object; of a file without version keeps it so', async () => {
  await install();
  await uninstall();
  assert.deepEqual(read(), {});
  write({ hooks: { stop: [{ command: './audit.sh' }] } });
  await install();
  assert.equal(read().version, undefined, 'no version added to an existing file');
  await uninstall();
  assert.deepEqual(read(), { hooks: { stop: [{ command: './audit.sh' }] } });
});

test('a moved CLI updates our entries in place (other keys of them kept), no duplicates', async () => {
  write(userHooks);
  await install();
  const settings = read();
  settings.hooks.stop![1] = { ...settings.hooks.stop![1], timeout: 9 };
  settings.hooks.sessionEnd!.push({ command: `old ${HOOK_MARKER}` });
  write(settings);
  const moved: HookCommandSpec = { ...spec, cliPath: '/opt/my ext 2/dist/cli.js' };
  const plan = await cursorHooks.planInstallFile(file, moved);
  assert.match(plan.diffText, /^\+.*my ext 2\/dist/m);
  await applyPlan(plan);
  const after = read();
  assert.deepEqual(after.hooks.stop, [userHooks.hooks.stop[0], { command: commandFor(moved), timeout: 9 }]);
  assert.deepEqual(after.hooks.sessionEnd, [{ command: commandFor(moved) }]);
  const status = await cursorHooks.statusOfFile(file, moved);
  assert.equal(status.installed, true);
  assert.equal(status.commands.length, HOOK_EVENTS.length);
});

test('status: installed, partial, stale, absent, unreadable', async () => {
  assert.deepEqual(await cursorHooks.status('user', places(), spec), { installed: false, partial: false, file, commands: [] });
  await install();
  assert.equal((await cursorHooks.status('user', places(), spec)).installed, true);
  assert.equal((await cursorHooks.status('user', places())).installed, true);
  const stale = await cursorHooks.status('user', places(), { ...spec, cliPath: '/elsewhere/cli.js' });
  assert.deepEqual([stale.installed, stale.partial], [false, true]);
  const settings = read();
  delete settings.hooks.preCompact;
  write(settings);
  const partial = await cursorHooks.status('user', places(), spec);
  assert.deepEqual([partial.installed, partial.partial], [false, true]);
  write('{ nope');
  assert.match(String((await cursorHooks.status('user', places(), spec)).problem), /not valid JSON/);
});

test('refuses a file it cannot read, or a version it does not know, and leaves it untouched', async () => {
  for (const broken of ['{ "version": 1, // comment\n}', '[]', '{"hooks": []}', '{"hooks": {"stop": {}}}', '{"version": 2, "hooks": {}}']) {
    write(broken);
    await assert.rejects(install(), /Nothing was changed/);
    await assert.rejects(uninstall(), /Nothing was changed/);
    assert.equal(fs.readFileSync(file, 'utf8'), broken);
    assert.deepEqual(backups(), []);
  }
});

test('refuses to write when the file changed since the plan was shown', async () => {
  write(userHooks);
  const plan = await cursorHooks.planInstallFile(file, spec);
  const edited = write({ version: 1, hooks: {} });
  await assert.rejects(applyPlans([plan]), /changed since/);
  assert.equal(fs.readFileSync(file, 'utf8'), edited);
});

test('project scope: <project>/.cursor/hooks.json, with the trust note in the plan', async () => {
  const project = path.join(home, 'shop');
  fs.mkdirSync(project);
  const target = projectHooksPath(project);
  assert.equal(cursorHooks.settingsPath('project', { home, project }), target);
  assert.throws(() => cursorHooks.settingsPath('project', { home }), /project folder/);
  const [plan] = await cursorHooks.planInstall('project', { home, project }, spec);
  assert.equal(plan!.settingsPath, target);
  assert.match(plan!.notes!.join(' '), /trusted workspace/);
  assert.match(plan!.diffText, /^# Cursor runs .* only in a trusted workspace/);
  await applyPlan(plan!);
  assert.equal((await cursorHooks.status('project', { home, project }, spec)).installed, true);
  assert.equal(fs.existsSync(file), false, 'the user file is not touched');
  const [again] = await cursorHooks.planInstall('project', { home, project }, spec);
  assert.equal(again!.changed, false);
  assert.equal(again!.notes, undefined, 'no note when nothing changes');
  const [removal] = await cursorHooks.planUninstall('project', { home, project });
  await applyPlan(removal!);
  assert.deepEqual(JSON.parse(fs.readFileSync(target, 'utf8')), {});
});

test('detect: ~/.cursor, or cursor / cursor-agent on PATH', async () => {
  assert.equal(await cursorHooks.detect(places()), false);
  const bin = path.join(home, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'cursor-agent'), '#!/bin/sh\n', { mode: 0o755 });
  assert.equal(await cursorHooks.detect({ home, env: { PATH: bin } }), true);
  fs.mkdirSync(path.join(home, '.cursor'));
  assert.equal(await cursorHooks.detect(places()), true);
  assert.equal(cursor.hooks, cursorHooks);
  assert.deepEqual(cursorHooks.scopes, ['user', 'project']);
});

test('the command runs our CLI through a shell with the payload on stdin, and prints nothing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "it's cursor "));
  try {
    const cli = path.join(dir, 'cli.js');
    const seen = path.join(dir, 'seen.json');
    fs.writeFileSync(cli, `require('fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ argv: process.argv.slice(2), dir: process.env.NEXUS_BUFFER_DIR, stdin: require('fs').readFileSync(0, 'utf8') }));`);
    const command = commandFor({ node: process.execPath, cliPath: cli, useElectronRunAsNode: false, bufferDir: path.join(dir, 'buf fer') });
    const stdout = execFileSync('/bin/sh', ['-c', command], { input: '{"hook_event_name":"stop"}', encoding: 'utf8' });
    assert.equal(stdout, '');
    const got = JSON.parse(fs.readFileSync(seen, 'utf8'));
    assert.deepEqual(got.argv, ['push', 'cursor', '--from', 'cursor-hook']);
    assert.equal(got.dir, path.join(dir, 'buf fer'));
    assert.equal(got.stdin, '{"hook_event_name":"stop"}');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
