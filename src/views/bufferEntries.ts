// What a view shows of one buffer: the core's `read` (snapshot + every journal, merged by id,
// plus the entries this window holds in memory only), without adopting it into memory.
import type { PersistentBuffer } from '../core/buffer';
import type { BufferData } from '../core/schema';

export interface LoadedBuffer {
  data: BufferData;
  problems: string[];
}

/** The buffer as a crate-format document, oldest entry first; null when it has none anywhere. */
export async function loadBuffer(buffer: PersistentBuffer, agentType: string): Promise<LoadedBuffer | null> {
  return buffer.read(agentType);
}
