// "Install Agent Hooks…" in the real extension host: the same actions as the commands, with a
// scripted UI (modal dialogs cannot be answered here), on a temporary home.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AgentHooksActions, AgentHooksStatus, hooksSummary, type HooksUi, type HookTarget } from '../../src/host/agentHooks';
import { api, extension } from './nexusTestUtils';

suite('Agent hooks', () => {
  let home: string;
  let log: vscode.LogOutputChannel;
  let status: AgentHooksStatus;

  suiteSetup(() => { log = vscode.window.createOutputChannel('Nexus Buffer agent hooks test', { log: true }); });
  suiteTeardown(() => log.dispose());
  setup(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-agent-hooks-'));
    fs.mkdirSync(path.join(home, '.claude'));
    fs.writeFileSync(path.join(home, '.claude', 'settings.json'), JSON.stringify({ model: 'opus' }, null, 2));
    status = new AgentHooksStatus(log, home);
  });
  teardown(() => {
    status.dispose();
    fs.rmSync(home, { recursive: true, force: true });
  });

  function actions(confirm: boolean, shown: string[], picked?: string[]) {
    const ui: HooksUi = {
      pickAgents: async (items) => items.filter(({ agent }) => picked?.includes(agent.id)).map(({ agent }) => agent),
      pickTarget: async (targets) => targets[0],
      confirm: async (message) => { shown.push(`confirm: ${message}`); return confirm; },
      showPlan: async (plan) => { shown.push(`plan: ${plan.settingsPath}`); return () => undefined; },
      info: async (message) => { shown.push(message); },
    };
    return new AgentHooksActions({ log, extensionUri: extension().extensionUri, bufferDir: () => path.join(home, 'buffers'), status }, ui);
  }
  const target = (): HookTarget => ({ scope: 'user', places: { home }, label: 'User' });

  test('the commands are registered', async () => {
    await api(); // activated
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['nexusBuffer.installAgentHooks', 'nexusBuffer.uninstallAgentHooks']) assert.ok(commands.includes(id), id);
  });

  test('found but not hooked, then installed (shown, confirmed), then removed exactly', async () => {
    const before = await status.refresh();
    const claude = before.find((s) => s.agent === 'claude-code');
    assert.equal(claude?.found, true);
    assert.deepEqual(claude?.hookedIn, []);
    assert.match(hooksSummary(before) ?? '', /not hooked: Claude Code/);

    const shown: string[] = [];
    const declined = await actions(false, shown, ['claude-code']).install({ target: target() });
    assert.deepEqual(declined, []);
    assert.ok(shown.some((s) => s === `plan: ${path.join(home, '.claude', 'settings.json')}`), 'the change was shown');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8')), { model: 'opus' }, 'declined: untouched');

    const results = await actions(true, [], ['claude-code']).install({ target: target() });
    assert.equal(results?.[0]?.changed, true);
    assert.ok(results?.[0]?.backupPath && fs.existsSync(results[0].backupPath));
    const settings = JSON.parse(fs.readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'));
    assert.ok(String(settings.hooks.UserPromptSubmit[0].hooks[0].command).includes(path.join('dist', 'cli.js')));
    // Tool events take the shell spool command on POSIX (no Node start per tool call).
    if (process.platform !== 'win32') assert.match(String(settings.hooks.PostToolUse[0].hooks[0].command), /\.spool.*# nexus-buffer-hook$/);
    assert.equal(status.stateOf('claude-code')?.hookedIn.length, 1, 'the status was refreshed after the change');
    assert.match(hooksSummary(status.states) ?? '', /^Hooked: Claude Code/);

    const removed = await actions(true, [], ['claude-code']).uninstall({ target: target() });
    assert.equal(removed?.[0]?.changed, true);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8')), { model: 'opus' });
    assert.deepEqual(status.stateOf('claude-code')?.hookedIn, []);
  });

  test('picking no agent changes nothing', async () => {
    const results = await actions(true, [], []).install({ target: target() });
    assert.equal(results, undefined);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8')), { model: 'opus' });
  });
});
