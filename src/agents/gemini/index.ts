import type { AgentProvider, HookSource } from '../types';
import { GEMINI_AGENT, geminiHookToEntry } from './hookPayload';
import { geminiHooks } from './installer';
import { geminiSessions } from './sessionReader';

export const geminiHookSource: HookSource = {
  id: 'gemini-hook',
  agent: GEMINI_AGENT,
  payloadFrom: 'stdin',
  summary: 'a Gemini CLI hook event on stdin',
  toEntry(payload, now) {
    const { context, contextType } = geminiHookToEntry(payload, now);
    return { agent: GEMINI_AGENT, context, contextType };
  },
};

export const gemini: AgentProvider = {
  id: GEMINI_AGENT,
  displayName: 'Gemini CLI',
  hookSources: [geminiHookSource],
  hooks: geminiHooks,
  sessions: geminiSessions,
};
