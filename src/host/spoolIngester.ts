// Turns what the agents' spool hooks leave in the buffer folder (`<dir>/.spool/<source>/`,
// Claude Code's tool calls: src/agents/shared/spoolCommand.ts) into entries while this window
// is open, so the view fills as the agent works rather than at its next Node hook (the end of
// a turn). The spool folders are watched (fs.watch, in the extension host like the buffer
// folder's watcher); an ingest runs shortly after a change, and again on a short timer while
// files are left (a cap, a `.part` still being written, another ingester holding the lock).
// Async fs only (core/spool.ts): the extension host is never blocked.
import * as fs from 'node:fs';
import type * as vscode from 'vscode';
import { findHookSource } from '../agents/registry';
import { SPOOLED_SOURCE_IDS } from '../agents/shared/spoolCommand';
import type { PersistentBuffer } from '../core/buffer';
import { completeContext } from '../core/schema';
import { ingestSpool, spoolDirOf } from '../core/spool';
import { Disposable, toDisposable } from './disposable';

const DEBOUNCE_MS = 50;
/** While files are left. */
const RETRY_MS = 500;
/** When a folder cannot be watched. */
const POLL_MS = 2000;

export interface SpoolHost {
  readonly dir: string;
  readonly buffer: Pick<PersistentBuffer, 'notifyExternalChange' | 'flush'>;
  onDidSwapBuffer(listener: () => void): vscode.Disposable;
}

export class SpoolIngester extends Disposable {
  private watchers: fs.FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private dir = '';

  constructor(
    private readonly host: SpoolHost,
    private readonly log: Pick<vscode.LogOutputChannel, 'info' | 'warn'>,
    private readonly sources: readonly string[] = SPOOLED_SOURCE_IDS,
  ) {
    super();
    this.register(toDisposable(() => this.stop()));
    this.register(host.onDidSwapBuffer(() => void this.watch(host.dir)));
    void this.watch(host.dir);
  }

  /** (Re)starts on `dir`: the spool folders are created (0700) so they can be watched. */
  async watch(dir: string): Promise<void> {
    this.stop();
    this.dir = dir;
    let polling = false;
    for (const id of this.sources) {
      const folder = spoolDirOf(dir, id);
      try {
        await fs.promises.mkdir(folder, { recursive: true, mode: 0o700 });
        if (this.isDisposed || this.dir !== dir) return;
        const watcher = fs.watch(folder, { persistent: false }, () => this.schedule(DEBOUNCE_MS));
        watcher.on('error', () => {
          watcher.close();
          this.startPolling();
        });
        this.watchers.push(watcher);
      } catch (error) {
        if (this.isDisposed || this.dir !== dir) return;
        if (!polling) this.log.warn(`Cannot watch the spool folder ${folder} (${String(error)}); checking it every ${POLL_MS / 1000} s instead.`);
        polling = true;
      }
    }
    if (polling) this.startPolling();
    this.schedule(0); // what was spooled while no window was open
  }

  /** Ingests now (tests; the timer otherwise). */
  async ingestNow(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.ingest().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.schedule(DEBOUNCE_MS);
      }
    });
    return this.running;
  }

  private async ingest(): Promise<void> {
    const dir = this.dir;
    if (!dir || this.isDisposed) return;
    try {
      const result = await ingestSpool(dir, { findSource: findHookSource, complete: completeContext, deadlineAt: Date.now() + 2000, maxFiles: 500, sources: this.sources });
      for (const problem of result.problems) this.log.warn(problem);
      if (this.isDisposed || this.dir !== dir) return;
      for (const agent of result.agents) this.host.buffer.notifyExternalChange(agent);
      for (const agent of result.compactionDue) void this.host.buffer.flush(agent, { compact: true }).catch(() => undefined);
      if (result.remaining) this.schedule(RETRY_MS);
    } catch (error) {
      this.log.warn(`Reading the spooled hook events in ${dir} failed: ${String((error as Error)?.message ?? error)}; retrying.`);
      this.schedule(POLL_MS);
    }
  }

  private schedule(ms: number): void {
    if (this.isDisposed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.ingestNow();
    }, ms);
  }

  private startPolling(): void {
    if (this.poll || this.isDisposed) return;
    this.poll = setInterval(() => this.schedule(0), POLL_MS);
  }

  private stop(): void {
    for (const watcher of this.watchers.splice(0)) watcher.close();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
  }
}
