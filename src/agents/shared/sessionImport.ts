// Importing agents' own session files into their buffers (`nexus-buffer import`, and the
// extension's "Import Agent Sessions…"): list what the agents keep, read each file from where
// the last import stopped (the import state, importState.ts), and buffer each record with its
// own id and time. Ids the buffer already has are skipped, so importing the same file again, or
// the same lines after the state was lost, adds nothing; entries stay when the agent deletes
// its file (nothing here ever removes an entry).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PersistentBuffer } from '../../core/buffer';
import { BufferError } from '../../core/errors';
import type { AgentProvider, HookPlaces, SessionFileInfo, SessionProblem, SessionReadStart } from '../types';
import { loadImportState, saveImportState, type ImportState } from './importState';

export interface ListOptions {
  places: HookPlaces;
  /** Only these agents (ids); default every agent with session files. */
  agents?: readonly string[];
  /** Only files changed at or after this time (ms since the epoch). */
  since?: number;
  /** Only sessions that ran in this folder (or below it). */
  project?: string;
}

/** Every session file of the chosen agents, newest first. */
export async function listSessions(providers: readonly AgentProvider[], options: ListOptions): Promise<SessionFileInfo[]> {
  const all: SessionFileInfo[] = [];
  for (const provider of providers) {
    if (!provider.sessions || (options.agents && !options.agents.includes(provider.id))) continue;
    all.push(...(await provider.sessions.list(options.places)));
  }
  const project = options.project ? path.resolve(options.project) : undefined;
  return all
    .filter((info) => options.since === undefined || Date.parse(info.modifiedAt) >= options.since!)
    .filter((info) => !project || (info.project !== null && (info.project === project || info.project.startsWith(`${project}${path.sep}`))))
    .sort((a, b) => Date.parse(b.modifiedAt) - Date.parse(a.modifiedAt));
}

export interface FileImport {
  agent: string;
  file: string;
  sessionId: string;
  project: string | null;
  /** Entries added to the buffer (dry run: that would be). */
  added: number;
  /** Records the buffer had already (by id). */
  known: number;
  /** The file had not changed since the last import: not read. */
  unchanged: boolean;
  problems: SessionProblem[];
}

export interface ImportReport {
  dryRun: boolean;
  files: FileImport[];
  added: number;
  problems: SessionProblem[];
  /** The import state could not be read or written (the import itself still happened). */
  stateProblem?: string;
}

export interface ImportOptions {
  dryRun?: boolean;
  /** Called before each file (for a progress bar). */
  onFile?: (index: number, total: number, info: SessionFileInfo) => void;
}

/** Imports `sessions` into `buffer` (of the folder `buffer.dir`). */
export async function importSessions(
  buffer: PersistentBuffer, providers: readonly AgentProvider[], sessions: readonly SessionFileInfo[], options: ImportOptions = {},
): Promise<ImportReport> {
  const loaded = await loadImportState(buffer.dir);
  const state: ImportState = loaded.state;
  const report: ImportReport = { dryRun: options.dryRun === true, files: [], added: 0, problems: [], ...(loaded.problem ? { stateProblem: loaded.problem } : {}) };
  const known = new Map<string, Set<string>>();
  const knownIds = async (agent: string): Promise<Set<string>> => {
    let ids = known.get(agent);
    if (!ids) {
      const existing = await buffer.read(agent);
      ids = new Set((existing?.data.entries ?? []).map((e) => e.id).filter((id): id is string => typeof id === 'string'));
      known.set(agent, ids);
    }
    return ids;
  };
  for (const [index, info] of sessions.entries()) {
    options.onFile?.(index, sessions.length, info);
    const source = providers.find((p) => p.id === info.agent)?.sessions;
    const result: FileImport = { agent: info.agent, file: info.file, sessionId: info.sessionId, project: info.project, added: 0, known: 0, unchanged: false, problems: [] };
    report.files.push(result);
    if (!source) continue;
    let stat: import('node:fs').Stats;
    try {
      stat = await fs.stat(info.file);
    } catch (error) {
      result.problems.push({ file: info.file, line: 0, message: `cannot be read (${(error as Error).message})` });
      continue;
    }
    const before = state.files[info.file];
    const same = before !== undefined && before.agent === info.agent && before.ino === stat.ino && stat.size >= before.offset;
    if (same && before.size === stat.size && before.mtimeMs === stat.mtimeMs) {
      result.unchanged = true;
      continue;
    }
    const start: SessionReadStart = same ? { offset: before.offset, line: before.line, carry: before.carry } : { offset: 0, line: 1 };
    let read;
    try {
      read = await source.read(info.file, start);
    } catch (error) {
      result.problems.push({ file: info.file, line: start.line, message: `cannot be read (${(error as Error).message})` });
      continue;
    }
    result.problems.push(...read.problems);
    const ids = await knownIds(info.agent);
    for (const record of read.records) {
      if (ids.has(record.id)) {
        result.known++;
        continue;
      }
      if (!options.dryRun) {
        try {
          await buffer.bufferContext(info.agent, record.context, record.contextType, { id: record.id, timestamp: record.timestamp });
        } catch (error) {
          // A record the buffer refuses (too large, not a valid context) is reported; a disk that
          // refuses the writes stops the import (nothing after it would be written either).
          if (!(error instanceof BufferError) || (error.code !== 'ENTRY_TOO_LARGE' && error.code !== 'INVALID_CONTEXT')) throw error;
          const line = (record.context.custom as { source_line?: unknown } | undefined)?.source_line;
          result.problems.push({ file: info.file, line: typeof line === 'number' ? line : 0, message: `not imported: ${error.message}` });
          continue;
        }
      }
      ids.add(record.id);
      result.added++;
    }
    if (!options.dryRun) {
      state.files[info.file] = {
        agent: info.agent, sessionId: info.sessionId, offset: read.next.offset, line: read.next.line, ino: stat.ino, size: stat.size,
        mtimeMs: stat.mtimeMs, ...(read.next.carry !== undefined ? { carry: read.next.carry } : {}), importedAt: new Date().toISOString(),
      };
    }
    report.added += result.added;
    report.problems.push(...result.problems);
  }
  if (!options.dryRun) {
    await buffer.flushAll({ compact: true });
    try {
      await saveImportState(buffer.dir, state);
    } catch (error) {
      report.stateProblem = `the import state could not be saved (${(error as Error).message}); the next import reads the files again, ids keep it from adding anything twice`;
    }
  }
  return report;
}

/** `7d`, `12h`, `30m`, `2w` -> milliseconds; undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d{1,6})\s*([mhdw])\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2]!.toLowerCase() as 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}
