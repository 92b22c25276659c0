// Cross-process coordination in the buffer folder:
// - the agent lock, held by whoever rewrites `<agent>.json` (and by short-lived writers that
//   append to the shared journal), so no writer drops entries it did not read;
// - writer liveness, so a journal whose writer is gone (a crashed window, a killed CLI) is
//   recognised as an orphan and merged by the next writer.
// Both are lock folders of ownedLock.ts, which says who holds them, so that a lock left by a
// killed process is taken over at once.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BufferError, describeFsError } from './errors';
import { acquireLock, isOwnerAlive, LockedError } from './ownedLock';
import type { Logger } from './types';

export { newWriterId } from './ownedLock';

/** ~10 s of patience: a compaction of a very large buffer by another writer may take a while. */
const PATIENCE_MS = 10_000;

export async function withAgentLock<T>(dir: string, agentType: string, log: Logger | undefined, fn: () => Promise<T>): Promise<T> {
  let lock: Awaited<ReturnType<typeof acquireLock>>;
  try {
    lock = await acquireLock(path.join(dir, `${agentType}.json.lock`), {
      deadlineAt: Date.now() + PATIENCE_MS,
      createParent: dir,
      onCompromised: (error) => log?.warn(`lock on ${agentType}: ${error.message}`),
    });
  } catch (error) {
    if (error instanceof LockedError) {
      throw new BufferError('LOCKED', `${agentType}: another process keeps the buffer locked (${error.message}); try again`, error);
    }
    // EACCES, EROFS…: waiting would not help; say so at once.
    throw new BufferError('DISK', describeFsError(error, `Cannot lock the ${agentType} buffer in ${dir}`), error);
  }
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

const livenessPath = (dir: string, writerId: string) => path.join(dir, `.writer-${writerId}.lock`);

/** Held by a long-lived writer while it may append to its journals. */
export async function holdWriterLiveness(dir: string, writerId: string, log?: Logger): Promise<() => Promise<void>> {
  const lock = await acquireLock(livenessPath(dir, writerId), {
    deadlineAt: Date.now(), // the id is this process's own: nobody else holds it
    ownerId: writerId,
    onCompromised: (error) => log?.warn(`writer liveness lock: ${error.message}`),
  });
  return () => lock.release();
}

/**
 * Is the writer that owns these journals still running? On this host the process id decides
 * at once (a SIGKILLed window is known dead immediately); for a writer on another host sharing
 * the folder, the freshness of its liveness lock.
 */
export async function isWriterAlive(dir: string, writerId: string, ownWriterId?: string): Promise<boolean> {
  if (writerId === ownWriterId) return true;
  // Shared journals and unknown shapes have no live owner.
  return isOwnerAlive(livenessPath(dir, writerId), writerId);
}

/** Removes the liveness locks that killed writers left behind (one folder per crash otherwise). */
export async function removeDeadWriterLocks(dir: string, ownWriterId: string): Promise<number> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const m = /^\.writer-([a-z0-9]+)\.lock$/.exec(name);
    if (!m || (await isWriterAlive(dir, m[1], ownWriterId))) continue;
    await fs.rm(path.join(dir, name), { recursive: true, force: true }).catch(() => undefined);
    removed++;
  }
  return removed;
}
