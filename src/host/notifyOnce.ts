// Shows each distinct problem to the user once (until it is resolved), never on every timer tick.
// Everything is also written to the log.
import * as vscode from 'vscode';

export class OnceNotifier {
  private readonly shown = new Set<string>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Shows `message` unless `key` was shown and not `forget`-ten; resolves with the chosen action. */
  async warn<T extends string>(key: string, message: string, ...actions: T[]): Promise<T | undefined> {
    this.log.warn(message);
    if (this.shown.has(key)) return undefined;
    this.shown.add(key);
    return vscode.window.showWarningMessage(message, ...actions);
  }

  async error<T extends string>(key: string, message: string, ...actions: T[]): Promise<T | undefined> {
    this.log.error(message);
    if (this.shown.has(key)) return undefined;
    this.shown.add(key);
    return vscode.window.showErrorMessage(message, ...actions);
  }

  /** The problem went away: show it again if it comes back. */
  forget(key: string): void {
    this.shown.delete(key);
  }

  has(key: string): boolean {
    return this.shown.has(key);
  }

  keys(): string[] {
    return [...this.shown];
  }
}

/** A person-readable message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
