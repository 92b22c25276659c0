// The `contextValue` of every tree item, in one place: package.json `when` clauses match these
// with `viewItem =~ /.../`. A buffer's value is a list of space-separated tokens so that one
// regex per property works: "buffer state:unflushed memory disk".
export const ContextValues = {
  /** Every buffer item starts with this token. */
  buffer: 'buffer',
  entry: 'entry',
  showMore: 'showMore',
} as const;

/** The one state shown by a buffer's icon and description (the most important first). */
export type BufferState = 'damaged' | 'leftover' | 'unflushed' | 'flushed' | 'archive' | 'otherWriter' | 'onDisk';

/** Flags a menu may care about, besides the state. */
export const BufferFlags = {
  /** Started or recovered in this window: flush applies. */
  inMemory: 'memory',
  /** Has a file on disk: recover and clear apply. */
  onDisk: 'disk',
} as const;

export function bufferContextValue(state: BufferState, flags: { inMemory: boolean; onDisk: boolean }): string {
  const tokens: string[] = [ContextValues.buffer, `state:${state}`];
  if (flags.inMemory) tokens.push(BufferFlags.inMemory);
  if (flags.onDisk) tokens.push(BufferFlags.onDisk);
  return tokens.join(' ');
}
