// What every `nexus-buffer` command provides, and what it gets when it runs.
import type { OptionSpecs } from './args';
import type { CliIo } from './io';

export interface CommandContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  io: CliIo;
  /** The resolved buffer folder (--dir, else $NEXUS_BUFFER_DIR, else the crate's default). */
  dir: string;
}

export interface Command {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** The full `--help` text (without the trailing common options, which are added). */
  help: string;
  options: OptionSpecs;
  /** Returns the exit code; throws UsageError (exit 2) or any other error (exit 1). */
  run(ctx: CommandContext): Promise<number>;
}

/** Exit codes of the command line. */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** An error of the command line itself with a message for a person (exit code 1). */
export class CliError extends Error {
  override readonly name = 'CliError';
}
