import type { AgentProvider, HookSource } from '../types';
import { CODEX_AGENT, codexHookToEntry, codexNotifyToEntry } from './hookPayload';
import { codexHooks } from './installer';
import { codexSessions } from './sessionReader';

export { CODEX_AGENT };

export const codexHookSource: HookSource = {
  id: 'codex-hook',
  agent: CODEX_AGENT,
  payloadFrom: 'stdin',
  summary: 'a Codex CLI hook event (hooks.json) on stdin',
  toEntry(payload, now) {
    const { context, contextType } = codexHookToEntry(payload, now);
    return { agent: CODEX_AGENT, context, contextType };
  },
};

export const codexNotifySource: HookSource = {
  id: 'codex-notify',
  agent: CODEX_AGENT,
  payloadFrom: 'last-argument',
  summary: "Codex CLI's notify program: the event JSON as the last argument",
  toEntry(payload, now) {
    const { context, contextType } = codexNotifyToEntry(payload, now);
    return { agent: CODEX_AGENT, context, contextType };
  },
};

export const codex: AgentProvider = {
  id: CODEX_AGENT,
  displayName: 'Codex CLI',
  hookSources: [codexHookSource, codexNotifySource],
  hooks: codexHooks,
  sessions: codexSessions,
};
