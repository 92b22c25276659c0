// Warn before an agent's own retention sweep (Claude Code deletes sessions older than
// `cleanupPeriodDays` at its next start, without a trash): once a window starts, the session
// files a sweep will delete within 3 days and that are not yet in the buffers are named in one
// notification, with "Mirror Them Now", which imports them. Each file is warned about once
// (remembered across windows), so the notice does not come back every morning. Saying yes
// turns on the mirror (sessionMirror.ts) when its setting is "auto".
import * as os from 'node:os';
import * as vscode from 'vscode';
import { AGENTS } from '../agents/registry';
import { loadImportState } from '../agents/shared/importState';
import { sessionsAtRisk, SWEEP_HORIZON_MS } from '../agents/shared/retention';
import { importSessions, listSessions } from '../agents/shared/sessionImport';
import type { RetentionRule } from '../agents/types';
import type { BufferHost } from './bufferHost';

const WARNED_KEY = 'nexusBuffer.sweepWarnedFiles';
export const MIRROR_NOW = 'Mirror Them Now';

/** Looks, and warns when something is at risk. Resolves with the number of files warned about. */
export async function warnBeforeSweeps(
  host: BufferHost, memento: vscode.Memento, log: vscode.LogOutputChannel, onMirrored: () => Promise<void> = async () => undefined, now = Date.now(),
): Promise<number> {
  const places = { home: os.homedir(), env: process.env };
  const rules = new Map<string, RetentionRule>();
  for (const agent of AGENTS) {
    const rule = await agent.sessions?.retention?.(places).catch(() => undefined);
    if (rule) rules.set(agent.id, rule);
  }
  if (rules.size === 0) return 0;
  const sessions = await listSessions(AGENTS, { places, agents: [...rules.keys()] });
  const { state } = await loadImportState(host.dir);
  const warned = new Set(memento.get<string[]>(WARNED_KEY, []));
  const atRisk = sessionsAtRisk(sessions, rules, state, now).filter((s) => !warned.has(s.session.file));
  if (atRisk.length === 0) return 0;
  await memento.update(WARNED_KEY, [...warned, ...atRisk.map((s) => s.session.file)].slice(-5000));
  const names = new Map(AGENTS.map((a) => [a.id, a.displayName]));
  const agents = [...new Set(atRisk.map((s) => names.get(s.session.agent) ?? s.session.agent))].join(' and ');
  const settings = [...new Set(atRisk.map((s) => s.rule.setting))].join('; ');
  const message = `${agents} will delete ${atRisk.length} session${atRisk.length === 1 ? '' : 's'} within ${SWEEP_HORIZON_MS / 86_400_000} days (${settings}) that ${atRisk.length === 1 ? 'is' : 'are'} not in Nexus Buffer yet.`;
  log.warn(message);
  void vscode.window.showWarningMessage(message, MIRROR_NOW).then(async (choice) => {
    if (choice !== MIRROR_NOW) return;
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Nexus Buffer: mirroring the sessions before the sweep' },
      () => importSessions(host.buffer, AGENTS, atRisk.map((s) => s.session)),
    );
    host.buffer.notifyExternalChange();
    await onMirrored();
    void vscode.window.showInformationMessage(`Mirrored ${atRisk.length} session${atRisk.length === 1 ? '' : 's'} (${report.added} entries): they stay in the buffers when the agent deletes them.`);
  }, (error: unknown) => log.error(`Mirroring the sessions failed: ${(error as Error).message}`));
  return atRisk.length;
}
