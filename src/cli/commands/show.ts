import { assertExistingBufferName } from '../../core/agentName';
import { BufferError } from '../../core/errors';
import { renderBufferJson, renderBufferMarkdown } from '../../core/render';
import { oneAgent, UsageError } from '../args';
import { EXIT_OK, type Command } from '../command';
import { oneLine } from '../format';
import { withBuffer } from '../withBuffer';

export const showCommand: Command = {
  name: 'show',
  summary: "print one buffer's entries (Markdown, or the crate's JSON)",
  help: `Usage: nexus-buffer show AGENT [--markdown | --json] [--dir DIR]

Prints the entries of AGENT's buffer, read from disk (snapshot and journals merged).
Problems found while reading (salvaged damage, torn journal lines) go to stderr.

Options:
  --markdown     a readable summary per entry (the default)
  --json         the snapshot document in the crate's format (2-space JSON, every key)`,
  options: { json: { type: 'boolean' }, markdown: { type: 'boolean' } },
  async run({ values, positionals, io, dir }) {
    const agent = assertExistingBufferName(oneAgent(positionals, 'show'));
    if (values.json && values.markdown) throw new UsageError('show: pass either --json or --markdown, not both');
    const recovered = await withBuffer(dir, { durability: 'off' }, (buffer) => buffer.read(agent), io);
    if (!recovered) throw notFound(agent, dir);
    for (const problem of recovered.problems) io.err(`nexus-buffer: warning: ${oneLine(problem)}\n`);
    io.out(values.json ? `${renderBufferJson(recovered.data)}\n` : renderBufferMarkdown(recovered.data));
    return EXIT_OK;
  },
};

export function notFound(agent: string, dir: string): BufferError {
  return new BufferError('NOT_FOUND', `no buffer for agent "${agent}" in ${dir} (see: nexus-buffer list)`);
}
