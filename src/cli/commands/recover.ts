import { assertExistingBufferName } from '../../core/agentName';
import { renderBufferMarkdown } from '../../core/render';
import { oneAgent } from '../args';
import { EXIT_OK, type Command } from '../command';
import { oneLine } from '../format';
import { withBuffer } from '../withBuffer';
import { notFound } from './show';

export const recoverCommand: Command = {
  name: 'recover',
  summary: "merge a buffer's journals into its snapshot, then show it as Markdown",
  help: `Usage: nexus-buffer recover AGENT [--dir DIR]

Like "show AGENT --markdown", and also compacts: every journal left by earlier writers
(a crashed window, a killed hook) is merged into AGENT's snapshot file, so tools that only
read the snapshot (the Rust crate) see every entry. Nothing is deleted.`,
  options: {},
  async run({ positionals, io, dir }) {
    const agent = assertExistingBufferName(oneAgent(positionals, 'recover'));
    // recover() merges the journals of writers that are gone into the snapshot itself.
    const recovered = await withBuffer(dir, { durability: 'always' }, (buffer) => buffer.recover(agent), io);
    if (!recovered) throw notFound(agent, dir);
    for (const problem of recovered.problems) io.err(`nexus-buffer: warning: ${oneLine(problem)}\n`);
    io.out(renderBufferMarkdown(recovered.data));
    return EXIT_OK;
  },
};
