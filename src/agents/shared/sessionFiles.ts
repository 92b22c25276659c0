// Finding an agent's session files on disk, for the session readers: a bounded walk of its
// folder (a missing folder is no session, an unreadable one is skipped), and a look at the first
// lines of a file (where the agents say which project and which first prompt a session has).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readJsonLines, type JsonLine } from './jsonLines';

export interface FoundFile {
  file: string;
  bytes: number;
  mtimeMs: number;
}

/** Files under `root` (at most `depth` folders down) whose name `matches`. */
export async function findFiles(root: string, matches: (name: string) => boolean, depth: number): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  const walk = async (dir: string, left: number): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && left > 0) await walk(full, left - 1);
      else if (entry.isFile() && matches(entry.name)) {
        const stat = await fs.stat(full).catch(() => undefined);
        if (stat) found.push({ file: full, bytes: stat.size, mtimeMs: stat.mtimeMs });
      }
    }
  };
  await walk(root, depth);
  return found.sort((a, b) => b.mtimeMs - a.mtimeMs);
}

/** The JSON lines in the first `bytes` of a file (for a listing: no problems, no throw). */
export async function firstLines(file: string, bytes = 256 * 1024): Promise<JsonLine[]> {
  try {
    return (await readJsonLines(file, 0, 1, bytes)).lines;
  } catch {
    return [];
  }
}

/** A prompt as one short line for a pick list. */
export function oneLinePrompt(text: string, max = 120): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
