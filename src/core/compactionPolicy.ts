// When journals are merged into `<agent>.json`, the file the crate's reader reads. The crate's
// own writer leaves its reader at most 9 entries behind; ours promises time instead: every entry
// acknowledged at least FRESHNESS_MS ago is in the snapshot whenever no writer is in the middle
// of writing it, for snapshots up to FRESH_SNAPSHOT_BYTES. Past that size the lag may grow, but
// only as far as keeps a rewrite at most REWRITE_FACTOR bytes written per byte buffered (a trickle
// into a 100 MB buffer must not rewrite 100 MB every 10 s). A leaf module: the hook path uses it.

/** The crate's flush interval, which it stores and never uses: ours is kept. */
export const FRESHNESS_MS = 10_000;
export const FRESH_SNAPSHOT_BYTES = 5 * 1024 * 1024;
export const REWRITE_FACTOR = 64;
/** PersistentBuffer's compactMinBytes default: journals this large are merged whatever their age. */
export const COMPACT_MIN_BYTES = 1024 * 1024;

export interface CompactionState {
  /** Bytes in journals not yet merged into the snapshot. */
  uncompactedBytes: number;
  /** How long ago the oldest of them was acknowledged (ms), or undefined when unknown. */
  oldestAgeMs: number | undefined;
  snapshotBytes: number;
  minBytes?: number;
  freshnessMs?: number;
}

export function compactionDue(s: CompactionState): boolean {
  if (s.uncompactedBytes <= 0) return false;
  // Amortised: journals as large as the snapshot cost no more to merge than they cost to write.
  if (s.uncompactedBytes >= Math.max(s.minBytes ?? COMPACT_MIN_BYTES, s.snapshotBytes)) return true;
  const freshness = s.freshnessMs ?? FRESHNESS_MS;
  if (s.oldestAgeMs === undefined || freshness <= 0 || s.oldestAgeMs < freshness) return false;
  return s.snapshotBytes <= FRESH_SNAPSHOT_BYTES || s.uncompactedBytes * REWRITE_FACTOR >= s.snapshotBytes;
}

/** `started_at` of a journal's header line (the first line of `head`), epoch ms; undefined when unreadable. */
export function journalHeaderStartedAt(head: string): number | undefined {
  try {
    const started = Date.parse((JSON.parse(head.split('\n')[0]) as { started_at?: string }).started_at ?? '');
    return Number.isNaN(started) ? undefined : started;
  } catch {
    return undefined;
  }
}
