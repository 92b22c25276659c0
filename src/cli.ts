// Entry point of the `nexus-buffer` command line (bundled to dist/cli.js). The commands live
// in src/cli/; this file only connects them to the process.
import { isClaudeHookGuest, runCli } from './cli/main';
import { processIo } from './cli/io';

/** In Claude Code hook mode the agent waits for us: give up (exit 1, one line) rather than hang. */
const HOOK_DEADLINE_MS = 5000;

const argv = process.argv.slice(2);
const guest = isClaudeHookGuest(argv);

function die(message: string): void {
  process.stderr.write(`nexus-buffer: ${message.replace(/\s*[\r\n]+\s*/g, ' ')}\n`);
  process.exit(1);
}

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
