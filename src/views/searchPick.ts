// "Nexus Buffer: Search…": a quick pick that searches every buffer's prompts, commands, errors,
// file paths, decisions and insights as one types, newest first. Enter shows the entry in the
// buffer's timeline; the item's button opens the buffer's document instead.
import * as vscode from 'vscode';
import type { SearchField, SearchHit } from '../core/search';
import type { BufferSearch } from '../host/bufferSearch';
import { messageOf } from '../host/notifyOnce';
import { relativeTime } from './relativeTime';

const SEARCH_DELAY_MS = 80;
const SHOWN_AT_MOST = 200;
const LABEL_MAX = 160;

const FIELD_ICONS: Record<SearchField, string> = {
  prompt: 'comment',
  command: 'terminal',
  error: 'error',
  file: 'file',
  decision: 'lightbulb',
  insight: 'info',
};

interface HitItem extends vscode.QuickPickItem {
  hit: SearchHit;
}

export interface SearchPickActions {
  showInTimeline(hit: SearchHit): Thenable<unknown>;
  showInDocument(hit: SearchHit): Thenable<unknown>;
}

const openDocumentButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('open-preview'), tooltip: 'Open in the document' };

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > LABEL_MAX ? `${line.slice(0, LABEL_MAX - 1)}…` : line;
}

/**
 * The text is the item's description, not its label: the quick pick sorts items whose label
 * matches what was typed by its own score (and its `sortByLabel` is not public API), which
 * would undo newest first. A label of icon and time seldom matches, so the order stays.
 */
export function hitItem(hit: SearchHit, now = Date.now()): HitItem {
  return {
    hit,
    label: `$(${FIELD_ICONS[hit.field]}) ${relativeTime(hit.timestamp, now)}`,
    description: oneLine(hit.text),
    detail: `${hit.agentType} · ${hit.field} · ${hit.contextType} entry of ${hit.timestamp}`,
    // The index already matched: the quick pick must not filter the items again by its own rule.
    alwaysShow: true,
    buttons: [openDocumentButton],
  };
}

/** Shows the search; resolves with the hit that was opened (or undefined). */
export function showSearchPick(search: BufferSearch, actions: SearchPickActions, initial = ''): Promise<SearchHit | undefined> {
  const pick = vscode.window.createQuickPick<HitItem>();
  pick.title = 'Nexus Buffer: Search';
  pick.placeholder = 'Search prompts, commands, errors, file paths, decisions and insights of every buffer';
  // Highlights what matched in the text (matches in the description do not reorder items).
  pick.matchOnDescription = true;
  pick.matchOnDetail = false;
  pick.value = initial;
  let timer: NodeJS.Timeout | undefined;
  let ready = false;

  const update = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!ready) return;
      const query = pick.value;
      if (!query.trim()) {
        pick.items = [];
        return;
      }
      const hits = search.search(query, { limit: SHOWN_AT_MOST });
      const now = Date.now();
      pick.items = hits.length ? hits.map((hit) => hitItem(hit, now)) : [];
      if (!hits.length) pick.placeholder = `Nothing matches "${query.trim()}"`;
    }, SEARCH_DELAY_MS);
  };

  return new Promise<SearchHit | undefined>((resolve) => {
    let done = false;
    const finish = (hit: SearchHit | undefined) => {
      if (done) return;
      done = true;
      resolve(hit);
      pick.hide();
    };
    const disposables: vscode.Disposable[] = [
      pick.onDidChangeValue(update),
      pick.onDidAccept(() => {
        const hit = pick.selectedItems[0]?.hit ?? pick.activeItems[0]?.hit;
        if (!hit) return;
        finish(hit);
        void actions.showInTimeline(hit);
      }),
      pick.onDidTriggerItemButton((e) => {
        finish(e.item.hit);
        void actions.showInDocument(e.item.hit);
      }),
      pick.onDidHide(() => {
        clearTimeout(timer);
        for (const d of disposables) d.dispose();
        pick.dispose();
        if (!done) {
          done = true;
          resolve(undefined);
        }
      }),
    ];
    pick.busy = true;
    pick.show();
    search.refresh().then(() => {
      ready = true;
      pick.busy = false;
      update();
    }, (error: unknown) => {
      pick.busy = false;
      void vscode.window.showErrorMessage(`Nexus Buffer: the buffers could not be read for the search: ${messageOf(error)}`);
    });
  });
}
