// On start, buffers on disk that no live writer owns are leftovers of an earlier session (a
// crashed or closed window, a hook run). Depending on `nexusBuffer.recoverOnStartup`: ask
// ("prompt"), recover and open them in the background ("open"), or say nothing ("off").
import * as vscode from 'vscode';
import { describeLeftover, leftoverKind } from '../core/leftovers';
import type { BufferStatus } from '../core/types';
import type { RecoverOnStartup } from './settings';

const LISTED_AT_MOST = 5;

/** Leftovers worth offering, by the one rule of core/leftovers.ts (the view and `list` use it too). */
export function leftoverBuffers(statuses: readonly BufferStatus[]): BufferStatus[] {
  return statuses.filter((s) => leftoverKind(s) !== undefined);
}

/** "2 buffers left by an earlier session: claude-code (14 entries, interrupted session), codex (3 entries, not cleared after its session ended)". */
export function describeLeftovers(leftovers: readonly BufferStatus[]): string {
  const parts = leftovers.slice(0, LISTED_AT_MOST).map((s) =>
    `${s.agentType} (${s.entriesCount} entr${s.entriesCount === 1 ? 'y' : 'ies'}, ${describeLeftover(s) ?? 'left over'})`);
  const more = leftovers.length > LISTED_AT_MOST ? ` and ${leftovers.length - LISTED_AT_MOST} more` : '';
  const count = `${leftovers.length} buffer${leftovers.length === 1 ? '' : 's'}`;
  return `${count} left by an earlier session: ${parts.join(', ')}${more}`;
}

export interface LeftoverActions {
  /** Focuses the Buffers view. */
  show(): Thenable<unknown>;
  /** Recovers the buffers into this window and opens their entries (without focus when `background`). */
  recover(agentTypes: string[], background: boolean): Promise<void>;
}

export async function offerLeftovers(
  statuses: readonly BufferStatus[],
  mode: RecoverOnStartup,
  actions: LeftoverActions,
  log: vscode.LogOutputChannel,
): Promise<void> {
  const leftovers = leftoverBuffers(statuses);
  if (leftovers.length === 0 || mode === 'off') return;
  const message = describeLeftovers(leftovers);
  log.info(message);
  const agents = leftovers.map((s) => s.agentType);
  if (mode === 'open') {
    await actions.recover(agents, true);
    return;
  }
  const choice = await vscode.window.showInformationMessage(message, 'Show', 'Recover', 'Later');
  if (choice === 'Show') await actions.show();
  else if (choice === 'Recover') await actions.recover(agents, false);
}
