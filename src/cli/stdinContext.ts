// Turning text from stdin into a complete, validated SessionContext, before anything is
// written: a mistake is reported with the field it concerns and leaves the disk untouched.
import { completeContext, type SessionContext } from '../core/schema';
import { CliError } from './command';

/** Parses JSON text, or throws CliError saying what is wrong with it (`what` names the source). */
export function parseJsonText(text: string, what: string): unknown {
  const clean = text.replace(/^\uFEFF/, '');
  const prefix = what ? `${what}: ` : '';
  if (!clean.trim()) throw new CliError(`${prefix}empty input, expected a JSON object`);
  try {
    return JSON.parse(clean);
  } catch (error) {
    throw new CliError(`${prefix}not valid JSON (${(error as Error).message})`);
  }
}

/**
 * A partial SessionContext completed with the crate's defaults: agent_type = AGENT, times = now,
 * extraction_source = "cli". Throws InvalidContextError naming the field (e.g. `context.files[0].action`).
 */
export function contextFromJson(text: string, agent: string, what = 'stdin'): SessionContext {
  return completeContext(parseJsonText(text, what), { agentType: agent, extractionSource: 'cli' });
}
