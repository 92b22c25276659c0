// The composition root: activate() wires the buffer core, the views, the commands, the folder
// watcher, the settings and the capture sources, and returns the API. Nothing heavy runs on
// the activation path: the folder is scanned (and leftovers offered) right after it returns.
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { WorkspaceActivityCapture } from './capture/workspaceActivity';
import { VSCODE_AGENT } from './core/leftovers';
import type { BufferStatus } from './core/types';
import { CommandIds, recoverMany, registerCommands } from './commands';
import { registerHandoffCommands } from './handoff/registerHandoffCommands';
import { AgentHooksActions, AgentHooksStatus, hooksSummary, windowHooksUi } from './host/agentHooks';
import { createApi, type NexusBufferApi } from './host/api';
import { BufferHost } from './host/bufferHost';
import { BufferSearch } from './host/bufferSearch';
import { BufferStatuses } from './host/bufferStatuses';
import { BufferFolderWatcher } from './host/folderWatcher';
import { offerLeftovers } from './host/leftoverPrompt';
import { messageOf, OnceNotifier } from './host/notifyOnce';
import { ProblemNotifier } from './host/problemNotifier';
import { readSettings, SECTION } from './host/settings';
import { importAgentSessions, IMPORT_SESSIONS_COMMAND } from './host/sessionImport';
import { restoreSessionFile, RESTORE_SESSION_COMMAND } from './host/restoreSession';
import { SessionMirror } from './host/sessionMirror';
import { warnBeforeSweeps } from './host/sweepWarning';
import { SpoolIngester } from './host/spoolIngester';
import { BUFFERS_VIEW_ID, BuffersTreeProvider, createBuffersView } from './views/buffersTree';
import { PlanDocuments } from './views/planDocuments';
import { RecoveredDocumentProvider } from './views/recoveredDocument';
import { BufferStatusBar } from './views/statusBar';
import { registerTimelineCommands } from './views/timeline/timelineCommands';
import { TimelinePanels } from './views/timeline/timelinePanel';

export type { NexusBufferApi } from './host/api';


let activeHost: BufferHost | undefined;
let activeCapture: WorkspaceActivityCapture | undefined;
/** Part of the ~5 s VS Code gives a closing extension host, for the session-end entry. */
const SESSION_END_MS = 1500;

export function activate(context: vscode.ExtensionContext): NexusBufferApi {
  const activationStarted = performance.now();
  const own = <T extends vscode.Disposable>(item: T): T => {
    context.subscriptions.push(item);
    return item;
  };

  const log = own(vscode.window.createOutputChannel('Nexus Buffer', { log: true }));
  const notifier = new OnceNotifier(log);
  const host = own(new BufferHost(readSettings(), log, vscode.Uri.joinPath(context.extensionUri, 'dist', 'compactionWorker.js').fsPath));
  activeHost = host;
  const api = createApi(host);

  const statuses = own(new BufferStatuses(host, notifier));
  const hookStates = own(new AgentHooksStatus(log));
  const tree = own(new BuffersTreeProvider(host, statuses, hookStates));
  const buffersView = createBuffersView(tree);
  buffersView.disposables.forEach(own);
  // The view says which agents are hooked (and which are found but not), above the buffers.
  own(hookStates.onDidChange((states) => { buffersView.view.message = hooksSummary(states); }));
  own(buffersView.view.onDidChangeVisibility((e) => { if (e.visible) void hookStates.refresh(); }));
  const documents = own(new RecoveredDocumentProvider(host));
  own(new BufferStatusBar(statuses));

  const showView = async (agentType?: string): Promise<void> => {
    await vscode.commands.executeCommand(`${BUFFERS_VIEW_ID}.focus`);
    const node = agentType ? tree.bufferNode(agentType) : undefined;
    if (node) await buffersView.view.reveal(node, { select: true, focus: false, expand: false });
  };

  registerCommands({ host, statuses, tree, documents, log, showView }).forEach(own);
  const panels = own(new TimelinePanels(host, context.extensionUri, {
    openDocument: (agentType) => documents.openRendered(agentType),
    isLive: (agentType) => {
      const status = statuses.find(agentType);
      return !!status && (status.inMemory || status.ownedByOtherWriter);
    },
  }, log));
  const search = own(new BufferSearch(host, statuses));
  registerTimelineCommands({ panels, search, statuses, documents, log }).forEach(own);
  const plans = own(new PlanDocuments());
  registerHandoffCommands({ buffer: host.facade, log, extensionUri: context.extensionUri }, plans).forEach(own);
  const hooks = new AgentHooksActions(
    { log, extensionUri: context.extensionUri, bufferDir: () => host.dir, status: hookStates },
    windowHooksUi((plan, title) => plans.show(plan, title)),
  );
  registerAgentHooksCommands(hooks, log).forEach(own);
  own(vscode.commands.registerCommand(RESTORE_SESSION_COMMAND, async () => {
    try {
      return await restoreSessionFile(host);
    } catch (error) {
      log.error(`${RESTORE_SESSION_COMMAND}: ${messageOf(error)}`);
      void vscode.window.showErrorMessage(`Restoring the session file failed: ${messageOf(error)}`);
      return undefined;
    }
  }));
  const mirror = own(new SessionMirror(host, context.globalState, () => readSettings().mirrorAgentSessions, log));
  own(vscode.commands.registerCommand(IMPORT_SESSIONS_COMMAND, async () => {
    try {
      const added = await importAgentSessions(host, log);
      if (added !== undefined) await mirror.consent();
      return added;
    } catch (error) {
      log.error(`${IMPORT_SESSIONS_COMMAND}: ${messageOf(error)}`);
      void vscode.window.showErrorMessage(`Importing agent sessions failed: ${messageOf(error)}`);
      return undefined;
    }
  }));
  own(new ProblemNotifier(host, statuses, notifier, showView, log));

  const watcher = own(new BufferFolderWatcher((agentType) => host.buffer.notifyExternalChange(agentType), log));
  own(host.onDidSwapBuffer(() => void watcher.watch(host.dir)));
  own(new SpoolIngester(host, log));

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
  let activationMs = NaN;
  const startup = setTimeout(() => {
    // Said after activate() returned, so that writing the line is not part of what it measures
    // (`npm run bench --only workbench` reads this line from the log).
    log.info(`Activated in ${activationMs.toFixed(2)} ms`);
    void startUp(host, statuses, watcher, documents, log, showView, startCapture, context.globalState, mirror);
    void hookStates.refresh();
  }, 0);
  own({ dispose: () => clearTimeout(startup) });

  activationMs = performance.now() - activationStarted;
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
  memento: vscode.Memento,
  mirror: SessionMirror,
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
  // Side by side: the leftover prompt waits for its answer, which must not hold back the warning.
  const leftovers = offerLeftovers(list, readSettings().recoverOnStartup, {
    show: () => showView(),
    recover: (agents, background) => recoverMany({ host, documents, log }, agents, background),
  }, log).catch((error) => log.error(`Offering the leftover buffers failed: ${messageOf(error)}`));
  // A few seconds in: a notice shown while the window is still coming up can go unseen.
  const sweeps = new Promise((resolve) => setTimeout(resolve, SWEEP_WARNING_DELAY_MS))
    .then(() => warnBeforeSweeps(host, memento, log, () => mirror.consent()))
    .catch((error) => log.error(`Looking for sessions an agent will sweep failed: ${messageOf(error)}`))
    .then(() => mirror.tick());
  await Promise.all([leftovers, sweeps]);
}

const SWEEP_WARNING_DELAY_MS = 5000;

export const AgentHooksCommandIds = {
  install: 'nexusBuffer.installAgentHooks',
  uninstall: 'nexusBuffer.uninstallAgentHooks',
} as const;

function registerAgentHooksCommands(hooks: AgentHooksActions, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const register = (id: string, run: (arg: unknown) => Promise<unknown>) => vscode.commands.registerCommand(id, async (arg: unknown) => {
    try {
      return await run(arg);
    } catch (error) {
      log.error(`${id}: ${messageOf(error)}`);
      void vscode.window.showErrorMessage(messageOf(error));
      return undefined;
    }
  });
  return [
    register(AgentHooksCommandIds.install, (arg) => hooks.install(arg)),
    register(AgentHooksCommandIds.uninstall, (arg) => hooks.uninstall(arg)),
  ];
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
