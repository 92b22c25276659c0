// The hand-off commands: Copy as Prompt, Export…, Send to Nexus, and the Claude Code hook
// installer. The work is in pure modules (prompt.ts, nexusCli.ts, core/render.ts,
// agents/claude-code/installer.ts); this file is the VS Code side: which buffer, which
// file, asking, reporting.
//
// Clearing follows the crate's contract: only after the entries were stored somewhere (an
// exported file, Nexus), only when the user says so, and never entries that arrived after the
// hand-off (a live agent keeps buffering while the user reads the message). Copy as Prompt
// stores nothing (the clipboard is not storage), so it does not offer to clear.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { tildify } from '../core/format';
import { describeLeftover } from '../core/leftovers';
import type { PersistentBuffer } from '../core/buffer';
import { defaultBufferDir } from '../core/paths';
import { renderBufferJson, renderBufferMarkdown } from '../core/render';
import { entryKeys } from '../core/snapshot';
import type { BufferData, BufferEntry } from '../core/schema';
import type { BufferStatus } from '../core/types';
import {
  type HookCommandSpec, type HooksPlan, install, installedHookCommands, pickNodeRuntime, planInstall, planUninstall,
  projectSettingsPath, uninstall, userSettingsPath, buildHookCommand,
} from '../agents/claude-code/installer';
import { agentFromArgument } from '../host/commandArgs';
import { parseBufferUri } from '../views/bufferUri';
import type { PlanDocuments } from '../views/planDocuments';
import { findNexusBinary, sendEntries, type SendResult } from './nexusCli';
import { DEFAULT_PROMPT_MAX_CHARACTERS, renderPrompt } from './prompt';

export interface HandoffContext {
  buffer: PersistentBuffer;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
}

export const HandoffCommandIds = {
  copyAsPrompt: 'nexusBuffer.copyAsPrompt',
  export: 'nexusBuffer.export',
  sendToNexus: 'nexusBuffer.sendToNexus',
  installClaudeHooks: 'nexusBuffer.installClaudeHooks',
  uninstallClaudeHooks: 'nexusBuffer.uninstallClaudeHooks',
} as const;

const CLEAR_ACTION = 'Clear Buffer';

/**
 * Everything that asks or tells the user. The commands use `windowUi`; the integration tests
 * drive the same actions with a scripted one (modal dialogs cannot be answered there).
 */
export interface HandoffUi {
  pickAgent(buffers: BufferStatus[], title: string): Promise<string | undefined>;
  info(message: string, ...actions: string[]): Promise<string | undefined>;
  warn(message: string, ...actions: string[]): Promise<string | undefined>;
  /** A modal question; true when the user chose `action`. */
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  pickSettingsFile(choices: SettingsChoice[], title: string): Promise<SettingsChoice | undefined>;
  saveDialog(defaultUri: vscode.Uri, agent: string): Promise<vscode.Uri | undefined>;
  /** Shows the planned change of a settings file; returns a function that closes it. */
  showPlan(plan: HooksPlan, title: string): Promise<() => void>;
  withProgress<T>(title: string, task: (report: (message: string) => void, signal: AbortSignal) => Promise<T>): Promise<T>;
}

export interface SettingsChoice {
  label: string;
  description: string;
  detail?: string;
  settingsPath: string;
}

/** Outcome of a hand-off, for tests and for callers of the commands. */
export interface HandoffOutcome {
  agent?: string;
  entries?: number;
  stored?: number;
  failed?: number;
  errors?: string[];
  file?: string;
  cleared?: boolean;
  /** Entries that arrived after the hand-off and made the clear ask again (or not happen). */
  newerEntries?: number;
}

export function registerHandoffCommands(ctx: HandoffContext, plans: PlanDocuments): vscode.Disposable[] {
  const actions = new HandoffActions(ctx, windowUi(plans));
  const register = (id: string, run: (arg: unknown) => Promise<unknown>) =>
    vscode.commands.registerCommand(id, async (arg: unknown) => {
      try {
        return await run(arg);
      } catch (error) {
        ctx.log.error(`${id}: ${messageOf(error)}`);
        void vscode.window.showErrorMessage(messageOf(error));
        return undefined;
      }
    });
  const disposables = [
    register(HandoffCommandIds.copyAsPrompt, (arg) => actions.copyAsPrompt(arg)),
    register(HandoffCommandIds.export, (arg) => actions.exportBuffer(arg)),
    register(HandoffCommandIds.sendToNexus, (arg) => actions.sendToNexus(arg)),
    register(HandoffCommandIds.installClaudeHooks, (arg) => actions.installClaudeHooks(arg)),
    register(HandoffCommandIds.uninstallClaudeHooks, (arg) => actions.uninstallClaudeHooks(arg)),
  ];
  // Hooks installed by an earlier version point at its CLI path, which an update removed.
  const staleCheck = setTimeout(() => void actions.checkStaleHooks().catch((error) => ctx.log.warn(`Checking Claude Code hooks: ${messageOf(error)}`)), 5_000);
  disposables.push({ dispose: () => clearTimeout(staleCheck) });
  return disposables;
}

export class HandoffActions {
  constructor(private readonly ctx: HandoffContext, private readonly ui: HandoffUi) {}

  get cliPath(): string {
    return vscode.Uri.joinPath(this.ctx.extensionUri, 'dist', 'cli.js').fsPath;
  }

  async copyAsPrompt(arg?: unknown): Promise<HandoffOutcome | undefined> {
    const loaded = await this.load(arg, 'Copy which buffer as a prompt?');
    if (!loaded) return undefined;
    const { agent, data } = loaded;
    const limit = vscode.workspace.getConfiguration('nexusBuffer.prompt').get<number>('maxCharacters', DEFAULT_PROMPT_MAX_CHARACTERS);
    const text = renderPrompt(data, { maxCharacters: Number.isFinite(limit) && limit >= 200 ? limit : DEFAULT_PROMPT_MAX_CHARACTERS });
    await vscode.env.clipboard.writeText(text);
    this.ctx.log.info(`${agent}: copied a ${text.length}-character prompt of ${data.entries.length} entries`);
    void this.ui.info(`Copied a summary of ${plural(data.entries.length, 'entry', 'entries')} of ${agent} (${text.length} characters) to the clipboard. Paste it into an agent to resume the work.`);
    return { agent, entries: data.entries.length };
  }

  async exportBuffer(arg?: unknown): Promise<HandoffOutcome | undefined> {
    const loaded = await this.load(arg, 'Export which buffer?');
    if (!loaded) return undefined;
    const { agent, data } = loaded;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');
    const target = await this.ui.saveDialog(vscode.Uri.joinPath(folder, `${agent}-buffer-${stamp}.json`), agent);
    if (!target) return undefined;
    const markdown = /\.(md|markdown)$/i.test(target.path);
    const text = markdown ? renderBufferMarkdown(data) : renderBufferJson(data);
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    const where = target.scheme === 'file' ? target.fsPath : target.toString();
    this.ctx.log.info(`${agent}: exported ${data.entries.length} entries as ${markdown ? 'Markdown' : 'JSON'} to ${where}`);
    const outcome: HandoffOutcome = { agent, entries: data.entries.length, file: where };
    const choice = await this.ui.info(
      `Exported ${plural(data.entries.length, 'entry', 'entries')} of ${agent} to ${path.basename(where)}. The buffer can be cleared now that they are saved.`,
      'Open', CLEAR_ACTION,
    );
    if (choice === 'Open') await vscode.window.showTextDocument(target, { preview: true });
    if (choice === CLEAR_ACTION) Object.assign(outcome, await this.clearAfterHandoff(agent, data.entries));
    return outcome;
  }

  async sendToNexus(arg?: unknown): Promise<HandoffOutcome | undefined> {
    // Resolved from the environment and fixed places only, never from (workspace) settings.
    const lookup = await findNexusBinary(process.env, os.homedir());
    if (!lookup.binary) {
      this.ctx.log.warn(`Send to Nexus: the nexus tool was not found; looked at ${lookup.searched.join(', ')}`);
      void this.ui.warn(
        'The Nexus command-line tool (nexus) was not found. Looked at $NEXUS_HOOK_BINARY, ~/.local/bin/nexus, /usr/local/bin/nexus and every folder on PATH (the full list is in the Nexus Buffer log). Install Nexus, or set NEXUS_HOOK_BINARY before starting VS Code.',
      );
      return { stored: 0, failed: 0 };
    }
    const loaded = await this.load(arg, 'Send which buffer to Nexus?');
    if (!loaded) return undefined;
    const { agent, data } = loaded;
    if (data.entries.length === 0) {
      void this.ui.info(`The ${agent} buffer has no entries to send.`);
      return { agent, entries: 0, stored: 0, failed: 0 };
    }
    const binary = lookup.binary;
    const result: SendResult = await this.ui.withProgress(`Sending ${agent} to Nexus`, (report, signal) =>
      sendEntries(binary, agent, data.entries, {
        signal,
        onProgress: (done, total) => report(`${done} of ${total}`),
      }));
    const outcome: HandoffOutcome = { agent, entries: data.entries.length, stored: result.stored, failed: result.failed, errors: result.errors };
    this.ctx.log.info(`${agent}: Nexus (${binary}) stored ${result.stored} of ${data.entries.length} entries`);
    for (const error of result.errors) this.ctx.log.warn(`Send to Nexus: ${error}`);
    if (result.failed > 0 || result.stored < data.entries.length) {
      const notSent = data.entries.length - result.stored - result.failed;
      void this.ui.warn(
        `Nexus stored ${result.stored} of ${plural(data.entries.length, 'entry', 'entries')} of ${agent}; ${result.failed} failed${notSent > 0 ? `, ${notSent} not sent (cancelled)` : ''}. ${result.errors[0] ?? ''} The buffer is kept.`,
      );
      return outcome;
    }
    const choice = await this.ui.info(
      `Nexus stored all ${plural(result.stored, 'entry', 'entries')} of ${agent}. The buffer can be cleared now that they are stored.`,
      CLEAR_ACTION,
    );
    if (choice === CLEAR_ACTION) Object.assign(outcome, await this.clearAfterHandoff(agent, data.entries));
    return outcome;
  }

  async installClaudeHooks(arg?: unknown): Promise<HooksPlan | undefined> {
    const choice = await this.settingsFile(arg, 'Install the Claude Code hooks in which settings file?');
    if (!choice) return undefined;
    const spec = await this.hookSpec();
    const plan = await planInstall(choice.settingsPath, spec);
    if (!plan.changed) {
      void this.ui.info(`The Nexus Buffer hooks are already installed in ${tildify(choice.settingsPath)}.`);
      return plan;
    }
    const close = await this.ui.showPlan(plan, `Claude Code hooks: ${tildify(choice.settingsPath)} (planned change)`);
    let confirmed: boolean;
    try {
      confirmed = await this.ui.confirm(
        `Add Nexus Buffer hooks for ${plan.events.length} Claude Code events to ${tildify(choice.settingsPath)}?`,
        [
          `Claude Code will run the Nexus Buffer command line on ${plan.events.join(', ')}, so that its session context is buffered in ${this.ctx.buffer.dir} (even when VS Code is not running).`,
          `Command: ${buildHookCommand(spec)}`,
          plan.before === null ? 'The file does not exist yet; it will be created.' : 'A backup of the current file is kept beside it. Every other setting and hook stays as it is.',
        ].join('\n\n'),
        'Install',
      );
    } finally {
      close();
    }
    if (!confirmed) return undefined;
    const result = await install(choice.settingsPath, spec, { expectBefore: plan.before });
    this.ctx.log.info(`Claude Code hooks installed in ${choice.settingsPath} (${result.events.join(', ')})${result.backupPath ? `; backup ${result.backupPath}` : ''}`);
    void this.ui.info(
      `Installed the Nexus Buffer hooks in ${tildify(choice.settingsPath)}${result.backupPath ? ` (backup: ${path.basename(result.backupPath)})` : ''}. New Claude Code sessions will fill the claude-code buffer.`,
    );
    return result;
  }

  async uninstallClaudeHooks(arg?: unknown): Promise<HooksPlan | undefined> {
    const choice = await this.settingsFile(arg, 'Remove the Claude Code hooks from which settings file?', true);
    if (!choice) return undefined;
    const plan = await planUninstall(choice.settingsPath);
    if (!plan.changed) {
      void this.ui.info(`No Nexus Buffer hooks in ${tildify(choice.settingsPath)}: nothing to remove.`);
      return plan;
    }
    const close = await this.ui.showPlan(plan, `Claude Code hooks: ${tildify(choice.settingsPath)} (planned removal)`);
    let confirmed: boolean;
    try {
      confirmed = await this.ui.confirm(
        `Remove the Nexus Buffer hooks from ${tildify(choice.settingsPath)}?`,
        `Only the entries Nexus Buffer added (${plan.events.join(', ')}) are removed; every other setting and hook stays. A backup of the current file is kept beside it.`,
        'Remove',
      );
    } finally {
      close();
    }
    if (!confirmed) return undefined;
    const result = await uninstall(choice.settingsPath, { expectBefore: plan.before });
    this.ctx.log.info(`Claude Code hooks removed from ${choice.settingsPath}${result.backupPath ? `; backup ${result.backupPath}` : ''}`);
    void this.ui.info(`Removed the Nexus Buffer hooks from ${tildify(choice.settingsPath)}${result.backupPath ? ` (backup: ${path.basename(result.backupPath)})` : ''}.`);
    return result;
  }

  /** Offers to update hooks that point at another CLI path (an earlier version of the extension). */
  async checkStaleHooks(): Promise<void> {
    for (const choice of this.settingsChoices()) {
      const commands = await installedHookCommands(choice.settingsPath);
      // Same CLI path: current (even if the runtime was picked differently then).
      if (commands.length === 0 || commands.some((command) => command.includes(this.cliPath))) continue;
      this.ctx.log.warn(`Claude Code hooks in ${choice.settingsPath} run another Nexus Buffer CLI than this one (${this.cliPath})`);
      const answer = await this.ui.warn(
        `The Claude Code hooks in ${tildify(choice.settingsPath)} run another (older?) Nexus Buffer command line than this version's. Update them?`,
        'Update Hooks',
      );
      if (answer === 'Update Hooks') await this.installClaudeHooks({ settingsPath: choice.settingsPath });
    }
  }

  // --- helpers ------------------------------------------------------------------------------

  private async hookSpec(): Promise<HookCommandSpec> {
    const runtime = await pickNodeRuntime(process.execPath);
    const dir = this.ctx.buffer.dir;
    return {
      ...runtime,
      cliPath: this.cliPath,
      // The hook must write where this window reads; the CLI's own default is the crate's.
      ...(path.resolve(dir) !== path.resolve(defaultBufferDir()) ? { bufferDir: dir } : {}),
    };
  }

  private settingsChoices(): SettingsChoice[] {
    const choices: SettingsChoice[] = [{
      label: 'User settings',
      description: tildify(userSettingsPath()),
      detail: 'Every Claude Code session on this machine, in any folder.',
      settingsPath: userSettingsPath(),
    }];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      choices.push({
        label: `Workspace settings: ${folder.name}`,
        description: tildify(projectSettingsPath(folder.uri.fsPath)),
        detail: 'Claude Code sessions in this folder. The file is usually committed: the hook runs a path on this machine only.',
        settingsPath: projectSettingsPath(folder.uri.fsPath),
      });
    }
    return choices;
  }

  private async settingsFile(arg: unknown, title: string, onlyWithHooks = false): Promise<SettingsChoice | undefined> {
    if (isObject(arg) && typeof arg.settingsPath === 'string' && path.isAbsolute(arg.settingsPath)) {
      return { label: 'Settings', description: arg.settingsPath, settingsPath: arg.settingsPath };
    }
    let choices = this.settingsChoices();
    if (onlyWithHooks) {
      const withHooks: SettingsChoice[] = [];
      for (const choice of choices) if ((await installedHookCommands(choice.settingsPath)).length > 0) withHooks.push(choice);
      if (withHooks.length === 0) {
        void this.ui.info(`No Nexus Buffer hooks found in ${choices.map((c) => tildify(c.settingsPath)).join(' or ')}.`);
        return undefined;
      }
      choices = withHooks;
    }
    return choices.length === 1 && onlyWithHooks ? choices[0] : this.ui.pickSettingsFile(choices, title);
  }

  /** The buffer named by the argument (tree item, agent string, nexus-buffer: URI) or picked. */
  private async load(arg: unknown, title: string): Promise<{ agent: string; data: BufferData } | undefined> {
    const agent = await this.resolveAgent(arg, title);
    if (!agent) return undefined;
    const recovered = await this.ctx.buffer.read(agent);
    if (!recovered) {
      void this.ui.warn(`There is no ${agent} buffer in ${this.ctx.buffer.dir}.`);
      return undefined;
    }
    for (const problem of recovered.problems) this.ctx.log.warn(`${agent}: ${problem}`);
    return { agent, data: recovered.data };
  }

  private async resolveAgent(arg: unknown, title: string): Promise<string | undefined> {
    const named = agentFromArgument(arg);
    if (named) return named;
    // From the editor title of a recovered document without an argument: that document.
    const active = vscode.window.activeTextEditor?.document.uri;
    if (arg === undefined && active) {
      const parsed = parseBufferUri(active);
      if (parsed) return parsed.agentType;
    }
    const buffers = (await this.ctx.buffer.listBuffers()).filter((b) => b.entriesCount > 0 && !b.archiveOf);
    if (buffers.length === 0) {
      void this.ui.info(`There are no buffers with entries in ${this.ctx.buffer.dir}.`);
      return undefined;
    }
    return this.ui.pickAgent(buffers, title);
  }

  /**
   * Clears the buffer after its entries were stored. When entries arrived since the hand-off
   * (an agent still running), clearing would drop them unsaved: ask again, naming how many.
   */
  private async clearAfterHandoff(agent: string, handedOff: readonly BufferEntry[]): Promise<HandoffOutcome> {
    const keys = new Set(entryKeys(handedOff));
    const now = await this.ctx.buffer.read(agent);
    const newer = entryKeys(now?.data.entries ?? []).filter((key) => !keys.has(key)).length;
    if (newer > 0) {
      const clearAnyway = await this.ui.confirm(
        `${plural(newer, 'entry', 'entries')} arrived in the ${agent} buffer after the hand-off and ${newer === 1 ? 'was' : 'were'} not saved. Clear the buffer anyway?`,
        'Clearing removes every entry of the buffer, including those. Keep it and hand it off again to include them.',
        'Clear Anyway',
      );
      if (!clearAnyway) return { cleared: false, newerEntries: newer };
    }
    await this.ctx.buffer.clear(agent);
    this.ctx.log.info(`${agent}: cleared after a successful hand-off`);
    return { cleared: true, newerEntries: newer };
  }
}

/** The real window: quick picks, notifications, modal dialogs, a diff editor for plans. */
function windowUi(plans: PlanDocuments): HandoffUi {
  return {
    async pickAgent(buffers, title) {
      const picked = await vscode.window.showQuickPick(
        buffers.map((b) => ({
          label: b.agentType,
          description: plural(b.entriesCount, 'entry', 'entries'),
          detail: describeLeftover(b) ?? (b.inMemory ? 'this window' : undefined),
        })),
        { title, placeHolder: 'Agent buffer' },
      );
      return picked?.label;
    },
    info: (message, ...actions) => Promise.resolve(vscode.window.showInformationMessage(message, ...actions)),
    warn: (message, ...actions) => Promise.resolve(vscode.window.showWarningMessage(message, ...actions)),
    async confirm(message, detail, action) {
      return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
    },
    async pickSettingsFile(choices, title) {
      return vscode.window.showQuickPick(choices, { title, placeHolder: 'Claude Code settings file' });
    },
    saveDialog: (defaultUri, agent) => Promise.resolve(vscode.window.showSaveDialog({
      defaultUri,
      title: `Export the ${agent} buffer`,
      saveLabel: 'Export',
      filters: { 'JSON (crate format)': ['json'], Markdown: ['md'] },
    })),
    showPlan: (plan, title) => plans.show(plan, title),
    withProgress(title, task) {
      return Promise.resolve(vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          const subscription = token.onCancellationRequested(() => controller.abort());
          try {
            return await task((message) => progress.report({ message }), controller.signal);
          } finally {
            subscription.dispose();
          }
        },
      ));
    },
  };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}


function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
