// Keep safe (issue 10, point 2): once the person has said yes once (setting
// nexusBuffer.mirrorAgentSessions "auto"), or always ("on"), the agents' own session files are
// copied into the buffers as they grow. Each tick lists the session files and imports those that
// grew past what the import state says was read (the import reads only what was appended), so a
// session the agent later deletes stays in its buffer.
import * as os from 'node:os';
import type * as vscode from 'vscode';
import { AGENTS } from '../agents/registry';
import { loadImportState } from '../agents/shared/importState';
import { importSessions, listSessions } from '../agents/shared/sessionImport';
import type { BufferHost } from './bufferHost';
import { messageOf } from './notifyOnce';
import type { MirrorAgentSessions } from './settings';

const CONSENT_KEY = 'nexusBuffer.mirrorConsent';
/** How often the session folders are looked at ($NEXUS_MIRROR_INTERVAL_MS for tests). */
const INTERVAL_MS = Number(process.env.NEXUS_MIRROR_INTERVAL_MS) || 60_000;

export class SessionMirror implements vscode.Disposable {
  private readonly timer: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly host: BufferHost,
    private readonly memento: vscode.Memento,
    private readonly setting: () => MirrorAgentSessions,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.timer = setInterval(() => void this.tick(), INTERVAL_MS);
    this.timer.unref?.();
  }

  /** The person said yes (Mirror Them Now, an import): "auto" mirrors from now on. */
  async consent(): Promise<void> {
    await this.memento.update(CONSENT_KEY, true);
  }

  get enabled(): boolean {
    const setting = this.setting();
    return setting === 'on' || (setting === 'auto' && this.memento.get<boolean>(CONSENT_KEY, false));
  }

  /** One pass: imports what grew. Resolves with the entries added. */
  async tick(): Promise<number> {
    if (this.running || !this.enabled) return 0;
    this.running = true;
    try {
      const sessions = await listSessions(AGENTS, { places: { home: os.homedir(), env: process.env } });
      const { state } = await loadImportState(this.host.dir);
      const grown = sessions.filter((s) => (state.files[s.file]?.offset ?? -1) < s.bytes);
      if (grown.length === 0) return 0;
      const report = await importSessions(this.host.buffer, AGENTS, grown);
      for (const problem of report.problems) this.log.warn(`mirror: ${problem.file}:${problem.line}: ${problem.message}`);
      if (report.added > 0) {
        this.log.info(`Mirrored ${report.added} entries from ${grown.length} agent session file(s)`);
        this.host.buffer.notifyExternalChange();
      }
      return report.added;
    } catch (error) {
      this.log.warn(`Mirroring the agents' sessions failed: ${messageOf(error)}`);
      return 0;
    } finally {
      this.running = false;
    }
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}
