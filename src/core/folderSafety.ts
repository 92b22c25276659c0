// The buffer folder must be ours alone, as OpenSSH's StrictModes and GnuPG ask of ~/.ssh and
// ~/.gnupg: whoever can write the folder can plant a link where a buffer file goes, or a file
// of their own. So before writing, the folder (and, when the path is a link, the link) must
// belong to this user, and the folder must not be writable by the group or others. A folder of
// ours that is too open is tightened to 0700 and said once; someone else's is refused.
// POSIX only: on Windows the folder's ACLs are the user's profile's.
//
// A leaf module (node:fs and errors.ts only): the lean hook path checks the folder too.
import * as fs from 'node:fs';
import { BufferError } from './errors';

type Errno = NodeJS.ErrnoException;
const call = <T>(fn: (cb: (error: Errno | null, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value as T))));

/** Folders whose tightening was said in this process (once each). */
const told = new Set<string>();

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

function refuse(dir: string, why: string): BufferError {
  return new BufferError(
    'UNSAFE',
    `the buffer folder ${dir} ${why}, who could then plant links or files in it; nothing was written. Use a folder of your own (--dir or NEXUS_BUFFER_DIR), or have it given to you (chown).`,
  );
}

/**
 * Checks the buffer folder before a write: nothing to do when it does not exist yet (it is then
 * created 0700). Throws BufferError UNSAFE when it (or the link naming it) belongs to another
 * user; tightens a folder of ours that the group or others may write to 0700, telling `notice`
 * once per process.
 */
export async function checkBufferFolder(dir: string, notice?: (message: string) => void, uid = process.getuid?.()): Promise<void> {
  if (uid === undefined) return;
  const missing = (error: Errno) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw error;
  };
  // Both at once: a hook waits for every round trip to the thread pool.
  const [stat, link] = await Promise.all([
    call<fs.Stats>((cb) => fs.stat(dir, cb)).catch(missing),
    call<fs.Stats>((cb) => fs.lstat(dir, cb)).catch(missing),
  ]);
  if (!stat || !stat.isDirectory()) return; // missing: created 0700; not a folder: the write says so
  if (stat.uid !== uid) throw refuse(dir, `belongs to another user (uid ${stat.uid})`);
  // A link to our folder, but one someone else made (in a shared folder such as /tmp), can be
  // pointed elsewhere by them at any time. (A link that went away between the two calls: the
  // folder it named is checked above, and the write opens nothing through links.)
  if (link?.isSymbolicLink() && link.uid !== uid && link.uid !== 0) throw refuse(dir, `is a symbolic link made by another user (uid ${link.uid})`);
  if ((stat.mode & 0o022) === 0) return;
  const who = (stat.mode & 0o002) !== 0 ? 'anyone' : 'its group';
  try {
    await call((cb) => fs.chmod(dir, 0o700, cb));
  } catch (error) {
    throw new BufferError('UNSAFE', `the buffer folder ${dir} can be written by ${who} (mode ${octal(stat.mode)}) and could not be made owner-only (${(error as Errno).code ?? (error as Error).message}); nothing was written. Run: chmod 700 '${dir}'`, error);
  }
  if (told.has(dir)) return;
  told.add(dir);
  notice?.(`the buffer folder ${dir} could be written by ${who} (mode ${octal(stat.mode)}), who could have planted links in it; it is now owner-only (0700)`);
}
