// Text for people, shared by the core's messages, the CLI and the views.
import * as os from 'node:os';
import * as path from 'node:path';

/** 1536 → "1.5 KB", 5242880 → "5.0 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A path under the home folder written with `~` (`/home/ann/.claude/x` → `~/.claude/x`). */
export function tildify(file: string, home: string = os.homedir()): string {
  return file === home || file.startsWith(home + path.sep) ? `~${file.slice(home.length)}` : file;
}
