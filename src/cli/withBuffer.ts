// Every command opens one PersistentBuffer on the folder and always disposes it (which stops
// its timers and releases its locks), so the process ends as soon as the work is done.
import { PersistentBuffer } from '../core/buffer';
import { BufferError } from '../core/errors';
import type { BufferOptions } from '../core/types';

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
 * The core's DISK error is written for a long-lived host ("held in memory and retried"); a
 * command line exits right after, so the entry is simply not buffered. Say that instead.
 */
export function notBufferedError(error: unknown): unknown {
  if (!(error instanceof BufferError) || error.code !== 'DISK') return error;
  // The first sentence (paths such as ~/.local/share have dots, so a sentence ends at ". ").
  const reason = /^.*?\.(?=\s|$)/s.exec(error.message)?.[0] ?? error.message;
  return new BufferError('DISK', `not buffered, nothing acknowledged: ${reason}`, error);
}
