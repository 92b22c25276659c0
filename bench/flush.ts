// Figure 2, flush: bytes written and time of a typical flush (10 new entries) with N entries
// already buffered, for our store and for the crate's algorithm (all entries in memory, every
// flush rewrites the whole file as pretty JSON via `<agent>.json.tmp` + rename), side by side.
// Our compactions (a full snapshot rewrite) are measured separately, with how often they come.
import { promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, PersistentBuffer } from '../src/core/buffer';
import { FRESH_SNAPSHOT_BYTES, FRESHNESS_MS, REWRITE_FACTOR } from '../src/core/compactionPolicy';
import { fsyncDir } from '../src/core/fsutil';
import { serializeSnapshot } from '../src/core/snapshot';
import type { BufferEntry } from '../src/core/schema';
import { makeContext, makeEntries, timestampOf } from './fixtures';
import type { FigureResult, Table, Verdict } from './report';
import { collectGarbage, formatBytes, formatCount, formatMs, formatRatio, measureWrites, median, now, round } from './stats';
import { makeTempDir, removeTempDir } from './tempDirs';

const AGENT = 'claude-code';
/** Entries per typical flush: the crate flushes every 10 entries. */
const K = 10;
const BYTES_TARGET = 100;
const TIME_TARGET = 2;

interface Sample {
  ms: number;
  bytes: number;
}

interface Series {
  samples: Sample[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  medianBytes: number;
}

function series(samples: Sample[]): Series {
  return {
    samples,
    medianMs: median(samples.map((s) => s.ms)),
    minMs: Math.min(...samples.map((s) => s.ms)),
    maxMs: Math.max(...samples.map((s) => s.ms)),
    medianBytes: median(samples.map((s) => s.bytes)),
  };
}

async function timedWrites(work: () => Promise<void>): Promise<Sample> {
  const { value: ms, bytes } = await measureWrites(async () => {
    const t0 = now();
    await work();
    return now() - t0;
  });
  if (bytes === undefined) throw new Error('bytes written are measured with /proc/self/io (Linux)');
  return { ms, bytes };
}

interface OursResult {
  n: number;
  snapshotBytes: number;
  fillSeconds: number;
  typical: Series;
  /** Compactions that happened during the typical flushes (expected: none). */
  compactionsDuringTypical: number;
  compaction: Series;
}

async function ours(n: number, reps: number, compactReps: number): Promise<OursResult> {
  const dir = makeTempDir(`flush-${n}`);
  // The default policy (batched, 5 ms window, compaction at max(1 MB, snapshot)), except no
  // timer and no roll-over into an archive at 20,000 entries: the figure is about N entries.
  const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, maxBufferEntries: 1e9, maxBufferBytes: 1e13 });
  let compactions = 0;
  buffer.onDidChange((e) => void (e.reason === 'compacted' && compactions++));
  const contexts = Array.from({ length: 256 }, (_, i) => makeContext(i));
  let next = 0;
  const add = (count: number) => {
    const calls: Promise<unknown>[] = [];
    for (let k = 0; k < count; k++, next++) calls.push(buffer.bufferContext(AGENT, contexts[next % contexts.length], 'tool-use'));
    return Promise.all(calls);
  };
  try {
    const t0 = now();
    while (next < n) await add(Math.min(256, n - next));
    await buffer.flush(AGENT, { compact: true });
    const fillSeconds = (now() - t0) / 1000;
    const snapshotBytes = statSync(path.join(dir, `${AGENT}.json`)).size;
    collectGarbage();
    const before = compactions;
    const typical: Sample[] = [];
    for (let r = 0; r < reps; r++) {
      typical.push(await timedWrites(async () => {
        await add(K);
        await buffer.flush(AGENT);
      }));
    }
    const compactionsDuringTypical = compactions - before;
    const compaction: Sample[] = [];
    for (let r = 0; r < compactReps; r++) {
      await add(K);
      collectGarbage();
      compaction.push(await timedWrites(() => buffer.flush(AGENT, { compact: true })));
    }
    return { n, snapshotBytes, fillSeconds, typical: series(typical), compactionsDuringTypical, compaction: series(compaction) };
  } finally {
    await buffer.dispose();
    removeTempDir(dir);
  }
}

/** The crate's flush: serialize everything pretty, write `<agent>.json.tmp`, rename over the file. */
async function crateFlush(dir: string, entries: BufferEntry[], startedAt: string, withFsync: boolean): Promise<void> {
  const file = path.join(dir, `${AGENT}.json`);
  const tmp = `${file}.tmp`;
  const text = serializeSnapshot({ started_at: startedAt, entries, last_flush: new Date().toISOString(), agent_type: AGENT });
  if (withFsync) {
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
    await fsyncDir(dir);
  } else {
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, file);
  }
}

async function baseline(n: number, reps: number, withFsync: boolean): Promise<Series> {
  const dir = makeTempDir(`crate-${n}`);
  try {
    // The crate's entries carry no id.
    const entries = makeEntries(0, n, false);
    const startedAt = timestampOf(0);
    await crateFlush(dir, entries, startedAt, withFsync);
    collectGarbage();
    const samples: Sample[] = [];
    for (let r = 0; r < reps; r++) {
      entries.push(...makeEntries(n + r * K, K, false));
      samples.push(await timedWrites(() => crateFlush(dir, entries, startedAt, withFsync)));
    }
    return series(samples);
  } finally {
    removeTempDir(dir);
  }
}

export async function flushFigure(opts: { quick: boolean; progress: (s: string) => void }): Promise<FigureResult> {
  const sizes = [100, 1_000, 20_000];
  const rows: Array<{ n: number; ours: OursResult; crate: Series; crateFsync: Series }> = [];
  for (const n of sizes) {
    const big = n >= 20_000;
    const reps = opts.quick ? 5 : big ? 9 : 15;
    opts.progress(`flush: ours at ${formatCount(n)} entries…`);
    const o = await ours(n, reps, opts.quick || big ? (opts.quick ? 1 : 2) : 3);
    collectGarbage();
    opts.progress(`flush: crate baseline at ${formatCount(n)} entries…`);
    const crateReps = opts.quick ? 3 : big ? 5 : 9;
    const crate = await baseline(n, crateReps, false);
    collectGarbage();
    const crateFsync = await baseline(n, crateReps, true);
    collectGarbage();
    rows.push({ n, ours: o, crate, crateFsync });
  }

  const first = rows[0];
  const last = rows[rows.length - 1];
  const bytesRatio = last.crate.medianBytes / last.ours.typical.medianBytes;
  const timeRatio = last.ours.typical.medianMs / first.ours.typical.medianMs;

  const main: Table = {
    title: `Flush: ${K} new entries made durable, with N entries already buffered (median of the repetitions)`,
    headers: ['N', 'store', 'bytes/flush', 'time/flush', 'min..max', 'reps', 'crate/ours bytes', 'crate/ours time'],
    rows: rows.flatMap(({ n, ours: o, crate, crateFsync }) => [
      [formatCount(n), 'ours: journal append + flush()', formatBytes(o.typical.medianBytes), formatMs(o.typical.medianMs),
        `${formatMs(o.typical.minMs)}..${formatMs(o.typical.maxMs)}`, String(o.typical.samples.length), '', ''],
      [formatCount(n), 'crate: whole-file rewrite, no fsync (as the crate)', formatBytes(crate.medianBytes), formatMs(crate.medianMs),
        `${formatMs(crate.minMs)}..${formatMs(crate.maxMs)}`, String(crate.samples.length),
        formatRatio(crate.medianBytes / o.typical.medianBytes), formatRatio(crate.medianMs / o.typical.medianMs)],
      [formatCount(n), 'crate: whole-file rewrite + fsync (file, folder)', formatBytes(crateFsync.medianBytes), formatMs(crateFsync.medianMs),
        `${formatMs(crateFsync.minMs)}..${formatMs(crateFsync.maxMs)}`, String(crateFsync.samples.length),
        formatRatio(crateFsync.medianBytes / o.typical.medianBytes), formatRatio(crateFsync.medianMs / o.typical.medianMs)],
    ]),
    notes: [
      `ours: ${K} concurrent bufferContext calls (batched: one group-committed fsync, 5 ms batch window included) and then flush();`,
      '  the time runs from the first call to flush() resolving; the N entries were compacted into the snapshot first.',
      `  compactions during these typical flushes: ${rows.map((r) => `${r.ours.compactionsDuringTypical} at ${formatCount(r.n)}`).join(', ')} (none expected).`,
      `crate: the crate's algorithm in this bench: N+${K} entries in memory, serializeSnapshot (serde-pretty layout), write <agent>.json.tmp, rename.`,
      '  The crate does not fsync; the "+ fsync" line shows what the same rewrite costs when made as durable as ours.',
      'bytes: written by this process (/proc/self/io wchar).',
    ],
  };

  const lineBytes = last.ours.typical.medianBytes / K;
  const compactionRows = rows.map(({ n, ours: o, crate }) => {
    // Default policy: compaction once the journals hold max(compactMinBytes, snapshot size).
    const every = Math.ceil(Math.max(DEFAULTS.compactMinBytes, o.snapshotBytes) / lineBytes);
    const amortized = o.typical.medianBytes / K + o.compaction.medianBytes / every;
    const crateAmortized = crate.medianBytes / K;
    return { n, o, every, amortized, crateAmortized };
  });
  const compactionTable: Table = {
    title: 'Compaction (ours): the full snapshot rewrite, and how often it comes under the default policy',
    headers: ['N', 'snapshot', 'compaction bytes', 'compaction time', 'reps', 'every (size rule)', 'amortized bytes/entry', 'crate bytes/entry', 'crate/ours'],
    rows: compactionRows.map(({ n, o, every, amortized, crateAmortized }) => [
      formatCount(n), formatBytes(o.snapshotBytes), formatBytes(o.compaction.medianBytes), formatMs(o.compaction.medianMs), String(o.compaction.samples.length),
      `${formatCount(every)} entries`, formatBytes(amortized), formatBytes(crateAmortized), formatRatio(crateAmortized / amortized),
    ]),
    notes: [
      `compaction = flush({compact: true}): under the agent lock, re-read snapshot + journals (validated), merge, rewrite the snapshot atomically (fsync).`,
      `size rule: compaction once the journals hold >= max(${formatBytes(DEFAULTS.compactMinBytes)}, snapshot size), i.e. every "every" entries;`,
      '  amortized bytes/entry = typical flush bytes / 10 + compaction bytes / "every"; crate bytes/entry = its flush bytes / 10.',
      `time rule (compactionPolicy.ts): also once the oldest uncompacted entry is ${FRESHNESS_MS / 1000} s old, while the snapshot is at most`,
      `  ${formatBytes(FRESH_SNAPSHOT_BYTES)}; past that, only once the journals hold 1/${REWRITE_FACTOR} of the snapshot (at most ${REWRITE_FACTOR} bytes rewritten per byte buffered).`,
      `fill (N entries buffered, then compacted) took ${rows.map((r) => `${r.ours.fillSeconds.toFixed(1)} s at ${formatCount(r.n)}`).join(', ')}.`,
    ],
  };

  const verdicts: Verdict[] = [
    {
      figure: `flush bytes at ${formatCount(last.n)} (crate / ours)`,
      target: `>= ${BYTES_TARGET}x fewer bytes`,
      measured: `${formatRatio(bytesRatio)} fewer (${formatBytes(last.ours.typical.medianBytes)} vs ${formatBytes(last.crate.medianBytes)})`,
      ratio: bytesRatio / BYTES_TARGET,
      meets: bytesRatio >= BYTES_TARGET,
    },
    {
      figure: `flush time at ${formatCount(last.n)} / at ${formatCount(first.n)} (ours)`,
      target: `<= ${TIME_TARGET}x`,
      measured: `${formatRatio(timeRatio)} (${formatMs(last.ours.typical.medianMs)} vs ${formatMs(first.ours.typical.medianMs)})`,
      ratio: TIME_TARGET / timeRatio,
      meets: timeRatio <= TIME_TARGET,
    },
  ];
  const seriesJson = (s: Series) => ({ medianMs: round(s.medianMs), minMs: round(s.minMs), maxMs: round(s.maxMs), medianBytes: s.medianBytes, reps: s.samples.length });
  return {
    name: 'flush',
    json: {
      entriesPerFlush: K,
      sizes: rows.map(({ n, ours: o, crate, crateFsync }, i) => ({
        entries: n,
        ours: { typical: seriesJson(o.typical), compactionsDuringTypical: o.compactionsDuringTypical, snapshotBytes: o.snapshotBytes, fillSeconds: round(o.fillSeconds) },
        crateNoFsync: seriesJson(crate),
        crateWithFsync: seriesJson(crateFsync),
        compaction: { ...seriesJson(o.compaction), everyEntries: compactionRows[i].every, amortizedBytesPerEntry: Math.round(compactionRows[i].amortized), crateBytesPerEntry: Math.round(compactionRows[i].crateAmortized) },
      })),
      bytesRatioAt20000: round(bytesRatio, 1),
      timeRatio20000vs100: round(timeRatio, 3),
    },
    tables: [main, compactionTable],
    verdicts,
  };
}
