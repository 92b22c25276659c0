// The agents' hooks in the extension: which agents are found and hooked (AgentHooksStatus, which
// the view shows), and "Install Agent Hooks…" / "Uninstall Agent Hooks…" (AgentHooksActions),
// over the installers of the registry (src/agents/). The change to each file is shown as a diff
// and confirmed before anything is written; the installers keep the backup and idempotence rules.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { tildify } from '../core/format';
import { hookableAgents, findAgent } from '../agents/registry';
import { hookEntryPath, pickNodeRuntime } from '../agents/shared/hookCommand';
import { applyPlans } from '../agents/shared/settingsFile';
import type { AgentProvider, HookCommandSpec, HookPlaces, HookScope, HooksChangeResult, HooksPlan } from '../agents/types';
import { defaultBufferDir } from '../core/paths';
import { Disposable } from './disposable';
import { messageOf } from './notifyOnce';

/** One agent as the view shows it. */
export interface AgentHookState {
  agent: string;
  displayName: string;
  /** Its configuration folder or program exists on this machine. */
  found: boolean;
  /** The scopes (user, or a workspace folder) whose configuration runs our hooks. */
  hookedIn: Array<{ scope: HookScope; file: string; current: boolean }>;
}

/** A place to install into: the user's configuration, or one workspace folder's. */
export interface HookTarget {
  scope: HookScope;
  places: HookPlaces;
  label: string;
}

export function userTarget(home = os.homedir()): HookTarget {
  return { scope: 'user', places: { home }, label: 'User (every session on this machine)' };
}

export function workspaceTargets(home = os.homedir()): HookTarget[] {
  return (vscode.workspace.workspaceFolders ?? [])
    .filter((folder) => folder.uri.scheme === 'file')
    .map((folder) => ({ scope: 'project' as const, places: { home, project: folder.uri.fsPath }, label: `Workspace folder ${folder.name}` }));
}

/** Which agents are found and hooked; refreshed on demand and after every change made here. */
export class AgentHooksStatus extends Disposable {
  private readonly emitter = this.register(new vscode.EventEmitter<readonly AgentHookState[]>());
  readonly onDidChange = this.emitter.event;
  private current: readonly AgentHookState[] = [];
  private running: Promise<readonly AgentHookState[]> | undefined;

  constructor(private readonly log: vscode.LogOutputChannel, private readonly home = os.homedir()) {
    super();
  }

  get states(): readonly AgentHookState[] {
    return this.current;
  }

  /** The state of one agent, once a refresh has run. */
  stateOf(agent: string): AgentHookState | undefined {
    return this.current.find((state) => state.agent === agent);
  }

  refresh(): Promise<readonly AgentHookState[]> {
    this.running ??= this.scan().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async scan(): Promise<readonly AgentHookState[]> {
    const targets = [userTarget(this.home), ...workspaceTargets(this.home)];
    const states: AgentHookState[] = [];
    for (const agent of hookableAgents()) {
      const installer = agent.hooks!;
      const state: AgentHookState = { agent: agent.id, displayName: agent.displayName, found: false, hookedIn: [] };
      try {
        state.found = await installer.detect({ home: this.home });
        for (const target of targets.filter((t) => installer.scopes.includes(t.scope))) {
          const status = await installer.status(target.scope, target.places);
          if (status.problem) this.log.warn(`${agent.displayName} hooks: ${status.problem}`);
          if (status.commands.length > 0) state.hookedIn.push({ scope: target.scope, file: status.file, current: status.installed });
        }
      } catch (error) {
        this.log.warn(`Checking the ${agent.displayName} hooks failed: ${messageOf(error)}`);
      }
      states.push(state);
    }
    this.current = states;
    if (!this.isDisposed) this.emitter.fire(states);
    return states;
  }
}

/** One line for the view: which agents are hooked, and which are found but not. */
export function hooksSummary(states: readonly AgentHookState[]): string | undefined {
  const hooked = states.filter((s) => s.hookedIn.length > 0).map((s) => s.displayName);
  const notHooked = states.filter((s) => s.found && s.hookedIn.length === 0).map((s) => s.displayName);
  if (hooked.length === 0 && notHooked.length === 0) return undefined;
  const parts: string[] = [];
  if (hooked.length > 0) parts.push(`Hooked: ${hooked.join(', ')}`);
  if (notHooked.length > 0) parts.push(`not hooked: ${notHooked.join(', ')} (Install Agent Hooks…)`);
  return parts.join(' · ');
}

/** What the actions ask and tell; the integration tests script it. */
export interface HooksUi {
  pickAgents(items: Array<{ agent: AgentProvider; state?: AgentHookState }>, title: string): Promise<AgentProvider[] | undefined>;
  pickTarget(targets: HookTarget[], title: string): Promise<HookTarget | undefined>;
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  /** Shows the planned change of one file; returns a function that closes it. */
  showPlan(plan: HooksPlan, title: string): Promise<() => void>;
  info(message: string): Promise<unknown>;
}

export interface HooksActionsContext {
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  /** The buffer folder this window reads: the hooks must write there. */
  bufferDir(): string;
  status: AgentHooksStatus;
}

/** Arguments a caller (a test, a view item, another command) may pass. */
export interface HooksCommandArgs {
  agents?: string[];
  target?: HookTarget;
}

export class AgentHooksActions {
  constructor(private readonly ctx: HooksActionsContext, private readonly ui: HooksUi) {}

  get cliPath(): string {
    return vscode.Uri.joinPath(this.ctx.extensionUri, 'dist', 'cli.js').fsPath;
  }

  async hookSpec(): Promise<HookCommandSpec> {
    const runtime = await pickNodeRuntime(process.execPath);
    const dir = this.ctx.bufferDir();
    return {
      ...runtime,
      cliPath: hookEntryPath(this.cliPath),
      // The hook must write where this window reads; the CLI's own default is the crate's.
      ...(path.resolve(dir) !== path.resolve(defaultBufferDir()) ? { bufferDir: dir } : {}),
    };
  }

  install(arg?: unknown): Promise<HooksChangeResult[] | undefined> {
    return this.change('install', arg);
  }

  uninstall(arg?: unknown): Promise<HooksChangeResult[] | undefined> {
    return this.change('uninstall', arg);
  }

  private async change(action: 'install' | 'uninstall', arg: unknown): Promise<HooksChangeResult[] | undefined> {
    const args = parseArgs(arg);
    const states = await this.ctx.status.refresh();
    const agents = args.agents
      ? args.agents.map((id) => findAgent(id)).filter((a): a is AgentProvider => a?.hooks !== undefined)
      : await this.ui.pickAgents(
        hookableAgents()
          .map((agent) => ({ agent, state: states.find((s) => s.agent === agent.id) }))
          .filter(({ state }) => action === 'install' || (state?.hookedIn.length ?? 0) > 0),
        action === 'install' ? 'Install the Nexus Buffer hooks for which agents?' : 'Remove the Nexus Buffer hooks of which agents?',
      );
    if (!agents || agents.length === 0) {
      if (action === 'uninstall' && !args.agents) void this.ui.info('No agent runs the Nexus Buffer hooks: nothing to remove.');
      return undefined;
    }
    const targets = [userTarget(), ...workspaceTargets()].filter((t) => agents.some((a) => a.hooks!.scopes.includes(t.scope)));
    const target = args.target ?? (targets.length === 1 ? targets[0] : await this.ui.pickTarget(targets, 'For every session of the agent, or one folder?'));
    if (!target) return undefined;
    const spec = await this.hookSpec();
    const results: HooksChangeResult[] = [];
    for (const agent of agents) {
      const installer = agent.hooks!;
      if (!installer.scopes.includes(target.scope)) {
        void this.ui.info(`${agent.displayName} has no ${target.scope} hooks; skipped.`);
        continue;
      }
      const plans = action === 'install' ? await installer.planInstall(target.scope, target.places, spec) : await installer.planUninstall(target.scope, target.places);
      const written = await this.applyWithConsent(agent, action, plans, spec);
      if (written) results.push(...written);
    }
    await this.ctx.status.refresh();
    return results;
  }

  /** Shows each changed file, asks once, writes (each file backed up). Undefined when declined. */
  private async applyWithConsent(agent: AgentProvider, action: 'install' | 'uninstall', plans: HooksPlan[], spec: HookCommandSpec): Promise<HooksChangeResult[] | undefined> {
    const changed = plans.filter((plan) => plan.changed);
    const files = plans.map((plan) => tildify(plan.settingsPath)).join(' and ');
    if (changed.length === 0) {
      void this.ui.info(action === 'install'
        ? `The Nexus Buffer hooks for ${agent.displayName} are already installed in ${files}.`
        : `No Nexus Buffer hooks of ${agent.displayName} in ${files}: nothing to remove.`);
      return plans;
    }
    const closers: Array<() => void> = [];
    let confirmed: boolean;
    try {
      for (const plan of changed) closers.push(await this.ui.showPlan(plan, `${agent.displayName} hooks: ${tildify(plan.settingsPath)} (planned ${action === 'install' ? 'change' : 'removal'})`));
      const events = [...new Set(changed.flatMap((plan) => plan.events))];
      confirmed = await this.ui.confirm(
        action === 'install'
          ? `Add Nexus Buffer hooks for ${events.length} ${agent.displayName} events to ${changed.map((p) => tildify(p.settingsPath)).join(' and ')}?`
          : `Remove the Nexus Buffer hooks from ${changed.map((p) => tildify(p.settingsPath)).join(' and ')}?`,
        action === 'install'
          ? [
            `${agent.displayName} will run the Nexus Buffer command line on ${events.join(', ')}, so that its session context is buffered in ${this.ctx.bufferDir()} (even when VS Code is not running).`,
            `Runs: ${spec.node} ${spec.cliPath}`,
            ...plans.flatMap((plan) => plan.notes ?? []),
            'A backup of each changed file is kept beside it. Every other setting and hook stays as it is.',
          ].join('\n\n')
          : `Only the entries Nexus Buffer added (${events.join(', ')}) are removed; every other setting and hook stays. A backup of each file is kept beside it.`,
        action === 'install' ? 'Install' : 'Remove',
      );
    } finally {
      closers.forEach((close) => close());
    }
    if (!confirmed) return undefined;
    const written = await applyPlans(plans, { expectBefore: plans.map((plan) => plan.before) });
    for (const result of written.filter((r) => r.changed)) {
      this.ctx.log.info(`${agent.displayName} hooks ${action === 'install' ? 'installed in' : 'removed from'} ${result.settingsPath} (${result.events.join(', ')})${result.backupPath ? `; backup ${result.backupPath}` : ''}`);
    }
    const notes = plans.flatMap((plan) => plan.notes ?? []);
    void this.ui.info(action === 'install'
      ? `Installed the Nexus Buffer hooks for ${agent.displayName}. New ${agent.displayName} sessions will fill the ${agent.id} buffer.${notes.length > 0 ? ` ${notes.join(' ')}` : ''}`
      : `Removed the Nexus Buffer hooks of ${agent.displayName}.`);
    return written;
  }
}

function parseArgs(arg: unknown): HooksCommandArgs {
  if (typeof arg === 'string') return { agents: [arg] };
  if (typeof arg === 'object' && arg !== null) {
    const value = arg as Record<string, unknown>;
    const agents = Array.isArray(value.agents) ? value.agents.filter((a): a is string => typeof a === 'string')
      : typeof value.agentType === 'string' && findAgent(value.agentType)?.hooks ? [value.agentType] : undefined;
    return { agents, target: value.target as HookTarget | undefined };
  }
  return {};
}


/** The real window's quick picks and dialogs. `showPlan` comes from the hand-off commands' plan documents. */
export function windowHooksUi(showPlan: HooksUi['showPlan']): HooksUi {
  return {
    async pickAgents(items, title) {
      const picked = await vscode.window.showQuickPick(
        items.map(({ agent, state }) => ({
          label: agent.displayName,
          description: state?.hookedIn.length ? `hooked (${state.hookedIn.map((h) => h.scope).join(', ')})` : state?.found ? 'found on this machine' : 'not found',
          picked: state?.found === true && state.hookedIn.length === 0,
          agent,
        })),
        { title, canPickMany: true, placeHolder: 'Agents' },
      );
      return picked?.map((item) => item.agent);
    },
    async pickTarget(targets, title) {
      const picked = await vscode.window.showQuickPick(targets.map((target) => ({ label: target.label, target })), { title });
      return picked?.target;
    },
    async confirm(message, detail, action) {
      return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
    },
    showPlan,
    info: (message) => Promise.resolve(vscode.window.showInformationMessage(message)),
  };
}
