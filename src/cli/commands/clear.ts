import { assertExistingBufferName } from '../../core/agentName';
import { oneAgent } from '../args';
import { CliError, EXIT_ERROR, EXIT_OK, type Command } from '../command';
import { withBuffer } from '../withBuffer';
import { notFound } from './show';

export const clearCommand: Command = {
  name: 'clear',
  summary: 'delete a buffer (memory and disk)',
  help: `Usage: nexus-buffer clear AGENT [--yes] [--dir DIR]

Deletes AGENT's buffer: its snapshot and every journal. On a terminal it asks first;
otherwise (a script, a pipe) it refuses unless --yes is given.

Options:
  --yes, -y      do not ask`,
  options: { yes: { type: 'boolean', short: 'y' } },
  async run({ values, positionals, io, dir }) {
    const agent = assertExistingBufferName(oneAgent(positionals, 'clear'));
    return withBuffer(dir, { durability: 'off' }, async (buffer) => {
      const found = await buffer.read(agent);
      if (!found) throw notFound(agent, dir);
      const count = found.data.entries.length;
      const what = `${count} ${count === 1 ? 'entry' : 'entries'} of ${agent}`;
      if (!values.yes) {
        if (!io.stdinIsTTY) {
          throw new CliError(`clear: refusing to delete ${what} without confirmation; pass --yes`);
        }
        if (!(await io.confirm(`Delete ${what}? [y/N] `))) {
          io.err('nexus-buffer: nothing deleted\n');
          return EXIT_ERROR;
        }
      }
      await buffer.clear(agent);
      io.out(`Deleted ${what}.\n`);
      return EXIT_OK;
    }, io);
  },
};
