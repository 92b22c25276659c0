// `nexus-buffer hooks install|uninstall|status`: the agents' hook installers from a shell, for
// people who do not use VS Code (or set up a machine by script). Each agent's installer (in
// src/agents/<agent>/) does the work and keeps the rules: the change is shown first, a backup
// is kept, a second install changes nothing, uninstall removes exactly what was added.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findAgent, hookableAgents } from '../../agents/registry';
import { hookEntryPath } from '../../agents/shared/hookCommand';
import { applyPlans } from '../../agents/shared/settingsFile';
import type { AgentProvider, HookCommandSpec, HookPlaces, HookScope, HooksPlan } from '../../agents/types';
import { tildify } from '../../core/format';
import { noPositionals, UsageError } from '../args';
import { CliError, EXIT_ERROR, EXIT_OK, type Command, type CommandContext } from '../command';

const ACTIONS = ['install', 'uninstall', 'status'] as const;
type Action = (typeof ACTIONS)[number];

export const hooksCommand: Command = {
  name: 'hooks',
  summary: "install, remove or check the agents' hooks that fill the buffers",
  help: `Usage: nexus-buffer hooks install|uninstall|status [--agent AGENT] [--scope user|project]
                          [--project DIR] [--yes] [--dry-run] [--json] [--dir DIR]

Adds to (or removes from) an agent's own configuration the hook entries that run this command
line on the agent's events, so that its session context is buffered as it happens, with or
without VS Code. Agents: ${hookableAgents().map((a) => a.id).join(', ')}.

  install     show the change to each file, ask, then write it (a backup of the old file is
              kept beside it; a second install changes nothing)
  uninstall   remove exactly the entries install added; every other setting stays
  status      say, per agent, whether the hooks are installed and in which file

Options:
  --agent AGENT     one agent (default: every agent found on this machine: its configuration
                    folder, e.g. ~/.codex, or its program on PATH)
  --scope SCOPE     user (default: every session of the agent) or project (one folder's
                    sessions, in that folder's configuration, where the agent has one)
  --project DIR     the project folder of --scope project (default: the current folder)
  --yes, -y         do not ask (needed when stdin is not a terminal)
  --dry-run         show what would change, write nothing
  --json            print JSON: status gives [{"agent","installed","file"}]; install and
                    uninstall give [{"agent","scope","changed","files":[{"file","changed","events","backup"}]}]
  --dir DIR         the buffer folder the hooks write to (default: $NEXUS_BUFFER_DIR, else the
                    crate's folder); given here, it is written into the hook command`,
  options: {
    agent: { type: 'string' },
    scope: { type: 'string' },
    project: { type: 'string' },
    yes: { type: 'boolean', short: 'y' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const [action, ...rest] = ctx.positionals;
    if (action === undefined) throw new UsageError(`hooks: missing action (${ACTIONS.join(', ')})`);
    if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`hooks: unknown action ${JSON.stringify(action)} (${ACTIONS.join(', ')})`);
    noPositionals(rest, `hooks ${action}`);
    const scope = parseScope(ctx.values.scope);
    const places = placesOf(ctx);
    const agents = await selectAgents(ctx.values.agent as string | undefined, scope, places, action as Action);
    if (action === 'status') return status(ctx, agents, scope, places);
    return change(ctx, action as 'install' | 'uninstall', agents, scope, places);
  },
};

function parseScope(value: unknown): HookScope {
  if (value === undefined || value === 'user') return 'user';
  if (value === 'project') return 'project';
  throw new UsageError(`hooks: --scope must be user or project, got ${JSON.stringify(value)}`);
}

function placesOf({ values, io }: CommandContext): HookPlaces {
  const home = io.env.HOME || io.env.USERPROFILE || os.homedir();
  const project = path.resolve(typeof values.project === 'string' && values.project.trim() ? values.project : process.cwd());
  return { home, project, env: io.env };
}

async function selectAgents(name: string | undefined, scope: HookScope, places: HookPlaces, action: Action): Promise<AgentProvider[]> {
  let agents: AgentProvider[];
  if (name !== undefined) {
    const agent = findAgent(name);
    if (!agent?.hooks) {
      throw new UsageError(`hooks: unknown agent ${JSON.stringify(name)} (agents with hooks: ${hookableAgents().map((a) => a.id).join(', ')})`);
    }
    agents = [agent];
  } else {
    agents = [];
    for (const agent of hookableAgents()) {
      // Uninstall and status also look at agents no longer found (their hooks may still be there).
      if (action !== 'install' || (await agent.hooks!.detect(places))) agents.push(agent);
    }
    if (agents.length === 0) {
      throw new CliError(`hooks: no agent found on this machine (looked for ${hookableAgents().map((a) => a.id).join(', ')}); name one with --agent`);
    }
  }
  const withScope = agents.filter((agent) => agent.hooks!.scopes.includes(scope));
  if (withScope.length === 0) throw new UsageError(`hooks: ${agents.map((a) => a.displayName).join(', ')} has no ${scope} scope`);
  return withScope;
}

/** The command the hooks run: this Node and this bundle, and the buffer folder when not the default. */
export function cliHookSpec(env: NodeJS.ProcessEnv, dirOption: unknown, cliPath = currentCliPath()): HookCommandSpec {
  const bufferDir = typeof dirOption === 'string' && dirOption.trim() ? path.resolve(dirOption) : env.NEXUS_BUFFER_DIR || undefined;
  return { node: process.execPath, cliPath: hookEntryPath(cliPath), useElectronRunAsNode: false, ...(bufferDir ? { bufferDir } : {}) };
}

function currentCliPath(): string {
  const script = process.argv[1] ? path.resolve(process.argv[1]) : __filename;
  try {
    return fs.realpathSync(script);
  } catch {
    return script;
  }
}


async function status(ctx: CommandContext, agents: AgentProvider[], scope: HookScope, places: HookPlaces): Promise<number> {
  const spec = cliHookSpec(ctx.io.env, ctx.values.dir);
  const rows = [];
  for (const agent of agents) {
    const found = await agent.hooks!.status(scope, places, spec);
    rows.push({
      agent: agent.id,
      installed: found.installed,
      file: found.file,
      scope,
      partial: found.partial,
      ...(found.problem ? { problem: found.problem } : {}),
    });
  }
  if (ctx.values.json) {
    ctx.io.out(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT_OK;
  }
  const width = Math.max(...rows.map((r) => r.agent.length));
  for (const row of rows) {
    const state = row.problem ? `unreadable: ${row.problem}`
      : row.installed ? 'installed'
        : row.partial ? 'partly installed or out of date (run hooks install)'
          : 'not installed';
    ctx.io.out(`${row.agent.padEnd(width)}  ${state}  ${tildify(row.file, places.home)}\n`);
  }
  return EXIT_OK;
}

async function change(ctx: CommandContext, action: 'install' | 'uninstall', agents: AgentProvider[], scope: HookScope, places: HookPlaces): Promise<number> {
  const { io, values } = ctx;
  const dryRun = values['dry-run'] === true;
  const json = values.json === true;
  if (!dryRun && !values.yes && !io.stdinIsTTY) {
    throw new CliError(`hooks ${action}: refusing to change agent settings without confirmation; pass --yes (or --dry-run to see the change)`);
  }
  const spec = cliHookSpec(io.env, values.dir);
  const results = [];
  let failed = false;
  for (const agent of agents) {
    const installer = agent.hooks!;
    let plans: HooksPlan[];
    try {
      plans = action === 'install' ? await installer.planInstall(scope, places, spec) : await installer.planUninstall(scope, places);
    } catch (error) {
      failed = true;
      io.err(`nexus-buffer: ${agent.displayName}: ${(error as Error).message}\n`);
      results.push({ agent: agent.id, scope, changed: false, error: (error as Error).message, files: [] });
      continue;
    }
    const changed = plans.filter((plan) => plan.changed);
    const say = json ? () => undefined : (text: string) => io.out(text);
    if (changed.length === 0) {
      for (const note of plans.flatMap((plan) => plan.notes ?? [])) say(`# ${note}\n`);
      say(`${agent.displayName}: ${action === 'install' ? 'hooks already installed' : 'no hooks of ours'} in ${plans.map((p) => tildify(p.settingsPath, places.home)).join(', ')}; nothing to change.\n`);
      results.push({ agent: agent.id, scope, changed: false, files: plans.map((p) => ({ file: p.settingsPath, changed: false, events: [], ...(p.notes ? { notes: p.notes } : {}) })) });
      continue;
    }
    for (const plan of changed) say(`${plan.diffText}\n`);
    const question = `${action === 'install' ? 'Install' : 'Remove'} the Nexus Buffer hooks ${action === 'install' ? 'in' : 'from'} ${changed.map((p) => tildify(p.settingsPath, places.home)).join(' and ')} (${agent.displayName})? [y/N] `;
    if (dryRun || (!values.yes && !(await io.confirm(question)))) {
      say(dryRun ? `${agent.displayName}: dry run, nothing written.\n` : `${agent.displayName}: nothing changed.\n`);
      results.push({ agent: agent.id, scope, changed: false, dryRun, files: plans.map((p) => ({ file: p.settingsPath, changed: false, wouldChange: p.changed, events: p.events, diff: p.diffText })) });
      continue;
    }
    try {
      const written = await applyPlans(plans);
      for (const result of written.filter((r) => r.changed)) {
        say(`${agent.displayName}: ${action === 'install' ? 'installed in' : 'removed from'} ${tildify(result.settingsPath, places.home)}${result.backupPath ? ` (backup: ${path.basename(result.backupPath)})` : ''}.\n`);
      }
      results.push({ agent: agent.id, scope, changed: true, files: written.map((r) => ({ file: r.settingsPath, changed: r.changed, events: r.events, ...(r.backupPath ? { backup: r.backupPath } : {}), ...(r.notes ? { notes: r.notes } : {}) })) });
    } catch (error) {
      failed = true;
      io.err(`nexus-buffer: ${agent.displayName}: ${(error as Error).message}\n`);
      results.push({ agent: agent.id, scope, changed: false, error: (error as Error).message, files: [] });
    }
  }
  if (json) io.out(`${JSON.stringify(results, null, 2)}\n`);
  return failed ? EXIT_ERROR : EXIT_OK;
}
