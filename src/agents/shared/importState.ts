// What `nexus-buffer import` has read of each agent session file so far, kept in the buffer
// folder (`<dir>/.import-state.json`, 0600, replaced atomically): per file, the byte offset and
// line number consumed, the file's identity (inode, size, mtime) and what its reader keeps
// between reads. A file that grew is read from its offset only; one that is unchanged is not
// opened; one that was replaced (another inode, or shorter) is read again from the start, its
// records' ids (the agent's own) keep that from adding anything twice.
//
// The state is an optimisation, never the truth: lost or damaged, it is started afresh and the
// ids still keep a re-import from adding what is there.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicNoFollow } from '../../core/fsutil';

export const IMPORT_STATE_FILE = '.import-state.json';

export interface ImportedFile {
  agent: string;
  sessionId: string;
  offset: number;
  line: number;
  ino: number;
  size: number;
  mtimeMs: number;
  carry?: unknown;
  /** When this file was last imported (RFC 3339). */
  importedAt: string;
}

export interface ImportState {
  version: 1;
  files: Record<string, ImportedFile>;
}

export function importStatePath(dir: string): string {
  return path.join(dir, IMPORT_STATE_FILE);
}

/** The state of `dir`; an empty one when there is none or it cannot be read (with the reason). */
export async function loadImportState(dir: string): Promise<{ state: ImportState; problem?: string }> {
  const empty: ImportState = { version: 1, files: {} };
  let text: string;
  try {
    text = await fs.readFile(importStatePath(dir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: empty };
    return { state: empty, problem: `${IMPORT_STATE_FILE} could not be read (${(error as Error).message}); every file is read from its start, ids keep it from adding anything twice` };
  }
  try {
    const doc = JSON.parse(text) as Partial<ImportState>;
    if (doc?.version !== 1 || typeof doc.files !== 'object' || doc.files === null || Array.isArray(doc.files)) throw new Error('not an import state');
    const files: Record<string, ImportedFile> = {};
    for (const [file, value] of Object.entries(doc.files)) {
      if (isImportedFile(value)) files[file] = value;
    }
    return { state: { version: 1, files } };
  } catch (error) {
    return { state: empty, problem: `${IMPORT_STATE_FILE} is damaged (${(error as Error).message}); started afresh, ids keep a re-import from adding anything twice` };
  }
}

function isImportedFile(value: unknown): value is ImportedFile {
  const v = value as ImportedFile;
  return typeof v === 'object' && v !== null && typeof v.agent === 'string' && typeof v.sessionId === 'string'
    && [v.offset, v.line, v.ino, v.size, v.mtimeMs].every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);
}

export async function saveImportState(dir: string, state: ImportState): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomicNoFollow(importStatePath(dir), `${JSON.stringify(state, null, 2)}\n`);
}
