// The main thread's side of the compaction worker (compactionWorker.ts): one worker per
// PersistentBuffer, started at the first compaction, jobs answered in turn. The worker holds
// nothing between jobs (no cache, no entries), so it costs memory only while it compacts.
import { Worker } from 'node:worker_threads';
import type { CompactJob, CompactReply } from './compactionJob';
import { BufferError, type BufferErrorCode } from './errors';
import type { CompactResult } from './store';
import type { Logger } from './types';

/** The worker could not run the job (it failed to start, or died): compact on this thread instead. */
export class CompactionWorkerGone extends Error {
  override readonly name = 'CompactionWorkerGone';
}

interface Pending {
  resolve: (result: CompactResult) => void;
  reject: (error: unknown) => void;
}

export class CompactionClient {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly running = new Set<Promise<void>>();
  private disposed = false;
  private idleTimer: NodeJS.Timeout | undefined;

  /** `idleMs`: a worker with no job for this long is stopped (a thread and its heap are not free); the next job starts another. */
  constructor(private readonly file: string, private readonly log?: Logger, private readonly idleMs = 60_000) {}

  /** Whether a worker thread is running now. */
  get hasWorker(): boolean {
    return this.worker !== undefined;
  }

  run(job: Omit<CompactJob, 'id'>): Promise<CompactResult> {
    if (this.disposed) return Promise.reject(new CompactionWorkerGone('the compaction worker is closed'));
    let worker: Worker;
    try {
      worker = this.worker ?? this.start();
    } catch (error) {
      return Promise.reject(new CompactionWorkerGone(`the compaction worker did not start: ${(error as Error).message}`));
    }
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    const done = new Promise<CompactResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Only while it works does the worker keep the process alive (a CLI exits when done).
      worker.ref();
      worker.postMessage({ ...job, id } satisfies CompactJob);
    });
    const settled = done.then(() => undefined, () => undefined);
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return done;
  }

  /** Waits for the jobs sent, then stops the worker (stopping it mid-job would leave its lock held). */
  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.idleTimer);
    while (this.running.size > 0) await Promise.all([...this.running]);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(this.file);
    worker.unref();
    worker.on('message', (reply: CompactReply) => this.answer(reply));
    const gone = (why: string) => {
      // A worker stopped while idle (or at dispose) is no longer this.worker and had no job: the
      // jobs pending now are its successor's.
      if (this.worker !== worker) return;
      this.worker = undefined;
      const jobs = [...this.pending.values()];
      this.pending.clear();
      for (const job of jobs) job.reject(new CompactionWorkerGone(why));
    };
    worker.on('error', (error) => gone(`the compaction worker failed: ${error.message}`));
    worker.on('exit', (code) => gone(`the compaction worker exited (code ${code})`));
    this.worker = worker;
    return worker;
  }

  /** No job left: the worker no longer keeps the process alive, and stops if none comes for a while. */
  private idle(): void {
    const worker = this.worker;
    worker?.unref();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.worker !== worker || this.pending.size > 0) return;
      this.worker = undefined;
      void worker?.terminate();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private answer(reply: CompactReply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    if ('log' in reply) {
      this.log?.[reply.log.level](reply.log.message);
      return;
    }
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.idle();
    if ('result' in reply) job.resolve(reply.result);
    else job.reject(reply.error.name === 'BufferError' && reply.error.code
      ? new BufferError(reply.error.code as BufferErrorCode, reply.error.message)
      : Object.assign(new Error(reply.error.message), { name: reply.error.name, ...(reply.error.code ? { code: reply.error.code } : {}) }));
  }
}
