import type { AgentProvider } from '../types';
import { COPILOT_AGENT } from './hookPayload';

/**
 * VS Code's agent mode. Its events arrive through Claude Code's hooks (`--from claude-hook`,
 * routed by shape), so it has no hook source or installer of its own.
 */
export const copilot: AgentProvider = {
  id: COPILOT_AGENT,
  displayName: 'VS Code agent mode (Copilot)',
  hookSources: [],
};
