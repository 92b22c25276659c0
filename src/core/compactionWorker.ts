// The compaction worker: `compact` (store.ts) on a thread of its own, so the editor's thread
// never serialises or writes a snapshot of tens of MB, and an agent's entries keep being taken
// while one is written (on a 2-core machine the other core does it). PersistentBuffer runs it
// when given `compactionWorker` (compactionClient.ts); a worker reads what it merges from disk,
// under the agent lock, as any other writer would.
import { parentPort } from 'node:worker_threads';
import type { CompactJob, CompactReply } from './compactionJob';
import { compact } from './store';

const port = parentPort;
if (!port) throw new Error('compactionWorker.js runs as a worker thread (new Worker), not on its own');

port.on('message', (job: CompactJob) => {
  void run(job).then((reply) => port.postMessage(reply));
});

async function run(job: CompactJob): Promise<CompactReply> {
  const say = (level: 'info' | 'warn' | 'error') => (message: string) => port!.postMessage({ id: job.id, log: { level, message } } satisfies CompactReply);
  try {
    const result = await compact({
      dir: job.dir, agentType: job.agentType, writerId: job.writerId, ownClosedJournals: new Set(job.ownClosedJournals),
      memoryEntries: [], startedAt: job.startedAt, maxBufferEntries: job.maxBufferEntries, maxBufferBytes: job.maxBufferBytes,
      log: { info: say('info'), warn: say('warn'), error: say('error') },
    });
    return { id: job.id, result };
  } catch (error) {
    const e = error as { name?: string; message?: string; code?: unknown };
    return { id: job.id, error: { name: e.name ?? 'Error', message: e.message ?? String(error), ...(typeof e.code === 'string' ? { code: e.code } : {}) } };
  }
}
