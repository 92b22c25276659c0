// Adds (and removes) what makes Codex buffer its session context through the bundled CLI:
// - hook entries in `$CODEX_HOME/hooks.json` (user; CODEX_HOME defaults to ~/.codex) or
//   `<project>/.codex/hooks.json` (project), in the shape Claude Code introduced;
// - in `$CODEX_HOME/config.toml` (both scopes: Codex reads its feature switches from the user's
//   config): `[features] hooks = true` when neither `hooks` nor `codex_hooks` is set, and (user
//   scope only) our `notify` program when no notify program is set. A notify the user set is
//   never replaced: the hooks alone are used then, and the plan says so.
// The rules every installer keeps (shown first, a backup, idempotent, exact uninstall) are in
// ../shared/settingsFile.ts and ../shared/groupsInstaller.ts; the TOML edits in configToml.ts.
import * as path from 'node:path';
import { agentFound, fileForScope } from '../shared/places';
import { groupsInstaller, type HookedEvent } from '../shared/groupsInstaller';
import { buildHookArgv } from '../shared/hookCommand';
import { readTextOrNull, textPlan } from '../shared/settingsFile';
import type { AgentHooksInstaller, HookCommandSpec, HookPlaces, HookScope, HooksPlan, HooksStatus } from '../types';
import {
  featureState, isFeatureLine, notifyState, TomlScanError, tomlStringArray, withHooksFeature, withNotify, withoutOurLines,
} from './configToml';

export const HOOK_ARGS = ['push', 'codex', '--from', 'codex-hook'] as const;
export const NOTIFY_ARGS = ['push', 'codex', '--from', 'codex-notify'] as const;
/** Seconds Codex waits for a hook (its default is 600); buffering takes well under one. */
export const HOOK_TIMEOUT_SECONDS = 5;
/** Codex clamps a SessionEnd hook to 3 s (and warns on every run when it is longer). */
const SESSION_END_TIMEOUT_SECONDS = 3;

/** The events hooked: every event Codex 0.171 has. Older versions ignore the ones they do not know. */
export const HOOK_EVENTS = [
  'SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'PostToolUse', 'Stop', 'StopFailure',
  'SubagentStart', 'SubagentStop', 'PreCompact', 'PostCompact', 'SessionEnd',
] as const;
const TOOL_EVENTS = new Set<string>(['PreToolUse', 'PermissionRequest', 'PostToolUse']);

const HOOKED: readonly HookedEvent[] = HOOK_EVENTS.map((event) => ({
  event,
  ...(TOOL_EVENTS.has(event) ? { matcher: '*' } : {}),
  ...(event === 'SessionEnd' ? { extra: { timeout: SESSION_END_TIMEOUT_SECONDS } } : {}),
}));

/** `$CODEX_HOME`, else `~/.codex`. */
export function codexHome(places: HookPlaces): string {
  const fromEnv = places.env?.CODEX_HOME;
  return fromEnv && fromEnv.trim() ? path.resolve(fromEnv) : path.join(places.home, '.codex');
}

export function userHooksPath(places: HookPlaces): string {
  return path.join(codexHome(places), 'hooks.json');
}

export function projectHooksPath(folder: string): string {
  return path.join(folder, '.codex', 'hooks.json');
}

export function configPath(places: HookPlaces): string {
  return path.join(codexHome(places), 'config.toml');
}

function settingsPath(scope: HookScope, places: HookPlaces): string {
  return fileForScope(scope, places, userHooksPath, projectHooksPath);
}

/** The notify program's argv: no shell, so no marker comment (config.toml's line carries one). */
export function notifyArgv(spec: HookCommandSpec): string[] {
  return buildHookArgv(spec, NOTIFY_ARGS);
}

async function readConfig(file: string): Promise<string | null> {
  const text = await readTextOrNull(file);
  if (text !== null) {
    try {
      featureState(text);
    } catch (error) {
      throw new Error(`${file} cannot be read as TOML (${(error as Error).message}); fix it first. Nothing was changed.`, { cause: error });
    }
  }
  return text;
}

function tomlEdit(file: string, edit: () => string): string {
  try {
    return edit();
  } catch (error) {
    if (error instanceof TomlScanError) throw new Error(`${file}: ${error.message}. Nothing was changed.`, { cause: error });
    throw error;
  }
}

/** A plan with notes: things the person should know that are not a change (shown before the diff). */
export type CodexPlan = HooksPlan & { notes?: string[] };

async function configInstallPlan(scope: HookScope, places: HookPlaces, spec: HookCommandSpec): Promise<CodexPlan> {
  const file = configPath(places);
  const before = await readConfig(file);
  const text = before ?? '';
  const events: string[] = [];
  const notes: string[] = [];
  let after = tomlEdit(file, () => withHooksFeature(text));
  if (after !== text) events.push('features.hooks');
  const feature = featureState(text);
  if (feature.state === 'off') {
    notes.push(`Codex's hooks are turned off in ${file} ([features] ${feature.key} = false); left as it is: Codex runs no hook until it is true.`);
  }
  if (scope === 'user') {
    const withOurs = tomlEdit(file, () => withNotify(after, notifyArgv(spec)));
    if (withOurs !== after) events.push('notify');
    after = withOurs;
    const notify = notifyState(text);
    if (notify.state === 'theirs') {
      notes.push(`${file} already sets a notify program (notify = ${notify.value}); Codex runs only one, so it is left as it is and the hooks alone fill the codex buffer.`);
    }
  }
  const plan: CodexPlan = textPlan(file, before, after, events);
  if (notes.length > 0) plan.notes = notes;
  return plan;
}

async function configUninstallPlan(scope: HookScope, places: HookPlaces): Promise<CodexPlan> {
  const file = configPath(places);
  const before = await readConfig(file);
  if (before === null) return textPlan(file, null, '', []);
  let only = (): boolean => true;
  if (scope === 'project') {
    // The feature switch serves the user's hooks too: it stays while they are installed.
    const userHooks = await base.statusOfFile(userHooksPath(places));
    if (userHooks.commands.length > 0) return textPlan(file, before, before, []);
    only = isFeatureLine as () => boolean;
  }
  const after = tomlEdit(file, () => withoutOurLines(before, only));
  const events: string[] = [];
  if (after !== before) {
    if (featureState(before).state === 'on' && featureState(after).state !== 'on') events.push('features.hooks');
    if (notifyState(before).state === 'ours' && notifyState(after).state === 'none') events.push('notify');
    if (events.length === 0) events.push('config.toml');
  }
  return textPlan(file, before, after, events);
}

const base = groupsInstaller({
  scopes: ['user', 'project'],
  settingsPath,
  detect: (places) => agentFound(places, [codexHome(places)], ['codex']),
  events: HOOKED,
  cliArgs: HOOK_ARGS,
  timeout: HOOK_TIMEOUT_SECONDS,
  extraInstallPlans: async (scope, places, spec) => [await configInstallPlan(scope, places, spec)],
  extraUninstallPlans: async (scope, places) => [await configUninstallPlan(scope, places)],
});

/** Notes that hold whenever the hooks file changes: Codex's trust review, and project trust. */
function trustNotes(scope: HookScope, places: HookPlaces, plans: CodexPlan[]): string[] {
  if (!plans[0]?.changed) return [];
  const notes = [
    'Codex runs a new or changed hook only after you trust it: open /hooks in Codex (or answer its start-up review) and trust the nexus-buffer hooks. `codex exec --dangerously-bypass-hook-trust` skips the review for one run.',
  ];
  if (scope === 'project') {
    notes.push(`Codex loads ${projectHooksPath(places.project ?? '.')} only in a trusted project (trust the folder when Codex asks, or set [projects."${places.project ?? '.'}"] trust_level = "trusted" in ${configPath(places)}).`);
  }
  return notes;
}

/** Puts the notes before the first changed plan's diff (what the CLI and the extension show). */
function withNotes(plans: CodexPlan[], extra: string[]): CodexPlan[] {
  const notes = [...extra, ...plans.flatMap((plan) => plan.notes ?? [])];
  if (notes.length === 0) return plans;
  const target = plans.find((plan) => plan.changed) ?? plans[0]!;
  target.notes = notes;
  if (target.changed) target.diffText = `${notes.map((note) => `# ${note}`).join('\n')}\n${target.diffText}`;
  for (const plan of plans) if (plan !== target) delete plan.notes;
  return plans;
}

async function status(scope: HookScope, places: HookPlaces, spec?: HookCommandSpec): Promise<HooksStatus> {
  const hooks = await base.status(scope, places, spec);
  if (hooks.problem) return hooks;
  let config: string | null;
  try {
    config = await readConfig(configPath(places));
  } catch (error) {
    return { ...hooks, installed: false, problem: (error as Error).message };
  }
  const featureOn = featureState(config ?? '').state === 'on';
  let notifyCurrent = true;
  const commands = [...hooks.commands];
  if (scope === 'user') {
    const notify = notifyState(config ?? '');
    if (notify.state === 'ours') commands.push(`notify = ${notify.value}`);
    // A notify of the user's is fine (the hooks alone are used); ours must be current.
    notifyCurrent = notify.state === 'theirs' || (notify.state === 'ours' && (spec === undefined || notify.value === tomlStringArray(notifyArgv(spec))));
  }
  const installed = hooks.installed && featureOn && notifyCurrent;
  const feature = featureState(config ?? '');
  const ourFeature = feature.state === 'on' && feature.ours;
  return { installed, partial: !installed && (commands.length > 0 || ourFeature), file: hooks.file, commands };
}

export const codexHooks: AgentHooksInstaller & { commandFor(spec: HookCommandSpec): string } = {
  scopes: base.scopes,
  settingsPath: base.settingsPath,
  detect: base.detect,
  commandFor: base.commandFor,
  async planInstall(scope, places, spec) {
    const plans = (await base.planInstall(scope, places, spec)) as CodexPlan[];
    return withNotes(plans, trustNotes(scope, places, plans));
  },
  async planUninstall(scope, places) {
    return withNotes((await base.planUninstall(scope, places)) as CodexPlan[], []);
  },
  status,
};
