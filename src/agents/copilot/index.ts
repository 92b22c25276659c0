import type { AgentProvider, HookSource } from '../types';
import { COPILOT_AGENT, copilotHookToEntry } from './hookPayload';
import { copilotHooks } from './installer';

export { COPILOT_AGENT };

/**
 * The hook command of Copilot's own hooks file (`~/.copilot/hooks/nexus-buffer.json`,
 * `.github/hooks/nexus-buffer.json`). Events that come through Claude Code's settings files
 * instead (`--from claude-hook`) are recognised by their shape and mapped the same way.
 */
export const copilotHookSource: HookSource = {
  id: 'copilot-hook',
  agent: COPILOT_AGENT,
  payloadFrom: 'stdin',
  summary: "a VS Code agent mode / GitHub Copilot hook event on stdin (~/.copilot/hooks, .github/hooks)",
  toEntry(payload, now) {
    return copilotHookToEntry(payload, now, 'copilot-hooks');
  },
};

/** VS Code's agent mode (GitHub Copilot): the Local harness and the Copilot runtime. */
export const copilot: AgentProvider = {
  id: COPILOT_AGENT,
  displayName: 'VS Code agent mode (Copilot)',
  hookSources: [copilotHookSource],
  hooks: copilotHooks,
};
