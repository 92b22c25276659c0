// Argument parsing on top of node:util parseArgs: strict (unknown options are usage errors),
// with every command's own options plus the shared --dir and --help.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called: exit code 2 and a hint to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS: OptionSpecs = {
  dir: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseCommandArgs(argv: string[], options: OptionSpecs): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    // parseArgs explains itself at length; its first sentence is the useful part.
    const message = (error as Error).message.split(/\.\s/)[0].replace(/\.$/, '');
    throw new UsageError(message);
  }
}

/** The single positional AGENT of commands that act on one buffer. */
export function oneAgent(positionals: string[], command: string): string {
  if (positionals.length === 0) throw new UsageError(`${command}: missing AGENT (e.g. claude-code)`);
  if (positionals.length > 1) throw new UsageError(`${command}: expected one AGENT, got ${positionals.length} arguments`);
  return positionals[0];
}

export function noPositionals(positionals: string[], command: string): void {
  if (positionals.length) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(positionals[0])}`);
}
