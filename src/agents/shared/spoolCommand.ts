// The spool hook command: what an agent runs on its per-tool-call events instead of a Node
// process (Claude Code waits for each, twice per tool call; Node alone takes ~80 ms to start,
// `cat` ~5 ms). A few lines of POSIX shell that only coreutils run: the raw payload on stdin is
// written to `<buffer dir>/.spool/<source>/<time>-<pid>.part`, fsynced (file and folder), and
// renamed to `….json`; src/core/spool.ts turns those files into entries later (every Node hook
// before its own entry, the CLI before it reads, the extension as they come).
//
//   umask 077; { b=…; d="$b/.spool/claude-hook"; f="$d/$(date +%s%N)-$$";
//     { test -d "$d" || { mkdir -p "$d" && sync "$d/.."; }; } && cat > "$f.part" && sync "$f.part" "$d" && mv -f "$f.part" "$f.json"; } 2>/dev/null
//   || { rm -f "$f.part"; echo 'nexus-buffer: event not buffered (spool)' >&2; exit 1; } # nexus-buffer-hook
//
// - Exit 0 only once the payload is fsynced (`sync FILE…` fsyncs each file with GNU coreutils
//   ≥ 8.24; macOS and old BusyBox ignore the arguments and sync everything: as durable, slower).
//   The rename is not fsynced: a power loss may leave the fsynced `.part`, which the ingest takes
//   after a minute like a `.json` when it parses (and sets aside when torn).
// - Exit 1 with one line on stderr when anything fails (a full disk): never 2, which would make
//   Claude Code block the tool call; the tools' own messages go to /dev/null.
// - Unique names: nanoseconds (GNU date) or seconds (BSD date has no %N; a pid is not reused
//   within a second) and the shell's pid; entry ids derive from them.
// - The folder as the CLI resolves it: $NEXUS_BUFFER_DIR when set (relative to the agent's
//   folder, like the hook's), else the crate's default for the platform ($XDG_DATA_HOME when
//   absolute). `bufferDir` in the spec fixes it, as it does for the Node command.
// - 0700 folders and 0600 files (umask 077).
import * as path from 'node:path';
import { SPOOL_FOLDER } from '../../core/spool';
import type { HookCommandSpec } from '../types';
import { HOOK_MARKER } from './hookCommand';

/** The one stderr line of a spool hook that could not write its file. */
export const SPOOL_FAILURE_LINE = 'nexus-buffer: event not buffered (spool: cannot write the buffer folder)';

/** A word in single quotes for a POSIX shell (any text). */
const sq = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** Shell code that sets `b` to the buffer folder, as resolveBufferDir would at run time. */
function bufferDirCode(spec: Pick<HookCommandSpec, 'bufferDir'>, platform: NodeJS.Platform): string {
  if (spec.bufferDir && spec.bufferDir.trim()) return `b=${sq(path.resolve(spec.bufferDir.trim()))}`;
  const fallback = platform === 'darwin'
    ? 'b="$HOME/Library/Application Support/nexus/buffer"'
    : 'case "$XDG_DATA_HOME" in /*) b="$XDG_DATA_HOME/nexus/buffer";; *) b="$HOME/.local/share/nexus/buffer";; esac';
  // A blank $NEXUS_BUFFER_DIR counts as unset, as in paths.ts.
  return `case "$NEXUS_BUFFER_DIR" in *[![:space:]]*) b=$NEXUS_BUFFER_DIR;; *) ${fallback};; esac`;
}

/** The spool hook command for `sourceId` (e.g. `claude-hook`), ending with the marker. */
export function buildSpoolCommand(spec: Pick<HookCommandSpec, 'bufferDir'>, sourceId: string, platform: NodeJS.Platform = process.platform): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(sourceId)) throw new Error(`not a source id: ${sourceId}`);
  const stamp = platform === 'linux' ? '%s%N' : '%s';
  return [
    `umask 077; { ${bufferDirCode(spec, platform)}; d="$b/${SPOOL_FOLDER}/${sourceId}"; f="$d/$(date +${stamp})-$$";`,
    `{ test -d "$d" || { mkdir -p "$d" && sync "$d/.."; }; } && cat > "$f.part" && sync "$f.part" "$d" && mv -f "$f.part" "$f.json"; } 2>/dev/null`,
    `|| { rm -f "$f.part" 2>/dev/null; echo ${sq(SPOOL_FAILURE_LINE)} >&2; exit 1; } ${HOOK_MARKER}`,
  ].join(' ');
}

/** True for a command buildSpoolCommand wrote (any source, any folder). */
export function isSpoolCommand(command: unknown): boolean {
  return typeof command === 'string' && command.startsWith('umask 077; {') && command.includes(`/${SPOOL_FOLDER}/`) && command.trimEnd().endsWith(HOOK_MARKER);
}

/** The sources whose installers write the spool command (where the extension watches). */
export const SPOOLED_SOURCE_IDS: readonly string[] = ['claude-hook'];
