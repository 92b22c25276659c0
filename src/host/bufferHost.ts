// Owns the window's one PersistentBuffer. Views, commands and the API go through this host so
// that a change of the (machine-scoped) buffer folder swaps the buffer without a reload;
// tuning settings are applied to the running buffer with `configure()`.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PersistentBuffer } from '../core/buffer';
import { resolveBufferDir } from '../core/paths';
import type { BufferChangeEvent, Disposable as CoreDisposable } from '../core/types';
import { Disposable } from './disposable';
import { type HostSettings, tuningOptions } from './settings';

const SHUTDOWN_FLUSH_MS = 3000;

/** `~/x` in a setting means the home folder, as users expect from other tools. */
export function expandHome(dir: string): string {
  if (dir === '~') return os.homedir();
  if (dir.startsWith('~/') || dir.startsWith('~\\')) return path.join(os.homedir(), dir.slice(2));
  return dir;
}

export class BufferHost extends Disposable {
  private current: PersistentBuffer;
  private currentListener: CoreDisposable;
  private shutdownPromise: Promise<void> | undefined;
  private readonly changeEmitter = this.register(new vscode.EventEmitter<BufferChangeEvent>());
  private readonly swapEmitter = this.register(new vscode.EventEmitter<PersistentBuffer>());

  /** A buffer changed (any agent when `agentType` is undefined), in the current folder. */
  readonly onDidChange = this.changeEmitter.event;
  /** The buffer folder changed: a new PersistentBuffer replaced the previous one. */
  readonly onDidSwapBuffer = this.swapEmitter.event;

  /** `compactionWorker`: dist/compactionWorker.js, so compactions run off the extension host's thread. */
  constructor(private settings: HostSettings, private readonly log: vscode.LogOutputChannel, private readonly compactionWorker?: string) {
    super();
    this.current = this.create(settings);
    this.currentListener = this.current.onDidChange((e) => this.changeEmitter.fire(e));
    this.log.info(`Buffer folder: ${this.current.dir} (writer ${this.current.writerId})`);
  }

  get buffer(): PersistentBuffer {
    return this.current;
  }

  get dir(): string {
    return this.current.dir;
  }

  /**
   * A stable object that forwards every call to the current buffer, for modules that are handed
   * a PersistentBuffer once (the hand-off commands) and must follow a folder change.
   */
  readonly facade: PersistentBuffer = new Proxy({} as PersistentBuffer, {
    get: (_target, property) => {
      const buffer = this.current as unknown as Record<PropertyKey, unknown>;
      const value = buffer[property];
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(this.current) : value;
    },
  });

  private create(settings: HostSettings): PersistentBuffer {
    return new PersistentBuffer({
      dir: resolveBufferDir(expandHome(settings.directory)),
      ...tuningOptions(settings),
      log: this.log, // a LogOutputChannel is a Logger as the core needs one
      compactionWorker: this.compactionWorker,
    });
  }

  /** Applies changed settings: tuning in place; a new folder with a new buffer (the old one is flushed and closed). */
  async applySettings(next: HostSettings): Promise<void> {
    if (this.isDisposed) return;
    const previous = this.settings;
    this.settings = next;
    const folderChanged = resolveBufferDir(expandHome(next.directory)) !== resolveBufferDir(expandHome(previous.directory));
    if (!folderChanged) {
      this.current.configure(tuningOptions(next));
      this.log.info(`Settings applied: flush every ${next.flushIntervalSeconds} s or ${next.maxEntriesBeforeFlush} entries, durability ${next.durability}`);
      return;
    }
    const old = this.current;
    this.currentListener.dispose();
    this.current = this.create(next);
    this.currentListener = this.current.onDidChange((e) => this.changeEmitter.fire(e));
    this.log.info(`Buffer folder changed to ${this.current.dir}`);
    this.swapEmitter.fire(this.current);
    this.changeEmitter.fire({});
    try {
      await old.flushAll();
      await old.dispose();
    } catch (error) {
      this.log.error(`Closing the buffer in the previous folder ${old.dir} failed: ${String(error)}`);
    }
  }

  /** Flushes and closes the buffer once; later calls return the same promise. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.currentListener.dispose();
      try {
        // A courtesy: acknowledged entries are on disk already; this saves what durability
        // "off" keeps in memory only (journals are compacted by the next writer, not here).
        // VS Code gives the host about 5 s to shut down: never wait longer than part of that.
        let timer: NodeJS.Timeout | undefined;
        const gaveUp = new Promise<void>((resolve) => { timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS); });
        await Promise.race([this.current.flushAll(), gaveUp]).finally(() => clearTimeout(timer));
      } catch (error) {
        this.log.error(`Final flush failed: ${String(error)}`);
      }
      try {
        await this.current.dispose();
      } catch (error) {
        this.log.error(`Closing the buffer failed: ${String(error)}`);
      }
    })();
    return this.shutdownPromise;
  }

  override dispose(): void {
    void this.shutdown();
    super.dispose();
  }
}
