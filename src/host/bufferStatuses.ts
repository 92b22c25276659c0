// The one list of buffer statuses the tree, the status bar and the notifications show. It
// comes from one core call (`listBuffers`, derived from the files), refreshed after changes,
// coalesced so that a burst of entries costs one listing.
import * as vscode from 'vscode';
import type { BufferStatus } from '../core/types';
import type { BufferHost } from './bufferHost';
import { Disposable, toDisposable } from './disposable';
import { messageOf, type OnceNotifier } from './notifyOnce';

const REFRESH_DELAY_MS = 150;

export class BufferStatuses extends Disposable {
  private current: BufferStatus[] = [];
  private loaded = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<BufferStatus[]> | undefined;
  private queued: Promise<BufferStatus[]> | undefined;
  private readonly updateEmitter = this.register(new vscode.EventEmitter<{ statuses: readonly BufferStatus[]; changedAgent?: string }>());
  private pendingAgents = new Set<string | undefined>();

  /** Fired after each refresh with the new list; `changedAgent` when only one buffer was said to change. */
  readonly onDidUpdate = this.updateEmitter.event;

  constructor(private readonly host: BufferHost, private readonly notifier: OnceNotifier) {
    super();
    this.register(host.onDidChange((e) => this.schedule(e.agentType)));
    this.register(toDisposable(() => clearTimeout(this.timer)));
  }

  /** The latest list (empty until the first refresh). */
  get statuses(): readonly BufferStatus[] {
    return this.current;
  }

  get hasLoaded(): boolean {
    return this.loaded;
  }

  find(agentType: string): BufferStatus | undefined {
    return this.current.find((s) => s.agentType === agentType);
  }

  /** The list, loading it first when it never was. */
  async get(): Promise<readonly BufferStatus[]> {
    return this.loaded ? this.current : this.refresh();
  }

  private schedule(agentType: string | undefined): void {
    this.pendingAgents.add(agentType);
    if (this.timer || this.isDisposed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, REFRESH_DELAY_MS);
  }

  /**
   * Lists the buffers. A call while a listing runs queues one more listing after it (callers
   * then get a result that reflects their change); further calls share that queued one.
   */
  refresh(): Promise<BufferStatus[]> {
    if (this.queued) return this.queued;
    const before = this.running ?? Promise.resolve([]);
    const queued = before.then(() => {
      this.queued = undefined;
      this.running = this.listOnce();
      return this.running;
    });
    this.queued = queued;
    return queued;
  }

  private async listOnce(): Promise<BufferStatus[]> {
    const agents = this.pendingAgents;
    this.pendingAgents = new Set();
    try {
      const statuses = await this.host.buffer.listBuffers();
      this.notifier.forget('list');
      this.current = statuses;
      this.loaded = true;
      const only = agents.size === 1 ? [...agents][0] : undefined;
      if (!this.isDisposed) this.updateEmitter.fire({ statuses, changedAgent: only });
      return statuses;
    } catch (error) {
      void this.notifier.error('list', `Nexus Buffer could not list the buffer folder ${this.host.dir}: ${messageOf(error)}. Check that the folder exists and is readable, then run "Nexus Buffer: Refresh".`);
      return this.current;
    } finally {
      this.running = undefined;
    }
  }
}
