// The whole `nexus-buffer` command line (bundled to dist/cli-full.js), loaded by dist/cli.js for
// every command but the hooks' `push --from`, and by dist/hook.js for what its lean path leaves
// to the core (the message for an entry it refuses, a due compaction). The commands
// live in src/cli/; this file only connects them to the process.
import { PersistentBuffer } from './core/buffer';
import { isHookGuest, runCli } from './cli/main';
import { processIo } from './cli/io';

export { completeContext } from './core/schema';

/** In hook mode the agent waits for us: give up (exit 1, one line) rather than hang. */
const HOOK_DEADLINE_MS = 5000;

function die(message: string): void {
  process.stderr.write(`nexus-buffer: ${message.replace(/\s*[\r\n]+\s*/g, ' ')}\n`);
  process.exit(1);
}

/** Runs the command line on `argv` (the arguments after the script) in this process. */
export function main(argv: string[]): void {
  const guest = isHookGuest(argv);
  // Never a stack trace, and never exit 2 from a crash.
  process.on('uncaughtException', (error) => die(error?.message ?? String(error)));
  process.on('unhandledRejection', (reason) => die((reason as Error)?.message ?? String(reason)));
  // `nexus-buffer list | head`: a closed pipe is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    die(error.message);
  });

  if (guest) {
    // unref: the timer never keeps the process alive by itself.
    setTimeout(() => die(`gave up after ${HOOK_DEADLINE_MS} ms (buffer folder locked or slow disk); event not buffered`), HOOK_DEADLINE_MS).unref();
  }

  runCli(argv, processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => die((error as Error)?.message ?? String(error)),
  );
}

/**
 * Merges the agent's shared journal into its snapshot, as PersistentBuffer does after a shared
 * append once the journal outgrew the snapshot (dist/hook.js appends without the core).
 */
export async function compactSharedJournal(dir: string, agentType: string): Promise<void> {
  const buffer = new PersistentBuffer({ dir, sharedJournal: true, flushIntervalMs: 0 });
  try {
    await buffer.flush(agentType, { compact: true });
  } finally {
    await buffer.dispose();
  }
}
