// "Nexus Buffer: Restore Session File…": a Claude Code session the agent has lost (swept,
// deleted, wiped by an update) written back from its mirrored lines as a `.jsonl` in its
// project folder, so that `claude --resume <id>` finds it again. Only sessions whose file is
// missing are offered; the agent's own file is never overwritten (restoreSession.ts refuses).
import * as os from 'node:os';
import * as vscode from 'vscode';
import { existingSessionFile, planRestore, writeRestore } from '../agents/claude-code/restoreSession';
import { tildify } from '../core/format';
import type { BufferHost } from './bufferHost';

export const RESTORE_SESSION_COMMAND = 'nexusBuffer.restoreSessionFile';
const AGENT = 'claude-code';

interface SessionItem extends vscode.QuickPickItem {
  sessionId: string;
}

/** Runs the command; resolves with the file written, or undefined. */
export async function restoreSessionFile(host: BufferHost): Promise<string | undefined> {
  const places = { home: os.homedir(), env: process.env };
  const entries = (await host.buffer.read(AGENT))?.data.entries ?? [];
  // Sessions with mirrored transcript lines, newest last entry first.
  const sessions = new Map<string, { count: number; last: string; prompt?: string }>();
  for (const entry of entries) {
    const id = entry.context.session_id;
    if (!id || !(entry.context.custom as { transcript?: unknown }).transcript) continue;
    const known = sessions.get(id) ?? { count: 0, last: entry.timestamp };
    known.count++;
    known.last = entry.timestamp;
    known.prompt ??= entry.context.conversation.find((m) => m.role === 'user')?.content.split('\n')[0];
    sessions.set(id, known);
  }
  const items: SessionItem[] = [];
  for (const [sessionId, info] of sessions) {
    if (await existingSessionFile(sessionId, places)) continue;
    items.push({ sessionId, label: info.prompt?.slice(0, 120) ?? '(no prompt)', description: `${info.count} entries · last ${info.last}`, detail: `session ${sessionId}` });
  }
  if (items.length === 0) {
    void vscode.window.showInformationMessage(
      sessions.size === 0
        ? 'No Claude Code session is mirrored in the buffers yet: import or mirror the sessions first (Nexus Buffer: Import Agent Sessions…).'
        : 'Every mirrored Claude Code session still has its file: nothing to restore.',
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items.reverse(), {
    title: 'Restore Session File', placeHolder: 'Claude Code sessions whose file is gone: pick one to write it back for claude --resume',
  });
  if (!picked) return undefined;
  const file = await writeRestore(planRestore(entries, picked.sessionId, places), places);
  const resume = `claude --resume ${picked.sessionId}`;
  void vscode.window.showInformationMessage(`Restored session ${picked.sessionId} to ${tildify(file)}: \`${resume}\` continues it.`, 'Copy Command').then((choice) => {
    if (choice === 'Copy Command') void vscode.env.clipboard.writeText(resume);
  });
  return file;
}
