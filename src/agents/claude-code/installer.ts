// Adds (and removes) the hook entries that make Claude Code buffer its session context through
// the bundled CLI, in a Claude Code settings file (`~/.claude/settings.json` for the user, or a
// project's `.claude/settings.json`). The rules every installer keeps (show the change first, a
// backup, idempotent, uninstall removes exactly what was added) are in ../shared/settingsFile.ts
// and ../shared/groupsInstaller.ts. VS Code's agent mode reads these files too: its events
// arrive through the same hooks and go to the `copilot` buffer (see hookPayload.ts).
import * as os from 'node:os';
import * as path from 'node:path';
import { agentFound, fileForScope } from '../shared/places';
import { applyPlan, type ApplyOptions } from '../shared/settingsFile';
import { groupsInstaller, type HookedEvent } from '../shared/groupsInstaller';
import { buildHookCommand as buildCommand, HOOK_MARKER, isOurHookCommand, pickNodeRuntime, shellQuote } from '../shared/hookCommand';
import { buildSpoolCommand } from '../shared/spoolCommand';
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
 * Events whose hook Claude Code runs in the background (`"async": true`): none. Claude Code
 * stops (SIGTERM) the background hooks still running when it exits, and a hook stopped before
 * its payload is written loses the event (seen with PostToolUse and `--max-turns` on the real
 * Claude Code 2.1.332). The tool events are cheap to wait for instead: see SPOOLED_EVENTS.
 * Checked: test/e2e/claudeAsyncHooks.test.ts.
 */
export const ASYNC_HOOK_EVENTS: ReadonlySet<string> = new Set<string>();

/**
 * Events whose hook is the spool command (../shared/spoolCommand.ts) rather than a Node
 * process: those of every tool call, which Claude Code waits for twice per call (a Node start
 * is ~80 ms; the spool command, a few coreutils, ~10 ms). Their payloads become entries at the
 * next Node hook (every turn ends with Stop, every session with SessionEnd), `nexus-buffer
 * show|list|recover`, or in the extension as they come. On Windows (no POSIX shell for
 * certain) they keep the Node command.
 */
export const SPOOLED_EVENTS: ReadonlySet<string> = TOOL_EVENTS;
export const HOOK_SOURCE_ID = 'claude-hook';

/** The hooked events as written on `platform` (the spool command on tool events, but on win32). */
export function hookedEvents(platform: NodeJS.Platform = process.platform): HookedEvent[] {
  return HOOK_EVENTS.map((event) => ({
    event,
    ...(TOOL_EVENTS.has(event) ? { matcher: '*' } : {}),
    ...(ASYNC_HOOK_EVENTS.has(event) ? { extra: { async: true } } : {}),
    ...(SPOOLED_EVENTS.has(event) && platform !== 'win32' ? { command: (spec: HookCommandSpec) => commandForEvent(spec, event, platform) } : {}),
  }));
}

/** `~/.claude/settings.json`. */
export function userSettingsPath(home: string = os.homedir()): string {
  return path.join(home, '.claude', 'settings.json');
}

/** `<folder>/.claude/settings.json`. */
export function projectSettingsPath(folder: string): string {
  return path.join(folder, '.claude', 'settings.json');
}

function settingsPath(scope: HookScope, places: HookPlaces): string {
  return fileForScope(scope, places, (p) => userSettingsPath(p.home), projectSettingsPath);
}

/** The installer as it works on `platform` (tests pass win32 to see the Node command everywhere). */
export function claudeCodeHooksFor(platform: NodeJS.Platform): ReturnType<typeof groupsInstaller> {
  return groupsInstaller({
    scopes: ['user', 'project'],
    settingsPath,
    detect: (places) => agentFound(places, [path.join(places.home, '.claude')], ['claude']),
    events: hookedEvents(platform),
    cliArgs: HOOK_ARGS,
    timeout: HOOK_TIMEOUT_SECONDS,
  });
}

export const claudeCodeHooks = claudeCodeHooksFor(process.platform);

/** The Node hook command line (every event but the spooled ones), e.g. `'/usr/bin/node' '/x/dist/cli.js' push claude-code --from claude-hook # nexus-buffer-hook`. */
export function buildHookCommand(spec: HookCommandSpec): string {
  return buildCommand(spec, HOOK_ARGS);
}

/** The command `install` writes for `event` on `platform`: the spool command or the Node one. */
export function commandForEvent(spec: HookCommandSpec, event: string, platform: NodeJS.Platform = process.platform): string {
  return SPOOLED_EVENTS.has(event) && platform !== 'win32' ? buildSpoolCommand(spec, HOOK_SOURCE_ID, platform) : buildHookCommand(spec);
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
