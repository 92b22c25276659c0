// Typed errors with a message meant for a person. The CLI maps them to exit codes and the
// extension to one notification; `code` lets callers branch without parsing messages.
export type BufferErrorCode =
  | 'INVALID_AGENT_NAME'
  | 'INVALID_CONTEXT'
  | 'ENTRY_TOO_LARGE'
  | 'NOT_FOUND'
  | 'EXISTS'
  | 'INVALID_ARGUMENT'
  | 'DISK'
  | 'LOCKED'
  /** A buffer file that is a link (or not a regular file), a buffer folder others can write. */
  | 'UNSAFE'
  | 'DISPOSED';

export class BufferError extends Error {
  override readonly name = 'BufferError';
  constructor(
    readonly code: BufferErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** A short, human explanation of a file-system error code, with what to do about it. */
export function describeFsError(error: unknown, what: string): string {
  // A DISK error already said (the agent lock's, say): describe what it wraps, once.
  if (error instanceof BufferError && error.code === 'DISK' && typeof (error.cause as NodeJS.ErrnoException | undefined)?.code === 'string') {
    error = error.cause;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `${what}: the disk is full. Free some space; entries are kept in memory meanwhile.`;
    case 'EROFS':
      return `${what}: the file system is read-only. Entries are kept in memory until it is writable.`;
    case 'EACCES':
    case 'EPERM':
      return `${what}: permission denied. Check the owner and permissions of the buffer folder.`;
    case 'ENOENT':
      return `${what}: the folder does not exist.`;
    default:
      return `${what}: ${(error as Error | undefined)?.message ?? String(error)}`;
  }
}

export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * For a writer that keeps nothing in memory (a one-shot process): "not buffered, nothing
 * acknowledged: " and the first sentence of `reason` (a describeFsError text: its advice about
 * entries kept in memory does not hold there). Paths such as ~/.local/share have dots, so a
 * sentence ends at a dot before a space.
 */
export function notBufferedMessage(reason: string): string {
  const first = /^.*?\.(?=\s|$)/s.exec(reason)?.[0] ?? reason;
  return `not buffered, nothing acknowledged: ${first}`;
}
