// Where buffers live: the crate's default folder, overridable by NEXUS_BUFFER_DIR and by an
// explicit option (in that order of precedence: option, environment, default).
import * as os from 'node:os';
import * as path from 'node:path';

export interface PlatformInfo {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  homedir: string;
}

const here = (): PlatformInfo => ({ platform: process.platform, env: process.env, homedir: os.homedir() });

/** The crate's `<data-local-dir>/nexus/buffer`. */
export function defaultBufferDir(info: PlatformInfo = here()): string {
  const { platform, env, homedir } = info;
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA || path.win32.join(homedir, 'AppData', 'Local');
    return path.win32.join(local, 'nexus', 'buffer');
  }
  if (platform === 'darwin') return path.posix.join(homedir, 'Library', 'Application Support', 'nexus', 'buffer');
  const xdg = env.XDG_DATA_HOME;
  const dataHome = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(homedir, '.local', 'share');
  return path.posix.join(dataHome, 'nexus', 'buffer');
}

/** The folder to use: an explicit option wins, then $NEXUS_BUFFER_DIR, then the crate's default. */
export function resolveBufferDir(explicit?: string, info: PlatformInfo = here()): string {
  if (explicit && explicit.trim()) return path.resolve(explicit.trim());
  const fromEnv = info.env.NEXUS_BUFFER_DIR;
  if (fromEnv && fromEnv.trim()) return path.resolve(fromEnv.trim());
  return defaultBufferDir(info);
}
