import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyPlan } from '../../shared/settingsFile';
import { isOurHookCommand } from '../../shared/hookCommand';
import { fixturesDir } from '../../shared/testSupport';
import type { HookCommandSpec } from '../../types';
import { gemini } from '../index';
import {
  geminiHooks, HOOK_ARGS, HOOK_EVENTS, HOOK_NAME, HOOK_TIMEOUT_MS, PRE_COMPRESS_MATCHER, projectSettingsPath, userSettingsPath,
} from '../installer';

let home: string;
let settingsPath: string;
const spec: HookCommandSpec = { node: '/usr/bin/node', cliPath: '/opt/my ext/dist/cli.js', useElectronRunAsNode: false };
const installer = gemini.hooks!;

type Group = { matcher?: string; hooks: Array<Record<string, unknown> & { command: string }> };
const readSettings = () => JSON.parse(fs.readFileSync(settingsPath, 'utf8')) as { hooks: Record<string, Group[]> } & Record<string, unknown>;
const backups = () => fs.readdirSync(path.dirname(settingsPath)).filter((name) => name.includes('nexus-buffer-backup'));
const install = async (file = settingsPath, s = spec) => applyPlan(await geminiHooks.planInstallFile(file, s));
const uninstall = async (file = settingsPath) => applyPlan(await geminiHooks.planUninstallFile(file));

/** A user's Gemini settings: auth, folder trust, the hooks switch and a hook of their own. */
const userSettings = {
  security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: true } },
  hooksConfig: { enabled: true, disabled: ['lint-on-write'], notifications: false },
  hooks: {
    AfterTool: [{ matcher: 'write_file|replace', hooks: [{ name: 'lint-on-write', type: 'command', command: '$GEMINI_PROJECT_DIR/.gemini/hooks/lint.sh', timeout: 30000 }] }],
    SessionStart: [{ matcher: 'startup', hooks: [{ type: 'command', command: 'echo hi >&2' }] }],
  },
  ui: { theme: 'GitHub' },
};

function writeSettings(value: unknown, indent: number | string = 2): string {
  fs.mkdirSync(path.dirname(settingsPath), { recursive: true });
  const text = typeof value === 'string' ? value : `${JSON.stringify(value, null, indent)}\n`;
  fs.writeFileSync(settingsPath, text);
  return text;
}

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-gemini-home-'));
  settingsPath = userSettingsPath(home);
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

test('the settings files: ~/.gemini/settings.json and <project>/.gemini/settings.json', () => {
  assert.deepEqual(installer.scopes, ['user', 'project']);
  assert.equal(installer.settingsPath('user', { home }), path.join(home, '.gemini', 'settings.json'));
  assert.equal(installer.settingsPath('project', { home, project: '/p' }), path.join('/p', '.gemini', 'settings.json'));
  assert.equal(projectSettingsPath('/p'), path.join('/p', '.gemini', 'settings.json'));
  assert.throws(() => installer.settingsPath('project', { home }), /project folder/);
});

test('installs one named handler per event into a missing file, timeout in milliseconds', async () => {
  const result = await install();
  assert.equal(result.changed, true);
  assert.equal(result.backupPath, undefined);
  const settings = readSettings();
  assert.deepEqual(Object.keys(settings), ['hooks'], 'nothing but hooks: no switch is needed');
  assert.deepEqual(Object.keys(settings.hooks), [...HOOK_EVENTS]);
  const command = geminiHooks.commandFor(spec);
  assert.equal(command, `/usr/bin/node '/opt/my ext/dist/cli.js' ${HOOK_ARGS.join(' ')} # nexus-buffer-hook`);
  for (const event of HOOK_EVENTS) {
    const groups = settings.hooks[event]!;
    assert.equal(groups.length, 1, event);
    const matcher = event === 'BeforeTool' || event === 'AfterTool' ? '*' : event === 'PreCompress' ? PRE_COMPRESS_MATCHER : undefined;
    assert.equal(groups[0]!.matcher, matcher, event);
    assert.deepEqual(groups[0]!.hooks, [{ type: 'command', command, timeout: HOOK_TIMEOUT_MS, name: HOOK_NAME }], event);
  }
  assert.equal(HOOK_TIMEOUT_MS, 10_000, 'Gemini counts milliseconds');
  for (const perModelCall of ['BeforeModel', 'AfterModel', 'BeforeToolSelection']) {
    assert.equal(settings.hooks[perModelCall], undefined, `${perModelCall} fires for every model call: not hooked`);
  }
});

test('keeps every other setting and hook, backs up, and a second install writes nothing', async () => {
  const original = writeSettings(userSettings);
  const first = await install();
  assert.ok(first.backupPath && fs.readFileSync(first.backupPath, 'utf8') === original, 'backup is the previous file');
  const settings = readSettings();
  assert.deepEqual(Object.keys(settings), ['security', 'hooksConfig', 'hooks', 'ui'], 'same key order');
  assert.deepEqual(settings.security, userSettings.security);
  assert.deepEqual(settings.hooksConfig, userSettings.hooksConfig, 'the hooks switch is left as it was');
  assert.deepEqual(settings.hooks.AfterTool![0], userSettings.hooks.AfterTool[0], "the user's hook stays first");
  assert.equal(settings.hooks.AfterTool!.length, 2);
  assert.deepEqual(settings.hooks.SessionStart![0], userSettings.hooks.SessionStart[0]);
  assert.equal(settings.hooks.SessionStart![1]!.matcher, undefined, 'our SessionStart group matches every source');

  const text = fs.readFileSync(settingsPath, 'utf8');
  const again = await geminiHooks.planInstallFile(settingsPath, spec);
  assert.equal(again.changed, false);
  assert.equal(again.diffText, '');
  await applyPlan(again);
  assert.equal(fs.readFileSync(settingsPath, 'utf8'), text);
  assert.equal(backups().length, 1, 'no second backup');
});

test('uninstall restores the file byte for byte, 4-space indentation included', async () => {
  const original = writeSettings(userSettings, 4);
  await install();
  assert.match(fs.readFileSync(settingsPath, 'utf8'), /^ {4}"security": \{$/m);
  const plan = await geminiHooks.planUninstallFile(settingsPath);
  assert.deepEqual([...plan.events].sort(), [...HOOK_EVENTS].sort());
  await applyPlan(plan);
  assert.equal(fs.readFileSync(settingsPath, 'utf8'), original);
  assert.equal((await uninstall()).changed, false, 'a second uninstall changes nothing');
});

test('uninstall of hooks it alone wrote leaves no hooks key', async () => {
  writeSettings({ ui: { theme: 'ANSI' } });
  await install();
  await uninstall();
  assert.deepEqual(readSettings(), { ui: { theme: 'ANSI' } });
});

test('an older hooks.disabled list beside the events is kept and not mistaken for an event', async () => {
  const legacy = { hooks: { disabled: ['catch-all'], AfterTool: [{ matcher: '*', hooks: [{ name: 'catch-all', type: 'command', command: 'x.sh' }] }] } };
  const original = writeSettings(legacy);
  await install();
  assert.deepEqual(readSettings().hooks.disabled, ['catch-all']);
  await uninstall();
  assert.equal(fs.readFileSync(settingsPath, 'utf8'), original);
});

test('a moved CLI updates our entries in place', async () => {
  writeSettings(userSettings);
  await install();
  const moved = { ...spec, cliPath: '/opt/other/dist/cli.js' };
  const plan = await geminiHooks.planInstallFile(settingsPath, moved);
  assert.deepEqual(plan.events, [...HOOK_EVENTS]);
  await applyPlan(plan);
  const status = await geminiHooks.statusOfFile(settingsPath, moved);
  assert.equal(status.installed, true);
  assert.equal(status.commands.length, HOOK_EVENTS.length);
  assert.ok(status.commands.every((c) => c.includes('/opt/other/dist/cli.js')));
});

test('status: not installed, installed, stale, partial, unreadable', async () => {
  const places = { home };
  assert.deepEqual(await installer.status('user', places, spec), { installed: false, partial: false, file: settingsPath, commands: [] });
  await install();
  assert.equal((await installer.status('user', places, spec)).installed, true);
  const stale = await installer.status('user', places, { ...spec, cliPath: '/elsewhere/cli.js' });
  assert.equal(stale.installed, false);
  assert.equal(stale.partial, true);
  const settings = readSettings();
  delete settings.hooks.AfterTool;
  writeSettings(settings);
  const partial = await installer.status('user', places, spec);
  assert.deepEqual([partial.installed, partial.partial], [false, true]);
  writeSettings('{ not json');
  assert.match((await installer.status('user', places, spec)).problem ?? '', /not valid JSON/);
});

test('refuses a file it cannot parse, and leaves it untouched', async () => {
  for (const broken of ['{ "ui": {}, // comment\n}', '[]', '{"hooks": ["x"]}', '{"hooks": {"BeforeTool": {}}}']) {
    writeSettings(broken);
    await assert.rejects(geminiHooks.planInstallFile(settingsPath, spec), /Nothing was changed/);
    await assert.rejects(geminiHooks.planUninstallFile(settingsPath), /Nothing was changed/);
    assert.equal(fs.readFileSync(settingsPath, 'utf8'), broken);
    assert.deepEqual(backups(), []);
  }
});

test('project scope writes <project>/.gemini/settings.json and leaves the user file alone', async () => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-gemini-project-'));
  try {
    const plans = await installer.planInstall('project', { home, project }, spec);
    assert.deepEqual(plans.map((p) => p.settingsPath), [path.join(project, '.gemini', 'settings.json')]);
    await applyPlan(plans[0]!);
    assert.equal((await installer.status('project', { home, project }, spec)).installed, true);
    assert.equal(fs.existsSync(settingsPath), false);
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
});

test('detects Gemini CLI by ~/.gemini or a gemini program on PATH', async () => {
  const empty = { home, env: { PATH: '' } };
  assert.equal(await installer.detect(empty), false);
  fs.mkdirSync(path.join(home, '.gemini'));
  assert.equal(await installer.detect(empty), true);
  fs.rmSync(path.join(home, '.gemini'), { recursive: true });
  const bin = path.join(home, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'gemini'), '#!/bin/sh\n', { mode: 0o755 });
  assert.equal(await installer.detect({ home, env: { PATH: bin } }), true);
});

// The real command, run the way Gemini CLI runs it (bash -c, payload on stdin).
const root = path.resolve(__dirname, '..', '..', '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

test('the installed command buffers an event when a shell runs it', { skip: !fs.existsSync(cli) && 'dist/cli.js not built' }, async () => {
  const bufferDir = path.join(home, 'buffer dir');
  await install(settingsPath, { node: process.execPath, cliPath: cli, useElectronRunAsNode: false, bufferDir });
  const command = readSettings().hooks.AfterTool!.at(-1)!.hooks[0]!.command;
  assert.ok(isOurHookCommand(command));
  const payload = fs.readFileSync(path.join(fixturesDir(__dirname), 'after-tool-shell-failed.json'));
  const run = spawnSync('/bin/bash', ['-c', command], { input: payload, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, '');
  const shown = JSON.parse(execFileSync(process.execPath, [cli, 'show', 'gemini', '--json', '--dir', bufferDir], { encoding: 'utf8' })) as {
    entries: Array<{ context_type: string; context: { commands_run: string[] } }>;
  };
  assert.deepEqual(shown.entries.map((e) => [e.context_type, e.context.commands_run]), [['error', ['ls /nonexistent-nexus-dir']]]);
});

test('nexus-buffer hooks install --agent gemini on a temporary home, then uninstall', { skip: !fs.existsSync(cli) && 'dist/cli.js not built' }, () => {
  const env = { ...process.env, HOME: home, USERPROFILE: home };
  const original = writeSettings(userSettings);
  const out = execFileSync(process.execPath, [cli, 'hooks', 'install', '--agent', 'gemini', '--yes'], { env, encoding: 'utf8' });
  assert.match(out, /Gemini CLI: installed in ~\/\.gemini\/settings\.json \(backup: settings\.json\.nexus-buffer-backup-/);
  assert.match(out, /^\+.*push gemini --from gemini-hook # nexus-buffer-hook/m, 'the diff is shown');
  const status = JSON.parse(execFileSync(process.execPath, [cli, 'hooks', 'status', '--agent', 'gemini', '--json'], { env, encoding: 'utf8' })) as Array<{ agent: string; installed: boolean }>;
  assert.deepEqual(status.map((s) => [s.agent, s.installed]), [['gemini', true]]);
  execFileSync(process.execPath, [cli, 'hooks', 'uninstall', '--agent', 'gemini', '--yes'], { env, encoding: 'utf8' });
  assert.equal(fs.readFileSync(settingsPath, 'utf8'), original);
});
