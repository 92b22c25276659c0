// Figure 1, ingest: how fast `bufferContext` takes realistic ~2 KB entries, per durability mode.
// Throughput with many calls in flight (group commit is the point of `batched`), latency from
// the call to its promise resolving, and where the bytes went (journals vs snapshot rewrites).
// Beside it, in the same table and run, the same entries into SQLite (sqlite.ts), what a user
// would otherwise pick for a durable local log.
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { PersistentBuffer } from '../src/core/buffer';
import type { Durability } from '../src/core/types';
import { COMPACTION_WORKER, makeContext } from './fixtures';
import type { FigureResult, Table, Verdict } from './report';
import { loadSqlite, SqliteLog, type Synchronous } from './sqlite';
import { bytesWrittenSoFar, collectGarbage, formatBytes, formatCount, formatMs, now, percentile, round } from './stats';
import { makeTempDir, removeTempDir } from './tempDirs';

export const INGEST_TARGET_PER_S = 50_000;
const AGENT = 'claude-code';
const POOL = 256;

interface RunSpec {
  durability: Durability;
  /** Into SQLite (sqlite.ts) with this `synchronous` rather than into a PersistentBuffer. */
  sqlite?: Synchronous;
  /** Calls in flight at once (1 = one after the other). */
  window: number;
  count: number;
  /** Stop issuing new calls after this long (the slow modes). */
  maxMs: number;
  /** Compaction threshold; undefined = the default policy. */
  compactMinBytes?: number;
}

interface RunResult extends RunSpec {
  entries: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  compactions: number;
  bytesWritten: number | undefined;
  snapshotBytes: number;
  journalBytes: number | undefined;
}

interface Driven {
  entries: number;
  seconds: number;
  latencies: number[];
}

/**
 * Issues `append(i)` for i = 0, 1, … with at most `window` calls in flight, until `count` (or
 * `maxMs` has passed); the clock stops at the last acknowledgement.
 */
async function drive(spec: RunSpec, append: (i: number) => Promise<unknown>): Promise<Driven> {
  const latencies: number[] = [];
  let inflight = 0;
  let wake: (() => void) | undefined;
  let failure: unknown;
  const settled = () => {
    inflight--;
    const w = wake;
    wake = undefined;
    w?.();
  };
  const t0 = now();
  let issued = 0;
  for (; issued < spec.count; issued++) {
    if ((issued & 63) === 0 && now() - t0 > spec.maxMs) break;
    while (inflight >= spec.window) await new Promise<void>((resolve) => (wake = resolve));
    if (failure) throw failure;
    inflight++;
    const start = now();
    append(issued).then(
      () => {
        latencies.push(now() - start);
        settled();
      },
      (error) => {
        failure ??= error;
        settled();
      },
    );
  }
  while (inflight > 0) await new Promise<void>((resolve) => (wake = resolve));
  const elapsed = now() - t0;
  if (failure) throw failure;
  return { entries: issued, seconds: elapsed / 1000, latencies };
}

function resultOf(spec: RunSpec, driven: Driven, bytesWritten: number | undefined, compactions: number, snapshotBytes: number): RunResult {
  return {
    ...spec,
    entries: driven.entries,
    seconds: driven.seconds,
    perSecond: driven.entries / driven.seconds,
    p50Ms: percentile(driven.latencies, 50),
    p99Ms: percentile(driven.latencies, 99),
    maxMs: percentile(driven.latencies, 100),
    compactions,
    bytesWritten,
    snapshotBytes,
    journalBytes: bytesWritten === undefined ? undefined : Math.max(0, bytesWritten - snapshotBytes),
  };
}

/** The same entries into SQLite, with the same harness. */
async function runSqlite(spec: RunSpec & { sqlite: Synchronous }, contexts: ReturnType<typeof makeContext>[]): Promise<RunResult> {
  const dir = makeTempDir('ingest-sqlite');
  const log = new SqliteLog(dir, spec.sqlite);
  try {
    // Warm-up (JIT, the file, the WAL), outside the clock.
    await Promise.all(contexts.slice(0, 64).map((c) => log.append(c, 'tool-use')));
    collectGarbage();
    const bytesBefore = bytesWrittenSoFar();
    const driven = await drive(spec, (i) => log.append(contexts[i % contexts.length], 'tool-use'));
    const bytesAfter = bytesWrittenSoFar();
    return resultOf(spec, driven, bytesBefore === undefined || bytesAfter === undefined ? undefined : bytesAfter - bytesBefore, 0, 0);
  } finally {
    log.close();
    removeTempDir(dir);
  }
}

async function run(spec: RunSpec, contexts: ReturnType<typeof makeContext>[]): Promise<RunResult> {
  const dir = makeTempDir('ingest');
  const buffer = new PersistentBuffer({
    dir, durability: spec.durability, flushIntervalMs: 0,
    // Nothing but the group commit and compaction should act: no size flushes, no roll-over.
    maxEntries: 1e9, maxBufferEntries: 1e9, maxBufferBytes: 1e13,
    ...(spec.compactMinBytes === undefined ? {} : { compactMinBytes: spec.compactMinBytes }),
    compactionWorker: COMPACTION_WORKER, // as the extension runs it
  });
  let compactions = 0;
  let snapshotBytes = 0;
  buffer.onDidChange((e) => {
    if (e.reason !== 'compacted' || e.agentType !== AGENT) return;
    compactions++;
    // Emitted right after the snapshot was written, before the next compaction can start.
    snapshotBytes += statSync(path.join(dir, `${AGENT}.json`)).size;
  });
  try {
    // Warm-up (JIT, folder, liveness lock) on another agent, outside the clock.
    await Promise.all(contexts.slice(0, 64).map((c) => buffer.bufferContext('warm-up', c, 'tool-use')));
    await buffer.flush('warm-up');
    collectGarbage();

    const bytesBefore = bytesWrittenSoFar();
    const driven = await drive(spec, (i) => buffer.bufferContext(AGENT, contexts[i % contexts.length], 'tool-use'));
    // Let a compaction started by the last entries finish before counting its bytes.
    await buffer.dispose();
    const bytesAfter = bytesWrittenSoFar();
    return resultOf(spec, driven, bytesBefore === undefined || bytesAfter === undefined ? undefined : bytesAfter - bytesBefore, compactions, snapshotBytes);
  } finally {
    await buffer.dispose();
    removeTempDir(dir);
  }
}

const isSqlite = (r: RunSpec): r is RunSpec & { sqlite: Synchronous } => r.sqlite !== undefined;

/** The durability and compaction columns of a run. */
function labelOf(r: RunSpec): [string, string] {
  if (r.sqlite === 'FULL') return ['SQLite FULL', '-'];
  if (r.sqlite === 'NORMAL') return ['SQLite NORMAL*', '-'];
  return [r.durability, r.durability === 'off' ? '-' : r.compactMinBytes === undefined ? 'default' : 'none'];
}

export async function ingestFigure(opts: { quick: boolean; progress: (s: string) => void }): Promise<FigureResult> {
  const contexts = Array.from({ length: POOL }, (_, i) => makeContext(i));
  const entryBytes = Buffer.byteLength(JSON.stringify({ timestamp: '2026-11-20T09:00:00.000Z', context_type: 'tool-use', context: contexts[1], id: 'mi6xk2lq-0123456789ab' }));
  const big = opts.quick ? 15_000 : 60_000;
  const sqlite = loadSqlite();
  const sqliteUnavailable = 'unavailable' in sqlite ? sqlite.unavailable : undefined;
  // SQLite right after the run it is compared with, so both see the same load on the machine.
  const sqliteSpec = (synchronous: Synchronous, window: number): RunSpec[] =>
    sqliteUnavailable ? [] : [{ durability: 'batched', sqlite: synchronous, window, count: big, maxMs: 20_000 }];
  const specs: RunSpec[] = [
    { durability: 'batched', window: 1024, count: big, maxMs: 20_000 },
    ...sqliteSpec('FULL', 1024),
    { durability: 'batched', window: 256, count: big, maxMs: 20_000 },
    ...sqliteSpec('FULL', 256),
    // The journal path alone: the same, with compaction pushed out of the run.
    { durability: 'batched', window: 1024, count: big, maxMs: 20_000, compactMinBytes: 1e13 },
    ...sqliteSpec('NORMAL', 1024),
    { durability: 'batched', window: 1, count: opts.quick ? 100 : 300, maxMs: 5_000 },
    ...(sqliteUnavailable ? [] : [{ durability: 'batched' as const, sqlite: 'FULL' as const, window: 1, count: opts.quick ? 100 : 300, maxMs: 5_000 }]),
    { durability: 'always', window: 256, count: 100_000, maxMs: opts.quick ? 1_500 : 4_000 },
    { durability: 'always', window: 1, count: 100_000, maxMs: opts.quick ? 1_500 : 4_000 },
    { durability: 'off', window: 1024, count: big, maxMs: 20_000 },
    { durability: 'off', window: 1, count: opts.quick ? 1_000 : 5_000, maxMs: 5_000 },
  ];
  const measured: RunResult[] = [];
  for (const spec of specs) {
    const [label, compaction] = labelOf(spec);
    opts.progress(`ingest: ${label}, ${spec.window} in flight${compaction === 'none' ? ', no compaction' : ''}…`);
    measured.push(isSqlite(spec) ? await runSqlite(spec, contexts) : await run(spec, contexts));
    collectGarbage();
  }
  // Ours first, then SQLite's, each in the order they ran.
  const results = [...measured.filter((r) => !isSqlite(r)), ...measured.filter(isSqlite)];

  const table: Table = {
    title: `Ingest: bufferContext of a ${formatBytes(entryBytes)} entry (journal line), per durability mode; the same entries into SQLite`,
    headers: ['durability', 'compaction', 'in flight', 'entries', 'entries/s', 'p50 latency', 'p99 latency', 'max', 'compactions', 'journal bytes', 'snapshot bytes', 'bytes/entry'],
    rows: [
      ...results.map((r) => {
        const [label, compaction] = labelOf(r);
        return [
          label, compaction, String(r.window), formatCount(r.entries), formatCount(r.perSecond), formatMs(r.p50Ms), formatMs(r.p99Ms), formatMs(r.maxMs),
          isSqlite(r) ? '-' : String(r.compactions), isSqlite(r) ? '-' : formatBytes(r.journalBytes), isSqlite(r) ? '-' : formatBytes(r.snapshotBytes),
          r.bytesWritten === undefined ? 'n/a' : formatBytes(r.bytesWritten / r.entries),
        ];
      }),
      ...(sqliteUnavailable ? [['SQLite FULL', '-', '-', 'unavailable', ...Array<string>(8).fill('-')]] : []),
    ],
    notes: [
      'latency: from the bufferContext call to its promise resolving (with N in flight it includes queueing behind the others).',
      'batched: acknowledged after a group-committed fsync of the journal (batch window 5 ms, default); always: one fsync per entry,',
      '  one entry at a time (with N in flight they queue; a compaction\'s snapshot fsync on the same disk also delays them);',
      '  off: memory only (the crate\'s behaviour; nothing is on disk until a flush). flushIntervalMs 0, no size flushes, no roll-over.',
      'compactions (journals merged into the crate-format snapshot) run in the background under the default policy',
      '  (journals >= max(1 MB, snapshot size)); their snapshot rewrites are included in the bytes and compete for the CPU.',
      '  As the extension runs them (a compaction worker at hand): on this thread, as what they merge is in its memory (see the compaction figure).',
      'compaction "none": compactMinBytes set past the run, to show the journal path (group commit) alone; the target is judged on "default".',
      'bytes: written by this process (/proc/self/io wchar), including a compaction still running when the last entry was acknowledged;',
      '  journal = total - snapshot rewrites. The clock stops at the last acknowledgement.',
      sqliteUnavailable
        ? `SQLite: ${sqliteUnavailable} (npm install builds it with node-gyp).`
        : `SQLite (better-sqlite3 ${'version' in sqlite ? sqlite.version : ''}, bench/sqlite.ts): the same entries (id, timestamp, context type, the context as JSON text), WAL,`,
      ...(sqliteUnavailable ? [] : [
        '  one transaction per group commit (COMMIT after the same 5 ms batch window), an entry acknowledged once the transaction',
        '  holding it committed. FULL: the WAL is fsynced at every COMMIT, the same promise as batched. No validation, nothing',
        '  kept in memory; its COMMIT and fsync hold the event loop (better-sqlite3 is synchronous). bytes: WAL, checkpoints, database.',
        '  * NORMAL: NOT the same promise: a COMMIT is not fsynced (the WAL is synced at checkpoints only), so an acknowledged entry',
        '    can be lost to a power cut or an OS crash. Shown for scale only; no verdict is judged against it.',
      ]),
    ],
  };
  const ours = results.filter((r) => !isSqlite(r));
  const best = ours.filter((r) => r.durability === 'batched' && r.window > 1 && r.compactMinBytes === undefined).sort((a, b) => b.perSecond - a.perSecond)[0];
  const sqliteFull = results.find((r) => r.sqlite === 'FULL' && r.window === best.window);
  const verdicts: Verdict[] = [{
    figure: `ingest, batched (${best.window} in flight)`,
    target: `>= ${formatCount(INGEST_TARGET_PER_S)} entries/s`,
    measured: `${formatCount(best.perSecond)} entries/s`,
    ratio: best.perSecond / INGEST_TARGET_PER_S,
    meets: best.perSecond >= INGEST_TARGET_PER_S,
  }, sqliteFull ? {
    figure: `ingest vs SQLite FULL (${best.window} in flight)`,
    target: '>= SQLite (WAL, synchronous=FULL)',
    measured: `${formatCount(best.perSecond)} vs ${formatCount(sqliteFull.perSecond)} entries/s`,
    ratio: best.perSecond / sqliteFull.perSecond,
    meets: best.perSecond >= sqliteFull.perSecond,
  } : {
    figure: `ingest vs SQLite FULL (${best.window} in flight)`,
    target: '>= SQLite (WAL, synchronous=FULL)',
    measured: sqliteUnavailable ? 'n/a: better-sqlite3 not loaded' : 'n/a: no SQLite run',
    ratio: NaN,
    meets: false,
    unmeasured: true,
  }];
  return {
    name: 'ingest',
    json: {
      entryBytes,
      ...(sqliteUnavailable ? { sqlite: { unavailable: sqliteUnavailable } } : { sqlite: { betterSqlite3: 'version' in sqlite ? sqlite.version : undefined } }),
      runs: results.map((r) => ({
        durability: r.durability, ...(r.sqlite ? { sqlite: r.sqlite, sameDurabilityPromise: r.sqlite === 'FULL' } : {}),
        compaction: r.durability === 'off' || r.sqlite ? null : labelOf(r)[1], inFlight: r.window, entries: r.entries, seconds: round(r.seconds), entriesPerSecond: Math.round(r.perSecond),
        p50Ms: round(r.p50Ms), p99Ms: round(r.p99Ms), maxMs: round(r.maxMs), compactions: r.compactions,
        bytesWritten: r.bytesWritten, journalBytes: r.journalBytes, snapshotBytes: r.snapshotBytes,
      })),
    },
    tables: [table],
    verdicts,
  };
}
