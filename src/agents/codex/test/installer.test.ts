import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyPlans } from '../../shared/settingsFile';
import type { HookCommandSpec, HookPlaces } from '../../types';
import { TOML_MARKER } from '../configToml';
import { codexHooks, HOOK_EVENTS, HOOK_TIMEOUT_SECONDS, notifyArgv, type CodexPlan } from '../installer';

let home: string;
let project: string;
let places: HookPlaces;
const spec: HookCommandSpec = { node: '/usr/bin/node', cliPath: '/opt/my ext/dist/cli.js', useElectronRunAsNode: false };
const codexDir = () => path.join(home, '.codex');
const hooksFile = () => path.join(codexDir(), 'hooks.json');
const configFile = () => path.join(codexDir(), 'config.toml');
const read = (file: string) => fs.readFileSync(file, 'utf8');
const write = (file: string, text: string) => { fs.mkdirSync(path.dirname(file), { recursive: true }); fs.writeFileSync(file, text); };

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-codex-home-'));
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-codex-project-'));
  places = { home, project, env: { PATH: '' } };
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(project, { recursive: true, force: true });
});

async function install(scope: 'user' | 'project' = 'user') {
  return applyPlans(await codexHooks.planInstall(scope, places, spec));
}
async function uninstall(scope: 'user' | 'project' = 'user') {
  return applyPlans(await codexHooks.planUninstall(scope, places));
}

const USER_HOOKS = {
  hooks: {
    PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'python3 ~/.codex/guard.py', timeout: 30 }] }],
  },
};
const USER_CONFIG = [
  '# my settings',
  'model = "gpt-5.5"',
  'notify = ["notify-send", "Codex"]  # desktop pop-up',
  '',
  '[features]',
  'web_search = true',
  '',
  '[projects."/home/me/repo"]',
  'trust_level = "trusted"',
  '',
].join('\n');

test('user scope on a fresh ~/.codex: every event in hooks.json, the feature and notify in config.toml', async () => {
  const results = await install();
  assert.deepEqual(results.map((r) => [path.basename(r.settingsPath), r.changed]), [['hooks.json', true], ['config.toml', true]]);
  const hooks = JSON.parse(read(hooksFile())).hooks as Record<string, Array<{ matcher?: string; hooks: Array<{ command: string; timeout: number }> }>>;
  assert.deepEqual(Object.keys(hooks), [...HOOK_EVENTS]);
  for (const event of HOOK_EVENTS) {
    const [group] = hooks[event]!;
    assert.equal(group!.matcher, ['PreToolUse', 'PermissionRequest', 'PostToolUse'].includes(event) ? '*' : undefined, event);
    assert.equal(group!.hooks[0]!.command, codexHooks.commandFor(spec));
    assert.match(group!.hooks[0]!.command, /'\/opt\/my ext\/dist\/cli\.js' push codex --from codex-hook # nexus-buffer-hook$/);
    assert.equal(group!.hooks[0]!.timeout, event === 'SessionEnd' ? 3 : HOOK_TIMEOUT_SECONDS, event);
  }
  const config = read(configFile());
  assert.equal(config, `notify = ${JSON.stringify(notifyArgv(spec)).replace(/","/g, '", "')} ${TOML_MARKER}\n[features] ${TOML_MARKER}\nhooks = true ${TOML_MARKER}\n`);
  assert.deepEqual(notifyArgv(spec), ['/usr/bin/node', '/opt/my ext/dist/cli.js', 'push', 'codex', '--from', 'codex-notify']);
  const status = await codexHooks.status('user', places, spec);
  assert.equal(status.installed, true);
  assert.equal(status.file, hooksFile());
  assert.equal(status.commands.length, HOOK_EVENTS.length + 1, 'every hook and the notify program');
});

test('the plan shows both diffs and says that Codex asks to trust new hooks', async () => {
  const plans = (await codexHooks.planInstall('user', places, spec)) as CodexPlan[];
  assert.equal(plans.length, 2);
  assert.match(plans[0]!.diffText, /^# Codex runs a new or changed hook only after you trust it: open \/hooks/m);
  assert.match(plans[0]!.diffText, /^\+.*codex-hook # nexus-buffer-hook/m);
  assert.match(plans[1]!.diffText, /^\+hooks = true # added by nexus-buffer$/m);
  assert.deepEqual(plans[1]!.events, ['features.hooks', 'notify']);
  assert.ok(!fs.existsSync(codexDir()), 'planning writes nothing');
});

test("keeps the user's hooks and config, never replaces their notify, and uninstall restores both files byte for byte", async () => {
  const hooksText = `${JSON.stringify(USER_HOOKS, null, 4)}\n`;
  write(hooksFile(), hooksText);
  write(configFile(), USER_CONFIG);
  const plans = (await codexHooks.planInstall('user', places, spec)) as CodexPlan[];
  assert.ok(plans[0]!.notes?.some((note) => /already sets a notify program \(notify = \["notify-send", "Codex"\]\).*hooks alone/.test(note)), 'says so');
  assert.deepEqual(plans[1]!.events, ['features.hooks']);
  await applyPlans(plans);
  const config = read(configFile());
  assert.equal(config, USER_CONFIG.replace('web_search = true\n', `web_search = true\nhooks = true ${TOML_MARKER}\n`));
  const hooks = JSON.parse(read(hooksFile()));
  assert.deepEqual(hooks.hooks.PreToolUse[0], USER_HOOKS.hooks.PreToolUse[0], 'their hook first');
  assert.match(read(hooksFile()), /^ {4}"hooks"/m, 'their indentation');
  assert.equal((await codexHooks.status('user', places, spec)).installed, true, 'their notify is fine: the hooks are used');

  const again = await codexHooks.planInstall('user', places, spec);
  assert.ok(again.every((plan) => !plan.changed), 'a second install changes nothing');
  const backups = fs.readdirSync(codexDir()).filter((name) => name.includes('nexus-buffer-backup'));
  assert.equal(backups.length, 2, 'one backup of each file');

  const removed = await uninstall();
  assert.deepEqual(removed.map((r) => r.changed), [true, true]);
  assert.equal(read(hooksFile()), hooksText);
  assert.equal(read(configFile()), USER_CONFIG);
  assert.ok((await codexHooks.planUninstall('user', places)).every((plan) => !plan.changed), 'a second uninstall changes nothing');
});

test('a flag the user set stays: on is enough, off is left alone and reported', async () => {
  write(configFile(), '[features]\ncodex_hooks = true\n');
  await install();
  assert.equal(read(configFile()), `notify = ${JSON.stringify(notifyArgv(spec)).replace(/","/g, '", "')} ${TOML_MARKER}\n[features]\ncodex_hooks = true\n`);
  await uninstall();
  assert.equal(read(configFile()), '[features]\ncodex_hooks = true\n', 'their flag is not removed');

  write(configFile(), '[features]\nhooks = false\n');
  const plans = (await codexHooks.planInstall('user', places, spec)) as CodexPlan[];
  assert.ok(plans[0]!.notes?.some((note) => /turned off .*hooks = false/.test(note)));
  await applyPlans(plans);
  assert.match(read(configFile()), /^\[features\]\nhooks = false\n$/m);
  const status = await codexHooks.status('user', places, spec);
  assert.equal(status.installed, false, 'hooks that Codex will not run are not installed');
  assert.equal(status.partial, true);
});

test('status: installed only with the hooks AND the feature, and a current notify of ours', async () => {
  assert.deepEqual(await codexHooks.status('user', places, spec), { installed: false, partial: false, file: hooksFile(), commands: [] });
  await install();
  const config = read(configFile());
  write(configFile(), config.replace(`hooks = true ${TOML_MARKER}\n`, ''));
  let status = await codexHooks.status('user', places, spec);
  assert.equal(status.installed, false, 'the feature line is gone');
  assert.equal(status.partial, true);
  write(configFile(), config);
  assert.equal((await codexHooks.status('user', places, spec)).installed, true);
  status = await codexHooks.status('user', places, { ...spec, cliPath: '/elsewhere/dist/cli.js' });
  assert.equal(status.installed, false, 'another CLI path: out of date');
  write(configFile(), 'this is = not toml =\n');
  status = await codexHooks.status('user', places, spec);
  assert.equal(status.installed, false);
  assert.match(status.problem ?? '', /cannot be read as TOML/);
});

test('a moved CLI updates the hooks and our notify in place', async () => {
  await install();
  const moved = { ...spec, cliPath: '/opt/other/dist/cli.js' };
  const plans = await codexHooks.planInstall('user', places, moved);
  assert.deepEqual(plans.map((plan) => plan.changed), [true, true]);
  assert.deepEqual(plans[1]!.events, ['notify']);
  await applyPlans(plans);
  assert.equal((await codexHooks.status('user', places, moved)).installed, true);
  assert.equal(read(configFile()).split('\n').filter((line) => line.startsWith('notify')).length, 1);
  assert.ok(!read(configFile()).includes('/opt/my ext/'));
});

test('refuses a config.toml or hooks.json it cannot read, and writes nothing', async () => {
  write(configFile(), 'model = "unterminated\n');
  await assert.rejects(codexHooks.planInstall('user', places, spec), /config\.toml cannot be read as TOML \(line 1: .*\); fix it first\. Nothing was changed\./);
  await assert.rejects(codexHooks.planUninstall('user', places), /Nothing was changed/);
  assert.ok(!fs.existsSync(hooksFile()));
  write(configFile(), 'features = { web_search = true }\n');
  await assert.rejects(codexHooks.planInstall('user', places, spec), /inline table.*Nothing was changed/);
  write(configFile(), '');
  write(hooksFile(), '{"hooks": [');
  await assert.rejects(codexHooks.planInstall('user', places, spec), /not valid JSON/);
  assert.equal(read(configFile()), '');
});

test('project scope: hooks in <project>/.codex/hooks.json, the feature in the user config, no notify', async () => {
  const plans = (await codexHooks.planInstall('project', places, spec)) as CodexPlan[];
  assert.deepEqual(plans.map((plan) => plan.settingsPath), [path.join(project, '.codex', 'hooks.json'), configFile()]);
  assert.ok(plans[0]!.notes?.some((note) => note.includes('only in a trusted project') && note.includes(project)));
  await applyPlans(plans);
  assert.equal(read(configFile()), `[features] ${TOML_MARKER}\nhooks = true ${TOML_MARKER}\n`);
  assert.equal((await codexHooks.status('project', places, spec)).installed, true);
  assert.equal((await codexHooks.status('user', places, spec)).installed, false);

  // The user scope too, then the project's removal keeps the switch the user hooks need.
  await install('user');
  await uninstall('project');
  assert.match(read(configFile()), /^hooks = true # added by nexus-buffer$/m);
  assert.equal(JSON.parse(read(path.join(project, '.codex', 'hooks.json'))).hooks, undefined);
  await uninstall('user');
  assert.equal(read(configFile()), '');

  // Project alone: its removal takes the switch away with it.
  await install('project');
  await uninstall('project');
  assert.equal(read(configFile()), '');
});

test('CODEX_HOME moves the user files', async () => {
  const elsewhere = path.join(home, 'codex-home');
  places = { ...places, env: { PATH: '', CODEX_HOME: elsewhere } };
  assert.equal(codexHooks.settingsPath('user', places), path.join(elsewhere, 'hooks.json'));
  await install();
  assert.ok(fs.existsSync(path.join(elsewhere, 'hooks.json')));
  assert.ok(fs.existsSync(path.join(elsewhere, 'config.toml')));
  assert.ok(!fs.existsSync(codexDir()));
});

test('detect: ~/.codex or codex on PATH', async () => {
  assert.equal(await codexHooks.detect(places), false);
  fs.mkdirSync(codexDir());
  assert.equal(await codexHooks.detect(places), true);
  fs.rmdirSync(codexDir());
  const bin = path.join(home, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'codex'), '#!/bin/sh\n', { mode: 0o755 });
  assert.equal(await codexHooks.detect({ ...places, env: { PATH: bin } }), true);
});
