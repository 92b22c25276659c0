// The API other extensions get from `vscode.extensions.getExtension('nexus-memory.nexus-buffer').exports`.
import type * as vscode from 'vscode';
import type { PartialSessionContext } from '../core/schema';
import type { BufferChangeEvent, BufferEntry, BufferStatus } from '../core/types';
import type { BufferHost } from './bufferHost';

export interface NexusBufferApi {
  /** Bumped on a breaking change of this interface. */
  readonly apiVersion: 1;
  /** The buffer folder in use. */
  readonly bufferDir: string;
  /**
   * Buffers one context entry for the agent (started on first use); resolves with the stored
   * entry once it is durable per `nexusBuffer.durability`. Rejects with a BufferError (`code`:
   * INVALID_AGENT_NAME, INVALID_CONTEXT, ENTRY_TOO_LARGE) for bad input.
   */
  bufferContext(agentType: string, context: PartialSessionContext, contextType?: string): Promise<BufferEntry>;
  /** Flushes one agent's buffer, or every buffer of this window. */
  flush(agentType?: string): Promise<void>;
  /** Every buffer in memory and/or on disk. */
  listBuffers(): Promise<BufferStatus[]>;
  /** Fired after a buffer changed (`agentType` undefined: possibly all). */
  readonly onDidChangeBuffers: vscode.Event<BufferChangeEvent>;
}

export function createApi(host: BufferHost): NexusBufferApi {
  return {
    apiVersion: 1,
    get bufferDir() {
      return host.dir;
    },
    bufferContext: (agentType, context, contextType = 'checkpoint') => host.buffer.bufferContext(agentType, context, contextType),
    async flush(agentType) {
      if (agentType === undefined) await host.buffer.flushAll();
      else await host.buffer.flush(agentType);
    },
    listBuffers: () => host.buffer.listBuffers(),
    onDidChangeBuffers: host.onDidChange,
  };
}
