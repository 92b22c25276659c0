// The composition root: activate() wires the buffer core, the views, the commands, the folder
// watcher, the settings and the capture sources, and returns the API. Nothing heavy runs on
// the activation path: the folder is scanned (and leftovers offered) right after it returns.
import * as vscode from 'vscode';
import { WorkspaceActivityCapture } from './capture/workspaceActivity';
import type { BufferStatus } from './core/types';
import { CommandIds, recoverMany, registerCommands } from './commands';
import { registerHandoffCommands } from './handoff/registerHandoffCommands';
import { createApi, type NexusBufferApi } from './host/api';
import { BufferHost } from './host/bufferHost';
import { BufferStatuses } from './host/bufferStatuses';
import { BufferFolderWatcher } from './host/folderWatcher';
import { offerLeftovers } from './host/leftoverPrompt';
import { messageOf, OnceNotifier } from './host/notifyOnce';
import { ProblemNotifier } from './host/problemNotifier';
import { readSettings, SECTION } from './host/settings';
import { BUFFERS_VIEW_ID, BuffersTreeProvider, createBuffersView } from './views/buffersTree';
import { RecoveredDocumentProvider } from './views/recoveredDocument';
import { BufferStatusBar } from './views/statusBar';

export type { NexusBufferApi } from './host/api';

/** The agent type under which this window's own activity is captured. */
const VSCODE_AGENT = 'vscode';

let activeHost: BufferHost | undefined;
let activeCapture: WorkspaceActivityCapture | undefined;
/** Part of the ~5 s VS Code gives a closing extension host, for the session-end entry. */
const SESSION_END_MS = 1500;

export function activate(context: vscode.ExtensionContext): NexusBufferApi {
  const own = <T extends vscode.Disposable>(item: T): T => {
    context.subscriptions.push(item);
    return item;
  };

  const log = own(vscode.window.createOutputChannel('Nexus Buffer', { log: true }));
  const notifier = new OnceNotifier(log);
  const host = own(new BufferHost(readSettings(), log));
  activeHost = host;
  const api = createApi(host);

  const statuses = own(new BufferStatuses(host, notifier));
  const tree = own(new BuffersTreeProvider(host, statuses));
  const buffersView = createBuffersView(tree);
  buffersView.disposables.forEach(own);
  const documents = own(new RecoveredDocumentProvider(host));
  own(new BufferStatusBar(statuses));

  const showView = async (agentType?: string): Promise<void> => {
    await vscode.commands.executeCommand(`${BUFFERS_VIEW_ID}.focus`);
    const node = agentType ? tree.bufferNode(agentType) : undefined;
    if (node) await buffersView.view.reveal(node, { select: true, focus: false, expand: false });
  };

  registerCommands({ host, statuses, tree, documents, log, showView }).forEach(own);
  registerHandoffCommands({ buffer: host.facade, log, extensionUri: context.extensionUri }).forEach(own);
  own(new ProblemNotifier(host, statuses, notifier, showView, log));

  const watcher = own(new BufferFolderWatcher((agentType) => host.buffer.notifyExternalChange(agentType), log));
  own(host.onDidSwapBuffer(() => void watcher.watch(host.dir)));

  own(vscode.workspace.onDidChangeConfiguration((e) => {
    if (!e.affectsConfiguration(SECTION)) return;
    host.applySettings(readSettings()).catch((error) => log.error(`Applying settings failed: ${messageOf(error)}`));
  }));

  let disposed = false;
  own({ dispose: () => { disposed = true; } });
  // Capture starts after the start-up scan, so that this window's own `vscode` buffer does not
  // hide the `vscode` buffer an earlier (crashed) window left.
  const startCapture = () => {
    if (!disposed) activeCapture = own(new WorkspaceActivityCapture((ctx, contextType) => api.bufferContext(VSCODE_AGENT, ctx, contextType), log));
  };

  // After activation returns: watch and scan the folder, repair what earlier sessions left
  // half-done (orphan journals, damaged snapshots), then offer the leftovers.
  const startup = setTimeout(() => void startUp(host, statuses, watcher, documents, log, showView, startCapture), 0);
  own({ dispose: () => clearTimeout(startup) });

  return api;
}

async function startUp(
  host: BufferHost,
  statuses: BufferStatuses,
  watcher: BufferFolderWatcher,
  documents: RecoveredDocumentProvider,
  log: vscode.LogOutputChannel,
  showView: (agentType?: string) => Promise<void>,
  startCapture: () => void,
): Promise<void> {
  let list: readonly BufferStatus[] = [];
  try {
    await watcher.watch(host.dir);
    const report = await host.buffer.repair();
    if (report.mergedJournals > 0) log.info(`Merged ${report.mergedJournals} journal(s) left by ended writers into their snapshots`);
    for (const problem of report.problems) log.warn(problem);
    list = await statuses.refresh();
  } catch (error) {
    log.error(`Start-up scan of ${host.dir} failed: ${messageOf(error)}`);
    void vscode.window.showWarningMessage(
      `Nexus Buffer could not read its buffer folder ${host.dir}: ${messageOf(error)}. Check the folder (setting nexusBuffer.directory), then run "Nexus Buffer: Refresh".`,
      'Refresh',
    ).then((choice) => (choice === 'Refresh' ? vscode.commands.executeCommand(CommandIds.refresh) : undefined));
  }
  try {
    startCapture();
  } catch (error) {
    log.error(`Starting the capture of workspace activity failed: ${messageOf(error)}`);
  }
  try {
    await offerLeftovers(list, readSettings().recoverOnStartup, {
      show: () => showView(),
      recover: (agents, background) => recoverMany({ host, documents, log }, agents, background),
    }, log);
  } catch (error) {
    log.error(`Offering the leftover buffers failed: ${messageOf(error)}`);
  }
}

/** A courtesy flush: entries are already durable when acknowledged; nothing depends on this. */
export async function deactivate(): Promise<void> {
  const host = activeHost;
  const capture = activeCapture;
  activeHost = activeCapture = undefined;
  // Mark this window's session as ended cleanly (the next window then does not offer its
  // buffer as a crash leftover), and write the last few seconds of coalesced activity.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([capture?.endSession(), new Promise((resolve) => (timer = setTimeout(resolve, SESSION_END_MS)))]);
  clearTimeout(timer);
  await host?.shutdown();
}
