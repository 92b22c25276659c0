// The buffer through the running extension: the API, the flush timer, settings taking effect,
// recovering what another process wrote, clearing, and the folder watcher.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RecoverResult } from '../../src/commands';
import {
  agentFiles, agentFilesContain, api, closeAllEditors, crateEntry, setSetting, sleep, testBufferDir, uniqueAgent, waitFor, writeCrateBuffer,
} from './nexusTestUtils';

suite('Buffers', () => {
  const restore: Array<() => Promise<void>> = [];
  const set = async (key: string, value: unknown) => { restore.push(await setSetting(key, value)); };

  teardown(async () => {
    for (const undo of restore.splice(0).reverse()) await undo();
    await closeAllEditors();
  });

  test('the exported API buffers an entry that is on disk when its promise resolves', async () => {
    const nexus = await api();
    const dir = testBufferDir();
    const agent = uniqueAgent('api');
    const entry = await nexus.bufferContext(agent, { insights: ['api entry'], commands_run: ['npm test'] }, 'checkpoint');
    assert.ok(entry.id, 'the stored entry has an id');
    assert.equal(entry.context.agent_type, agent);
    // No waiting: with the default durability, acknowledged means written.
    assert.ok(agentFilesContain(dir, agent, entry.id), `entry ${entry.id} is not on disk in ${dir}: ${agentFiles(dir, agent).join(', ')}`);
    const status = (await nexus.listBuffers()).find((s) => s.agentType === agent);
    assert.equal(status?.entriesCount, 1);
    assert.equal(status?.inMemory, true);
    await assert.rejects(nexus.bufferContext('../escape', {}), (error: { code?: string }) => error.code === 'INVALID_AGENT_NAME');
  });

  test('a flush timer writes the snapshot, and a changed interval applies without a reload', async () => {
    const nexus = await api();
    const dir = testBufferDir();
    const agent = uniqueAgent('timer');
    // The crate's behaviour (memory until a flush) and no timer yet.
    await set('durability', 'off');
    await set('maxEntriesBeforeFlush', 1000);
    await set('flushIntervalSeconds', 0);
    const entry = await nexus.bufferContext(agent, { insights: ['waits for the timer'] });
    const snapshot = path.join(dir, `${agent}.json`);
    assert.equal(fs.existsSync(snapshot), false, 'nothing is written before a flush with durability "off"');
    assert.equal((await nexus.listBuffers()).find((s) => s.agentType === agent)?.unflushed, 1);

    await set('flushIntervalSeconds', 1);
    await waitFor(() => fs.existsSync(snapshot) && fs.readFileSync(snapshot, 'utf8').includes(entry.id!), 'the timer to write the snapshot');
    const doc = JSON.parse(fs.readFileSync(snapshot, 'utf8'));
    assert.equal(doc.agent_type, agent);
    assert.deepEqual(doc.entries.map((e: { context: { insights: string[] } }) => e.context.insights), [['waits for the timer']]);
    await waitFor(async () => (await nexus.listBuffers()).find((s) => s.agentType === agent)?.unflushed === 0, 'no unflushed entry left');
  });

  test('maxEntriesBeforeFlush from the settings triggers a flush at that count', async () => {
    const nexus = await api();
    const dir = testBufferDir();
    const agent = uniqueAgent('threshold');
    await set('durability', 'off');
    await set('flushIntervalSeconds', 0);
    await set('maxEntriesBeforeFlush', 2);
    const snapshot = path.join(dir, `${agent}.json`);
    await nexus.bufferContext(agent, { insights: ['one'] });
    assert.equal(fs.existsSync(snapshot), false, 'one entry is below the threshold');
    await nexus.bufferContext(agent, { insights: ['two'] });
    const doc = JSON.parse(fs.readFileSync(snapshot, 'utf8'));
    assert.equal(doc.entries.length, 2);
  });

  test('recover loads what another process wrote and opens its entries', async () => {
    const nexus = await api();
    const dir = testBufferDir();
    const agent = uniqueAgent('other');
    writeCrateBuffer(dir, agent, [
      crateEntry(agent, 1, 'session-start', { insights: ['marker-first-entry'] }),
      crateEntry(agent, 2, 'tool-use', { commands_run: ['cargo test --workspace'], files: [{ path: 'src/lib.rs', action: 'modified', lines_added: 3, lines_removed: 1, timestamp: '2026-05-19T13:00:02.000000001Z' }] }),
    ]);
    const listed = (await nexus.listBuffers()).find((s) => s.agentType === agent);
    assert.equal(listed?.entriesCount, 2);
    assert.equal(listed?.leftover, true, 'a buffer no live writer owns is a leftover');

    const result = await vscode.commands.executeCommand<RecoverResult>('nexusBuffer.recover', agent);
    assert.equal(result?.entriesCount, 2);
    // It opens rendered: the Markdown preview of the recovered document (its source one click away).
    await waitFor(() => /markdown\.preview/.test(activeTabViewType() ?? ''), 'the Markdown preview of the recovered document', 10000);
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === `nexus-buffer:/${agent}.md`);
    assert.ok(document, 'the recovered document is open behind the preview');
    const text = document.getText();
    assert.match(text, /marker-first-entry/);
    assert.match(text, /cargo test --workspace/);
    assert.match(text, /src\/lib\.rs/);
    assert.ok(text.indexOf('session-start') < text.indexOf('tool-use'), 'entries in the crate order');

    await vscode.commands.executeCommand('nexusBuffer.showEntriesJson', vscode.Uri.parse(`nexus-buffer:/${agent}.md`));
    const json = JSON.parse(vscode.window.activeTextEditor!.document.getText());
    assert.equal(json.entries.length, 2);
    assert.equal(json.entries[0].timestamp, '2026-05-19T13:00:01.000275913Z', 'nanosecond timestamps kept as written');
    const after = (await nexus.listBuffers()).find((s) => s.agentType === agent);
    assert.equal(after?.inMemory, true, 'recovered into this window');
    assert.equal(after?.leftover, false);
    assert.equal(after?.entriesCount, 2, 'recovered entries are counted once (entries without an id too)');
  });

  test('commands take a tree node, an agent string or a nexus-buffer URI', async () => {
    const nexus = await api();
    const agent = uniqueAgent('args');
    await nexus.bufferContext(agent, { insights: ['argument forms'] });
    await vscode.commands.executeCommand('nexusBuffer.showEntries', { agentType: agent });
    await waitFor(() => /markdown\.preview/.test(activeTabViewType() ?? ''), 'the Markdown preview of the entries', 10000);
    assert.ok(vscode.workspace.textDocuments.some((d) => d.uri.toString() === `nexus-buffer:/${agent}.md`));
    await vscode.commands.executeCommand('nexusBuffer.showEntriesJson', agent);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), `nexus-buffer:/${agent}.json`);
    await vscode.commands.executeCommand('nexusBuffer.showEntries', vscode.Uri.parse(`nexus-buffer:/${agent}.json`));
    assert.match(vscode.workspace.textDocuments.find((d) => d.uri.toString() === `nexus-buffer:/${agent}.md`)!.getText(), /argument forms/);
  });

  test('clear removes the buffer from memory and disk', async () => {
    const nexus = await api();
    const dir = testBufferDir();
    const agent = uniqueAgent('clear');
    await nexus.bufferContext(agent, { insights: ['to be cleared'] });
    await nexus.flush(agent);
    assert.ok(agentFiles(dir, agent).length > 0, 'the buffer is on disk before clearing');
    await vscode.commands.executeCommand('nexusBuffer.showEntries', agent);

    // The caller confirms (as the modal would): see ClearOptions in src/commands.ts.
    const cleared = await vscode.commands.executeCommand<boolean>('nexusBuffer.clear', agent, { confirmed: true });
    assert.equal(cleared, true);
    assert.deepEqual(agentFiles(dir, agent).filter((f) => !f.includes('.damaged-')), []);
    assert.equal((await nexus.listBuffers()).some((s) => s.agentType === agent), false, 'gone from memory too');
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === `nexus-buffer:/${agent}.md`);
    await waitFor(() => document && !document.getText().includes('to be cleared'), 'the open document to follow the clear');
  });

  test('a new nexusBuffer.directory applies without a reload', async () => {
    const nexus = await api();
    const original = testBufferDir();
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-other-dir-'));
    try {
      await set('directory', other);
      await waitFor(() => nexus.bufferDir === other, 'the buffer folder to switch');
      const agent = uniqueAgent('moved');
      const entry = await nexus.bufferContext(agent, { insights: ['in the other folder'] });
      assert.ok(agentFilesContain(other, agent, entry.id!), 'written to the new folder');
      assert.deepEqual(agentFiles(original, agent), [], 'not to the old one');
    } finally {
      for (const undo of restore.splice(0).reverse()) await undo();
      await waitFor(() => nexus.bufferDir === original, 'the buffer folder to switch back');
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  test('buffers written by another process are noticed without a refresh', async () => {
    const nexus = await api();
    const dir = testBufferDir();
    const agent = uniqueAgent('watched');
    const seen = new Promise<void>((resolve) => {
      const listener = nexus.onDidChangeBuffers((e) => {
        if (e.agentType === agent) {
          listener.dispose();
          resolve();
        }
      });
    });
    writeCrateBuffer(dir, agent, [crateEntry(agent, 5, 'checkpoint', { insights: ['from the CLI'] })]);
    await waitFor(() => Promise.race([seen.then(() => true), sleep(200).then(() => false)]), 'the folder watcher to report the new buffer');
  });
});

/** The view type of the active tab when it is a webview (the Markdown preview), else undefined. */
function activeTabViewType(): string | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputWebview ? input.viewType : undefined;
}
