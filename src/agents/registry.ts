// Every agent Nexus Buffer knows, one folder each (see types.ts). The CLI's `push --from`,
// `hooks` and the extension's "Install Agent Hooks…" iterate this list.
import { claudeCode } from './claude-code';
import { copilot } from './copilot';
import { codex } from './codex';
import { gemini } from './gemini';
import { cursor } from './cursor';
import type { AgentProvider, HookSource } from './types';

export const AGENTS: readonly AgentProvider[] = [claudeCode, copilot, codex, gemini, cursor];

/** Agents with an installer of their own. */
export function hookableAgents(): AgentProvider[] {
  return AGENTS.filter((agent) => agent.hooks !== undefined);
}

export function findAgent(id: string): AgentProvider | undefined {
  return AGENTS.find((agent) => agent.id === id);
}

export function allHookSources(): HookSource[] {
  return AGENTS.flatMap((agent) => agent.hookSources);
}

export function findHookSource(id: string): HookSource | undefined {
  return allHookSources().find((source) => source.id === id);
}
