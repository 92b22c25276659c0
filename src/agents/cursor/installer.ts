// Adds (and removes) the hook entries that make Cursor buffer its agent sessions through the
// bundled CLI, in `~/.cursor/hooks.json` (user) or `<project>/.cursor/hooks.json` (project).
// Cursor's shape is flat, not Claude Code's groups:
//   {"version": 1, "hooks": {"<event>": [{"command": "…"}, …]}}
// The rules every installer keeps (shown first, a backup, idempotent, uninstall removes exactly
// what was added, a file it cannot read is refused) come from ../shared/settingsFile.ts; our
// entries are recognised by the marker at the end of their command (../shared/hookCommand.ts).
//
// Only events where Cursor needs no answer are hooked: our hook prints nothing on stdout, and
// Cursor reads the stdout of its permission hooks (beforeShellExecution, beforeMCPExecution,
// beforeReadFile, preToolUse, subagentStart) and beforeSubmitPrompt as their decision. See
// FORMAT.md for why, and what that leaves out (the user's prompts).
import * as path from 'node:path';
import { agentFound, fileForScope } from '../shared/places';
import { buildHookCommand, isOurHookCommand } from '../shared/hookCommand';
import { isObject, type Json } from '../shared/payload';
import { jsonPlan, readJsonSettings, type LoadedSettings } from '../shared/settingsFile';
import type { AgentHooksInstaller, HookCommandSpec, HookPlaces, HookScope, HooksPlan, HooksStatus } from '../types';

export const HOOK_ARGS = ['push', 'cursor', '--from', 'cursor-hook'] as const;

/**
 * The events hooked: those of Cursor's agent whose hook answers nothing (or an optional
 * follow-up), so a silent hook changes nothing. Every name is in Cursor's hooks reference: a
 * name Cursor does not know makes it ignore the whole file (observed with cursor-agent).
 */
export const HOOK_EVENTS = [
  'sessionStart', 'afterShellExecution', 'afterMCPExecution', 'afterFileEdit', 'postToolUseFailure',
  'subagentStop', 'afterAgentResponse', 'preCompact', 'stop', 'sessionEnd',
] as const;

/** Events whose stdout Cursor reads as a decision: never hooked by this installer. */
export const ANSWERING_EVENTS = [
  'beforeShellExecution', 'beforeMCPExecution', 'beforeReadFile', 'preToolUse', 'subagentStart', 'beforeSubmitPrompt', 'beforeTabFileRead',
] as const;

/** `~/.cursor/hooks.json`. */
export function userHooksPath(home: string): string {
  return path.join(home, '.cursor', 'hooks.json');
}

/** `<folder>/.cursor/hooks.json`. */
export function projectHooksPath(folder: string): string {
  return path.join(folder, '.cursor', 'hooks.json');
}

function settingsPath(scope: HookScope, places: HookPlaces): string {
  return fileForScope(scope, places, (p) => userHooksPath(p.home), projectHooksPath);
}

export function commandFor(spec: HookCommandSpec): string {
  return buildHookCommand(spec, HOOK_ARGS);
}

/** Reads a hooks.json, refusing what it cannot safely edit (the shared checks, plus Cursor's own). */
async function readHooksFile(file: string): Promise<LoadedSettings> {
  const current = await readJsonSettings(file);
  const version = current.value.version;
  if (version !== undefined && version !== 1) {
    throw new Error(`${file} has "version": ${JSON.stringify(version)}; only version 1 is understood. Nothing was changed.`);
  }
  return current;
}

/** Makes `event` hold exactly one entry of ours with `command` (other keys of it kept); true when it changed. */
function upsertEntry(hooks: Json, event: string, command: string): boolean {
  const entries = (hooks[event] as unknown[] | undefined) ?? [];
  const before = JSON.stringify(entries);
  let kept = false;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (!isObject(entry) || !isOurHookCommand(entry.command)) continue;
    if (!kept) {
      entries[i] = { ...entry, command };
      kept = true;
    } else {
      entries.splice(i--, 1);
    }
  }
  if (!kept) entries.push({ command });
  hooks[event] = entries;
  return JSON.stringify(entries) !== before;
}

/** The commands of our entries, per event. */
export function ourCommands(settings: Json): Map<string, string[]> {
  const found = new Map<string, string[]>();
  if (!isObject(settings.hooks)) return found;
  for (const [event, entries] of Object.entries(settings.hooks)) {
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      if (isObject(entry) && isOurHookCommand(entry.command)) found.set(event, [...(found.get(event) ?? []), entry.command as string]);
    }
  }
  return found;
}

/** What `install` would change in one hooks.json; reads the file, writes nothing. */
export async function planInstallFile(file: string, spec: HookCommandSpec): Promise<HooksPlan> {
  const command = commandFor(spec);
  const current = await readHooksFile(file);
  // A new file starts with the version Cursor's reference writes; an existing one keeps its keys.
  const settings: Json = current.text === null || Object.keys(current.value).length === 0
    ? { version: 1, hooks: {} }
    : structuredClone(current.value);
  if (!isObject(settings.hooks)) settings.hooks = {};
  const hooks = settings.hooks as Json;
  const events = HOOK_EVENTS.filter((event) => upsertEntry(hooks, event, command));
  return jsonPlan(file, current, settings, [...events]);
}

/** What `uninstall` would change: exactly our entries removed; reads the file, writes nothing. */
export async function planUninstallFile(file: string): Promise<HooksPlan> {
  const current = await readHooksFile(file);
  const settings = structuredClone(current.value);
  const events: string[] = [];
  const hooks = settings.hooks;
  if (isObject(hooks)) {
    for (const [event, entries] of Object.entries(hooks)) {
      if (!Array.isArray(entries)) continue;
      const left = entries.filter((entry) => !(isObject(entry) && isOurHookCommand(entry.command)));
      if (left.length === entries.length) continue;
      events.push(event);
      if (left.length === 0) delete hooks[event];
      else hooks[event] = left;
    }
    if (events.length > 0 && Object.keys(hooks).length === 0) {
      delete settings.hooks;
      // What is left of a file that held only our entries is the version install wrote with them.
      if (Object.keys(settings).length === 1 && settings.version === 1) delete settings.version;
    }
  }
  return jsonPlan(file, current, settings, events);
}

export async function statusOfFile(file: string, spec?: HookCommandSpec): Promise<HooksStatus> {
  let found: Map<string, string[]>;
  try {
    found = ourCommands((await readHooksFile(file)).value);
  } catch (error) {
    return { installed: false, partial: false, file, commands: [], problem: (error as Error).message };
  }
  const commands = [...found.values()].flat();
  const wanted = spec ? commandFor(spec) : undefined;
  const complete = HOOK_EVENTS.every((event) => {
    const here = found.get(event) ?? [];
    return here.length > 0 && (wanted === undefined || here.includes(wanted));
  });
  return { installed: complete, partial: !complete && commands.length > 0, file, commands };
}

function trustNote(scope: HookScope, plan: HooksPlan): HooksPlan {
  if (scope === 'project' && plan.changed) {
    plan.notes = [`Cursor runs ${plan.settingsPath} only in a trusted workspace (trust the folder when Cursor asks).`];
    // The CLI shows a changed plan's diff; the note goes first in it, as a comment.
    plan.diffText = `${plan.notes.map((note) => `# ${note}`).join('\n')}\n${plan.diffText}`;
  }
  return plan;
}

export interface CursorHooksInstaller extends AgentHooksInstaller {
  planInstallFile(file: string, spec: HookCommandSpec): Promise<HooksPlan>;
  planUninstallFile(file: string): Promise<HooksPlan>;
  statusOfFile(file: string, spec?: HookCommandSpec): Promise<HooksStatus>;
  commandFor(spec: HookCommandSpec): string;
}

export const cursorHooks: CursorHooksInstaller = {
  scopes: ['user', 'project'],
  settingsPath,
  detect: (places) => agentFound(places, [path.join(places.home, '.cursor')], ['cursor', 'cursor-agent']),
  async planInstall(scope, places, spec) {
    return [trustNote(scope, await planInstallFile(settingsPath(scope, places), spec))];
  },
  async planUninstall(scope, places) {
    return [await planUninstallFile(settingsPath(scope, places))];
  },
  status(scope, places, spec) {
    return statusOfFile(settingsPath(scope, places), spec);
  },
  planInstallFile,
  planUninstallFile,
  statusOfFile,
  commandFor,
};
