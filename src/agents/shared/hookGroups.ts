// The hooks shape Claude Code introduced and Gemini CLI, Codex and VS Code's agent mode share:
//   {"hooks": {"<Event>": [{"matcher": "<tool regex>", "hooks": [{"type": "command", "command": "…", "timeout": 5}]}]}}
// Our handlers are recognised by the marker at the end of their command (hookCommand.ts).
import { isOurHookCommand } from './hookCommand';
import { isObject, type Json } from './payload';

/** One handler of ours, as written into an event's group. */
export type HandlerSpec = Json & { type: 'command'; command: string };

export function ensureHooksObject(settings: Json): Json {
  if (!isObject(settings.hooks)) settings.hooks = {};
  return settings.hooks as Json;
}

/** The keys of a handler we write and own: an update replaces them (one we no longer write goes). */
const OUR_KEYS = ['type', 'command', 'timeout', 'async'] as const;

/** An existing handler of ours updated to `wanted`: our keys replaced, keys a person added kept (in place). */
function updatedHandler(handler: Json, wanted: HandlerSpec): Json {
  const updated: Json = { ...handler };
  for (const key of OUR_KEYS) if (!(key in wanted)) delete updated[key];
  return withoutUndefined(Object.assign(updated, wanted));
}

/**
 * Makes `event` hold exactly one handler of ours, equal to `wanted` in our keys (type, command,
 * timeout, async: one `wanted` lacks is removed; keys a person added to it are kept); true when
 * something changed. A new group gets `matcher` when given.
 */
export function upsertOurHandler(hooks: Json, event: string, wanted: HandlerSpec, matcher?: string): boolean {
  const groups = (hooks[event] as unknown[] | undefined) ?? [];
  const before = JSON.stringify(groups);
  let kept = false;
  for (let gi = 0; gi < groups.length; gi++) {
    const group = groups[gi];
    if (!isObject(group) || !Array.isArray(group.hooks)) continue;
    const handlers = group.hooks as unknown[];
    let removedHere = false;
    for (let hi = 0; hi < handlers.length; hi++) {
      const handler = handlers[hi];
      if (!isObject(handler) || !isOurHookCommand(handler.command)) continue;
      if (!kept) {
        handlers[hi] = updatedHandler(handler, wanted);
        kept = true;
      } else {
        handlers.splice(hi--, 1);
        removedHere = true;
      }
    }
    if (removedHere && handlers.length === 0) groups.splice(gi--, 1);
  }
  if (!kept) groups.push(matcher !== undefined ? { matcher, hooks: [withoutUndefined(wanted)] } : { hooks: [withoutUndefined(wanted)] });
  hooks[event] = groups;
  return JSON.stringify(groups) !== before;
}

/** Removes our handlers from `event` (and the groups and the event they leave empty). */
export function removeOurHandlers(hooks: Json, event: string): boolean {
  const groups = hooks[event];
  if (!Array.isArray(groups)) return false;
  let removed = false;
  for (let gi = 0; gi < groups.length; gi++) {
    const group = groups[gi];
    if (!isObject(group) || !Array.isArray(group.hooks)) continue;
    const handlers = group.hooks as unknown[];
    const left = handlers.filter((handler) => !(isObject(handler) && isOurHookCommand(handler.command)));
    if (left.length === handlers.length) continue;
    removed = true;
    if (left.length === 0) groups.splice(gi--, 1);
    else group.hooks = left;
  }
  if (removed && groups.length === 0) delete hooks[event];
  return removed;
}

/** Removes our handlers from every event; the events changed. `hooks` itself goes when left empty. */
export function removeAllOurHandlers(settings: Json): string[] {
  const hooks = settings.hooks;
  const events: string[] = [];
  if (!isObject(hooks)) return events;
  for (const event of Object.keys(hooks)) {
    if (removeOurHandlers(hooks, event)) events.push(event);
  }
  if (events.length > 0 && Object.keys(hooks).length === 0) delete settings.hooks;
  return events;
}

/** The commands of our handlers, per event. */
export function ourHandlerCommands(settings: Json): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const hooks = settings.hooks;
  if (!isObject(hooks)) return found;
  for (const [event, groups] of Object.entries(hooks)) {
    if (!Array.isArray(groups)) continue;
    for (const group of groups) {
      if (!isObject(group) || !Array.isArray(group.hooks)) continue;
      for (const handler of group.hooks) {
        if (isObject(handler) && isOurHookCommand(handler.command)) {
          found.set(event, [...(found.get(event) ?? []), handler.command as string]);
        }
      }
    }
  }
  return found;
}

function withoutUndefined<T extends Json>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}
