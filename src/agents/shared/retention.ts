// The agents' own retention sweeps (Claude Code deletes sessions older than `cleanupPeriodDays`
// at start-up, without a trash): which session files one will delete soon that are not yet in
// the buffers, so that the person can be told once and mirror them first.
import { promises as fs } from 'node:fs';
import type { ImportState } from './importState';
import type { RetentionRule, SessionFileInfo } from '../types';

/** Sessions a sweep will take within this much time are "at risk". */
export const SWEEP_HORIZON_MS = 3 * 86_400_000;

export interface SessionAtRisk {
  session: SessionFileInfo;
  rule: RetentionRule;
  /** When the agent's sweep may delete it (ms since the epoch). */
  deletableAt: number;
}

/**
 * The sessions whose agent will sweep them within `horizonMs` and that are not (wholly) in the
 * buffers: never imported, or grown since. Oldest first.
 */
export function sessionsAtRisk(
  sessions: readonly SessionFileInfo[], rules: ReadonlyMap<string, RetentionRule>, state: ImportState, now: number, horizonMs = SWEEP_HORIZON_MS,
): SessionAtRisk[] {
  const atRisk: SessionAtRisk[] = [];
  for (const session of sessions) {
    const rule = rules.get(session.agent);
    if (!rule) continue;
    const deletableAt = Date.parse(session.modifiedAt) + rule.maxAgeMs;
    if (Number.isNaN(deletableAt) || deletableAt > now + horizonMs) continue;
    const imported = state.files[session.file];
    if (imported && imported.offset >= session.bytes) continue;
    atRisk.push({ session, rule, deletableAt });
  }
  return atRisk.sort((a, b) => a.deletableAt - b.deletableAt);
}

/** A JSON settings file's object, or undefined when it is missing or not a JSON object. */
export async function readSettingsObject(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
