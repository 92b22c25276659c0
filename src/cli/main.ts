// `nexus-buffer`: dispatch, help, and the mapping of errors to one stderr line and an exit code
// (0 ok, 1 error, 2 usage). Never a stack trace unless NEXUS_BUFFER_DEBUG is set.
import * as os from 'node:os';
import { checkBufferFolder } from '../core/folderSafety';
import { resolveBufferDir } from '../core/paths';
import { parseCommandArgs, UsageError } from './args';
import { EXIT_ERROR, EXIT_OK, EXIT_USAGE, type Command } from './command';
import { clearCommand } from './commands/clear';
import { hooksCommand } from './commands/hooks';
import { importCommand } from './commands/import';
import { listCommand } from './commands/list';
import { pushCommand } from './commands/push';
import { recoverCommand } from './commands/recover';
import { searchCommand } from './commands/search';
import { restoreCommand } from './commands/restore';
import { showCommand } from './commands/show';
import { oneLine } from './format';
import { isHookGuest } from './guest';
import type { CliIo } from './io';

export const COMMANDS: readonly Command[] = [listCommand, showCommand, pushCommand, clearCommand, recoverCommand, hooksCommand, searchCommand, importCommand, restoreCommand];

const COMMON_HELP = `
Common options:
  --dir DIR      the buffer folder (default: $NEXUS_BUFFER_DIR, else the crate's folder,
                 e.g. ~/.local/share/nexus/buffer on Linux)
  --help, -h     show this help`;

export function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `nexus-buffer: the crash-safe buffer of AI coding agent session context.

Usage: nexus-buffer <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "nexus-buffer <command> --help" for a command's options.
${COMMON_HELP}

Exit codes: 0 success, 1 error, 2 usage (never 2 with push --from, the agents' hook mode).
Errors are one line on stderr; set NEXUS_BUFFER_DEBUG=1 to add the stack trace.

Examples:
  echo '{"insights":["cache keys are per tenant"]}' | nexus-buffer push claude-code
  nexus-buffer list
  nexus-buffer show claude-code --json
  nexus-buffer clear claude-code --yes
  nexus-buffer hooks install --yes           # hook every agent found on this machine
  nexus-buffer hooks status
  nexus-buffer import --since 7d             # copy the agents' own session files in
  nexus-buffer restore claude-code --session <id>
`;
}

export function commandHelp(command: Command): string {
  return `${command.help}\n${COMMON_HELP}\n`;
}

export { isHookGuest };

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const guest = isHookGuest(argv);
  // A guest says nothing but its one failure line (written below with the real io).
  const commandIo: CliIo = guest ? { ...io, out: () => undefined, err: () => undefined } : io;
  let code: number;
  try {
    code = await dispatch(argv, commandIo, guest ? io : undefined);
  } catch (error) {
    code = report(error, io, argv[0], guest);
  }
  return guest && code === EXIT_USAGE ? EXIT_ERROR : code;
}

async function dispatch(argv: string[], io: CliIo, guestIo?: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(topLevelHelp());
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const wanted = name === 'help' && rest[0] ? findCommand(rest[0]) : undefined;
    io.out(wanted ? commandHelp(wanted) : topLevelHelp());
    return EXIT_OK;
  }
  if (name.startsWith('-')) throw new UsageError(`expected a command before ${JSON.stringify(name)}`);
  const command = findCommand(name);
  const { values, positionals } = parseCommandArgs(rest, command.options);
  if (values.help) {
    // A person asking for help in hook mode still gets it, on stderr (stdout stays silent).
    (guestIo ? guestIo.err : io.out)(commandHelp(command));
    return EXIT_OK;
  }
  if (values.dir !== undefined && !String(values.dir).trim()) throw new UsageError('--dir needs a folder');
  const dir = resolveBufferDir(values.dir as string | undefined, { platform: process.platform, env: io.env, homedir: os.homedir() });
  // Every command that opens the buffer: someone else's folder is refused, one of ours open to
  // others is made owner-only, said once here (`hooks` only writes agents' settings).
  if (command !== hooksCommand) await checkBufferFolder(dir, (message) => io.err(`nexus-buffer: warning: ${oneLine(message)}\n`));
  return command.run({ values, positionals, io, dir });
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)} (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
  return command;
}

/** One line on stderr for any error; the exit code it deserves. */
function report(error: unknown, io: CliIo, commandName: string | undefined, guest: boolean): number {
  const message = oneLine(error instanceof Error ? error.message : String(error)) || 'unexpected error';
  io.err(`nexus-buffer: ${message}\n`);
  if (error instanceof UsageError) {
    if (!guest) {
      const known = COMMANDS.some((c) => c.name === commandName);
      io.err(`Run "nexus-buffer ${known ? `${commandName} ` : ''}--help" for usage.\n`);
    }
    return EXIT_USAGE;
  }
  if (!guest && io.env.NEXUS_BUFFER_DEBUG && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
  return EXIT_ERROR;
}
