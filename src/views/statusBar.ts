// A status bar item with the number of buffers and of unflushed entries; clicking it focuses
// the Buffers view. Hidden while there is no buffer at all.
import * as vscode from 'vscode';
import { leftoverKind } from '../core/leftovers';
import type { BufferStatus } from '../core/types';
import type { BufferStatuses } from '../host/bufferStatuses';
import { Disposable } from '../host/disposable';
import { BUFFERS_VIEW_ID } from './buffersTree';

export function statusBarText(statuses: readonly BufferStatus[]): { text: string; tooltip: string; warning: boolean } {
  const unflushed = statuses.reduce((sum, s) => sum + s.unflushed, 0);
  const damaged = statuses.filter((s) => s.damaged).length;
  const leftover = statuses.filter((s) => leftoverKind(s) !== undefined).length;
  const icon = damaged > 0 ? '$(warning)' : '$(database)';
  const text = `${icon} ${statuses.length}${unflushed > 0 ? ` · ${unflushed} unflushed` : ''}`;
  const lines = [
    `Nexus Buffer: ${statuses.length} buffer${statuses.length === 1 ? '' : 's'}, ${unflushed} unflushed entr${unflushed === 1 ? 'y' : 'ies'}`,
  ];
  if (leftover > 0) lines.push(`${leftover} left by an earlier session`);
  if (damaged > 0) lines.push(`${damaged} damaged (valid entries kept)`);
  lines.push('Click to show the Buffers view');
  return { text, tooltip: lines.join('\n'), warning: damaged > 0 };
}

export class BufferStatusBar extends Disposable {
  readonly item: vscode.StatusBarItem;

  constructor(statuses: BufferStatuses) {
    super();
    this.item = this.register(vscode.window.createStatusBarItem('nexusBuffer.status', vscode.StatusBarAlignment.Left, 10));
    this.item.name = 'Nexus Buffer';
    this.item.command = `${BUFFERS_VIEW_ID}.focus`;
    this.register(statuses.onDidUpdate(({ statuses: list }) => this.update(list)));
    this.update(statuses.statuses);
  }

  private update(list: readonly BufferStatus[]): void {
    if (list.length === 0) {
      this.item.hide();
      return;
    }
    const { text, tooltip, warning } = statusBarText(list);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }
}
