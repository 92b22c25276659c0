// Where recovery spends its time: runs the reader in a child `node --cpu-prof` on the same
// fixture and sums self time by function and by area (the crate's rules, our parsing code, GC, fs).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Table } from './report';
import { makeTempDir, removeTempDir } from './tempDirs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  areas: Array<{ area: string; ms: number; share: number }>;
  functions: Array<{ fn: string; where: string; ms: number; share: number }>;
}

function areaOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(program)' || fn === '(idle)' || fn === '(root)') return `V8 ${fn}`;
  if (url.includes('/src/core/crateSchema')) return "core/crateSchema.ts (the crate's rules)";
  if (url.includes('/src/core/snapshot')) return 'core/snapshot.ts (incl. JSON.parse it calls)';
  if (url.includes('/src/core/journal')) return 'core/journal.ts (incl. JSON.parse it calls)';
  if (url.includes('/src/core/schema')) return 'core/schema.ts';
  if (url.includes('/src/core/')) return `core/${path.basename(url).replace(/\.js$/, '.ts')}`;
  if (url.startsWith('node:')) return 'node internals (fs, streams, …)';
  if (url === '') return 'native / builtins';
  return path.basename(url);
}

export function summarize(profile: CpuProfile): ProfileSummary {
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byArea = new Map<string, number>();
  const byFn = new Map<string, { fn: string; where: string; us: number }>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (!us) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName || '(anonymous)';
    if (fn === '(idle)') continue;
    total += us;
    const area = areaOf(url, fn);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const where = url ? `${url.includes('node_modules/') ? url.slice(url.lastIndexOf('node_modules/') + 13) : path.basename(url)}:${lineNumber + 1}` : '';
    const key = `${fn}@${where}`;
    const item = byFn.get(key) ?? { fn, where, us: 0 };
    item.us += us;
    byFn.set(key, item);
  }
  return {
    totalMs: total / 1000,
    areas: [...byArea].map(([area, us]) => ({ area, ms: us / 1000, share: us / total })).sort((a, b) => b.ms - a.ms),
    functions: [...byFn.values()].map((f) => ({ fn: f.fn, where: f.where, ms: f.us / 1000, share: f.us / total })).sort((a, b) => b.ms - a.ms).slice(0, 12),
  };
}

/** Profiles `node <benchScript> --profile-recovery-child <fixtureDir>` and summarizes it. */
export function profileRecovery(benchScript: string, fixtureDir: string): { summary: ProfileSummary; table: Table } {
  const out = makeTempDir('cpuprof');
  try {
    execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${out}`, benchScript, '--profile-recovery-child', fixtureDir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const file = readdirSync(out).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('node --cpu-prof wrote no profile');
    const summary = summarize(JSON.parse(readFileSync(path.join(out, file), 'utf8')) as CpuProfile);
    const table: Table = {
      title: `Recovery profile: PersistentBuffer.read of the same fixture, 3 rounds (node --cpu-prof, self time, ${summary.totalMs.toFixed(0)} ms sampled)`,
      headers: ['area / function', 'self time', 'share'],
      rows: [
        ...summary.areas.map((a) => [a.area, `${a.ms.toFixed(0)} ms`, `${(a.share * 100).toFixed(1)}%`]),
        ['— top functions —', '', ''],
        ...summary.functions.map((f) => [`${f.fn} ${f.where}`, `${f.ms.toFixed(0)} ms`, `${(f.share * 100).toFixed(1)}%`]),
      ],
      notes: ['JSON.parse runs as a builtin and is counted in the self time of the function that calls it (parseSnapshot, parseJournal).'],
    };
    return { summary, table };
  } finally {
    removeTempDir(out);
  }
}
