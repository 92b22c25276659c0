// Small measurement helpers: clocks, percentiles, bytes written by this process, forced GC.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

export const now = (): number => performance.now();

/** Nearest-rank percentile of unsorted samples (p in 0..100); NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/**
 * Bytes this process handed to write(2) so far (all threads, so libuv's pool too), from
 * /proc/self/io `wchar`; undefined where there is no /proc (then byte figures come from file sizes).
 */
export function bytesWrittenSoFar(): number | undefined {
  try {
    const m = /^wchar:\s*(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Measures bytes written by `work` (via wchar), or undefined where unsupported. */
export async function measureWrites<T>(work: () => Promise<T>): Promise<{ value: T; bytes: number | undefined }> {
  const before = bytesWrittenSoFar();
  const value = await work();
  const after = bytesWrittenSoFar();
  return { value, bytes: before === undefined || after === undefined ? undefined : after - before };
}

let gcFn: (() => void) | undefined;
/** A full GC between repetitions so one run's garbage is not collected on the next one's clock. */
export function collectGarbage(): void {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  gcFn();
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || Number.isNaN(bytes)) return 'n/a';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatMs(ms: number): string {
  if (Number.isNaN(ms)) return 'n/a';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 100) return `${ms.toFixed(2)} ms`;
  if (ms < 10_000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  if (r >= 100) return `${Math.round(r).toLocaleString('en-US')}x`;
  if (r >= 10) return `${r.toFixed(1)}x`;
  return `${r.toFixed(2)}x`;
}

export const round = (n: number, digits = 3): number => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);
