// Small file-system helpers shared by the snapshot and the journal.
import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { checkBufferFolder } from './folderSafety';
import { openHandleNoFollow } from './safeOpen';

/** fsync a folder so a rename or a new file in it survives a power loss (no-op where unsupported). */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Windows cannot open folders, and some file systems refuse fsync on them: nothing to do.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Creates the buffer folder with owner-only permissions (0700), or checks the one there: another
 * user's is refused (BufferError UNSAFE), one of ours others may write is tightened to 0700 and
 * `notice` told once (folderSafety.ts).
 */
export async function ensureDir(dir: string, notice?: (message: string) => void): Promise<void> {
  await checkBufferFolder(dir, notice);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
}

/** The crate's temp name (`<name>.tmp-<unix nanoseconds>`): scanDir ignores it as a torn write. */
function tempNameFor(file: string, attempt: number): string {
  const nanos = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n) + BigInt(attempt);
  return `${file}.tmp-${nanos}`;
}

/**
 * Replaces `file` atomically and durably: a new temp file beside it (O_EXCL, O_NOFOLLOW, 0600),
 * written and fsynced, renamed over `file`, then the folder fsynced. The rename replaces a link
 * at `file` itself, never the file it points to (write-file-atomic resolved the link and wrote
 * through it). `text` may be given in pieces (a snapshot's entries): they are written about a
 * megabyte at a time, so no copy of the whole text is made on the caller's thread. Returns the
 * bytes written.
 */
export async function writeFileAtomicNoFollow(file: string, text: string | readonly string[] | AsyncIterable<string>, onWritten?: (stat: Stats) => void): Promise<number> {
  return replaceFileNoFollow(file, onWritten, async (handle) => {
    if (typeof text !== 'string') return writeParts(handle, text);
    await handle.writeFile(text);
    return Buffer.byteLength(text);
  });
}

/**
 * `writeFileAtomicNoFollow` with the new file's first `keep.bytes` bytes copied from `keep.from`
 * (an open file, read from its start), then `parts`: a megabyte at a time through one reused
 * buffer, so the kept bytes never become a string on the caller's thread. Returns the new file's size.
 */
export async function writeFileAtomicKeepingPrefix(
  file: string, keep: { from: fs.FileHandle; bytes: number }, parts: AsyncIterable<string>, onWritten?: (stat: Stats) => void,
): Promise<number> {
  return replaceFileNoFollow(file, onWritten, async (handle) => {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let at = 0; at < keep.bytes;) {
      const { bytesRead } = await keep.from.read(chunk, 0, Math.min(chunk.length, keep.bytes - at), at);
      if (bytesRead === 0) throw new Error(`${path.basename(file)} ended at ${at} bytes, before the ${keep.bytes} to keep`);
      await handle.writeFile(chunk.subarray(0, bytesRead));
      at += bytesRead;
    }
    return keep.bytes + (await writeParts(handle, parts, chunk));
  });
}

/**
 * The temp file, its fsync, the rename and the folder's fsync around `fill`, which writes the new
 * content. `onWritten` is told the new file's stat as written (taken on its handle: a stat of the
 * name after the rename could be of a file another process put there since).
 */
async function replaceFileNoFollow(file: string, onWritten: ((stat: Stats) => void) | undefined, fill: (handle: fs.FileHandle) => Promise<number>): Promise<number> {
  let temp = '';
  let handle: fs.FileHandle | undefined;
  for (let attempt = 0; !handle; attempt++) {
    temp = tempNameFor(file, attempt);
    try {
      handle = await openHandleNoFollow(temp, 'create', 0o600);
    } catch (error) {
      // A name taken (by a leftover or something planted there): another one, never that file.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw error;
    }
  }
  let bytes: number;
  try {
    try {
      bytes = await fill(handle);
      await handle.sync();
      if (onWritten) onWritten(await handle.stat());
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await fsyncDir(path.dirname(file));
  return bytes;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Writes the pieces from the current position, encoded into one reused megabyte buffer and
 * written a buffer at a time: no string of a megabyte joined per write, no new buffer per write
 * (a compaction of 60 MB otherwise left 120 MB of garbage behind it). Returns the bytes.
 */
async function writeParts(handle: fs.FileHandle, parts: Iterable<string> | AsyncIterable<string>, chunk = Buffer.allocUnsafe(CHUNK_BYTES)): Promise<number> {
  let used = 0;
  let bytes = 0;
  const flush = async () => {
    if (used === 0) return;
    await handle.writeFile(chunk.subarray(0, used)); // from the current position: chunks follow each other
    bytes += used;
    used = 0;
  };
  /** Encodes `part` into the chunk; a promise only when it had to write first. */
  const put = (part: string): Promise<void> | undefined => {
    // At most 3 bytes per UTF-16 unit: written when the chunk could not take the worst case.
    if (part.length * 3 <= chunk.length - used) {
      used += chunk.write(part, used, 'utf8');
      return undefined;
    }
    return (async () => {
      await flush();
      if (part.length * 3 > chunk.length) {
        const whole = Buffer.from(part, 'utf8');
        await handle.writeFile(whole);
        bytes += whole.length;
      } else {
        used += chunk.write(part, used, 'utf8');
      }
    })();
  };
  if (Symbol.asyncIterator in parts) {
    for await (const part of parts) await put(part);
  } else {
    for (const part of parts) {
      const writing = put(part);
      if (writing) await writing;
    }
  }
  await flush();
  return bytes;
}

export async function statOrNull(file: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fs.stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
