// Read-only documents holding the before/after text of a planned settings change (an agent's
// hooks), shown as a diff editor before the user confirms. Nothing is read from disk here: the
// plan carries both texts.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HooksPlan } from '../agents/types';
import { Disposable } from '../host/disposable';

const PLAN_SCHEME = 'nexus-buffer-plan';

export class PlanDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private counter = 0;

  constructor() {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(PLAN_SCHEME, this));
  }

  add(plan: HooksPlan): { before: vscode.Uri; after: vscode.Uri; forget: () => void } {
    const id = ++this.counter;
    const name = path.basename(plan.settingsPath);
    const before = vscode.Uri.from({ scheme: PLAN_SCHEME, path: `/${id}/before/${name}` });
    const after = vscode.Uri.from({ scheme: PLAN_SCHEME, path: `/${id}/after/${name}` });
    this.texts.set(before.toString(), plan.before ?? '');
    this.texts.set(after.toString(), plan.after);
    return { before, after, forget: () => { this.texts.delete(before.toString()); this.texts.delete(after.toString()); } };
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  /** Opens the plan as a diff; returns a function that closes that diff. */
  async show(plan: HooksPlan, title: string): Promise<() => void> {
    const { before, after, forget } = this.add(plan);
    await vscode.commands.executeCommand('vscode.diff', before, after, title, { preview: true });
    return () => {
      forget();
      const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) =>
        tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === after.toString());
      if (tabs.length > 0) void vscode.window.tabGroups.close(tabs);
    };
  }
}
