// The command line's contact with the outside world, behind an interface so commands can be
// run in-process by tests (fake stdin, captured output, scripted TTY answers).
import * as readline from 'node:readline';
import { CappedInput, cappedLines, type InputError, type InputLimit } from '../core/textInput';

export interface CliIo {
  /** Writes to stdout as is (callers add newlines). */
  out(text: string): void;
  /** Writes to stderr as is (callers add newlines). */
  err(text: string): void;
  /**
   * All of stdin as UTF-8 text; InputError (and reading stops, or with `drain` goes on
   * discarding to the end) once it exceeds the limit; InputError for invalid UTF-8 too.
   */
  readStdin(limit: InputLimit & { drain?: boolean }): Promise<string>;
  /** stdin line by line, as it arrives (for `push --stream`): an InputError for a line too long or not UTF-8. */
  stdinLines(limit: InputLimit): AsyncIterable<string | InputError>;
  /** True when stdin is a terminal (nothing piped in). */
  readonly stdinIsTTY: boolean;
  /** Asks a yes/no question on the terminal; false unless the answer starts with y. */
  confirm(question: string): Promise<boolean>;
  readonly env: NodeJS.ProcessEnv;
}

/** The real process: stdout/stderr/stdin of this Node process. */
export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    readStdin: async (limit) => {
      const input = new CappedInput(limit);
      for await (const chunk of process.stdin) {
        // Past the limit: stop (leaving the loop closes stdin), or read on and drop the rest so
        // that the agent writing a hook event never sees a broken pipe.
        if (!input.add(typeof chunk === 'string' ? Buffer.from(chunk) : chunk) && !limit.drain) break;
      }
      return input.text('stdin');
    },
    stdinLines: (limit) => cappedLines(process.stdin, limit),
    stdinIsTTY: process.stdin.isTTY === true,
    confirm: (question) =>
      new Promise((resolve) => {
        const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
        rl.question(question, (answer) => {
          rl.close();
          resolve(/^\s*y(es)?\s*$/i.test(answer));
        });
        rl.on('close', () => resolve(false));
      }),
    env: process.env,
  };
}
