import { copilotHookToEntry, isCopilotPayload } from '../copilot/hookPayload';
import type { AgentProvider, HookSource } from '../types';
import { claudeHookToEntry } from './hookPayload';
import { claudeCodeHooks } from './installer';
import { claudeSessions } from './sessionReader';

export const CLAUDE_CODE_AGENT = 'claude-code';

export const claudeHookSource: HookSource = {
  id: 'claude-hook',
  agent: CLAUDE_CODE_AGENT,
  payloadFrom: 'stdin',
  summary: "a Claude Code hook event on stdin (VS Code agent mode's camelCase events go to copilot)",
  toEntry(payload, now) {
    if (isCopilotPayload(payload)) return copilotHookToEntry(payload, now);
    const { context, contextType } = claudeHookToEntry(payload, now);
    return { agent: CLAUDE_CODE_AGENT, context, contextType };
  },
};

export const claudeCode: AgentProvider = {
  id: CLAUDE_CODE_AGENT,
  displayName: 'Claude Code',
  hookSources: [claudeHookSource],
  hooks: claudeCodeHooks,
  sessions: claudeSessions,
};
