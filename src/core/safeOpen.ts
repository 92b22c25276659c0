// Opening the files of the buffer folder without following a symbolic link. A link planted at
// `<agent>.json` or `<agent>.json.wal-shared-0` would otherwise have every write go to the file it
// points to, outside the folder (someone else's file, rewritten with our entries). So every open
// of a buffer file adds O_NOFOLLOW (and O_NONBLOCK: a planted pipe must not hang us), and what
// is opened must be a regular file; where the platform has no O_NOFOLLOW (Windows) the name is
// checked with lstat first. Anything else is "unsafe": a BufferError UNSAFE naming the file, which
// readers report and writers set aside (setAsideUnsafe) instead of writing through.
//
// A leaf module (node:fs, node:path and errors.ts only): the lean hook path imports it too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BufferError } from './errors';

type Errno = NodeJS.ErrnoException;
const call = <T>(fn: (cb: (error: Errno | null, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value as T))));

const { O_RDONLY, O_WRONLY, O_APPEND, O_CREAT, O_EXCL } = fs.constants;
/** 0 where the platform has none (Windows): then openers lstat first. */
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

/** read: an existing file; append: created when missing; create: a new file only (O_EXCL). */
export type OpenHow = 'read' | 'append' | 'create';

export function noFollowFlags(how: OpenHow): number {
  const base = how === 'read' ? O_RDONLY : how === 'append' ? O_WRONLY | O_APPEND | O_CREAT : O_WRONLY | O_CREAT | O_EXCL;
  return base | O_NOFOLLOW | O_NONBLOCK;
}

/**
 * What is wrong with a buffer file that is not a regular file, for a person. `linkTarget`: what
 * a link points to (null when unreadable), undefined when it is no link; `setAside`: the name is
 * one it was moved to (`<agent>.json.damaged-<stamp>`).
 */
export function unsafeFileProblem(file: string, linkTarget: string | null | undefined, setAside = false): string {
  const name = path.basename(file);
  const what = linkTarget !== undefined ? `a symbolic link${linkTarget ? ` (to ${linkTarget})` : ''}` : 'something that is not a regular file (a folder, a pipe or a device)';
  if (setAside) {
    return `${what} found where a buffer file belongs was set aside as ${name}; it was never followed (nothing was read or written through it). Remove it once you have looked at it.`;
  }
  if (linkTarget !== undefined) {
    return `${name} is ${what}; it was not followed (never read or written through): a buffer file must be a regular file of the buffer folder. Remove the link, or put the file itself in its place.`;
  }
  return `${name} is ${what}; it was not opened. Remove it.`;
}

export function isUnsafeFileError(error: unknown): boolean {
  return error instanceof BufferError && error.code === 'UNSAFE';
}

async function unsafeError(file: string, link: boolean, cause?: unknown): Promise<BufferError> {
  const target = link ? await call<string>((cb) => fs.readlink(file, cb)).catch(() => null) : undefined;
  return new BufferError('UNSAFE', `${path.dirname(file)}${path.sep}${unsafeFileProblem(file, target)}`, cause);
}

/** The error of an open that met a link or something that is not a file; undefined for others. */
async function classifyOpenError(file: string, error: unknown): Promise<BufferError | undefined> {
  const code = (error as Errno).code;
  // ELOOP: Linux and macOS for O_NOFOLLOW on a link; EMLINK: FreeBSD. EISDIR: a folder opened
  // for writing; ENXIO: a pipe opened non-blocking for writing with no reader.
  if (code === 'ELOOP' || code === 'EMLINK') return unsafeError(file, true, error);
  if (code === 'EISDIR' || code === 'ENXIO') return unsafeError(file, false, error);
  return undefined;
}

async function refuseLinkWithoutNoFollow(file: string): Promise<void> {
  if (O_NOFOLLOW !== 0) return;
  const stat = await call<fs.Stats>((cb) => fs.lstat(file, cb)).catch(() => null);
  if (stat?.isSymbolicLink()) throw await unsafeError(file, true);
}

/** Opens a buffer file (callback fs: the lean hook path); closes it again unless it is a regular file. */
export async function openFdNoFollow(file: string, how: OpenHow, mode = 0o600): Promise<number> {
  await refuseLinkWithoutNoFollow(file);
  let fd: number;
  try {
    fd = await call<number>((cb) => fs.open(file, noFollowFlags(how), mode, cb));
  } catch (error) {
    throw (await classifyOpenError(file, error)) ?? error;
  }
  const stat = await call<fs.Stats>((cb) => fs.fstat(fd, cb)).catch(async (error: unknown) => {
    await call((cb) => fs.close(fd, cb)).catch(() => undefined);
    throw error;
  });
  if (!stat.isFile()) {
    await call((cb) => fs.close(fd, cb)).catch(() => undefined);
    throw await unsafeError(file, false);
  }
  return fd;
}

/** openFdNoFollow for the core, as a FileHandle. */
export async function openHandleNoFollow(file: string, how: OpenHow, mode = 0o600): Promise<fs.promises.FileHandle> {
  await refuseLinkWithoutNoFollow(file);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, noFollowFlags(how), mode);
  } catch (error) {
    throw (await classifyOpenError(file, error)) ?? error;
  }
  try {
    if (!(await handle.stat()).isFile()) throw await unsafeError(file, false);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  return handle;
}

/** `2026-11-26T00:15:02.123Z` → `20261126T001502123Z`: sortable and safe in file names everywhere. */
export function fileStamp(iso: string): string {
  return iso.replace(/[-:.]/g, '');
}

/**
 * Moves an unsafe buffer file (a link: the link itself, never its target) out of the way, as
 * `<agent>.json.damaged-<stamp>` beside it, where listings report it; returns the new path. The
 * caller holds the agent lock (or owns the name: its own journal), so the name is not raced.
 */
export async function setAsideUnsafe(file: string, agentType: string, now = Date.now()): Promise<string> {
  for (let ms = now; ; ms++) {
    const to = path.join(path.dirname(file), `${agentType}.json.damaged-${fileStamp(new Date(ms).toISOString())}`);
    const taken = await call((cb) => fs.lstat(to, cb)).then(() => true, (error: Errno) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    });
    if (taken) continue;
    await call((cb) => fs.rename(file, to, cb));
    return to;
  }
}

/**
 * Opens a buffer file to append to it (`open` is openFdNoFollow or openHandleNoFollow with
 * 'append'); when a link or something else that is not a file sits at its name, that is set
 * aside first (once), so the entry is written to a file of our own and the link left intact.
 */
export async function openSettingAsideUnsafe<T>(file: string, agentType: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (!isUnsafeFileError(error)) throw error;
    await setAsideUnsafe(file, agentType);
    return open();
  }
}
