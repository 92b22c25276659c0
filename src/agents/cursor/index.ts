import type { AgentProvider, HookSource } from '../types';
import { CURSOR_AGENT, cursorHookToEntry } from './hookPayload';
import { cursorHooks } from './installer';

export { CURSOR_AGENT };

export const cursorHookSource: HookSource = {
  id: 'cursor-hook',
  agent: CURSOR_AGENT,
  payloadFrom: 'stdin',
  summary: "a Cursor agent hook event (~/.cursor/hooks.json or .cursor/hooks.json) on stdin",
  toEntry(payload, now) {
    const { context, contextType } = cursorHookToEntry(payload, now);
    return { agent: CURSOR_AGENT, context, contextType };
  },
};

export const cursor: AgentProvider = {
  id: CURSOR_AGENT,
  displayName: 'Cursor',
  hookSources: [cursorHookSource],
  hooks: cursorHooks,
};
