// Long work on the extension host's thread (compacting or reading a buffer of tens of MB) must
// give the event loop back every few milliseconds: every extension shares that thread, and a
// 300 ms compaction froze hovers, completions and the tree for as long. Work loops call `due()`
// often (it only reads the clock) and `await pause()` when it says so.
import { performance } from 'node:perf_hooks';

/** The longest stretch of work between two turns of the event loop, by default. */
export const SLICE_BUDGET_MS = 4;

export class TimeSlicer {
  private sliceStarted = performance.now();

  constructor(private readonly budgetMs = SLICE_BUDGET_MS) {}

  /** This slice has used its time. */
  due(): boolean {
    return performance.now() - this.sliceStarted >= this.budgetMs;
  }

  /** Lets the event loop run (timers, I/O, other extensions), then starts a new slice. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStarted = performance.now();
  }

  /** `pause()` when due: `await slicer.yieldIfDue()` in a loop costs a microtask per call. */
  async yieldIfDue(): Promise<void> {
    if (this.due()) await this.pause();
  }
}
