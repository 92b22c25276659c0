// Every command opens one PersistentBuffer on the folder and always disposes it (which stops
// its timers and releases its locks), so the process ends as soon as the work is done.
import { promises as fs } from 'node:fs';
import { PersistentBuffer } from '../core/buffer';
import { BufferError } from '../core/errors';
import { parseJournalFileName } from '../core/journal';
import type { BufferOptions } from '../core/types';

/**
 * Each CLI process is its own writer with its own journal file, and a hook runs once per event:
 * past this many journals for one agent, the push that notices merges them into the snapshot
 * (so the folder stays small and the crate, which reads only the snapshot, sees the entries).
 */
export const COMPACT_AT_JOURNALS = 16;

export async function withBuffer<T>(
  dir: string,
  options: Omit<BufferOptions, 'dir'>,
  work: (buffer: PersistentBuffer) => Promise<T>,
): Promise<T> {
  // No periodic flush timer in a short-lived process: commands flush explicitly.
  const buffer = new PersistentBuffer({ flushIntervalMs: 0, ...options, dir });
  try {
    return await work(buffer);
  } finally {
    await buffer.dispose();
  }
}

/**
 * After a push: the entries are already durable in this writer's journal (bufferContext
 * rejects otherwise). When journals pile up, compact; a failure here loses nothing (the
 * journals stay and are merged later), so it is not an error of the push.
 */
export async function compactWhenJournalsPileUp(buffer: PersistentBuffer, agent: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(buffer.dir);
  } catch {
    return;
  }
  const journals = names.filter((name) => parseJournalFileName(name)?.agentType === agent).length;
  if (journals < COMPACT_AT_JOURNALS) return;
  await buffer.flush(agent, { compact: true }).catch(() => undefined);
}

/**
 * The core's DISK error is written for a long-lived host ("held in memory and retried"); a
 * command line exits right after, so the entry is simply not buffered. Say that instead.
 */
export function notBufferedError(error: unknown): unknown {
  if (!(error instanceof BufferError) || error.code !== 'DISK') return error;
  // The first sentence (paths such as ~/.local/share have dots, so a sentence ends at ". ").
  const reason = /^.*?\.(?=\s|$)/s.exec(error.message)?.[0] ?? error.message;
  return new BufferError('DISK', `not buffered, nothing acknowledged: ${reason}`, error);
}
