// `nexus-buffer restore claude-code --session <id>`: writes an imported Claude Code session back
// as the agent's own session file, where Claude Code lost it, so `claude --resume <id>` finds it
// again. The work is in src/agents/claude-code/restoreSession.ts.
import { planRestore, writeRestore } from '../../agents/claude-code/restoreSession';
import { UsageError } from '../args';
import { EXIT_OK, type Command } from '../command';
import { notFound } from './show';
import { withBuffer } from '../withBuffer';
import { sessionPlaces } from './import';

export const restoreCommand: Command = {
  name: 'restore',
  summary: "write an imported session back as the agent's own file (claude --resume finds it again)",
  help: `Usage: nexus-buffer restore claude-code --session ID [--json] [--dir DIR]

Writes the Claude Code session ID, as imported into the claude-code buffer (nexus-buffer
import), back as <config>/projects/<its folder>/ID.jsonl (config: $CLAUDE_CONFIG_DIR or
~/.claude), so that "claude --resume ID" finds it again. Only where it is missing: when Claude
Code still has a file for ID in any project folder, nothing is written (exit 1). Prints the
path it wrote.

Options:
  --session ID   the session's id (Claude Code's own, as in the buffer's session_id)
  --json         print {"session_id","file","lines","omitted_lines":[…]}`,
  options: { session: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx) {
    const { values, positionals, io, dir } = ctx;
    if (positionals.length !== 1 || positionals[0] !== 'claude-code') {
      throw new UsageError(`restore: expected the agent claude-code (the only agent whose session files can be restored), got ${positionals.length ? JSON.stringify(positionals.join(' ')) : 'none'}`);
    }
    const session = typeof values.session === 'string' ? values.session.trim() : '';
    if (!session) throw new UsageError('restore: --session ID is required');
    const places = sessionPlaces(ctx);
    const buffer = await withBuffer(dir, { durability: 'off' }, (b) => b.read('claude-code'), io);
    if (!buffer) throw notFound('claude-code', dir);
    const plan = planRestore(buffer.data.entries, session, places);
    const file = await writeRestore(plan, places);
    if (values.json) {
      io.out(`${JSON.stringify({ session_id: session, file, lines: plan.lines.length, omitted_lines: plan.omitted }, null, 2)}\n`);
    } else {
      if (plan.omitted.length) io.err(`nexus-buffer: warning: ${plan.omitted.length} line(s) were too long to have been kept and are missing (source lines ${plan.omitted.join(', ')})\n`);
      io.out(`${file}\n`);
    }
    return EXIT_OK;
  },
};
