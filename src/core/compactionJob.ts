// The messages between a PersistentBuffer and its compaction worker (compactionWorker.ts): what
// `compact` needs, as plain data (a worker gets structured clones, no functions, no Sets).
import type { CompactResult } from './store';

/** `CompactOptions` without what cannot cross to a worker: the worker reads every journal from disk. */
export interface CompactJob {
  id: number;
  dir: string;
  agentType: string;
  writerId: string;
  ownClosedJournals: string[];
  startedAt: string;
  maxBufferEntries: number;
  maxBufferBytes: number;
}

export type CompactReply =
  | { id: number; log: { level: 'info' | 'warn' | 'error'; message: string } }
  | { id: number; result: CompactResult }
  | { id: number; error: { name: string; message: string; code?: string } };
