// `push [AGENT] --from <source>`: the command as a guest inside an agent (Claude Code, Codex,
// Gemini CLI, Cursor, VS Code's agent mode). The guest rules (nothing on stdout, never exit 2,
// one stderr line on failure) are enforced by main.ts for the whole invocation; this file only
// reads the payload, maps it with the source's mapping and buffers the entry.
import { nestingProblem } from '../../core/nesting';
import { completeContext } from '../../core/schema';
import { hookInputLimit } from '../../core/textInput';
import type { HookSource } from '../../agents/types';
import { UsageError } from '../args';
import { CliError, EXIT_OK, type CommandContext } from '../command';
import { parseJsonText } from '../stdinContext';
import { withBuffer } from '../withBuffer';

export async function pushFromHook(ctx: CommandContext, source: HookSource, typeOverride?: string): Promise<number> {
  const { io, dir, positionals } = ctx;
  const args = [...positionals];
  let text: string;
  if (source.payloadFrom === 'last-argument') {
    // Codex's notify program gets the JSON as its last argument.
    const last = args.pop();
    if (last === undefined) throw new UsageError(`push --from ${source.id}: the event JSON must be the last argument`);
    text = last;
  } else {
    text = io.stdinIsTTY ? '' : await io.readStdin({ ...hookInputLimit(`${source.id} input`), drain: true });
  }
  if (args.length > 1) throw new UsageError(`push: expected at most one AGENT, got ${args.length} arguments`);
  const payload = parseJsonText(text, `${source.id} input`);
  // Before the mapping, which walks the event (the context made from it is checked again).
  const tooDeep = nestingProblem(payload, `${source.id} input`);
  if (tooDeep) throw new CliError(tooDeep);
  const entry = source.toEntry(payload, new Date().toISOString());
  // A custom AGENT is kept; the default one gives way to where the source routes the event
  // (VS Code's agent mode through Claude Code's hooks: `copilot`).
  const agent = args[0] === undefined || args[0] === source.agent ? entry.agent : args[0];
  const complete = completeContext(entry.context, { agentType: agent, extractionSource: 'native' });
  // One-shot writer: the agent's shared journal, so a hook call leaves no file of its own.
  await withBuffer(dir, { durability: 'always', sharedJournal: true }, async (buffer) => {
    await buffer.bufferContext(agent, complete, typeOverride ?? entry.contextType);
  });
  return EXIT_OK;
}
