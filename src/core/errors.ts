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
