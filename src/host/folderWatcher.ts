// Watches the buffer folder (outside the workspace) so that buffers written by other processes
// (the CLI, the Rust hooks, another window) show up live. Node's fs.watch runs in the extension
// host, next to the files, which is where they are in code-server and in remote windows too;
// VS Code's file watcher would apply the user's files.watcherExclude to a folder they never
// opened. Events are debounced and turned into `notifyExternalChange(agent)` calls.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { isExistingBufferName } from '../core/agentName';
import { Disposable, toDisposable } from './disposable';

const DEBOUNCE_MS = 250;
const POLL_MS = 3000;
/** Past this many agents in one burst, one "everything may have changed" is cheaper. */
const MAX_AGENTS_PER_BURST = 20;

/** The agent a file of the buffer folder belongs to; 'any' when unsure; undefined to ignore. */
export function agentOfFile(fileName: string | null | undefined): string | 'any' | undefined {
  if (!fileName) return 'any';
  // Temporary files of atomic writes and lock folders are not buffers; their rename or
  // removal shows up as an event on the real file anyway.
  if (/\.(tmp|lock)$/.test(fileName) || /\.tmp[-.]/.test(fileName)) return undefined;
  const match = /^(.+?)\.json(?:$|\.)/.exec(fileName);
  if (!match) return undefined;
  return isExistingBufferName(match[1]) ? match[1] : 'any';
}

export class BufferFolderWatcher extends Disposable {
  private watcher: fs.FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private pending = new Set<string>();
  private lastSignature = '';
  private dir = '';

  constructor(
    private readonly onChange: (agentType: string | undefined) => void,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(toDisposable(() => this.stop()));
  }

  /** (Re)starts watching `dir`, creating it (0700, like the core does) when it is missing. */
  async watch(dir: string): Promise<void> {
    this.stop();
    this.dir = dir;
    if (this.isDisposed) return;
    try {
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      this.log.warn(`Cannot create the buffer folder ${dir}: ${String(error)}`);
    }
    if (this.isDisposed || this.dir !== dir) return;
    try {
      const watcher = fs.watch(dir, { persistent: false }, (_event, fileName) => this.onFileEvent(fileName?.toString()));
      watcher.on('error', (error) => {
        this.log.warn(`Watching ${dir} failed (${String(error)}); checking it every ${POLL_MS / 1000} s instead.`);
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
        this.startPolling(dir);
      });
      this.watcher = watcher;
      this.log.info(`Watching the buffer folder ${dir}`);
    } catch (error) {
      this.log.warn(`Cannot watch ${dir} (${String(error)}); checking it every ${POLL_MS / 1000} s instead.`);
      this.startPolling(dir);
    }
  }

  private onFileEvent(fileName: string | undefined): void {
    const agent = agentOfFile(fileName);
    if (agent === undefined) return;
    this.pending.add(agent);
    if (this.debounceTimer) return;
    this.debounceTimer = setTimeout(() => this.emit(), DEBOUNCE_MS);
  }

  private emit(): void {
    this.debounceTimer = undefined;
    const agents = [...this.pending];
    this.pending.clear();
    if (this.isDisposed || agents.length === 0) return;
    if (agents.includes('any') || agents.length > MAX_AGENTS_PER_BURST) {
      this.onChange(undefined);
      return;
    }
    for (const agent of agents) this.onChange(agent);
  }

  /** Fallback where fs.watch does not work (some network file systems): compare names, sizes and times. */
  private startPolling(dir: string): void {
    if (this.isDisposed || this.pollTimer) return;
    const tick = async () => {
      try {
        const names = (await fs.promises.readdir(dir)).sort();
        const parts = await Promise.all(names.map(async (name) => {
          const stat = await fs.promises.stat(path.join(dir, name)).catch(() => undefined);
          return `${name}:${stat?.size ?? -1}:${stat?.mtimeMs ?? -1}`;
        }));
        const signature = parts.join('|');
        if (this.lastSignature && signature !== this.lastSignature) this.onFileEvent(undefined);
        this.lastSignature = signature;
      } catch {
        // The folder may not exist yet; keep checking.
      }
    };
    void tick();
    this.pollTimer = setInterval(() => void tick(), POLL_MS);
  }

  private stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = undefined;
    this.pending.clear();
    this.lastSignature = '';
  }
}
