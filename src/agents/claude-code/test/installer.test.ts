import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  ASYNC_HOOK_EVENTS, buildHookCommand, claudeCodeHooksFor, commandForEvent, HOOK_EVENTS, HOOK_MARKER, HOOK_TIMEOUT_SECONDS, install, installedHookCommands, isOurHookCommand,
  planInstall, planUninstall, shellQuote, uninstall, userSettingsPath, type HookCommandSpec,
} from '../installer';

let home: string;
let settingsPath: string;
const spec: HookCommandSpec = { node: '/usr/bin/node', cliPath: '/opt/my ext/dist/cli.js', useElectronRunAsNode: false };

/** A user's settings with their own hooks and other keys, to be kept untouched. */
const userSettings = {
  model: 'opus',
  permissions: { allow: ['Bash(npm test)'] },
  hooks: {
    PostToolUse: [{ matcher: 'Edit|Write', hooks: [{ type: 'command', command: 'npx prettier --write "$CLAUDE_FILE"', timeout: 30 }] }],
    Notification: [{ hooks: [{ type: 'command', command: 'notify-send Claude' }] }],
  },
  env: { FOO: '1' },
};

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-hooks-home-'));
  settingsPath = userSettingsPath(home);
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

function writeSettings(value: unknown, indent = 2): string {
  fs.mkdirSync(path.dirname(settingsPath), { recursive: true });
  const text = typeof value === 'string' ? value : `${JSON.stringify(value, null, indent)}\n`;
  fs.writeFileSync(settingsPath, text);
  return text;
}
const readSettings = () => JSON.parse(fs.readFileSync(settingsPath, 'utf8')) as { hooks: Record<string, Array<{ matcher?: string; hooks: Array<{ command: string; timeout?: number; type: string }> }>> } & Record<string, unknown>;
const backups = () => fs.readdirSync(path.dirname(settingsPath)).filter((name) => name.includes('nexus-buffer-backup'));
const leftovers = () => fs.readdirSync(path.dirname(settingsPath)).filter((name) => name.includes('nexus-buffer-tmp'));

test('installs into a missing settings file (creating ~/.claude), one entry per event', async () => {
  const result = await install(settingsPath, spec);
  assert.equal(result.changed, true);
  assert.equal(result.backupPath, undefined, 'nothing to back up');
  const settings = readSettings();
  assert.deepEqual(Object.keys(settings.hooks), [...HOOK_EVENTS]);
  for (const event of HOOK_EVENTS) {
    const groups = settings.hooks[event]!;
    assert.equal(groups.length, 1);
    const isToolEvent = event.includes('ToolUse');
    assert.equal(groups[0]!.matcher, isToolEvent ? '*' : undefined, event);
    const background = ASYNC_HOOK_EVENTS.has(event) ? { async: true } : {};
    assert.deepEqual(groups[0]!.hooks, [{ type: 'command', command: commandForEvent(spec, event), timeout: HOOK_TIMEOUT_SECONDS, ...background }]);
    if (process.platform !== 'win32') assert.equal(groups[0]!.hooks[0]!.command.startsWith('umask 077;'), isToolEvent, `${event}: the spool command on tool events only`);
  }
  assert.deepEqual(leftovers(), []);
});

test('keeps other settings and hooks, backs up the previous file, is idempotent', async () => {
  const original = writeSettings(userSettings);
  const first = await install(settingsPath, spec, { now: new Date('2026-06-14T09:12:03Z') });
  assert.equal(first.changed, true);
  assert.ok(first.backupPath && fs.existsSync(first.backupPath), 'backup written');
  assert.equal(fs.readFileSync(first.backupPath!, 'utf8'), original, 'backup is the previous file');
  assert.match(path.basename(first.backupPath!), /^settings\.json\.nexus-buffer-backup-20260614T091203Z$/);

  const settings = readSettings();
  assert.equal(settings.model, 'opus');
  assert.deepEqual(settings.permissions, userSettings.permissions);
  assert.deepEqual(settings.env, userSettings.env);
  assert.deepEqual(settings.hooks.PostToolUse![0], userSettings.hooks.PostToolUse[0], 'user hook kept first');
  assert.equal(settings.hooks.PostToolUse!.length, 2);
  assert.deepEqual(settings.hooks.Notification, userSettings.hooks.Notification);

  const text = fs.readFileSync(settingsPath, 'utf8');
  const second = await install(settingsPath, spec);
  assert.equal(second.changed, false);
  assert.equal(second.diffText, '');
  assert.equal(fs.readFileSync(settingsPath, 'utf8'), text, 'second run writes nothing');
  assert.equal(backups().length, 1, 'no new backup');
});

test('uninstall removes exactly what install added', async () => {
  const original = writeSettings(userSettings);
  await install(settingsPath, spec);
  const plan = await planUninstall(settingsPath);
  assert.deepEqual(plan.events.sort(), [...HOOK_EVENTS].sort());
  const result = await uninstall(settingsPath);
  assert.equal(result.changed, true);
  assert.ok(result.backupPath);
  assert.deepEqual(readSettings(), userSettings, 'back to the user settings');
  assert.equal(fs.readFileSync(settingsPath, 'utf8'), original, 'byte for byte');
  assert.equal((await uninstall(settingsPath)).changed, false, 'a second uninstall changes nothing');
});

test('uninstall of a file it only created leaves no hooks key', async () => {
  writeSettings({ model: 'sonnet' });
  await install(settingsPath, spec);
  await uninstall(settingsPath);
  assert.deepEqual(readSettings(), { model: 'sonnet' });
});

test('a changed CLI path updates the entries in place, no duplicates', async () => {
  writeSettings(userSettings);
  await install(settingsPath, spec);
  const moved: HookCommandSpec = { ...spec, cliPath: '/opt/my ext 2/dist/cli.js' };
  const plan = await planInstall(settingsPath, moved);
  assert.equal(plan.changed, true);
  assert.match(plan.diffText, /^-.*my ext\/dist/m);
  assert.match(plan.diffText, /^\+.*my ext 2\/dist/m);
  await install(settingsPath, moved);
  const commands = await installedHookCommands(settingsPath);
  assert.equal(commands.length, HOOK_EVENTS.length);
  const wanted = HOOK_EVENTS.map((event) => commandForEvent(moved, event));
  assert.deepEqual([...commands].sort(), [...wanted].sort());
  assert.ok(commands.filter((command) => command === buildHookCommand(moved)).length >= HOOK_EVENTS.length - 3);
  assert.equal(readSettings().hooks.PostToolUse![0]!.matcher, 'Edit|Write', 'user hook still first');
});

test('refuses a file that does not parse, and leaves it untouched', async () => {
  for (const broken of ['{ "model": "opus", // a comment\n}', '[1, 2]', '{"hooks": []}', '{"hooks": {"Stop": {}}}']) {
    writeSettings(broken);
    await assert.rejects(install(settingsPath, spec), /Nothing was changed/);
    await assert.rejects(uninstall(settingsPath), /Nothing was changed/);
    assert.equal(fs.readFileSync(settingsPath, 'utf8'), broken);
    assert.deepEqual(backups(), []);
    assert.deepEqual(leftovers(), []);
  }
});

test('refuses to write when the file changed since the plan was shown', async () => {
  writeSettings({ a: 1 });
  const plan = await planInstall(settingsPath, spec);
  const edited = writeSettings({ a: 2 });
  await assert.rejects(install(settingsPath, spec, { expectBefore: plan.before }), /changed since/);
  assert.equal(fs.readFileSync(settingsPath, 'utf8'), edited);
});

test('keeps the indentation of the file and writes through a symbolic link', async () => {
  const realDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-hooks-dotfiles-'));
  try {
    const real = path.join(realDir, 'claude-settings.json');
    fs.writeFileSync(real, `${JSON.stringify({ model: 'opus' }, null, 4)}\n`);
    fs.mkdirSync(path.dirname(settingsPath), { recursive: true });
    fs.symlinkSync(real, settingsPath);
    await install(settingsPath, spec);
    assert.ok(fs.lstatSync(settingsPath).isSymbolicLink(), 'the link is still a link');
    const text = fs.readFileSync(real, 'utf8');
    assert.match(text, /^ {4}"model": "opus",$/m);
    assert.equal(JSON.parse(text).hooks.Stop.length, 1);
  } finally {
    fs.rmSync(realDir, { recursive: true, force: true });
  }
});

test('the plan shows a readable diff and changes nothing on disk', async () => {
  const original = writeSettings(userSettings);
  const plan = await planInstall(settingsPath, spec);
  assert.equal(plan.before, original);
  assert.match(plan.diffText, /^--- .*settings\.json\n\+\+\+ /);
  assert.match(plan.diffText, /^\+.*push claude-code --from claude-hook # nexus-buffer-hook/m);
  const removed = plan.diffText.split('\n').slice(2).filter((line) => line.startsWith('-'));
  assert.ok(removed.every((line) => /^-\s*[\]}]$/.test(line)), `install only adds lines (and commas): ${removed.join(' | ')}`);
  assert.equal(fs.readFileSync(settingsPath, 'utf8'), original);
});

test('the command runs the CLI through a shell, with paths that have spaces and quotes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "it's a dir "));
  try {
    const cli = path.join(dir, 'cli.js');
    const seen = path.join(dir, 'seen.json');
    fs.writeFileSync(cli, `require('fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ argv: process.argv.slice(2), dir: process.env.NEXUS_BUFFER_DIR, stdin: require('fs').readFileSync(0, 'utf8') }));`);
    const command = buildHookCommand({ node: process.execPath, cliPath: cli, useElectronRunAsNode: true, bufferDir: path.join(dir, 'buf fer') });
    assert.ok(isOurHookCommand(command));
    execFileSync('/bin/sh', ['-c', command], { input: '{"hook_event_name":"Stop"}' });
    const got = JSON.parse(fs.readFileSync(seen, 'utf8'));
    assert.deepEqual(got.argv, ['push', 'claude-code', '--from', 'claude-hook']);
    assert.equal(got.dir, path.join(dir, 'buf fer'));
    assert.equal(got.stdin, '{"hook_event_name":"Stop"}');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('shell quoting and the marker', () => {
  assert.equal(shellQuote('/usr/bin/node'), '/usr/bin/node');
  assert.equal(shellQuote('/a b'), `'/a b'`);
  assert.equal(shellQuote(`it's`), `'it'\\''s'`);
  assert.ok(!isOurHookCommand('nexus-buffer push claude-code --from claude-hook'), 'a hand-written hook is not ours');
  assert.ok(isOurHookCommand(`x ${HOOK_MARKER}`));
});

test('the tool events get the spool command (no Node start per tool call), the others the Node one; win32 keeps Node everywhere', async () => {
  const posix = JSON.parse((await claudeCodeHooksFor('linux').planInstallFile(settingsPath, spec)).after) as ReturnType<typeof readSettings>;
  const win = JSON.parse((await claudeCodeHooksFor('win32').planInstallFile(settingsPath, spec)).after) as ReturnType<typeof readSettings>;
  for (const event of HOOK_EVENTS) {
    const command = posix.hooks[event]![0]!.hooks[0]!.command;
    const tool = ['PreToolUse', 'PostToolUse', 'PostToolUseFailure'].includes(event);
    assert.equal(command.includes('/.spool/claude-hook'), tool, event);
    assert.equal(command.includes(spec.cliPath), !tool, event);
    assert.ok(isOurHookCommand(command), `${event}: recognised by the marker`);
    assert.equal(win.hooks[event]![0]!.hooks[0]!.command, buildHookCommand(spec), `${event} on win32`);
    assert.equal((posix.hooks[event]![0]!.hooks[0]! as Record<string, unknown>).async, undefined, `${event}: waited for`);
  }
  // status knows the spool command as ours and complete
  await install(settingsPath, spec);
  const status = await claudeCodeHooksFor(process.platform).statusOfFile(settingsPath, spec);
  assert.equal(status.installed, true);
  assert.equal(status.partial, false);
  assert.equal((await install(settingsPath, spec)).changed, false, 'idempotent');
  await uninstall(settingsPath);
  assert.equal(fs.existsSync(settingsPath) ? JSON.stringify(readSettings()).includes('nexus-buffer-hook') : false, false, 'uninstall removes the spool commands too');
});

test('an install over an older one drops our `async` key (our keys are replaced, a key a person added stays)', async () => {
  const old = buildHookCommand(spec);
  writeSettings({
    hooks: {
      PreToolUse: [{ matcher: '*', hooks: [{ type: 'command', command: old, timeout: 5, async: true, statusMessage: 'mine' }] }],
    },
  });
  await install(settingsPath, spec);
  const handler = readSettings().hooks.PreToolUse![0]!.hooks[0]! as Record<string, unknown>;
  assert.equal(handler.async, undefined, 'the async key of the earlier install is gone');
  assert.equal(handler.statusMessage, 'mine', "a person's key is kept");
  assert.equal(handler.command, commandForEvent(spec, 'PreToolUse'));
  assert.deepEqual(Object.keys(handler), ['type', 'command', 'timeout', 'statusMessage'], 'keys stay in place');
});
