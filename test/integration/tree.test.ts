// The Buffers view's data: items, descriptions, icons, contextValues, entries newest first,
// and pages of 100. Runs the view's provider over its own buffer in a temporary folder.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BufferHost } from '../../src/host/bufferHost';
import { BufferStatuses } from '../../src/host/bufferStatuses';
import { OnceNotifier } from '../../src/host/notifyOnce';
import type { HostSettings } from '../../src/host/settings';
import { type BuffersTreeNode, BuffersTreeProvider } from '../../src/views/buffersTree';
import { crateEntry, writeCrateBuffer } from './nexusTestUtils';

suite('Buffers view', () => {
  let dir: string;
  let log: vscode.LogOutputChannel;
  let host: BufferHost;
  let statuses: BufferStatuses;
  let tree: BuffersTreeProvider;

  const settings = (): HostSettings => ({
    directory: dir, flushIntervalSeconds: 0, maxEntriesBeforeFlush: 1000, recoverOnStartup: 'off', durability: 'off',
    maxEntryBytes: 5 * 1024 * 1024, maxBufferEntries: 20000, maxBufferBytes: 100 * 1024 * 1024, mirrorAgentSessions: 'off',
  });

  const label = (item: vscode.TreeItem) => (typeof item.label === 'string' ? item.label : item.label?.label);
  const roots = async () => {
    await statuses.refresh();
    const nodes = await tree.getChildren();
    return nodes.map((node) => ({ node, item: tree.getTreeItem(node) }));
  };
  const rootItem = async (agent: string) => {
    const found = (await roots()).find((r) => label(r.item) === agent);
    assert.ok(found, `no item for ${agent}`);
    return found;
  };

  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-tree-'));
    log = vscode.window.createOutputChannel('Nexus Buffer (view test)', { log: true });
    host = new BufferHost(settings(), log);
    statuses = new BufferStatuses(host, new OnceNotifier(log));
    tree = new BuffersTreeProvider(host, statuses);
  });

  teardown(async () => {
    tree.dispose();
    statuses.dispose();
    await host.shutdown();
    host.dispose();
    log.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('one item per buffer, with the state in description, icon, tooltip and contextValue', async () => {
    const leftoverEntries = Array.from({ length: 14 }, (_, i) => crateEntry('claude-code', i, 'tool-use'));
    writeCrateBuffer(dir, 'claude-code', leftoverEntries);
    for (const text of ['a', 'b', 'c']) await host.buffer.bufferContext('codex', { insights: [text] });
    await host.buffer.bufferContext('gemini', { insights: ['flushed'] });
    await host.buffer.flush('gemini');
    fs.writeFileSync(path.join(dir, 'broken.json'), '{"started_at": "2026-05-19T13:00:00Z", "entries": [');

    const items = await roots();
    assert.deepEqual(items.map((r) => label(r.item)), ['broken', 'claude-code', 'codex', 'gemini']);

    const leftover = await rootItem('claude-code');
    assert.equal(leftover.item.description, '14 entries · interrupted session');
    assert.equal((leftover.item.iconPath as vscode.ThemeIcon).id, 'history');
    assert.match(leftover.item.contextValue ?? '', /^buffer\b.*\bstate:leftover\b/);
    assert.match(leftover.item.contextValue ?? '', /\bdisk\b/);
    assert.doesNotMatch(leftover.item.contextValue ?? '', /\bmemory\b/);
    const tooltip = (leftover.item.tooltip as vscode.MarkdownString).value;
    assert.ok(tooltip.includes(path.join(dir, 'claude-code.json')), 'tooltip names the file');
    assert.match(tooltip, /Started: 2026-05-19 12:59:00 UTC/);

    const unflushed = await rootItem('codex');
    assert.equal(unflushed.item.description, '3 entries · 3 unflushed');
    assert.match(unflushed.item.contextValue ?? '', /\bstate:unflushed\b.*\bmemory\b/);

    const flushed = await rootItem('gemini');
    assert.match(String(flushed.item.description), /^1 entry · flushed (\d+ s ago|just now)$/);
    assert.equal((flushed.item.iconPath as vscode.ThemeIcon).id, 'pass');

    const damaged = await rootItem('broken');
    assert.match(String(damaged.item.description), /damaged$/);
    assert.equal((damaged.item.iconPath as vscode.ThemeIcon).id, 'warning');
    assert.match((damaged.item.tooltip as vscode.MarkdownString).value, /Damaged/);
  });

  test('entries are listed newest first with their type, time and summary', async () => {
    writeCrateBuffer(dir, 'claude-code', [
      crateEntry('claude-code', 1, 'session-start'),
      crateEntry('claude-code', 2, 'tool-use', {
        commands_run: ['npm test', 'npm run build'],
        errors: [{ error_type: 'exit', message: 'exit 1', stack_trace: null, timestamp: '2026-05-19T13:00:02Z' }],
      }),
      crateEntry('claude-code', 3, 'session-end'),
    ]);
    const { node } = await rootItem('claude-code');
    const children = await tree.getChildren(node);
    const items = children.map((child) => tree.getTreeItem(child));
    assert.deepEqual(items.map(label), ['session-end', 'tool-use', 'session-start']);
    assert.match(String(items[1].description), / ago · 1 error · 2 commands$/);
    assert.equal(items[1].command?.command, 'nexusBuffer.showEntries');
    assert.equal(items[1].contextValue, 'entry');
    assert.equal(items[1].tooltip, undefined, 'the tooltip is resolved on hover, not sent with every row');
    const resolved = tree.resolveTreeItem(items[1], children[1]);
    assert.match((resolved.tooltip as vscode.MarkdownString).value, /npm run build/);
    assert.equal(tree.getParent(children[0]), node);
  });

  test('a large buffer shows its entries in pages of 100', async () => {
    writeCrateBuffer(dir, 'big', Array.from({ length: 250 }, (_, i) => crateEntry('big', i, `step-${i}`)));
    const { node } = await rootItem('big');
    const page = async () => {
      const children: BuffersTreeNode[] = await tree.getChildren(node);
      return { children, items: children.map((child) => tree.getTreeItem(child)) };
    };

    let { children, items } = await page();
    assert.equal(children.length, 101);
    assert.equal(label(items[0]), 'step-249', 'newest first');
    const more = items[100];
    assert.equal(label(more), 'Show 100 more');
    assert.equal(more.contextValue, 'showMore');
    assert.equal(more.command?.command, 'nexusBuffer.showMore');
    assert.deepEqual(more.command?.arguments, ['big']);

    tree.showMore('big');
    ({ children, items } = await page());
    assert.equal(children.length, 201);
    assert.equal(label(items[200]), 'Show 50 more');

    tree.showMore('big');
    ({ children, items } = await page());
    assert.equal(children.length, 250);
    assert.equal(label(items[249]), 'step-0');
  });
});
