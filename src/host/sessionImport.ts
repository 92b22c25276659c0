// "Nexus Buffer: Import Agent Sessions…": the session files the agents keep themselves (Claude
// Code's transcripts, Codex's rollouts, Gemini CLI's chats), picked from a list that shows each
// one's project, first prompt, time and size, imported into their buffers with a progress bar.
// The work is src/agents/shared/sessionImport.ts, the same as `nexus-buffer import`.
import * as os from 'node:os';
import * as vscode from 'vscode';
import { AGENTS } from '../agents/registry';
import { importSessions, listSessions } from '../agents/shared/sessionImport';
import type { SessionFileInfo } from '../agents/types';
import { formatBytes, tildify } from '../core/format';
import { relativeTime } from '../views/relativeTime';
import type { BufferHost } from './bufferHost';

export const IMPORT_SESSIONS_COMMAND = 'nexusBuffer.importAgentSessions';

interface SessionItem extends vscode.QuickPickItem {
  session: SessionFileInfo;
}

/** Runs the command: find, pick, import, say what happened. Resolves with the number of entries added. */
export async function importAgentSessions(host: BufferHost, log: vscode.LogOutputChannel): Promise<number | undefined> {
  const places = { home: os.homedir(), env: process.env };
  const sessions = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'Nexus Buffer: looking for agent sessions…' },
    () => listSessions(AGENTS, { places }),
  );
  if (sessions.length === 0) {
    const where = AGENTS.flatMap((a) => a.sessions?.roots(places) ?? []).map((root) => tildify(root)).join(', ');
    void vscode.window.showInformationMessage(`No agent sessions found (looked in ${where}).`);
    return undefined;
  }
  const names = new Map(AGENTS.map((a) => [a.id, a.displayName]));
  const items: SessionItem[] = sessions.map((session) => ({
    session,
    label: session.firstPrompt ?? '(no prompt)',
    description: [session.project ? tildify(session.project) : undefined, relativeTime(session.modifiedAt), formatBytes(session.bytes)].filter(Boolean).join(' · '),
    detail: `${names.get(session.agent) ?? session.agent} · session ${session.sessionId}`,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    matchOnDescription: true,
    matchOnDetail: true,
    title: 'Import Agent Sessions',
    placeHolder: `${sessions.length} session file${sessions.length === 1 ? '' : 's'} found: pick the ones to copy into the buffers (a second import adds only what is new)`,
  });
  if (!picked || picked.length === 0) return undefined;
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Nexus Buffer: importing agent sessions' },
    (progress) => importSessions(host.buffer, AGENTS, picked.map((item) => item.session), {
      onFile: (index, total, info) => progress.report({ message: `${index + 1} of ${total}: ${info.firstPrompt ?? info.sessionId}`, increment: 100 / total }),
    }),
  );
  for (const problem of report.problems) log.warn(`import: ${problem.file}:${problem.line}: ${problem.message}`);
  if (report.stateProblem) log.warn(`import: ${report.stateProblem}`);
  const problems = report.problems.length ? ` ${report.problems.length} line(s) could not be read (see the Nexus Buffer output).` : '';
  void vscode.window.showInformationMessage(
    `Imported ${report.added} entr${report.added === 1 ? 'y' : 'ies'} from ${picked.length} session${picked.length === 1 ? '' : 's'} into the agents' buffers.${problems}`,
  );
  host.buffer.notifyExternalChange();
  return report.added;
}
