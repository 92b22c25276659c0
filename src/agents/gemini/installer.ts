// Adds (and removes) the hook entries that make Gemini CLI buffer its session context through
// the bundled CLI, in a Gemini CLI settings file (`~/.gemini/settings.json` for the user, or a
// project's `.gemini/settings.json`). Gemini CLI's hooks take the shape Claude Code introduced
// ({"hooks": {"<Event>": [{"matcher", "hooks": [{"type": "command", "command", "timeout"}]}]}}),
// so ../shared/groupsInstaller.ts does the work and keeps the rules (plan with a diff, backup,
// idempotent, uninstall removes exactly what was added).
//
// No switch is needed: hooks are on unless `hooksConfig.enabled` is false (its default is true
// since Gemini CLI ~0.27; the older `tools.enableHooks` is no longer read). The installer leaves
// `hooksConfig` alone: a person who turned hooks off did so for every hook, ours included.
import * as os from 'node:os';
import * as path from 'node:path';
import { agentFound, fileForScope } from '../shared/places';
import { groupsInstaller, type HookedEvent } from '../shared/groupsInstaller';
import type { HookPlaces, HookScope } from '../types';

/**
 * The events hooked. BeforeModel, AfterModel (every streamed chunk) and BeforeToolSelection
 * fire for every model call with the whole request: not hooked (a hook delays each call).
 */
export const HOOK_EVENTS = [
  'SessionStart', 'BeforeAgent', 'BeforeTool', 'AfterTool', 'AfterAgent', 'Notification', 'PreCompress', 'SessionEnd',
] as const;
/** Events whose `matcher` is a tool-name regex; "*" matches every tool. The others take none (all). */
const TOOL_EVENTS = new Set<string>(['BeforeTool', 'AfterTool']);
/**
 * Milliseconds Gemini CLI waits for the hook (its unit is ms; its default is 60,000). Buffering
 * takes well under a second and the hook gives up by itself after 5 s (one line on
 * stderr, which Gemini shows as a warning); a stuck hook must not hold a tool call up for a minute.
 */
export const HOOK_TIMEOUT_MS = 10_000;
/** The handler's `name`: what `/hooks panel` shows and `/hooks disable nexus-buffer` takes. */
export const HOOK_NAME = 'nexus-buffer';
export const HOOK_ARGS = ['push', 'gemini', '--from', 'gemini-hook'] as const;

/**
 * PreCompress only for `/compress` (matchers of lifecycle events are exact strings: here the
 * trigger). Gemini CLI fires PreCompress with trigger "auto" before every model call, before it
 * checks whether the history is long enough to compress (google-gemini/gemini-cli#18083; seen
 * with 0.61.0): hooking it would record a compaction that did not happen on every turn.
 */
export const PRE_COMPRESS_MATCHER = 'manual';

const HOOKED: readonly HookedEvent[] = HOOK_EVENTS.map((event) => ({
  event,
  ...(TOOL_EVENTS.has(event) ? { matcher: '*' } : event === 'PreCompress' ? { matcher: PRE_COMPRESS_MATCHER } : {}),
  extra: { name: HOOK_NAME },
}));

/** `~/.gemini/settings.json`. */
export function userSettingsPath(home: string = os.homedir()): string {
  return path.join(home, '.gemini', 'settings.json');
}

/** `<folder>/.gemini/settings.json`. */
export function projectSettingsPath(folder: string): string {
  return path.join(folder, '.gemini', 'settings.json');
}

function settingsPath(scope: HookScope, places: HookPlaces): string {
  return fileForScope(scope, places, (p) => userSettingsPath(p.home), projectSettingsPath);
}

export const geminiHooks = groupsInstaller({
  scopes: ['user', 'project'],
  settingsPath,
  detect: (places) => agentFound(places, [path.join(places.home, '.gemini')], ['gemini']),
  events: HOOKED,
  cliArgs: HOOK_ARGS,
  timeout: HOOK_TIMEOUT_MS,
});
