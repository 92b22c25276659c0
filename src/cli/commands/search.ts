import { assertAgentName } from '../../core/agentName';
import { parseSince, SearchIndex } from '../../core/search';
import { UsageError } from '../args';
import { EXIT_OK, type Command } from '../command';
import { formatTable, oneLine, shortTimestamp } from '../format';
import { withBuffer } from '../withBuffer';

const TEXT_WIDTH = 100;

export const searchCommand: Command = {
  name: 'search',
  summary: 'find entries by their prompts, commands, errors, file paths, decisions, insights',
  help: `Usage: nexus-buffer search QUERY [--agent AGENT] [--since WHEN] [--limit N] [--json] [--dir DIR]

Searches every buffer (or one) for QUERY, case-insensitive, in the user's prompts, the
commands run, error messages, file paths, decision summaries and insights. Newest first.
Several words are searched as one phrase.

Options:
  --agent AGENT  only this agent's buffer (may be given more than once)
  --since WHEN   only entries since then: a duration back from now (30m, 12h, 2d, 1w) or a
                 date or time (2026-05-19, 2026-05-19T13:00:00Z)
  --limit N      at most N hits (default 50; 0: all)
  --json         one array of {"agent_type","id","timestamp","context_type","field","text"}

Examples:
  nexus-buffer search "npm test" --since 2d
  nexus-buffer search EADDRINUSE --agent claude-code --json`,
  options: { agent: { type: 'string', multiple: true }, since: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, positionals, io, dir }) {
    const query = positionals.join(' ').trim();
    if (!query) throw new UsageError('search: missing QUERY (e.g. nexus-buffer search "npm test")');
    const agents = values.agent === undefined ? undefined : ([values.agent].flat() as string[]).map((a) => assertAgentName(a));
    let sinceMs: number | undefined;
    if (values.since !== undefined) {
      sinceMs = parseSince(String(values.since));
      if (sinceMs === undefined) throw new UsageError(`search: --since ${JSON.stringify(values.since)} is neither a duration (30m, 12h, 2d, 1w) nor a date (2026-05-19)`);
    }
    const limitText = values.limit === undefined ? '50' : String(values.limit);
    if (!/^\d+$/.test(limitText)) throw new UsageError(`search: --limit must be a whole number, not ${JSON.stringify(limitText)}`);
    const limit = Number(limitText) === 0 ? Number.MAX_SAFE_INTEGER : Number(limitText);

    const index = new SearchIndex();
    await withBuffer(dir, { durability: 'off' }, async (buffer) => {
      const names = agents ?? (await buffer.listBuffers()).map((s) => s.agentType);
      for (const agent of names) {
        const recovered = await buffer.read(agent);
        for (const problem of recovered?.problems ?? []) io.err(`nexus-buffer: warning: ${oneLine(problem)}\n`);
        if (recovered) index.set(agent, 0, recovered.data.entries);
      }
    }, io);
    const hits = index.search(query, { agents, sinceMs, limit });
    if (values.json) {
      const rows = hits.map((h) => ({ agent_type: h.agentType, id: h.id, timestamp: h.timestamp, context_type: h.contextType, field: h.field, text: h.text }));
      io.out(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT_OK;
    }
    if (hits.length === 0) {
      io.out(`Nothing matches ${JSON.stringify(query)} in ${agents ? agents.join(', ') : `the buffers of ${dir}`}\n`);
      return EXIT_OK;
    }
    const cut = (text: string) => {
      const line = oneLine(text);
      return line.length > TEXT_WIDTH ? `${line.slice(0, TEXT_WIDTH - 1)}…` : line;
    };
    io.out(`${formatTable(['TIME', 'AGENT', 'FIELD', 'TEXT'], hits.map((h) => [shortTimestamp(h.timestamp), h.agentType, h.field, cut(h.text)]))}\n`);
    return EXIT_OK;
  },
};
