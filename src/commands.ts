// Every `nexusBuffer.*` command of the host, registered in one place. Commands that act on one
// buffer accept a tree node (anything with `agentType`), an agent-type string or a
// `nexus-buffer:` URI as first argument, and ask with a quick pick when given none.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { BufferStatus } from './core/types';
import type { BufferHost } from './host/bufferHost';
import { agentFromArgument } from './host/commandArgs';
import type { BufferStatuses } from './host/bufferStatuses';
import { messageOf } from './host/notifyOnce';
import { bufferDescription, type BuffersTreeProvider } from './views/buffersTree';
import type { RecoveredDocumentProvider } from './views/recoveredDocument';

export const CommandIds = {
  recover: 'nexusBuffer.recover',
  showEntries: 'nexusBuffer.showEntries',
  showEntriesJson: 'nexusBuffer.showEntriesJson',
  flush: 'nexusBuffer.flush',
  flushAll: 'nexusBuffer.flushAll',
  clear: 'nexusBuffer.clear',
  refresh: 'nexusBuffer.refresh',
  openFolder: 'nexusBuffer.openFolder',
  showMore: 'nexusBuffer.showMore',
} as const;

export interface CommandDeps {
  host: BufferHost;
  statuses: BufferStatuses;
  tree: BuffersTreeProvider;
  documents: RecoveredDocumentProvider;
  log: vscode.LogOutputChannel;
  /** Focuses the Buffers view (and reveals the buffer's item when given). */
  showView(agentType?: string): Promise<void>;
}

/** What `nexusBuffer.recover` resolves with (undefined when cancelled or failed). */
export interface RecoverResult {
  agentType: string;
  entriesCount: number;
  problems: string[];
}

/** Options a programmatic caller (another extension, a test) may pass as second argument of clear. */
export interface ClearOptions {
  /** The caller already asked the user: skip the modal confirmation. */
  confirmed?: boolean;
}

export { agentFromArgument };

type BufferFilter = (status: BufferStatus) => boolean;

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { host, statuses, tree, documents, log } = deps;

  const pickBuffer = async (placeHolder: string, filter: BufferFilter, none: string): Promise<string | undefined> => {
    const candidates = (await statuses.refresh()).filter(filter);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(none);
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      candidates.map((s) => ({ label: s.agentType, description: bufferDescription(s), detail: s.path })),
      { placeHolder, matchOnDescription: true },
    );
    return picked?.label;
  };

  const agentOrPick = async (arg: unknown, placeHolder: string, filter: BufferFilter, none: string) =>
    agentFromArgument(arg) ?? pickBuffer(placeHolder, filter, none);

  const handlers: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    [CommandIds.recover]: async (arg) => {
      const agent = await agentOrPick(arg, 'Recover which buffer? (loaded from disk into this window)', (s) => s.onDisk,
        `There is no buffer on disk in ${host.dir}.`);
      if (!agent) return undefined;
      const result = await recoverAndOpen(deps, agent, {});
      if (!result) void vscode.window.showInformationMessage(`There is no buffer for "${agent}" in ${host.dir}.`);
      return result;
    },

    [CommandIds.showEntries]: async (arg) => {
      const agent = await agentOrPick(arg, 'Show the entries of which buffer?', () => true, 'There is no buffer yet.');
      if (agent) await documents.openRendered(agent);
      return agent;
    },

    [CommandIds.showEntriesJson]: async (arg) => {
      const agent = await agentOrPick(arg, 'Show which buffer as JSON?', () => true, 'There is no buffer yet.');
      if (agent) await documents.open(agent, 'json');
      return agent;
    },

    [CommandIds.flush]: async (arg) => {
      const agent = await agentOrPick(arg, 'Flush which buffer?', (s) => s.inMemory,
        'No buffer is held by this window; there is nothing to flush.');
      if (!agent) return undefined;
      // Asked for by a person: also merge the journals, so the crate's reader sees everything.
      await host.buffer.flush(agent, { compact: true });
      log.info(`Flushed ${agent}`);
      vscode.window.setStatusBarMessage(`$(check) Nexus Buffer: flushed ${agent}`, 3000);
      return agent;
    },

    [CommandIds.flushAll]: async () => {
      await host.buffer.flushAll({ compact: true });
      log.info('Flushed all buffers');
      vscode.window.setStatusBarMessage('$(check) Nexus Buffer: flushed all buffers', 3000);
    },

    [CommandIds.clear]: async (arg, options) => {
      const agent = await agentOrPick(arg, 'Clear which buffer? (deletes its entries)', () => true, 'There is no buffer to clear.');
      if (!agent) return false;
      const status = (await statuses.refresh()).find((s) => s.agentType === agent) ?? (await host.buffer.status(agent));
      const count = status?.entriesCount ?? 0;
      const confirmed = (options as ClearOptions | undefined)?.confirmed === true;
      if (!confirmed) {
        const answer = await vscode.window.showWarningMessage(
          `Delete the buffer "${agent}" and its ${count} entr${count === 1 ? 'y' : 'ies'}?`,
          { modal: true, detail: `They are removed from this window's memory and from ${status?.path ?? host.dir} (with its journals). This cannot be undone.` },
          'Delete',
        );
        if (answer !== 'Delete') return false;
      }
      await host.buffer.clear(agent);
      log.info(`Cleared ${agent} (${count} entries)`);
      vscode.window.setStatusBarMessage(`$(trash) Nexus Buffer: cleared ${agent}`, 3000);
      return true;
    },

    [CommandIds.refresh]: async () => {
      host.buffer.notifyExternalChange();
      await statuses.refresh();
    },

    [CommandIds.openFolder]: async () => {
      await fs.promises.mkdir(host.dir, { recursive: true, mode: 0o700 });
      const folder = vscode.Uri.file(host.dir);
      if (vscode.env.uiKind === vscode.UIKind.Desktop && vscode.env.remoteName === undefined) {
        await vscode.commands.executeCommand('revealFileInOS', folder);
      } else {
        // In a browser or remote window the OS file manager is on another machine: open it here.
        await vscode.commands.executeCommand('vscode.openFolder', folder, { forceNewWindow: true });
      }
    },

    [CommandIds.showMore]: async (arg) => {
      const agent = agentFromArgument(arg);
      if (agent) tree.showMore(agent);
    },
  };

  return Object.entries(handlers).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (error) {
        // A command is something the user asked for: say what failed, each time.
        log.error(`${id} failed: ${messageOf(error)}`);
        void vscode.window.showErrorMessage(`Nexus Buffer: ${messageOf(error)}`, 'Show Log').then((choice) => {
          if (choice === 'Show Log') log.show();
        });
        return undefined;
      }
    }));
}

/** Loads a buffer from disk into this window and opens its entries; undefined when it has none. */
async function recoverAndOpen(
  deps: Pick<CommandDeps, 'host' | 'documents' | 'log'>,
  agentType: string,
  editor: vscode.TextDocumentShowOptions,
): Promise<RecoverResult | undefined> {
  const recovered = await deps.host.buffer.recover(agentType);
  if (!recovered) return undefined;
  deps.log.info(`Recovered ${agentType}: ${recovered.data.entries.length} entries from ${deps.host.dir}`);
  for (const problem of recovered.problems) deps.log.warn(`${agentType}: ${problem}`);
  await deps.documents.openRendered(agentType, editor);
  return { agentType, entriesCount: recovered.data.entries.length, problems: recovered.problems };
}

/** Recovers several buffers (the leftover prompt), opening each without stealing focus when `background`. */
export async function recoverMany(deps: Pick<CommandDeps, 'host' | 'documents' | 'log'>, agentTypes: string[], background: boolean): Promise<void> {
  for (const [i, agentType] of agentTypes.entries()) {
    try {
      await recoverAndOpen(deps, agentType, { preserveFocus: background || i > 0, preview: false });
    } catch (error) {
      deps.log.error(`Recovering ${agentType} failed: ${messageOf(error)}`);
      void vscode.window.showErrorMessage(`Nexus Buffer could not recover "${agentType}": ${messageOf(error)}`);
    }
  }
}
