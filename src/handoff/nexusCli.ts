// Hand-off to the Nexus memory system through its `nexus` command-line tool: each buffered
// entry is piped as JSON to `nexus ingest-hook-event --agent <agent> --event buffer_recovery`,
// the crate's recovery path. Pure Node, no vscode.
//
// Where the tool is looked for is fixed (environment, two well-known paths, PATH) and never
// read from workspace settings: a folder someone else controls must not choose a program to
// run with the user's buffered context on its stdin. It is spawned without a shell.
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { BufferEntry } from '../core/schema';
import { isExecutableFile, pathDirectories } from '../integrations/executables';

export const NEXUS_EVENT = 'buffer_recovery';
export const DEFAULT_ENTRY_TIMEOUT_MS = 15_000;

export interface NexusLookup {
  /** The tool found, if any. */
  binary?: string;
  /** Every place looked at, in order (for "not found: looked in ..."). */
  searched: string[];
}

/** Finds `nexus`: $NEXUS_HOOK_BINARY, ~/.local/bin/nexus, /usr/local/bin/nexus, then PATH. */
export async function findNexusBinary(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): Promise<NexusLookup> {
  const searched: string[] = [];
  const candidates: string[] = [];
  const fromEnv = env.NEXUS_HOOK_BINARY?.trim();
  if (fromEnv) candidates.push(fromEnv);
  else searched.push('$NEXUS_HOOK_BINARY (not set)');
  candidates.push(path.join(home, '.local', 'bin', 'nexus'));
  if (process.platform !== 'win32') candidates.push('/usr/local/bin/nexus');
  const names = process.platform === 'win32' ? ['nexus.exe', 'nexus.cmd', 'nexus.bat'] : ['nexus'];
  for (const dir of pathDirectories(env)) for (const name of names) candidates.push(path.join(dir, name));
  for (const candidate of candidates) {
    if (searched.includes(candidate)) continue;
    searched.push(candidate);
    if (await isExecutableFile(candidate)) return { binary: candidate, searched };
  }
  return { searched };
}

export interface SendResult {
  stored: number;
  failed: number;
  /** One line per failed entry: its timestamp and why. */
  errors: string[];
  /** Ids (or timestamps) of the entries stored, in order. */
  storedIds: string[];
}

export interface SendOptions {
  timeoutMs?: number;
  /** Stops sending the remaining entries (those are counted neither stored nor failed). */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Sends the entries one by one, oldest first, each as one JSON document on the tool's stdin.
 * An entry is stored when the tool exits 0 within the timeout; anything else counts as failed
 * with the tool's last stderr line. Never throws for a failing tool.
 */
export async function sendEntries(
  binary: string,
  agent: string,
  entries: readonly BufferEntry[],
  options: SendOptions = {},
): Promise<SendResult> {
  const result: SendResult = { stored: 0, failed: 0, errors: [], storedIds: [] };
  const timeoutMs = options.timeoutMs ?? DEFAULT_ENTRY_TIMEOUT_MS;
  for (let index = 0; index < entries.length; index++) {
    if (options.signal?.aborted) break;
    const entry = entries[index]!;
    const problem = await sendOne(binary, agent, entry, timeoutMs);
    if (problem === undefined) {
      result.stored++;
      result.storedIds.push(entry.id ?? entry.timestamp);
    } else {
      result.failed++;
      result.errors.push(`entry ${index + 1} (${entry.timestamp}): ${problem}`);
    }
    options.onProgress?.(index + 1, entries.length);
  }
  return result;
}

/** Runs the tool for one entry; undefined on success, else why it failed. */
function sendOne(binary: string, agent: string, entry: BufferEntry, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (problem: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(problem);
    };
    let stderr = '';
    const child = spawn(binary, ['ingest-hook-event', '--agent', agent, '--event', NEXUS_EVENT], {
      shell: false,
      stdio: ['pipe', 'ignore', 'pipe'],
      windowsHide: true,
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(`no answer within ${Math.round(timeoutMs / 1000)} s`);
    }, timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 8_000) stderr += chunk;
    });
    child.on('error', (error) => finish(`could not run ${binary}: ${error.message}`));
    child.on('close', (code, signal) => {
      if (code === 0) finish(undefined);
      else finish(`${path.basename(binary)} exited with ${code ?? signal}${lastLine(stderr) ? `: ${lastLine(stderr)}` : ''}`);
    });
    // A tool that exits without reading its stdin makes the write fail with EPIPE: its exit
    // code then says what happened.
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(entry));
  });
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  const line = (lines[lines.length - 1] ?? '').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
