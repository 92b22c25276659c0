// Tells the user once about a damaged buffer, a roll-over into an archive, or a buffer the core
// cannot write (disk full, read-only, permissions), with a "Show" action. The same problem is
// shown again only after it cleared and came back; the tree's warning icon and tooltip carry
// the details meanwhile, and everything goes to the log.
import * as vscode from 'vscode';
import type { BufferChangeEvent, BufferStatus } from '../core/types';
import type { BufferHost } from './bufferHost';
import type { BufferStatuses } from './bufferStatuses';
import { Disposable } from './disposable';
import type { OnceNotifier } from './notifyOnce';

type ProblemKind = 'damaged' | 'io' | 'archive';
const keyOf = (kind: ProblemKind, agentType: string) => `problem:${kind}:${agentType}`;

export function problemMessage(status: BufferStatus): string {
  const first = status.problems[0]?.replace(/\s+/g, ' ').replace(/\.$/, '') ?? 'unknown problem';
  const more = status.problems.length > 1 ? ` (and ${status.problems.length - 1} more)` : '';
  if (status.damaged) {
    return `The buffer "${status.agentType}" was damaged: ${first}${more}. Every valid entry was kept and the original was set aside next to it; see the Buffers view for details.`;
  }
  return `The buffer "${status.agentType}" has a problem: ${first}${more}. Its entries are kept in memory and written again when possible.`;
}

export class ProblemNotifier extends Disposable {
  constructor(
    host: BufferHost,
    statuses: BufferStatuses,
    private readonly notifier: OnceNotifier,
    private readonly show: (agentType: string) => Thenable<unknown>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(host.onDidChange((e) => this.onChange(e)));
    this.register(statuses.onDidUpdate(({ statuses: list }) => this.check(list)));
  }

  /** Notices from the core carry the most precise message (which copy was set aside, which archive). */
  private onChange(e: BufferChangeEvent): void {
    const agent = e.agentType;
    if (!agent) return;
    if (e.reason === 'healed') {
      this.notifier.forget(keyOf('io', agent));
      this.log.info(e.notice?.message ?? `${agent}: writing works again`);
      if (e.notice) vscode.window.setStatusBarMessage(`$(check) ${e.notice.message}`, 5000);
      return;
    }
    if (e.reason === 'cleared') {
      for (const kind of ['damaged', 'io', 'archive'] as const) this.notifier.forget(keyOf(kind, agent));
      return;
    }
    if (!e.notice || e.notice.severity === 'info') return;
    const kind: ProblemKind = e.reason === 'problem' ? 'io' : /rolled over/.test(e.notice.message) ? 'archive' : 'damaged';
    this.present(keyOf(kind, agent), e.notice.message, e.notice.severity === 'error', agent);
  }

  private check(list: readonly BufferStatus[]): void {
    for (const status of list) {
      const damagedKey = keyOf('damaged', status.agentType);
      const ioKey = keyOf('io', status.agentType);
      if (status.damaged) this.present(damagedKey, problemMessage(status), false, status.agentType);
      else this.notifier.forget(damagedKey);
      if (!status.damaged && status.problems.length > 0) this.present(ioKey, problemMessage(status), false, status.agentType);
    }
  }

  private present(key: string, message: string, isError: boolean, agentType: string): void {
    if (this.notifier.has(key)) return; // said once already (and logged then)
    const shown = isError ? this.notifier.error(key, message, 'Show') : this.notifier.warn(key, message, 'Show');
    void shown.then((choice) => {
      if (choice !== 'Show') return undefined;
      this.log.show(true);
      return this.show(agentType);
    });
  }
}
