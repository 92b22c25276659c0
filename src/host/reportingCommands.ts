// Registers command handlers so that a failure is said to the person each time (a command is
// something they asked for), with the log one click away, and written to the log.
import * as vscode from 'vscode';
import { messageOf } from './notifyOnce';

export type CommandHandlers = Record<string, (...args: unknown[]) => Promise<unknown>>;

export function registerReportingCommands(handlers: CommandHandlers, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return Object.entries(handlers).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (error) {
        log.error(`${id} failed: ${messageOf(error)}`);
        void vscode.window.showErrorMessage(`Nexus Buffer: ${messageOf(error)}`, 'Show Log').then((choice) => {
          if (choice === 'Show Log') log.show();
        });
        return undefined;
      }
    }));
}
