// PLACEHOLDER written by the extension-host helper so that extension.ts compiles. The issue-5
// helper REPLACES this file with the real capture of workspace activity (files, terminal
// commands, tasks, diagnostics) into coalesced `vscode` entries.
import type * as vscode from 'vscode';
import type { PartialSessionContext } from '../core/schema';

export class WorkspaceActivityCapture implements vscode.Disposable {
  constructor(
    private readonly sink: (context: PartialSessionContext, contextType: string) => Promise<unknown>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.log.info('Workspace activity capture is not part of this build yet.');
    void this.sink;
  }

  dispose(): void {}
}
