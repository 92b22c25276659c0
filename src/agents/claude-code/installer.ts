// Adds (and removes) the hook entries that make Claude Code buffer its session context through
// the bundled CLI, in a Claude Code settings file (`~/.claude/settings.json` for the user, or a
// project's `.claude/settings.json`). The rules every installer keeps (show the change first, a
// backup, idempotent, uninstall removes exactly what was added) are in ../shared/settingsFile.ts
// and ../shared/groupsInstaller.ts. VS Code's agent mode reads these files too: its events
// arrive through the same hooks and go to the `copilot` buffer (see hookPayload.ts).
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { findExecutableOnPath } from '../../integrations/executables';
import { applyPlan, type ApplyOptions } from '../shared/settingsFile';
import { groupsInstaller, type HookedEvent } from '../shared/groupsInstaller';
import { buildHookCommand as buildCommand, HOOK_MARKER, isOurHookCommand, pickNodeRuntime, shellQuote } from '../shared/hookCommand';
import type { HookCommandSpec, HookPlaces, HookScope, HooksChangeResult, HooksPlan } from '../types';

export { HOOK_MARKER, isOurHookCommand, pickNodeRuntime, shellQuote };
export type { ApplyOptions, HookCommandSpec, HooksChangeResult, HooksPlan };
export { unifiedDiff } from '../shared/settingsFile';

/**
 * The events hooked. PostToolUseFailure is where Claude Code reports failed tool calls (a failed
 * Bash command); PostCompact carries the summary that replaces the conversation; SubagentStart
 * and SubagentStop bracket a subagent's run.
 */
export const HOOK_EVENTS = [
  'SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure',
  'Stop', 'SubagentStart', 'SubagentStop', 'PreCompact', 'PostCompact', 'SessionEnd',
] as const;
/** Events whose `matcher` selects tools; "*" matches every tool. The others take no matcher. */
const TOOL_EVENTS = new Set<string>(['PreToolUse', 'PostToolUse', 'PostToolUseFailure']);
/** Seconds Claude Code waits for the hook; buffering takes well under one. */
export const HOOK_TIMEOUT_SECONDS = 5;
export const HOOK_ARGS = ['push', 'claude-code', '--from', 'claude-hook'] as const;

/**
 * Events whose hook Claude Code runs in the background (`"async": true`): the agent does not wait.
 * Claude Code stops (SIGTERM) the background hooks still running when it exits; our hook
 * finishes its entry despite a SIGTERM once it runs (src/hook.ts), so only one stopped while
 * Node itself is starting is lost. PreToolUse is safe: a PostToolUse or PostToolUseFailure hook
 * the agent waits for always follows, after the tool ran, and outlasts that start-up; and its
 * loss would cost only the intent, which the outcome repeats. PostToolUse is not: a run that
 * ends without a Stop right after a tool call (`--max-turns`) loses that call's entries (seen
 * with the real Claude Code 2.1.332). Every other event is waited for: they end turns (Stop,
 * SubagentStop, PostToolUseFailure on an interrupt), carry what matters most (PostCompact's
 * summary, SessionEnd) or come once per prompt or session. Checked: test/e2e/claudeAsyncHooks.test.ts.
 */
export const ASYNC_HOOK_EVENTS: ReadonlySet<string> = new Set(['PreToolUse']);

const HOOKED: readonly HookedEvent[] = HOOK_EVENTS.map((event) => ({
  event,
  ...(TOOL_EVENTS.has(event) ? { matcher: '*' } : {}),
  ...(ASYNC_HOOK_EVENTS.has(event) ? { extra: { async: true } } : {}),
}));

/** `~/.claude/settings.json`. */
export function userSettingsPath(home: string = os.homedir()): string {
  return path.join(home, '.claude', 'settings.json');
}

/** `<folder>/.claude/settings.json`. */
export function projectSettingsPath(folder: string): string {
  return path.join(folder, '.claude', 'settings.json');
}

function settingsPath(scope: HookScope, places: HookPlaces): string {
  if (scope === 'user') return userSettingsPath(places.home);
  if (!places.project) throw new Error('Project scope needs a project folder');
  return projectSettingsPath(places.project);
}

async function exists(file: string): Promise<boolean> {
  return fsp.stat(file).then(() => true, () => false);
}

export const claudeCodeHooks = groupsInstaller({
  scopes: ['user', 'project'],
  settingsPath,
  async detect(places) {
    return (await exists(path.join(places.home, '.claude'))) || (await findExecutableOnPath('claude', places.env ?? process.env)) !== undefined;
  },
  events: HOOKED,
  cliArgs: HOOK_ARGS,
  timeout: HOOK_TIMEOUT_SECONDS,
});

/** The hook command line, e.g. `'/usr/bin/node' '/x/dist/cli.js' push claude-code --from claude-hook # nexus-buffer-hook`. */
export function buildHookCommand(spec: HookCommandSpec): string {
  return buildCommand(spec, HOOK_ARGS);
}

/** What `install` would change in one settings file; reads the file, writes nothing. */
export function planInstall(file: string, spec: HookCommandSpec): Promise<HooksPlan> {
  return claudeCodeHooks.planInstallFile(file, spec);
}

/** What `uninstall` would change; reads the file, writes nothing. */
export function planUninstall(file: string): Promise<HooksPlan> {
  return claudeCodeHooks.planUninstallFile(file);
}

/** Adds or updates the hook entries; no write (and no backup) when they are already there. */
export async function install(file: string, spec: HookCommandSpec, options: ApplyOptions = {}): Promise<HooksChangeResult> {
  return applyPlan(await planInstall(file, spec), options);
}

/** Removes exactly the entries `install` added; everything else stays. */
export async function uninstall(file: string, options: ApplyOptions = {}): Promise<HooksChangeResult> {
  return applyPlan(await planUninstall(file), options);
}

/** The commands of this installer's entries in a settings file (to tell if they are stale). */
export async function installedHookCommands(file: string): Promise<string[]> {
  return (await claudeCodeHooks.statusOfFile(file)).commands;
}
