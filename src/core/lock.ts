// Cross-process coordination in the buffer folder:
// - the agent lock, held by whoever rewrites `<agent>.json` (and by short-lived writers that
//   append to the shared journal), so no writer drops entries it did not read;
// - writer liveness, so a journal whose writer is gone (a crashed window, a killed CLI) is
//   recognised as an orphan and merged by the next writer.
// Both use proper-lockfile (mkdir-based, with stale-lock detection by mtime).
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { BufferError } from './errors';
import type { Logger } from './types';

const STALE_MS = 10_000;

export async function withAgentLock<T>(dir: string, agentType: string, log: Logger | undefined, fn: () => Promise<T>): Promise<T> {
  const target = path.join(dir, `${agentType}.json`);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      realpath: false,
      stale: STALE_MS,
      // ~10 s of patience: a compaction of a very large buffer by another writer may take a while.
      retries: { retries: 60, factor: 1.3, minTimeout: 10, maxTimeout: 250 },
      onCompromised: (error) => log?.warn(`lock on ${agentType} was compromised: ${error.message}`),
    });
  } catch (error) {
    throw new BufferError('LOCKED', `${agentType}: another process keeps the buffer locked (${(error as Error).message}); try again`, error);
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

const HOST = createHash('sha1').update(os.hostname()).digest('hex').slice(0, 6);
const WRITER_ID = /^h([0-9a-f]{6})p(\d+)r[a-z0-9]+$/;

/** A writer id that says which host and process wrote a journal: `h<host>p<pid>r<random>`. */
export function newWriterId(): string {
  return `h${HOST}p${process.pid}r${randomBytes(4).toString('hex')}`;
}

const livenessPath = (dir: string, writerId: string) => path.join(dir, `.writer-${writerId}`);

/** Held by a long-lived writer while it may append to its journals. */
export async function holdWriterLiveness(dir: string, writerId: string, log?: Logger): Promise<() => Promise<void>> {
  return lockfile.lock(livenessPath(dir, writerId), {
    realpath: false,
    stale: STALE_MS,
    onCompromised: (error) => log?.warn(`writer liveness lock compromised: ${error.message}`),
  });
}

/**
 * Is the writer that owns these journals still running? On this host the process id decides
 * at once (a SIGKILLed window is known dead immediately); for a writer on another host sharing
 * the folder, the freshness of its liveness lock.
 */
export async function isWriterAlive(dir: string, writerId: string, ownWriterId?: string): Promise<boolean> {
  if (writerId === ownWriterId) return true;
  const m = WRITER_ID.exec(writerId);
  if (!m) return false; // shared journals and unknown shapes have no live owner
  if (m[1] === HOST) return processExists(Number(m[2]));
  return lockfile.check(livenessPath(dir, writerId), { realpath: false, stale: STALE_MS }).catch(() => false);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
