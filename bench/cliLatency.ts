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

/** One measured command: a node invocation, its stdin, and how to check it did its work. */
interface Subject {
  label: string;
  args: string[];
  stdin?: (run: number) => string;
  ms: number[];
  problem?: string;
  /** Checks the folder after the runs (every hook event buffered). */
  verify?: (runs: number) => Promise<string | undefined>;
}

function hookSubject(label: string, cli: string): Subject {
  const dir = makeTempDir('cli');
  const payloads = claudeHookPayloads();
  return {
    label,
    args: [cli, 'push', AGENT, '--from', 'claude-hook', '--dir', dir],
    stdin: (run) => payloads[run % payloads.length],
    ms: [],
    verify: async (runs) => {
      const files = (await scanDir(dir)).get(AGENT);
      const stored = files ? (await loadBuffer(files)).entries.length : 0;
      removeTempDir(dir);
      return stored === runs ? undefined : `${stored} entries buffered for ${runs} hook runs`;
    },
  };
}

/** Runs the subjects in turn, run after run, so a change in the machine's load hits them alike. */
async function measureRoundRobin(subjects: Subject[], runs: number): Promise<void> {
  // One warm-up run each (disk cache of node and the bundle, the buffer folder).
  for (let run = -1; run < runs; run++) {
    for (const subject of subjects) {
      if (subject.problem) continue;
      const outcome = await runOnce(subject.args, subject.stdin?.(run + 1));
      if (outcome.code !== 0) subject.problem = `exit ${outcome.code}: ${outcome.stderr.trim().split('\n')[0] || '(no message)'}`;
      else if (outcome.stdout !== '') subject.problem = `printed on stdout (a hook guest must not): ${outcome.stdout.slice(0, 80)}`;
      else if (run >= 0) subject.ms.push(outcome.ms);
    }
  }
  for (const subject of subjects) {
    if (!subject.problem && subject.verify) subject.problem = await subject.verify(runs + 1);
  }
}

export async function cliFigure(opts: { quick: boolean; root: string; productionDist?: string; progress: (s: string) => void }): Promise<FigureResult> {
  const runs = opts.quick ? 10 : 20;
  const cli = path.join(opts.root, 'dist', 'cli.js');
  const reason = notReady(cli);
  if (reason) return { name: 'cli', unavailable: reason, json: { unavailable: reason }, tables: [], verdicts: [] };

  opts.progress(`cli: ${runs} runs each of node -e 0 and the claude-hook push…`);
  const node: Subject = { label: 'node -e 0 (Node start-up alone)', args: ['-e', '0'], ms: [] };
  const dev = hookSubject('node dist/cli.js push … --from claude-hook (npm run build)', cli);
  const prodCli = opts.productionDist ? path.join(opts.productionDist, 'cli.js') : undefined;
  const prod = prodCli && existsSync(prodCli) ? hookSubject('same, production bundle (minified, no source map)', prodCli) : undefined;
  await measureRoundRobin([node, dev, ...(prod ? [prod] : [])], runs);
  if (node.problem) throw new Error(`node -e 0 failed: ${node.problem}`);
  if (dev.problem) return { name: 'cli', unavailable: `dist/cli.js: ${dev.problem}`, json: { unavailable: dev.problem }, tables: [], verdicts: [] };
  const nodeSeries = seriesOf(node.ms);
  const devSeries = seriesOf(dev.ms);
  const prodSeries = prod && !prod.problem ? seriesOf(prod.ms) : undefined;

  const row = (label: string, s: Series, base: boolean) =>
    [label, formatMs(s.p50), formatMs(s.p99), formatMs(s.min), formatMs(s.max), String(s.runs), base ? '' : formatMs(s.p50 - nodeSeries.p50)];
  const table: Table = {
    title: 'Claude Code hook: wall time of one `push claude-code --from claude-hook` process (spawn to exit)',
    headers: ['command', 'p50', 'p99', 'min', 'max', 'runs', 'p50 over node -e 0'],
    rows: [
      row(node.label, nodeSeries, true),
      row(dev.label, devSeries, false),
      ...(prodSeries ? [row(prod!.label, prodSeries, false)] : []),
    ],
    notes: [
      'a realistic PostToolUse input (an Edit, a Bash run; ~2 KB) on stdin, into a temp --dir; each run is a new writer:',
      '  durability "always" (its own journal file: create, write, fsync, folder fsync), then exit.',
      'the commands run in turn (node, cli, production cli, node, …) after one warm-up run each; every event is checked to be buffered.',
      ...(prod?.problem ? [`production bundle: ${prod.problem}`] : []),
    ],
  };
  const verdicts: Verdict[] = [
    { figure: 'claude-hook push, p50 wall time', target: `< ${TARGET_MS} ms`, measured: formatMs(devSeries.p50), ratio: TARGET_MS / devSeries.p50, meets: devSeries.p50 < TARGET_MS },
    { figure: 'claude-hook push, p99 wall time', target: `< ${TARGET_MS} ms`, measured: formatMs(devSeries.p99), ratio: TARGET_MS / devSeries.p99, meets: devSeries.p99 < TARGET_MS },
  ];
  const json = (s: Series) => ({ p50Ms: round(s.p50, 1), p99Ms: round(s.p99, 1), minMs: round(s.min, 1), maxMs: round(s.max, 1), runs: s.runs });
  return {
    name: 'cli',
    json: { nodeStartup: json(nodeSeries), claudeHook: json(devSeries), ...(prodSeries ? { claudeHookProduction: json(prodSeries) } : {}) },
    tables: [table],
    verdicts,
  };
}
