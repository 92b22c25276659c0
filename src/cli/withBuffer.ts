// Every command opens one PersistentBuffer on the folder and always disposes it (which stops
// its timers and releases its locks), so the process ends as soon as the work is done.
//
// The commands that read (`show`, `list`, `recover`, `clear`) pass their `io`: before the work,
// what the agents' spool hooks left in the folder (core/spool.ts) becomes entries, so they see
// every event, also right after an agent was killed; problems found there (a file set aside)
// go to `io.err`. (The hooks' own path, dist/hook.js, ingests within its time budget.)
import { findHookSource } from '../agents/registry';
import { PersistentBuffer } from '../core/buffer';
import { completeContext } from '../core/schema';
import { ingestSpoolFully } from '../core/spool';
import type { BufferOptions } from '../core/types';
import { oneLine } from './format';

export async function withBuffer<T>(
  dir: string,
  options: Omit<BufferOptions, 'dir'>,
  work: (buffer: PersistentBuffer) => Promise<T>,
  io?: { err(text: string): void },
): Promise<T> {
  if (io) await ingestSpooled(dir, io);
  // No periodic flush timer in a short-lived process: commands flush explicitly. Nor retries of
  // a failed write: the process exits right after, so such an entry is "not buffered", and
  // nothing of it may turn up later (a caller that tries again would make a duplicate).
  const buffer = new PersistentBuffer({ flushIntervalMs: 0, retryFailedWrites: false, ...options, dir });
  try {
    return await work(buffer);
  } finally {
    await buffer.dispose();
  }
}

/** Ingests the spool of `dir` (every source); a failure is said on `io` and leaves the files for later. */
export async function ingestSpooled(dir: string, io?: { err(text: string): void }): Promise<void> {
  try {
    const result = await ingestSpoolFully(dir, { findSource: findHookSource, complete: completeContext });
    for (const problem of result.problems) io?.err(`nexus-buffer: warning: ${oneLine(problem)}\n`);
  } catch (error) {
    io?.err(`nexus-buffer: warning: the spooled hook events in ${dir} were not read: ${oneLine(String((error as Error)?.message ?? error))}\n`);
  }
}
