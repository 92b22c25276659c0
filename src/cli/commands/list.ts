import { describeLeftover, leftoverKind } from '../../core/leftovers';
import { noPositionals } from '../args';
import { EXIT_OK, type Command } from '../command';
import { formatBytes, formatTable, oneLine, shortTimestamp } from '../format';
import { withBuffer } from '../withBuffer';

export const listCommand: Command = {
  name: 'list',
  summary: 'list every buffer in the folder',
  help: `Usage: nexus-buffer list [--json] [--dir DIR]

Lists every buffer on disk: agent, entries, when it started, last flush, size on disk,
whether it is a leftover worth recovering (interrupted session, or not cleared
after its session ended; the rule the extension's view and start-up notification use) and
any problem found (a damaged snapshot is listed with its problem; the others still are).

Options:
  --json         an array of {"agent_type","started_at","entries_count","last_flush","bytes",
                 "leftover":"interrupted"|"not-cleared"|null,"problems":[]}`,
  options: { json: { type: 'boolean' } },
  async run({ values, positionals, io, dir }) {
    noPositionals(positionals, 'list');
    const buffers = await withBuffer(dir, { durability: 'off' }, (buffer) => buffer.listBuffers(), io);
    if (values.json) {
      const rows = buffers.map((b) => ({
        agent_type: b.agentType,
        started_at: b.startedAt,
        entries_count: b.entriesCount,
        last_flush: b.lastFlush,
        bytes: b.bytes,
        leftover: leftoverKind(b) ?? null,
        problems: b.problems,
      }));
      io.out(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT_OK;
    }
    if (buffers.length === 0) {
      io.out(`No buffers in ${dir}\n`);
      return EXIT_OK;
    }
    const table = formatTable(
      ['AGENT', 'ENTRIES', 'STARTED', 'LAST FLUSH', 'SIZE', 'LEFTOVER', 'PROBLEMS'],
      buffers.map((b) => [
        b.archiveOf ? `${b.agentType} (archive of ${b.archiveOf})` : b.agentType,
        String(b.entriesCount),
        shortTimestamp(b.startedAt),
        shortTimestamp(b.lastFlush),
        formatBytes(b.bytes),
        describeLeftover(b) ?? '-',
        b.problems.length ? oneLine(b.problems.join('; ')) : '-',
      ]),
    );
    io.out(`${table}\n`);
    return EXIT_OK;
  },
};
