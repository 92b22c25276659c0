// `nexus-buffer import`: the agents' own session files (Claude Code's transcripts, Codex's
// rollouts, Gemini CLI's chats) into their buffers, so that a copy stays when the agent sweeps
// its old sessions away, also where no hook was ever installed. The work is in
// src/agents/shared/sessionImport.ts; here: options, output.
import * as os from 'node:os';
import * as path from 'node:path';
import { AGENTS } from '../../agents/registry';
import { importSessions, listSessions, parseDuration } from '../../agents/shared/sessionImport';
import type { HookPlaces, SessionFileInfo } from '../../agents/types';
import { noPositionals, UsageError } from '../args';
import { EXIT_OK, type Command, type CommandContext } from '../command';
import { formatBytes, formatTable, oneLine, shortTimestamp } from '../format';
import { withBuffer } from '../withBuffer';

const SOURCES = AGENTS.filter((a) => a.sessions).map((a) => a.id);

export const importCommand: Command = {
  name: 'import',
  summary: "copy the agents' own session files into their buffers (what their clean-ups delete)",
  help: `Usage: nexus-buffer import [--from AGENT] [--since DURATION] [--project DIR] [--dry-run]
                           [--json] [--dir DIR]

Reads the session files the agents keep themselves and adds what they hold to each agent's
buffer: prompts, the assistant's answers and stated decisions, tool calls with their commands,
files and errors, subagents, compaction summaries, the session's start. Each entry keeps the
agent's own session id, extraction_source "native", and the source file and line in custom.
Importing again adds only what is new (a grown file is read from where the last import
stopped); entries stay in the buffer when the agent deletes its file. A torn last line, NUL
bytes or a line that is not JSON are reported with file and line; every other line is read.
Sources: ${SOURCES.join(', ')} (Claude Code: $CLAUDE_CONFIG_DIR or ~/.claude/projects; Codex:
$CODEX_HOME or ~/.codex/sessions; Gemini CLI: $GEMINI_CLI_HOME or ~ , .gemini/tmp/*/chats).

Options:
  --from AGENT      one agent (${SOURCES.join(', ')}; default: all of them)
  --since DURATION  only files changed in the last DURATION, e.g. 7d, 12h, 2w, 30m
  --project DIR     only sessions that ran in DIR (or a folder below it)
  --dry-run         list what would be imported, write nothing
  --json            print {"dry_run","added","files":[{"agent","file","session_id","project",
                    "added","known","unchanged","problems":[{"file","line","message"}]}],
                    "problems":[…],"state_problem"}`,
  options: {
    from: { type: 'string' },
    since: { type: 'string' },
    project: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const { values, positionals, io, dir } = ctx;
    noPositionals(positionals, 'import');
    const from = values.from as string | undefined;
    if (from !== undefined && !SOURCES.includes(from)) throw new UsageError(`import: unknown --from ${JSON.stringify(from)} (${SOURCES.join(', ')})`);
    let since: number | undefined;
    if (values.since !== undefined) {
      const ms = parseDuration(String(values.since));
      if (ms === undefined) throw new UsageError(`import: --since takes a duration such as 7d, 12h, 2w or 30m, got ${JSON.stringify(values.since)}`);
      since = Date.now() - ms;
    }
    const project = typeof values.project === 'string' && values.project.trim() ? path.resolve(values.project) : undefined;
    const places = sessionPlaces(ctx);
    const sessions = await listSessions(AGENTS, { places, agents: from ? [from] : undefined, since, project });
    const dryRun = values['dry-run'] === true;
    // Many entries at once: this writer's own journal, group-committed, compacted into the
    // snapshot at the end (as push --stream does), not one locked fsync per entry.
    const report = await withBuffer(dir, { durability: 'batched' }, (buffer) => importSessions(buffer, AGENTS, sessions, { dryRun }), io);
    if (values.json) {
      io.out(`${JSON.stringify({
        dry_run: report.dryRun,
        added: report.added,
        files: report.files.map((f) => ({
          agent: f.agent, file: f.file, session_id: f.sessionId, project: f.project, added: f.added, known: f.known, unchanged: f.unchanged, problems: f.problems,
        })),
        problems: report.problems,
        ...(report.stateProblem ? { state_problem: report.stateProblem } : {}),
      }, null, 2)}\n`);
      return EXIT_OK;
    }
    for (const problem of report.problems) io.err(`nexus-buffer: warning: ${problem.file}:${problem.line}: ${oneLine(problem.message)}\n`);
    if (report.stateProblem) io.err(`nexus-buffer: warning: ${oneLine(report.stateProblem)}\n`);
    if (sessions.length === 0) {
      io.out(`No session files found${from ? ` for ${from}` : ''}${since !== undefined ? ` changed since ${values.since} ago` : ''}${project ? ` of ${project}` : ''}.\n`);
      return EXIT_OK;
    }
    io.out(`${sessionTable(sessions, report.files.map((f) => (f.unchanged ? 'unchanged' : `${f.added} new`)))}\n`);
    io.out(`${dryRun ? 'Would add' : 'Added'} ${report.added} entr${report.added === 1 ? 'y' : 'ies'} from ${sessions.length} session file${sessions.length === 1 ? '' : 's'}${dryRun ? ' (dry run: nothing written)' : ''}.\n`);
    return EXIT_OK;
  },
};

/** Where the agents keep their sessions: the home of this environment, and the agents' own variables. */
export function sessionPlaces({ io }: CommandContext): HookPlaces {
  return { home: io.env.HOME || io.env.USERPROFILE || os.homedir(), env: io.env };
}

function sessionTable(sessions: readonly SessionFileInfo[], outcome: readonly string[]): string {
  return formatTable(
    ['AGENT', 'SESSION', 'PROJECT', 'STARTED', 'SIZE', 'IMPORT', 'FIRST PROMPT'],
    sessions.map((s, i) => [
      s.agent, s.sessionId.slice(0, 8), s.project ?? '-', shortTimestamp(s.startedAt), formatBytes(s.bytes), outcome[i] ?? '-', s.firstPrompt ?? '-',
    ]),
  );
}
