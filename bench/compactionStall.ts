// Figure: what a compaction costs the thread it runs on. The extension host runs every
// extension's code on one thread: a compaction that holds it for 300 ms freezes the editor's
// extensions (hovers, completions, the tree) for that long. Each case compacts a buffer of
// 20,000 entries (~2 KB each, ~45 MB as a snapshot) with `perf_hooks.monitorEventLoopDelay`
// recording the event loop's delays at 1 ms resolution while it runs; the longest delay is the
// longest time the thread was not available. Beside it: how long the same work takes when done
// in one go (serialising the snapshot, parsing it), which is what it blocked for before.
// The extension has a compaction worker (compactionClient.ts) and sends it the compactions whose
// snapshot it would have to parse: that is what the target is judged on. The same cases without
// a worker (the CLI, or a worker that cannot start) beside it.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PersistentBuffer } from '../src/core/buffer';
import { parseSnapshot, serializeSnapshot } from '../src/core/snapshot';
import { COMPACTION_WORKER, makeContext } from './fixtures';
import type { FigureResult, Table, Verdict } from './report';
import { collectGarbage, formatBytes, formatCount, formatMs, now, round } from './stats';
import { makeTempDir, removeTempDir } from './tempDirs';

export const STALL_TARGET_MS = 20;
const AGENT = 'claude-code';
const ENTRIES = 20_000;

type Where = 'with the worker' | 'without';

interface CaseResult {
  name: string;
  where: Where;
  /** Where this compaction ran. */
  ranOn: 'worker' | 'thread';
  /** Entries in the snapshot after the compaction. */
  entries: number;
  snapshotBytes: number;
  compactionMs: number;
  maxStallMs: number;
  p99StallMs: number;
}

/** Buffers `count` entries (batched, 256 in flight) with compaction held off. */
async function fill(buffer: PersistentBuffer, from: number, count: number): Promise<void> {
  const pending = new Set<Promise<unknown>>();
  for (let i = from; i < from + count; i++) {
    const p = buffer.bufferContext(AGENT, makeContext(i), 'tool-use').finally(() => pending.delete(p));
    pending.add(p);
    if (pending.size >= 256) await Promise.race(pending);
  }
  await Promise.all(pending);
}

function newBuffer(dir: string, where: Where): PersistentBuffer {
  // Compaction only when the case asks for it; no size flushes, no roll-over.
  return new PersistentBuffer({
    dir, durability: 'batched', flushIntervalMs: 0, compactMinBytes: 1e13, maxBufferEntries: 1e9, maxBufferBytes: 1e13,
    ...(where === 'with the worker' ? { compactionWorker: COMPACTION_WORKER } : {}),
  });
}

async function measuredCompaction(name: string, where: Where, dir: string, buffer: PersistentBuffer): Promise<CaseResult> {
  collectGarbage();
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const onWorker = buffer.compactions.onWorker;
  const t0 = now();
  await buffer.flush(AGENT, { compact: true });
  const compactionMs = now() - t0;
  const ranOn = buffer.compactions.onWorker > onWorker ? 'worker' : 'thread';
  histogram.disable();
  const file = path.join(dir, `${AGENT}.json`);
  const snapshotBytes = (await fs.stat(file)).size;
  const entries = (await buffer.read(AGENT))?.data.entries.length ?? 0;
  return { name, where, ranOn, entries, snapshotBytes, compactionMs, maxStallMs: histogram.max / 1e6, p99StallMs: histogram.percentile(99) / 1e6 };
}

export async function compactionStallFigure(opts: { progress: (s: string) => void }): Promise<FigureResult> {
  const results: CaseResult[] = [];
  let oneGo: { serializeMs: number; parseMs: number; bytes: number } | undefined;

  for (const where of ['with the worker', 'without'] as const) {
    // 1. This writer's 20,000 entries, all in its journal, into a new snapshot.
    opts.progress(`compaction (${where}): buffering ${formatCount(ENTRIES)} entries…`);
    const dir = makeTempDir('compaction');
    try {
      let buffer = newBuffer(dir, where);
      await fill(buffer, 0, ENTRIES);
      results.push(await measuredCompaction(`${formatCount(ENTRIES)} journal entries into a new snapshot`, where, dir, buffer));

      // 2. Steady state: the snapshot this writer wrote (20,000) plus 500 new entries.
      await fill(buffer, ENTRIES, 500);
      results.push(await measuredCompaction(`snapshot of ${formatCount(ENTRIES)} written by this writer, + 500 new`, where, dir, buffer));
      await buffer.dispose();

      // 3. After a restart: the snapshot was written by an earlier process (nothing of it in
      //    memory: it is read and parsed), and the new writer adds 500 entries.
      buffer = newBuffer(dir, where);
      await fill(buffer, ENTRIES + 500, 500);
      results.push(await measuredCompaction(`snapshot of ${formatCount(ENTRIES + 500)} from an earlier process, + 500 new`, where, dir, buffer));
      await buffer.dispose();

      if (oneGo) continue;
      // The same work in one go, for comparison: what a compaction on the thread used to block for.
      const text = await fs.readFile(path.join(dir, `${AGENT}.json`), 'utf8');
      collectGarbage();
      let t0 = now();
      const parsed = parseSnapshot(text);
      const parseMs = now() - t0;
      const entries = parsed.entries.map((e) => ({ ...e })); // no kept source text: serialised afresh
      collectGarbage();
      t0 = now();
      const again = serializeSnapshot({ started_at: parsed.startedAt!, entries, last_flush: parsed.lastFlush, agent_type: AGENT });
      oneGo = { serializeMs: now() - t0, parseMs, bytes: Buffer.byteLength(again) };
    } finally {
      removeTempDir(dir);
    }
  }

  const table: Table = {
    title: `Compaction: the longest the thread is held while a buffer of ${formatCount(ENTRIES)} entries is compacted (monitorEventLoopDelay, 1 ms resolution)`,
    headers: ['buffer', 'case', 'ran on', 'entries', 'snapshot', 'compaction took', 'longest stall', 'p99 stall'],
    rows: results.map((r) => [r.where === 'with the worker' ? 'with the worker (extension)' : 'without (CLI)', r.name, r.ranOn === 'worker' ? 'worker' : 'this thread', formatCount(r.entries), formatBytes(r.snapshotBytes), formatMs(r.compactionMs), formatMs(r.maxStallMs), formatMs(r.p99StallMs)]),
    notes: [
      'stall: how late the event loop ran a 1 ms timer while the compaction ran; the longest is the longest the thread was unavailable',
      '  to anything else (in the extension host: every extension). Garbage collection pauses are included.',
      'with the worker: as the extension runs them (BufferOptions.compactionWorker): on this thread when what is merged is in its',
      '  memory (no snapshot yet, or the one it wrote), else on the worker, which reads and parses the snapshot from disk.',
      '  without: the command line, or an extension whose worker cannot start. On this thread a compaction gives the loop back every 4 ms.',
      oneGo
        ? `the same snapshot (${formatBytes(oneGo.bytes)}) in one go, for comparison: serializeSnapshot ${formatMs(oneGo.serializeMs)}, parseSnapshot ${formatMs(oneGo.parseMs)}.`
        : 'the one-go comparison was not measured.',
    ],
  };
  const worst = results.filter((r) => r.where === 'with the worker').reduce((a, b) => (b.maxStallMs > a.maxStallMs ? b : a));
  const verdicts: Verdict[] = [{
    figure: `compaction of ${formatCount(ENTRIES)} entries: longest event-loop stall (worst case, as the extension runs it)`,
    target: `<= ${STALL_TARGET_MS} ms`,
    measured: `${formatMs(worst.maxStallMs)} (${worst.name})`,
    ratio: STALL_TARGET_MS / Math.max(worst.maxStallMs, 0.001),
    meets: worst.maxStallMs <= STALL_TARGET_MS,
  }];
  return {
    name: 'compaction',
    json: {
      cases: results.map((r) => ({ ...r, compactionMs: round(r.compactionMs), maxStallMs: round(r.maxStallMs), p99StallMs: round(r.p99StallMs) })),
      oneGo: oneGo && { serializeMs: round(oneGo.serializeMs), parseMs: round(oneGo.parseMs), bytes: oneGo.bytes },
    },
    tables: [table],
    verdicts,
  };
}
