// PLACEHOLDER written by the extension-host helper so that extension.ts compiles and the
// contributed issue-5 commands have handlers. The issue-5 helper REPLACES this file with the
// real "Copy as Prompt", "Export…", "Send to Nexus" and Claude Code hook installer commands.
import * as vscode from 'vscode';
import type { PersistentBuffer } from '../core/buffer';

export interface HandoffContext {
  buffer: PersistentBuffer;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
}

const PLACEHOLDER_COMMANDS = [
  'nexusBuffer.copyAsPrompt',
  'nexusBuffer.export',
  'nexusBuffer.sendToNexus',
  'nexusBuffer.installClaudeHooks',
  'nexusBuffer.uninstallClaudeHooks',
];

export function registerHandoffCommands(ctx: HandoffContext): vscode.Disposable[] {
  return PLACEHOLDER_COMMANDS.map((id) =>
    vscode.commands.registerCommand(id, () => {
      ctx.log.warn(`${id} is not implemented yet`);
      void vscode.window.showInformationMessage(`${id} is not available in this build yet.`);
    }));
}
