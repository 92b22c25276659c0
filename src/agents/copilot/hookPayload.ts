// VS Code's own agent mode (Copilot) runs the hooks it finds in Claude Code's settings files
// too, with the common fields in camelCase (`sessionId`, `hookEventName`, `timestamp`, `cwd`)
// and VS Code's tool names. Such an event is Copilot's: it goes to the `copilot` buffer.
import { claudeHookToEntry } from '../claude-code/hookPayload';
import { isObject } from '../shared/payload';
import type { HookEntry } from '../types';

export const COPILOT_AGENT = 'copilot';

/** An event of VS Code's agent mode: camelCase common fields, no snake_case event name. */
export function isCopilotPayload(payload: unknown): boolean {
  return isObject(payload) && typeof payload.hookEventName === 'string' && payload.hook_event_name === undefined;
}

export function copilotHookToEntry(payload: unknown, now: string): HookEntry {
  if (!isObject(payload)) throw new Error('VS Code agent hook payload must be a JSON object');
  const { hookEventName, sessionId, ...rest } = payload;
  const entry = claudeHookToEntry({ ...rest, hook_event_name: hookEventName, session_id: sessionId }, now);
  entry.context.agent_type = COPILOT_AGENT;
  (entry.context.custom as Record<string, unknown>).capture = 'copilot-hook';
  return { agent: COPILOT_AGENT, context: entry.context, contextType: entry.contextType };
}
