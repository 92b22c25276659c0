// The Buffers view: one item per buffer (in memory and/or on disk), its entries below, newest
// first, in pages of 100. Items come from BufferStatuses (one core listing); entries are read
// when a buffer is expanded and kept until that buffer changes.
import * as vscode from 'vscode';
import { escapeInline, formatTimestamp, renderEntryMarkdown, summarizeEntry } from '../core/render';
import type { BufferEntry } from '../core/schema';
import type { BufferStatus } from '../core/types';
import type { AgentHooksStatus } from '../host/agentHooks';
import type { BufferHost } from '../host/bufferHost';
import type { BufferStatuses } from '../host/bufferStatuses';
import { type BufferState, bufferContextValue, ContextValues } from '../host/contextValues';
import { Disposable } from '../host/disposable';
import { formatBytes } from '../core/format';
import { describeLeftover, leftoverKind } from '../core/leftovers';
import { relativeTime } from './relativeTime';

export const BUFFERS_VIEW_ID = 'nexusBuffer.buffers';
export const PAGE_SIZE = 100;
const TOOLTIP_MAX_CHARS = 4000;

export interface BufferNode { readonly kind: 'buffer'; readonly agentType: string; status: BufferStatus }
export interface EntryNode { readonly kind: 'entry'; readonly agentType: string; readonly entry: BufferEntry; readonly position: number }
export interface ShowMoreNode { readonly kind: 'showMore'; readonly agentType: string; readonly remaining: number }
/** Commands receive these as their first argument; each carries `agentType`. */
export type BuffersTreeNode = BufferNode | EntryNode | ShowMoreNode;

export function bufferState(status: BufferStatus): BufferState {
  if (status.damaged) return 'damaged';
  if (status.archiveOf) return 'archive';
  if (leftoverKind(status)) return 'leftover';
  if (status.unflushed > 0) return 'unflushed';
  if (status.ownedByOtherWriter) return 'otherWriter';
  if (status.inMemory) return 'flushed';
  return 'onDisk';
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function bufferDescription(status: BufferStatus, now: number = Date.now()): string {
  const count = plural(status.entriesCount, 'entry', 'entries');
  switch (bufferState(status)) {
    case 'damaged': return `${count} · damaged`;
    case 'archive': return `${count} · archive of ${status.archiveOf}`;
    case 'leftover': return `${count} · ${describeLeftover(status)}`;
    case 'unflushed': return `${count} · ${status.unflushed} unflushed`;
    case 'otherWriter': return `${count} · written by another process`;
    default: return status.lastFlush ? `${count} · flushed ${relativeTime(status.lastFlush, now)}` : count;
  }
}

const STATE_ICONS: Record<BufferState, vscode.ThemeIcon> = {
  damaged: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  archive: new vscode.ThemeIcon('archive'),
  leftover: new vscode.ThemeIcon('history'),
  unflushed: new vscode.ThemeIcon('circle-filled'),
  otherWriter: new vscode.ThemeIcon('broadcast'),
  flushed: new vscode.ThemeIcon('pass'),
  onDisk: new vscode.ThemeIcon('database'),
};

const ENTRY_ICONS: Record<string, string> = {
  'session-start': 'debug-start',
  'session-end': 'debug-stop',
  'tool-use': 'tools',
  checkpoint: 'bookmark',
  compact: 'fold',
  error: 'error',
  extraction: 'symbol-event',
  prompt: 'comment',
};

export function bufferTooltip(status: BufferStatus, now: number = Date.now()): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  const flushed = status.lastFlush ? `${formatTimestamp(status.lastFlush)} (${relativeTime(status.lastFlush, now)})` : 'never';
  md.appendMarkdown(`**${escapeInline(status.agentType)}** · ${plural(status.entriesCount, 'entry', 'entries')}\n\n`);
  if (status.archiveOf) md.appendMarkdown(`Archive rolled over from the full buffer of ${escapeInline(status.archiveOf)}; kept and recoverable.\n\n`);
  const leftover = leftoverKind(status);
  if (leftover === 'interrupted') md.appendMarkdown('Left by an interrupted session (a crash or a kill): recover it to adopt its entries.\n\n');
  if (leftover === 'not-cleared') md.appendMarkdown('Not cleared after its session ended: its entries were probably not stored elsewhere. Recover, export or send it, then clear it.\n\n');
  if (status.ownedByOtherWriter) md.appendMarkdown('Another window or process is writing to it right now.\n\n');
  md.appendMarkdown(`- Started: ${formatTimestamp(status.startedAt)}\n`);
  md.appendMarkdown(`- Last flush: ${flushed}\n`);
  md.appendMarkdown(`- Unflushed in this window: ${status.unflushed}\n`);
  md.appendMarkdown(`- File: \`${status.path.replace(/`/g, "'")}\`\n`);
  md.appendMarkdown(`- Size on disk: ${formatBytes(status.bytes)}\n`);
  if (status.problems.length > 0) {
    md.appendMarkdown(`\n$(warning) **${status.damaged ? 'Damaged' : 'Problems'}** (every valid entry was kept):\n\n`);
    for (const problem of status.problems.slice(0, 10)) md.appendMarkdown(`- ${escapeInline(problem.replace(/\s+/g, ' '))}\n`);
    if (status.problems.length > 10) md.appendMarkdown(`- …and ${status.problems.length - 10} more (see the "Nexus Buffer" output)\n`);
  }
  return md;
}

export function entryTooltip(entry: BufferEntry): vscode.MarkdownString {
  let markdown = renderEntryMarkdown(entry, { headingLevel: 3 });
  if (markdown.length > TOOLTIP_MAX_CHARS) markdown = `${markdown.slice(0, TOOLTIP_MAX_CHARS)}\n\n…`;
  return new vscode.MarkdownString(markdown);
}

export class BuffersTreeProvider extends Disposable implements vscode.TreeDataProvider<BuffersTreeNode> {
  private readonly changeEmitter = this.register(new vscode.EventEmitter<BuffersTreeNode | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** One node object per agent, kept across refreshes so a single buffer can be refreshed. */
  private readonly bufferNodes = new Map<string, BufferNode>();
  /** Entries of expanded buffers, oldest first (as the core reads them). */
  private readonly entriesCache = new Map<string, Promise<BufferEntry[]>>();
  private readonly shownCount = new Map<string, number>();

  constructor(private readonly host: BufferHost, private readonly statuses: BufferStatuses, private readonly hooks?: AgentHooksStatus) {
    super();
    this.register(statuses.onDidUpdate(({ statuses: list, changedAgent }) => this.onStatusesUpdated(list, changedAgent)));
    if (hooks) this.register(hooks.onDidChange(() => this.changeEmitter.fire(undefined)));
  }

  private onStatusesUpdated(list: readonly BufferStatus[], changedAgent: string | undefined): void {
    const sameAgents = list.length === this.bufferNodes.size && list.every((s) => this.bufferNodes.has(s.agentType));
    const node = changedAgent ? this.bufferNodes.get(changedAgent) : undefined;
    if (sameAgents && node) {
      node.status = list.find((s) => s.agentType === changedAgent) ?? node.status;
      this.entriesCache.delete(node.agentType);
      this.changeEmitter.fire(node);
      return;
    }
    this.entriesCache.clear();
    this.changeEmitter.fire(undefined);
  }

  /** Re-renders every item (relative times) without reading anything. */
  redraw(): void {
    this.changeEmitter.fire(undefined);
  }

  /** Shows the next page of a buffer's entries. */
  showMore(agentType: string): void {
    this.shownCount.set(agentType, (this.shownCount.get(agentType) ?? PAGE_SIZE) + PAGE_SIZE);
    const node = this.bufferNodes.get(agentType);
    this.changeEmitter.fire(node);
  }

  bufferNode(agentType: string): BufferNode | undefined {
    return this.bufferNodes.get(agentType);
  }

  async getChildren(element?: BuffersTreeNode): Promise<BuffersTreeNode[]> {
    if (!element) return this.rootNodes(await this.statuses.get());
    if (element.kind !== 'buffer') return [];
    return this.entryNodes(element.agentType);
  }

  getParent(element: BuffersTreeNode): BuffersTreeNode | undefined {
    return element.kind === 'buffer' ? undefined : this.bufferNodes.get(element.agentType);
  }

  getTreeItem(element: BuffersTreeNode): vscode.TreeItem {
    switch (element.kind) {
      case 'buffer': return this.bufferItem(element.status);
      case 'entry': return this.entryItem(element);
      case 'showMore': return this.showMoreItem(element);
    }
  }

  private rootNodes(list: readonly BufferStatus[]): BufferNode[] {
    const seen = new Set<string>();
    const nodes = list.map((status) => {
      seen.add(status.agentType);
      const node = this.bufferNodes.get(status.agentType);
      if (node) {
        node.status = status;
        return node;
      }
      const created: BufferNode = { kind: 'buffer', agentType: status.agentType, status };
      this.bufferNodes.set(status.agentType, created);
      return created;
    });
    for (const agent of [...this.bufferNodes.keys()]) {
      if (!seen.has(agent)) {
        this.bufferNodes.delete(agent);
        this.shownCount.delete(agent);
        this.entriesCache.delete(agent);
      }
    }
    return nodes;
  }

  private async entryNodes(agentType: string): Promise<BuffersTreeNode[]> {
    let cached = this.entriesCache.get(agentType);
    if (!cached) {
      cached = this.host.buffer.read(agentType).then((loaded) => loaded?.data.entries ?? []);
      this.entriesCache.set(agentType, cached);
      cached.catch(() => this.entriesCache.delete(agentType));
    }
    // Oldest first as read; a page is taken from the end, newest first (no copy of the whole buffer).
    const oldestFirst = await cached;
    const shown = Math.min(oldestFirst.length, this.shownCount.get(agentType) ?? PAGE_SIZE);
    const nodes: BuffersTreeNode[] = [];
    for (let position = 0; position < shown; position++) {
      nodes.push({ kind: 'entry', agentType, entry: oldestFirst[oldestFirst.length - 1 - position], position });
    }
    if (shown < oldestFirst.length) nodes.push({ kind: 'showMore', agentType, remaining: oldestFirst.length - shown });
    return nodes;
  }

  private bufferItem(status: BufferStatus): vscode.TreeItem {
    const state = bufferState(status);
    const item = new vscode.TreeItem(status.agentType, status.entriesCount > 0 || status.inMemory
      ? vscode.TreeItemCollapsibleState.Collapsed
      : vscode.TreeItemCollapsibleState.None);
    item.id = `buffer:${status.agentType}`;
    const hooked = this.hooks?.stateOf(status.agentType)?.hookedIn ?? [];
    item.description = hooked.length > 0 ? `${bufferDescription(status)} · hooked` : bufferDescription(status);
    item.tooltip = bufferTooltip(status);
    for (const place of hooked) {
      item.tooltip.appendMarkdown(`\n- Hooks: ${place.current ? 'installed' : 'installed by another version (run Install Agent Hooks… to update)'} in \`${place.file.replace(/`/g, "'")}\` (${place.scope})\n`);
    }
    item.iconPath = STATE_ICONS[state];
    item.contextValue = bufferContextValue(state, { inMemory: status.inMemory, onDisk: status.onDisk });
    return item;
  }

  private entryItem(node: EntryNode): vscode.TreeItem {
    const { entry } = node;
    const item = new vscode.TreeItem(entry.context_type || 'entry', vscode.TreeItemCollapsibleState.None);
    item.id = `entry:${node.agentType}:${entry.id ?? `${entry.timestamp}:${node.position}`}`;
    const summary = summarizeEntry(entry);
    item.description = summary ? `${relativeTime(entry.timestamp)} · ${summary}` : relativeTime(entry.timestamp);
    // The tooltip (the whole entry rendered) comes from resolveTreeItem, on hover: rendered here
    // it was up to 4,000 characters per row, 400 KB for a page sent to the window on each expand.
    item.iconPath = new vscode.ThemeIcon(ENTRY_ICONS[entry.context_type] ?? 'note');
    item.contextValue = ContextValues.entry;
    item.command = { command: 'nexusBuffer.showEntries', title: 'Show Buffer Entries', arguments: [node.agentType] };
    return item;
  }

  /** The entry's tooltip, when the pointer rests on its row. */
  resolveTreeItem(item: vscode.TreeItem, element: BuffersTreeNode): vscode.TreeItem {
    if (element.kind === 'entry' && item.tooltip === undefined) item.tooltip = entryTooltip(element.entry);
    return item;
  }

  private showMoreItem(node: ShowMoreNode): vscode.TreeItem {
    const next = Math.min(PAGE_SIZE, node.remaining);
    const item = new vscode.TreeItem(`Show ${next} more`, vscode.TreeItemCollapsibleState.None);
    item.id = `more:${node.agentType}`;
    item.description = `${node.remaining} older not shown`;
    item.iconPath = new vscode.ThemeIcon('ellipsis');
    item.contextValue = ContextValues.showMore;
    item.command = { command: 'nexusBuffer.showMore', title: `Show ${next} more`, arguments: [node.agentType] };
    return item;
  }
}

/** The tree view itself; relative times are redrawn while it is visible. */
export function createBuffersView(provider: BuffersTreeProvider): { view: vscode.TreeView<BuffersTreeNode>; disposables: vscode.Disposable[] } {
  const view = vscode.window.createTreeView(BUFFERS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  let timer: NodeJS.Timeout | undefined;
  const sync = () => {
    clearInterval(timer);
    timer = view.visible ? setInterval(() => provider.redraw(), 30_000) : undefined;
  };
  sync();
  return {
    view,
    disposables: [view, view.onDidChangeVisibility(sync), { dispose: () => clearInterval(timer) }],
  };
}
