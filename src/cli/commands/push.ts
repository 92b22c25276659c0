import { assertAgentName } from '../../core/agentName';
import { DEFAULTS } from '../../core/buffer';
import { entryInputLimit } from '../../core/textInput';
import { oneAgent, UsageError } from '../args';
import { EXIT_ERROR, EXIT_OK, type Command, type CommandContext } from '../command';
import { oneLine } from '../format';
import { contextFromJson } from '../stdinContext';
import { withBuffer } from '../withBuffer';
import { allHookSources, findHookSource } from '../../agents/registry';
import { pushFromHook } from './pushFromHook';

/** At most this many stream entries wait for their fsync at once (bounds memory on a fast pipe). */
const MAX_IN_FLIGHT = 1024;

export const pushCommand: Command = {
  name: 'push',
  summary: 'buffer a SessionContext read from stdin (one, a stream, or a Claude Code hook event)',
  help: `Usage: nexus-buffer push AGENT [--type CONTEXT_TYPE] [--dir DIR] < context.json
       nexus-buffer push AGENT --stream [--type CONTEXT_TYPE] [--dir DIR] < contexts.jsonl
       nexus-buffer push [AGENT] --from SOURCE [--dir DIR] < hook-input.json

Reads one JSON SessionContext on stdin and appends it to AGENT's buffer. A partial context is
completed with the crate's defaults (agent_type = AGENT, extraction_started = now,
extraction_source = "cli", empty lists). Prints the new entry's id, and exits 0 only once the
entry is durably on disk. Invalid input: exit 1, a message naming the field, nothing written.

Options:
  --type TYPE           the entry's context type (default: checkpoint), e.g. extraction,
                        session-start, tool-use, session-end, compact, error
  --stream              read JSON lines, one SessionContext per line; print "ack <id>" on
                        stdout for each once it is durable. A bad line is reported on stderr
                        with its line number and skipped; exit 1 at the end if any was bad.
  --from SOURCE         read one event of an agent's hooks and buffer it as an entry of
                        that agent (AGENT may be left out). Made to run inside the agent:
                        prints nothing on stdout, never exits 2 (which would block it), and on
                        failure exits 1 with one line on stderr. Sources:
${allHookSources().map((source) => `                          ${source.id.padEnd(14)} ${source.agent}: ${source.summary}`).join('\n')}`,
  options: {
    type: { type: 'string' },
    stream: { type: 'boolean' },
    from: { type: 'string' },
  },
  async run(ctx) {
    const { values, positionals } = ctx;
    const type = values.type as string | undefined;
    if (type !== undefined && (!type.trim() || /[\r\n]/.test(type) || type.length > 64)) {
      throw new UsageError('push: --type must be a non-empty single-line name of at most 64 characters');
    }
    if (values.from !== undefined) {
      const source = findHookSource(String(values.from));
      if (!source) throw new UsageError(`push: unknown --from source "${values.from}" (sources: ${allHookSources().map((s) => s.id).join(', ')})`);
      if (values.stream) throw new UsageError('push: --stream and --from cannot be combined');
      if (source.payloadFrom === 'stdin' && positionals.length > 0) assertAgentName(oneAgent(positionals, 'push'));
      else if (positionals.length > 1) assertAgentName(positionals[0]);
      return pushFromHook(ctx, source, type);
    }
    const agent = assertAgentName(oneAgent(positionals, 'push'));
    if (values.stream) return pushStream(ctx, agent, type ?? 'checkpoint');
    // One context is read to the end of stdin: on a terminal that would just seem to hang.
    if (ctx.io.stdinIsTTY) {
      throw new UsageError(`push: pipe JSON into stdin, e.g. nexus-buffer push ${agent} < context.json`);
    }
    return pushOne(ctx, agent, type ?? 'checkpoint');
  },
};

async function pushOne({ io, dir }: CommandContext, agent: string, type: string): Promise<number> {
  // Validate fully before opening the buffer: bad input writes nothing.
  const context = contextFromJson(await io.readStdin(entryInputLimit(DEFAULTS.maxEntryBytes)), agent);
  // One-shot writer: the agent's shared journal, so a push leaves no file of its own.
  const entry = await withBuffer(dir, { durability: 'always', sharedJournal: true }, (buffer) => buffer.bufferContext(agent, context, type));
  io.out(`${entry.id ?? ''}\n`);
  return EXIT_OK;
}

/**
 * JSON lines in, `ack <id>` out. Entries are handed to the buffer as they arrive (batched
 * durability: one fsync covers many), and acks are printed in input order, each only after its
 * own bufferContext promise resolved, i.e. once that entry is durable.
 */
async function pushStream({ io, dir }: CommandContext, agent: string, type: string): Promise<number> {
  let bad = 0;
  await withBuffer(dir, { durability: 'batched' }, async (buffer) => {
    let acks: Promise<void> = Promise.resolve();
    let inFlight = 0;
    let lineNumber = 0;
    const reportBad = (n: number, failure: unknown): void => {
      bad++;
      io.err(`nexus-buffer: line ${n}: ${oneLine((failure as Error)?.message ?? String(failure))}\n`);
    };
    for await (const line of io.stdinLines(entryInputLimit(DEFAULTS.maxEntryBytes, true))) {
      const n = ++lineNumber;
      if (line instanceof Error) {
        acks = acks.then(() => reportBad(n, line)); // too long or not UTF-8: never buffered
        continue;
      }
      if (!line.trim()) continue;
      let stored: Promise<{ id?: string }>;
      try {
        stored = buffer.bufferContext(agent, contextFromJson(line, agent, ''), type);
      } catch (error) {
        acks = acks.then(() => reportBad(n, error));
        continue;
      }
      stored.catch(() => undefined); // handled in order below; avoid an unhandled rejection meanwhile
      inFlight++;
      acks = acks.then(async () => {
        try {
          const entry = await stored;
          io.out(`ack ${entry.id ?? ''}\n`);
        } catch (error) {
          reportBad(n, error);
        } finally {
          inFlight--;
        }
      });
      if (inFlight >= MAX_IN_FLIGHT) await acks;
    }
    await acks;
  });
  return bad > 0 ? EXIT_ERROR : EXIT_OK;
}
