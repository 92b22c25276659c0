// Figure 5, the Claude Code hook: wall time of `nexus-buffer push claude-code --from claude-hook`
// as Claude Code runs it (a new node process, the hook input on stdin), against Node's own
// start-up (`node -e 0`). Claude Code waits for the hook; the target is under 100 ms.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadBuffer, scanDir } from '../src/core/store';
import { claudeHookPayloads } from './fixtures';
import type { FigureResult, Table, Verdict } from './report';
import { formatMs, now, percentile, round } from './stats';
import { makeTempDir, removeTempDir } from './tempDirs';

const TARGET_MS = 100;
const AGENT = 'claude-code';

interface RunOutcome {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

function runOnce(args: string[], stdin: string | undefined): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NEXUS_BUFFER_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: now() - t0, code, stdout, stderr }));
    child.stdin.on('error', () => undefined); // a child that exits early closes its stdin
    child.stdin.end(stdin ?? '');
  });
}

interface Series {
  p50: number;
  p99: number;
  min: number;
  max: number;
  runs: number;
}

const seriesOf = (ms: number[]): Series => ({ p50: percentile(ms, 50), p99: percentile(ms, 99), min: Math.min(...ms), max: Math.max(...ms), runs: ms.length });

/** Why the CLI cannot be measured yet, or undefined when it looks ready. */
function notReady(cli: string): string | undefined {
  if (!existsSync(cli)) return `${cli} does not exist (run npm run build)`;
  const text = readFileSync(cli, 'utf8');
  if (!text.includes('claude-hook')) return `${cli} has no claude-hook mode yet`;
  return undefined;
}

async function measureCli(cli: string, runs: number): Promise<{ series: Series; problem?: string }> {
  const dir = makeTempDir('cli');
  try {
    const payloads = claudeHookPayloads();
    const args = [cli, 'push', AGENT, '--from', 'claude-hook', '--dir', dir];
    const warm = await runOnce(args, payloads[0]);
    if (warm.code !== 0) return { series: seriesOf([]), problem: `exit ${warm.code}: ${warm.stderr.trim().split('\n')[0] || '(no message)'}` };
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const outcome = await runOnce(args, payloads[i % payloads.length]);
      if (outcome.code !== 0) return { series: seriesOf(ms), problem: `run ${i + 1}: exit ${outcome.code}: ${outcome.stderr.trim().split('\n')[0]}` };
      if (outcome.stdout !== '') return { series: seriesOf(ms), problem: `run ${i + 1} printed on stdout (a guest must not): ${outcome.stdout.slice(0, 80)}` };
      ms.push(outcome.ms);
    }
    // Every event must have been buffered.
    const files = (await scanDir(dir)).get(AGENT);
    const stored = files ? (await loadBuffer(files)).entries.length : 0;
    if (stored !== runs + 1) return { series: seriesOf(ms), problem: `${stored} entries buffered for ${runs + 1} hook runs` };
    return { series: seriesOf(ms) };
  } finally {
    removeTempDir(dir);
  }
}

export async function cliFigure(opts: { quick: boolean; root: string; productionDist?: string; progress: (s: string) => void }): Promise<FigureResult> {
  const runs = opts.quick ? 10 : 20;
  const cli = path.join(opts.root, 'dist', 'cli.js');
  const reason = notReady(cli);
  if (reason) return { name: 'cli', unavailable: reason, json: { unavailable: reason }, tables: [], verdicts: [] };

  opts.progress('cli: node -e 0…');
  const nodeMs: number[] = [];
  for (let i = 0; i < runs; i++) nodeMs.push((await runOnce(['-e', '0'], undefined)).ms);
  const node = seriesOf(nodeMs);

  opts.progress('cli: claude-hook push…');
  const dev = await measureCli(cli, runs);
  if (dev.problem) return { name: 'cli', unavailable: `dist/cli.js: ${dev.problem}`, json: { unavailable: dev.problem }, tables: [], verdicts: [] };
  const prodCli = opts.productionDist ? path.join(opts.productionDist, 'cli.js') : undefined;
  const prod = prodCli && existsSync(prodCli) ? await measureCli(prodCli, runs) : undefined;

  const row = (label: string, s: Series) => [label, formatMs(s.p50), formatMs(s.p99), formatMs(s.min), formatMs(s.max), String(s.runs), formatMs(s.p50 - node.p50)];
  const table: Table = {
    title: 'Claude Code hook: wall time of one `push claude-code --from claude-hook` process (spawn to exit)',
    headers: ['command', 'p50', 'p99', 'min', 'max', 'runs', 'p50 over node -e 0'],
    rows: [
      row('node -e 0 (Node start-up alone)', node),
      row('node dist/cli.js push … --from claude-hook (npm run build)', dev.series),
      ...(prod && !prod.problem ? [row('same, production bundle (minified)', prod.series)] : []),
    ],
    notes: [
      'a realistic PostToolUse input (an Edit, a Bash run; ~2 KB) on stdin, into a temp --dir; each run is a new writer:',
      '  durability "always" (one fsync of its journal, plus the new journal file and the folder), then exit; one warm-up run first.',
      ...(prod?.problem ? [`production bundle: ${prod.problem}`] : []),
    ],
  };
  const verdicts: Verdict[] = [
    { figure: 'claude-hook push, p50 wall time', target: `< ${TARGET_MS} ms`, measured: formatMs(dev.series.p50), ratio: TARGET_MS / dev.series.p50, meets: dev.series.p50 < TARGET_MS },
    { figure: 'claude-hook push, p99 wall time', target: `< ${TARGET_MS} ms`, measured: formatMs(dev.series.p99), ratio: TARGET_MS / dev.series.p99, meets: dev.series.p99 < TARGET_MS },
  ];
  const json = (s: Series) => ({ p50Ms: round(s.p50, 1), p99Ms: round(s.p99, 1), minMs: round(s.min, 1), maxMs: round(s.max, 1), runs: s.runs });
  return {
    name: 'cli',
    json: { nodeStartup: json(node), claudeHook: json(dev.series), ...(prod && !prod.problem ? { claudeHookProduction: json(prod.series) } : {}) },
    tables: [table],
    verdicts,
  };
}
