// The extension as installed: activation, its API, and agreement between package.json
// contributions and the code (commands, menus, settings).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HOST_SETTING_KEYS, readSettings } from '../../src/host/settings';
import { api, extension, testBufferDir } from './nexusTestUtils';

interface CommandContribution { command: string; title: string; category?: string; icon?: string }
interface SettingContribution { default?: unknown; scope?: string; description?: string; markdownDescription?: string }

const packageJson = () => extension().packageJSON as {
  activationEvents: string[];
  main: string;
  contributes: {
    commands: CommandContribution[];
    menus: Record<string, Array<{ command: string; when?: string }>>;
    configuration: { properties: Record<string, SettingContribution> };
    viewsWelcome: Array<{ view: string; contents: string }>;
  };
};

suite('Extension', () => {
  test('activates without "*" and returns its API, using the test buffer folder', async () => {
    const pkg = packageJson();
    assert.ok(!pkg.activationEvents.includes('*'), 'activation on "*" slows every window down');
    assert.ok(pkg.activationEvents.includes('onStartupFinished'));
    const nexus = await api();
    assert.equal(extension().isActive, true);
    for (const fn of ['bufferContext', 'flush', 'listBuffers', 'onDidChangeBuffers'] as const) {
      assert.equal(typeof nexus[fn], 'function', `API lacks ${fn}`);
    }
    assert.equal(nexus.bufferDir, testBufferDir());
  });

  test('every contributed command has a handler, and every nexusBuffer handler is contributed', async () => {
    await api();
    const contributed = packageJson().contributes.commands.map((c) => c.command).sort();
    // VS Code adds `<view id>.focus` and friends for each view: those are not ours to contribute.
    const registered = (await vscode.commands.getCommands(true))
      .filter((id) => id.startsWith('nexusBuffer.') && !id.startsWith('nexusBuffer.buffers.'))
      .sort();
    assert.deepEqual(registered, contributed);
  });

  test('commands carry the category and a codicon; menus only name contributed commands', () => {
    const pkg = packageJson();
    const ids = new Set(pkg.contributes.commands.map((c) => c.command));
    for (const command of pkg.contributes.commands) {
      assert.equal(command.category, 'Nexus Buffer', `${command.command} category`);
      assert.match(command.icon ?? '', /^\$\([a-z0-9-]+\)$/, `${command.command} icon`);
    }
    for (const [menu, items] of Object.entries(pkg.contributes.menus)) {
      for (const item of items) assert.ok(ids.has(item.command), `menu ${menu} names ${item.command}, which is not contributed`);
    }
    const itemMenus = pkg.contributes.menus['view/item/context'] ?? [];
    assert.ok(itemMenus.length > 0);
    for (const item of itemMenus) assert.match(item.when ?? '', /view == nexusBuffer\.buffers && viewItem =~ \//);
    const welcome = pkg.contributes.viewsWelcome.find((w) => w.view === 'nexusBuffer.buffers');
    assert.ok(welcome?.contents.includes('[Open Buffer Folder](command:nexusBuffer.openFolder)'));
  });

  test('settings in package.json match what the code reads, with the same defaults', () => {
    const properties = packageJson().contributes.configuration.properties;
    const contributed = Object.keys(properties).map((k) => k.replace(/^nexusBuffer\./, ''));
    // What the host reads is contributed, with the default the code falls back to.
    const codeDefaults = readSettings({ get: () => undefined } as unknown as vscode.WorkspaceConfiguration) as unknown as Record<string, unknown>;
    for (const key of HOST_SETTING_KEYS) {
      assert.ok(contributed.includes(key), `the code reads nexusBuffer.${key}, which package.json does not contribute`);
      assert.deepEqual(properties[`nexusBuffer.${key}`].default, codeDefaults[key], `default of nexusBuffer.${key}`);
    }
    assert.equal(properties['nexusBuffer.directory'].scope, 'machine');
    // Every contributed setting is described, scoped, defaulted, and read somewhere in the bundle that runs.
    const bundle = fs.readFileSync(path.join(extension().extensionPath, packageJson().main), 'utf8');
    const literal = (text: string) => bundle.includes(`"${text}"`) || bundle.includes(`'${text}'`) || bundle.includes(`\`${text}\``);
    for (const key of contributed) {
      const p = properties[`nexusBuffer.${key}`];
      assert.ok(p.description || p.markdownDescription, `nexusBuffer.${key} has no description`);
      assert.ok('default' in p, `nexusBuffer.${key} has no default`);
      assert.ok(p.scope, `nexusBuffer.${key} has no scope`);
      const dot = key.lastIndexOf('.');
      const read = literal(key) || literal(`nexusBuffer.${key}`)
        || (dot > 0 && literal(`nexusBuffer.${key.slice(0, dot)}`) && literal(key.slice(dot + 1)));
      assert.ok(read, `nexusBuffer.${key} is contributed but no code reads it`);
    }
  });
});
