// An agent type becomes a file name (<dir>/<agent>.json), so it must be a plain, portable one.
import { BufferError } from './errors';

export const AGENT_NAME_RULE =
  'an agent name is 1 to 64 characters of letters, digits, ".", "_" and "-", starts with a letter or a digit and is not a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9)';

// A letter or a digit first: a name like "-rf" or "-" would read as an option to any tool
// (rm, ls, our own command line) that is handed the file name.
const ALLOWED = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;

/** Why `name` is not a valid agent name, or undefined when it is. */
export function agentNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `agent name must be a string; ${AGENT_NAME_RULE}`;
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  if (!ALLOWED.test(name)) return `invalid agent name ${shown}: ${AGENT_NAME_RULE}`;
  // Windows also refuses a device name followed by an extension ("nul.txt") and a trailing dot.
  const stem = name.split('.')[0];
  if (WINDOWS_DEVICE.test(stem) || name.endsWith('.')) return `invalid agent name ${shown}: ${AGENT_NAME_RULE}`;
  return undefined;
}

export function isValidAgentName(name: unknown): name is string {
  return agentNameProblem(name) === undefined;
}

/** Returns the name when valid; throws BufferError('INVALID_AGENT_NAME') saying what is allowed. */
export function assertAgentName(name: unknown): string {
  const problem = agentNameProblem(name);
  if (problem) throw new BufferError('INVALID_AGENT_NAME', problem);
  return name as string;
}

/**
 * Why `name` cannot be the name of a buffer that already exists, or undefined. The crate puts
 * the agent string into the file name as it is (`my agent.json`), so reading, recovering and
 * clearing take any name a file in the folder can have; only creating a buffer needs the
 * portable rule above. Still refused: anything that could leave the folder or hide a file.
 */
export function existingBufferNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'agent name must be a string';
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  if (name.length === 0 || name.length > 250) return `invalid agent name ${shown}: it must be 1 to 250 characters`;
  if (/[/\\\0]/.test(name) || name.startsWith('.')) {
    return `invalid agent name ${shown}: a buffer's name cannot hold "/", "\\" or NUL or start with "."`;
  }
  return undefined;
}

export function isExistingBufferName(name: unknown): name is string {
  return existingBufferNameProblem(name) === undefined;
}

/** Returns the name when a buffer of that name may exist; throws BufferError('INVALID_AGENT_NAME'). */
export function assertExistingBufferName(name: unknown): string {
  const problem = existingBufferNameProblem(name);
  if (problem) throw new BufferError('INVALID_AGENT_NAME', problem);
  return name as string;
}
