// `push AGENT --from claude-hook`: the command as a guest inside Claude Code. The guest rules
// (nothing on stdout, never exit 2, one stderr line on failure) are enforced by main.ts for
// the whole invocation; this file only maps and buffers the event.
import { claudeHookToEntry } from '../../capture/claudeHook';
import { completeContext } from '../../core/schema';
import { EXIT_OK, type CommandContext } from '../command';
import { parseJsonText } from '../stdinContext';
import { notBufferedError, withBuffer } from '../withBuffer';

export async function pushFromClaudeHook({ io, dir }: CommandContext, agent: string, typeOverride?: string): Promise<number> {
  const payload = parseJsonText(io.stdinIsTTY ? '' : await io.readStdin(), 'Claude Code hook input on stdin');
  const { context, contextType } = claudeHookToEntry(payload);
  const complete = completeContext(context, { agentType: agent, extractionSource: 'cli' });
  // One-shot writer: the agent's shared journal, so a hook call leaves no file of its own.
  await withBuffer(dir, { durability: 'always', sharedJournal: true }, async (buffer) => {
    await buffer.bufferContext(agent, complete, typeOverride ?? contextType).catch((error) => Promise.reject(notBufferedError(error)));
  });
  return EXIT_OK;
}
