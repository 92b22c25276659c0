// Adds (and removes) the hook entries that make VS Code's agent mode (GitHub Copilot) buffer its
// session context through the bundled CLI, in a hooks file of Copilot's own, which needs no
// Claude Code and no setting:
// - user scope: `~/.copilot/hooks/nexus-buffer.json`, read by VS Code's Local harness (its
//   `chat.hookFilesLocations` default) and by the Copilot runtime (Copilot CLI, VS Code's
//   Copilot harness; it reads `$COPILOT_HOME/hooks/` when COPILOT_HOME is set);
// - project scope: `<project>/.github/hooks/nexus-buffer.json`, read by both as well.
// The file is ours (one file among the folder's `*.json`), in the flat format both read:
//   {"version": 1, "hooks": {"<PascalCase event>": [{"type": "command", "command": "…", "timeout": 5}]}}
// PascalCase names make the Copilot runtime send its "VS Code compatible" snake_case payloads.
// The rules every installer keeps (shown first, a backup, idempotent, exact uninstall) are in
// ../shared/settingsFile.ts. Facts and sources: FORMAT.md.
import * as path from 'node:path';
import { agentFound, fileForScope } from '../shared/places';
import { buildHookCommand, HOOK_MARKER, isOurHookCommand } from '../shared/hookCommand';
import { ourHandlerCommands } from '../shared/hookGroups';
import { isObject, type Json } from '../shared/payload';
import { jsonPlan, readJsonSettings } from '../shared/settingsFile';
import type { AgentHooksInstaller, HookCommandSpec, HookPlaces, HookScope, HooksPlan, HooksStatus } from '../types';

export const HOOKS_FILE_NAME = 'nexus-buffer.json';
export const HOOK_ARGS = ['push', 'copilot', '--from', 'copilot-hook'] as const;
/** Seconds the agent waits for the hook (VS Code's default is 30); buffering takes well under one. */
export const HOOK_TIMEOUT_SECONDS = 5;

/**
 * The events hooked: VS Code's eight (SessionStart, UserPromptSubmit, PreToolUse, PostToolUse,
 * PreCompact, SubagentStart, SubagentStop, Stop) and the Copilot runtime's others
 * (PostToolUseFailure, SessionEnd, ErrorOccurred), which VS Code's Local harness skips.
 */
export const HOOK_EVENTS = [
  'SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PreCompact',
  'SubagentStart', 'SubagentStop', 'Stop', 'SessionEnd', 'ErrorOccurred',
] as const;

/**
 * The Copilot runtime denies a tool call when a PreToolUse command exits non-zero (fail-closed),
 * and our CLI exits 1 when it cannot buffer: there the command ends in `|| true`, so a full disk
 * never stops the agent. Elsewhere exit 1 is a warning shown to the user, which is what we want.
 */
export const FAIL_OPEN_EVENTS: ReadonlySet<string> = new Set(['PreToolUse']);

/** `~/.copilot/hooks/nexus-buffer.json`. */
export function userHooksPath(home: string): string {
  return path.join(home, '.copilot', 'hooks', HOOKS_FILE_NAME);
}

/** `<folder>/.github/hooks/nexus-buffer.json`. */
export function projectHooksPath(folder: string): string {
  return path.join(folder, '.github', 'hooks', HOOKS_FILE_NAME);
}

function settingsPath(scope: HookScope, places: HookPlaces): string {
  return fileForScope(scope, places, (p) => userHooksPath(p.home), projectHooksPath);
}

/** The command of one event's handler. */
export function commandFor(spec: HookCommandSpec, event: string): string {
  const command = buildHookCommand(spec, HOOK_ARGS);
  if (!FAIL_OPEN_EVENTS.has(event)) return command;
  return `${command.slice(0, command.length - HOOK_MARKER.length).trimEnd()} || true ${HOOK_MARKER}`;
}

function handlerFor(spec: HookCommandSpec, event: string): Json {
  return { type: 'command', command: commandFor(spec, event), timeout: HOOK_TIMEOUT_SECONDS };
}

const isOurs = (item: unknown): boolean => isObject(item) && isOurHookCommand(item.command);

/** Makes `event` hold exactly one handler of ours, equal to `wanted` (other keys kept); true when something changed. */
function upsertFlat(hooks: Json, event: string, wanted: Json): boolean {
  const list = (hooks[event] as unknown[] | undefined) ?? [];
  const before = JSON.stringify(list);
  let kept = false;
  const next: unknown[] = [];
  for (const item of list) {
    if (!isOurs(item)) {
      next.push(item);
    } else if (!kept) {
      next.push({ ...(item as Json), ...wanted });
      kept = true;
    }
  }
  if (!kept) next.push(wanted);
  hooks[event] = next;
  return JSON.stringify(next) !== before;
}

/** Removes our handlers from every event (and the events, and `hooks`, they leave empty); the events changed. */
function removeFlat(settings: Json): string[] {
  const hooks = settings.hooks;
  if (!isObject(hooks)) return [];
  const events: string[] = [];
  for (const [event, list] of Object.entries(hooks)) {
    if (!Array.isArray(list)) continue;
    const left = list.filter((item) => !isOurs(item));
    if (left.length === list.length) continue;
    events.push(event);
    if (left.length === 0) delete hooks[event];
    else hooks[event] = left;
  }
  if (events.length > 0 && Object.keys(hooks).length === 0) delete settings.hooks;
  return events;
}

/** Our commands per event, in the flat format (and, to be safe, in Claude-style groups). */
function ourCommands(settings: Json): Map<string, string[]> {
  const found = ourHandlerCommands(settings);
  const hooks = settings.hooks;
  if (!isObject(hooks)) return found;
  for (const [event, list] of Object.entries(hooks)) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (isOurs(item)) found.set(event, [...(found.get(event) ?? []), (item as Json).command as string]);
    }
  }
  return found;
}

/** Notes to show with a plan: things the person should know that are not a change. */
export type CopilotPlan = HooksPlan & { notes?: string[] };

export async function planInstallFile(file: string, spec: HookCommandSpec): Promise<CopilotPlan> {
  const current = await readJsonSettings(file);
  const settings: Json = structuredClone(current.value);
  // A new file gets the `version` the Copilot runtime's format has (VS Code ignores it).
  const fresh = current.text === null || current.text.trim() === '';
  const ordered: Json = fresh && settings.version === undefined ? { version: 1, ...settings } : settings;
  if (!isObject(ordered.hooks)) ordered.hooks = {};
  const hooks = ordered.hooks as Json;
  const events: string[] = [];
  for (const event of HOOK_EVENTS) {
    if (upsertFlat(hooks, event, handlerFor(spec, event))) events.push(event);
  }
  return jsonPlan(file, current, ordered, events);
}

export async function planUninstallFile(file: string): Promise<CopilotPlan> {
  const current = await readJsonSettings(file);
  const settings: Json = structuredClone(current.value);
  return jsonPlan(file, current, settings, removeFlat(settings));
}

export async function statusOfFile(file: string, spec?: HookCommandSpec): Promise<HooksStatus> {
  let found: Map<string, string[]>;
  try {
    found = ourCommands((await readJsonSettings(file)).value);
  } catch (error) {
    return { installed: false, partial: false, file, commands: [], problem: (error as Error).message };
  }
  const commands = [...found.values()].flat();
  const complete = HOOK_EVENTS.every((event) => {
    const here = found.get(event) ?? [];
    return here.length > 0 && (spec === undefined || here.includes(commandFor(spec, event)));
  });
  return { installed: complete, partial: !complete && commands.length > 0, file, commands };
}

/**
 * Where the same events may also arrive through Claude Code's hooks of ours (a duplicate entry
 * per event): VS Code's Local harness runs the hooks of `~/.claude/settings.json` and
 * `.claude/settings*.json` too when `chat.useClaudeHooks` is on, and the Copilot runtime always
 * runs a repository's `.claude/settings*.json`. Returns the files of ours found, for the notes.
 */
export async function claudeHooksOfOurs(scope: HookScope, places: HookPlaces): Promise<string[]> {
  const files = scope === 'user'
    ? [path.join(places.home, '.claude', 'settings.json')]
    : places.project ? [path.join(places.project, '.claude', 'settings.json'), path.join(places.project, '.claude', 'settings.local.json')] : [];
  const found: string[] = [];
  for (const file of files) {
    try {
      if (ourCommands((await readJsonSettings(file)).value).size > 0) found.push(file);
    } catch {
      // an unreadable Claude settings file is the Claude Code installer's to report
    }
  }
  return found;
}

export function duplicateNotes(scope: HookScope, claudeFiles: readonly string[]): string[] {
  if (claudeFiles.length === 0) return [];
  const list = claudeFiles.join(' and ');
  return scope === 'user'
    ? [`Nexus Buffer's Claude Code hooks are in ${list} too. VS Code runs them only when chat.useClaudeHooks is on (off by default): then each VS Code agent event is buffered twice. Keep chat.useClaudeHooks off, or set "chat.hookFilesLocations": {"~/.claude/settings.json": false}.`]
    : [`Nexus Buffer's Claude Code hooks are in ${list} too. Copilot CLI (and VS Code's Copilot harness) runs a repository's .claude/settings.json hooks as well, and VS Code's Local harness does when chat.useClaudeHooks is on: those events are buffered twice.`];
}

/** Puts the notes before the plan's diff (what the CLI and the extension show). */
function withNotes(plan: CopilotPlan, notes: string[]): CopilotPlan {
  if (notes.length === 0) return plan;
  plan.notes = notes;
  if (plan.changed) plan.diffText = `${notes.map((note) => `# ${note}`).join('\n')}\n${plan.diffText}`;
  return plan;
}

/** VS Code's user folders (Linux, macOS, Windows; stable, Insiders, VSCodium, code-server). */
function vscodeUserDirs(places: HookPlaces): string[] {
  const home = places.home;
  const appData = places.env?.APPDATA;
  const names = ['Code', 'Code - Insiders', 'VSCodium'];
  return [
    ...names.map((name) => path.join(home, '.config', name)),
    ...names.map((name) => path.join(home, 'Library', 'Application Support', name)),
    ...(appData ? names.map((name) => path.join(appData, name)) : []),
    path.join(home, '.vscode'), path.join(home, '.vscode-server'), path.join(home, '.local', 'share', 'code-server'),
  ];
}

export const copilotHooks: AgentHooksInstaller & {
  planInstallFile: typeof planInstallFile;
  planUninstallFile: typeof planUninstallFile;
  statusOfFile: typeof statusOfFile;
} = {
  scopes: ['user', 'project'],
  settingsPath,
  detect: (places) => agentFound(places, [path.join(places.home, '.copilot'), ...vscodeUserDirs(places)], ['code', 'code-insiders', 'copilot']),
  planInstallFile,
  planUninstallFile,
  statusOfFile,
  async planInstall(scope, places, spec) {
    const plan = await planInstallFile(settingsPath(scope, places), spec);
    return [withNotes(plan, duplicateNotes(scope, await claudeHooksOfOurs(scope, places)))];
  },
  async planUninstall(scope, places) {
    return [await planUninstallFile(settingsPath(scope, places))];
  },
  status(scope, places, spec) {
    return statusOfFile(settingsPath(scope, places), spec);
  },
};
