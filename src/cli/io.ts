// The command line's contact with the outside world, behind an interface so commands can be
// run in-process by tests (fake stdin, captured output, scripted TTY answers).
import * as readline from 'node:readline';

export interface CliIo {
  /** Writes to stdout as is (callers add newlines). */
  out(text: string): void;
  /** Writes to stderr as is (callers add newlines). */
  err(text: string): void;
  /** All of stdin as UTF-8 text. */
  readStdin(): Promise<string>;
  /** stdin line by line, as it arrives (for `push --stream`). */
  stdinLines(): AsyncIterable<string>;
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
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      return Buffer.concat(chunks).toString('utf8');
    },
    stdinLines: () => readline.createInterface({ input: process.stdin, crlfDelay: Infinity }),
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
