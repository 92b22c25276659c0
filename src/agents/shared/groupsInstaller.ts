// An installer for agents whose hooks take the shape Claude Code introduced (hookGroups.ts) in a
// JSON file: Claude Code, Gemini CLI, Codex. An agent describes its files and events; this
// builds the plans, the status and the removal, keeping the rules of settingsFile.ts.
import type { AgentHooksInstaller, HookCommandSpec, HookPlaces, HookScope, HooksPlan, HooksStatus } from '../types';
import { buildHookCommand } from './hookCommand';
import { ensureHooksObject, ourHandlerCommands, removeAllOurHandlers, upsertOurHandler, type HandlerSpec } from './hookGroups';
import { jsonPlan, readJsonSettings } from './settingsFile';

export interface HookedEvent {
  event: string;
  /** The matcher of a new group (tool events); none for events without tools. */
  matcher?: string;
  /** Extra keys of the handler, e.g. `{async: true}` where the agent need not wait. */
  extra?: Record<string, unknown>;
  /** This event's own command (Claude Code's spool command on tool events); default: the Node command. */
  command?(spec: HookCommandSpec): string;
}

export interface GroupsInstallerOptions {
  scopes: readonly HookScope[];
  settingsPath(scope: HookScope, places: HookPlaces): string;
  detect(places: HookPlaces): Promise<boolean>;
  events: readonly HookedEvent[];
  /** The CLI arguments after the runtime and bundle, e.g. `push claude-code --from claude-hook`. */
  cliArgs: readonly string[];
  /** The handler's `timeout` value, in the agent's unit (seconds for Claude Code and Codex, ms for Gemini). */
  timeout: number;
  /** Extra plans for other files of the same scope (Codex's config.toml). */
  extraInstallPlans?(scope: HookScope, places: HookPlaces, spec: HookCommandSpec): Promise<HooksPlan[]>;
  extraUninstallPlans?(scope: HookScope, places: HookPlaces): Promise<HooksPlan[]>;
}

export interface GroupsInstaller extends AgentHooksInstaller {
  /** The plan for one settings file (any path: tests and the extension's pick of a file use it). */
  planInstallFile(settingsPath: string, spec: HookCommandSpec): Promise<HooksPlan>;
  planUninstallFile(settingsPath: string): Promise<HooksPlan>;
  statusOfFile(settingsPath: string, spec?: HookCommandSpec): Promise<HooksStatus>;
  commandFor(spec: HookCommandSpec): string;
}

export function groupsInstaller(options: GroupsInstallerOptions): GroupsInstaller {
  const commandFor = (spec: HookCommandSpec) => buildHookCommand(spec, options.cliArgs);
  const handlerFor = (command: string, hooked: HookedEvent): HandlerSpec =>
    ({ type: 'command', command, timeout: options.timeout, ...(hooked.extra ?? {}) });

  const eventCommand = (spec: HookCommandSpec, hooked: HookedEvent) => (hooked.command ? hooked.command(spec) : commandFor(spec));

  const planInstallFile = async (settingsPath: string, spec: HookCommandSpec): Promise<HooksPlan> => {
    const current = await readJsonSettings(settingsPath);
    const settings = structuredClone(current.value);
    const hooks = ensureHooksObject(settings);
    const events: string[] = [];
    for (const hooked of options.events) {
      if (upsertOurHandler(hooks, hooked.event, handlerFor(eventCommand(spec, hooked), hooked), hooked.matcher)) events.push(hooked.event);
    }
    return jsonPlan(settingsPath, current, settings, events);
  };

  const planUninstallFile = async (settingsPath: string): Promise<HooksPlan> => {
    const current = await readJsonSettings(settingsPath);
    const settings = structuredClone(current.value);
    return jsonPlan(settingsPath, current, settings, removeAllOurHandlers(settings));
  };

  const statusOfFile = async (settingsPath: string, spec?: HookCommandSpec): Promise<HooksStatus> => {
    let found: Map<string, string[]>;
    try {
      found = ourHandlerCommands((await readJsonSettings(settingsPath)).value);
    } catch (error) {
      return { installed: false, partial: false, file: settingsPath, commands: [], problem: (error as Error).message };
    }
    const commands = [...found.values()].flat();
    const complete = options.events.every((hooked) => {
      const here = found.get(hooked.event) ?? [];
      return here.length > 0 && (spec === undefined || here.includes(eventCommand(spec, hooked)));
    });
    return { installed: complete, partial: !complete && commands.length > 0, file: settingsPath, commands };
  };

  return {
    scopes: options.scopes,
    settingsPath: options.settingsPath,
    detect: options.detect,
    commandFor,
    planInstallFile,
    planUninstallFile,
    statusOfFile,
    async planInstall(scope, places, spec) {
      const main = await planInstallFile(options.settingsPath(scope, places), spec);
      return [main, ...((await options.extraInstallPlans?.(scope, places, spec)) ?? [])];
    },
    async planUninstall(scope, places) {
      const main = await planUninstallFile(options.settingsPath(scope, places));
      return [main, ...((await options.extraUninstallPlans?.(scope, places)) ?? [])];
    },
    status(scope, places, spec) {
      return statusOfFile(options.settingsPath(scope, places), spec);
    },
  };
}
