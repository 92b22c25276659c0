// Writes a Claude Code session back from its imported entries, so that `claude --resume <id>`
// finds it again after Claude Code deleted it (its start-up sweep of old sessions, an update):
// the lines kept by sessionReader.ts (`custom.transcript.line`), in their order, into
// `<config>/projects/<the session's cwd as Claude Code names it>/<id>.jsonl`. A line whose parent
// was a line not kept (an attachment) gets the nearest kept ancestor as its `parentUuid`, so the
// chain Claude Code walks back from the last line is whole.
//
// Only where the session is missing: if any project folder has `<id>.jsonl`, nothing is written
// (the agent's own file is never overwritten), and the file appears whole or not at all.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BufferError } from '../../core/errors';
import { fsyncDir } from '../../core/fsutil';
import { compareTimestamps, type BufferEntry } from '../../core/schema';
import { isObject, type Json } from '../shared/payload';
import type { HookPlaces } from '../types';
import { claudeProjectsDir, projectFolderName } from './sessionReader';

export interface RestorePlan {
  sessionId: string;
  /** Where the file goes. */
  file: string;
  lines: string[];
  /** Lines that could not be restored (too long to have been kept), by their source line. */
  omitted: number[];
  cwd: string;
}

const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** The session file that `entries` (one buffer's) give for `sessionId`; throws BufferError NOT_FOUND when they hold none of it. */
export function planRestore(entries: readonly BufferEntry[], sessionId: string, places: HookPlaces): RestorePlan {
  if (!SESSION_ID.test(sessionId)) {
    throw new BufferError('INVALID_ARGUMENT', `session id ${JSON.stringify(sessionId)}: expected Claude Code's id, e.g. 827221e7-420c-4134-8c59-49f6683859d2`);
  }
  // In the order of their file (a file's own times are not in order: a compaction writes lines
  // dated before the one above them). A session imported from several files (the original, and
  // later a restored one that Claude Code appended to) has each file's lines in a group, the
  // groups in the order of their earliest line; a line (an id) is written once.
  const kept: Array<{ file: string; at: string; line: number; text?: string; parent?: string | null }> = [];
  const seen = new Set<string>();
  let cwd: string | undefined;
  for (const entry of entries) {
    if (entry.context.session_id !== sessionId) continue;
    const custom = entry.context.custom as Json;
    const transcript = isObject(custom.transcript) ? custom.transcript : undefined;
    if (!transcript || custom.capture !== 'claude-code-session-file' || typeof custom.source_line !== 'number') continue;
    const key = entry.id ?? `${String(custom.source_file)}:${custom.source_line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const parent = transcript.parent === null || typeof transcript.parent === 'string' ? transcript.parent : undefined;
    if (typeof transcript.line === 'string') {
      kept.push({ file: String(custom.source_file), at: entry.timestamp, line: custom.source_line, text: transcript.line, ...(parent !== undefined ? { parent } : {}) });
      if (cwd === undefined) {
        try {
          const value = JSON.parse(transcript.line) as Json;
          if (typeof value.cwd === 'string' && value.cwd !== '') cwd = value.cwd;
        } catch {
          // a kept line is JSON; if not, it is written as it was
        }
      }
    } else {
      kept.push({ file: String(custom.source_file), at: entry.timestamp, line: custom.source_line });
    }
  }
  if (kept.length === 0) {
    throw new BufferError('NOT_FOUND', `no imported lines of Claude Code session ${sessionId} in the claude-code buffer (import it first: nexus-buffer import --from claude-code)`);
  }
  if (cwd === undefined) throw new BufferError('NOT_FOUND', `the imported lines of session ${sessionId} do not say which folder it ran in (no cwd)`);
  const firstAt = new Map<string, string>();
  for (const item of kept) {
    const at = firstAt.get(item.file);
    if (at === undefined || compareTimestamps(item.at, at) < 0) firstAt.set(item.file, item.at);
  }
  kept.sort((a, b) => (a.file === b.file ? a.line - b.line : compareTimestamps(firstAt.get(a.file)!, firstAt.get(b.file)!) || (a.file < b.file ? -1 : 1)));
  const lines: string[] = [];
  const omitted: number[] = [];
  for (const item of kept) {
    if (item.text === undefined) {
      omitted.push(item.line);
      continue;
    }
    lines.push(item.parent === undefined ? item.text : relinked(item.text, item.parent));
  }
  return { sessionId, file: path.join(claudeProjectsDir(places), projectFolderName(cwd), `${sessionId}.jsonl`), lines, omitted, cwd };
}

function relinked(text: string, parent: string | null): string {
  try {
    const value = JSON.parse(text) as Json;
    value.parentUuid = parent;
    return JSON.stringify(value);
  } catch {
    return text;
  }
}

/** A session file Claude Code has for `sessionId` in any project folder, if any. */
export async function existingSessionFile(sessionId: string, places: HookPlaces): Promise<string | undefined> {
  const projects = claudeProjectsDir(places);
  let folders: string[];
  try {
    folders = await fs.readdir(projects);
  } catch {
    return undefined;
  }
  for (const folder of folders) {
    const candidate = path.join(projects, folder, `${sessionId}.jsonl`);
    if (await fs.stat(candidate).then((s) => s.isFile(), () => false)) return candidate;
  }
  return undefined;
}

/** Writes the plan's file; refuses (BufferError EXISTS) when Claude Code has the session somewhere. */
export async function writeRestore(plan: RestorePlan, places: HookPlaces): Promise<string> {
  const existing = await existingSessionFile(plan.sessionId, places);
  if (existing) {
    throw new BufferError('EXISTS', `Claude Code still has session ${plan.sessionId} (${existing}); nothing written: the agent's own file is never overwritten`);
  }
  const folder = path.dirname(plan.file);
  await fs.mkdir(folder, { recursive: true, mode: 0o700 });
  const appearedMeanwhile = () => new BufferError('EXISTS', `${plan.file} appeared meanwhile; nothing written`);
  const text = plan.lines.map((line) => `${line}\n`).join('');
  // Whole or not at all: written and synced under a temporary name, then linked into place. A
  // link never replaces a file (EEXIST), which a rename would; and Claude Code, or a crash, never
  // meets a half-written session. Where the file system has no hard links, an exclusive create
  // and fill instead.
  const temp = path.join(folder, `.${path.basename(plan.file)}.nexus-restore-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeSynced(temp, text);
  try {
    await fs.link(temp, plan.file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw appearedMeanwhile();
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    await writeSynced(plan.file, text).catch((failure: NodeJS.ErrnoException) => {
      if (failure.code === 'EEXIST') throw appearedMeanwhile();
      throw failure;
    });
  } finally {
    await fs.unlink(temp).catch(() => undefined);
  }
  await fsyncDir(folder);
  return plan.file;
}

/** Creates `file` exclusively (0600) with `text`, synced; a failed write leaves no file behind. */
async function writeSynced(file: string, text: string): Promise<void> {
  const handle = await fs.open(file, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.unlink(file).catch(() => undefined);
    throw error;
  }
  await handle.close();
}
