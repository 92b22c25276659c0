// The one rule that says whether a buffer on disk is a leftover worth offering, and how it is
// said: the Buffers view, the start-up notification and `nexus-buffer list` all use it.
//
// A leftover is on disk, not loaded here, and no live writer owns it. It is worth offering
//  - when a session in it was interrupted (its newest entry is not a session-end: a crash, a
//    kill), or
//  - when its sessions ended but it was never cleared: its entries were probably not stored
//    anywhere else (hand-off, export, Nexus) yet.
// Except the `vscode` buffer after a clean close: every window ends its own session there and
// leaves it, which says nothing about anything being lost. Archives are never offered (they are
// kept on purpose), nor empty buffers.
import type { BufferStatus } from './types';

/** The agent type under which a VS Code window's own activity is captured. */
export const VSCODE_AGENT = 'vscode';

export type LeftoverKind = 'interrupted' | 'not-cleared';

type LeftoverFacts = Pick<BufferStatus, 'agentType' | 'leftover' | 'archiveOf' | 'entriesCount' | 'interrupted'>;

/** Why this buffer is worth offering, or undefined when it is not a leftover to offer. */
export function leftoverKind(status: LeftoverFacts): LeftoverKind | undefined {
  if (!status.leftover || status.archiveOf || status.entriesCount === 0) return undefined;
  if (status.interrupted) return 'interrupted';
  return status.agentType === VSCODE_AGENT ? undefined : 'not-cleared';
}

/** The words for each kind, the same in the view, the notification and the command line. */
export const LEFTOVER_PHRASES: Readonly<Record<LeftoverKind, string>> = {
  interrupted: 'interrupted session',
  'not-cleared': 'not cleared after its session ended',
};

/** "interrupted session" / "not cleared after its session ended" / undefined. */
export function describeLeftover(status: LeftoverFacts): string | undefined {
  const kind = leftoverKind(status);
  return kind ? LEFTOVER_PHRASES[kind] : undefined;
}
