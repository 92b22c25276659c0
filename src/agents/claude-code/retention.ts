// Claude Code's sweep: at start-up it deletes the transcripts of sessions older than
// `cleanupPeriodDays` (settings.json; 30 when unset), without a trash.
import * as path from 'node:path';
import { readSettingsObject } from '../shared/retention';
import type { RetentionRule } from '../types';

const DEFAULT_DAYS = 30;

/** The rule of the Claude Code whose config folder (`~/.claude`, `$CLAUDE_CONFIG_DIR`) is `configDir`. */
export async function claudeRetention(configDir: string): Promise<RetentionRule> {
  const file = path.join(configDir, 'settings.json');
  const days = (await readSettingsObject(file))?.cleanupPeriodDays;
  if (typeof days === 'number' && Number.isFinite(days) && days >= 0) {
    return { maxAgeMs: days * 86_400_000, setting: `cleanupPeriodDays ${days} in ${file}` };
  }
  return { maxAgeMs: DEFAULT_DAYS * 86_400_000, setting: `cleanupPeriodDays (unset: ${DEFAULT_DAYS} days)` };
}
