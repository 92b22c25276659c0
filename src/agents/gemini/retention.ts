// Gemini CLI's sweep: `sessionRetention` (`maxAge` such as "30d"; where it sits in settings.json
// is not checked against a release here, so both the top level and `general` are read). No
// sweep unless it is set and enabled.
import * as path from 'node:path';
import { parseDuration } from '../shared/sessionImport';
import { readSettingsObject } from '../shared/retention';
import { isObject } from '../shared/payload';
import type { RetentionRule } from '../types';

/** The rule of the Gemini CLI whose folder (`~/.gemini`, `$GEMINI_CLI_HOME/.gemini`) is `geminiDir`. */
export async function geminiRetention(geminiDir: string): Promise<RetentionRule | undefined> {
  const file = path.join(geminiDir, 'settings.json');
  const settings = await readSettingsObject(file);
  const general = settings && isObject(settings.general) ? settings.general : undefined;
  const rule = settings?.sessionRetention ?? general?.sessionRetention;
  if (!isObject(rule) || rule.enabled === false || typeof rule.maxAge !== 'string') return undefined;
  const maxAgeMs = parseDuration(rule.maxAge);
  return maxAgeMs === undefined ? undefined : { maxAgeMs, setting: `sessionRetention.maxAge ${rule.maxAge} in ${file}` };
}
