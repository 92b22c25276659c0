// `npm run bench`: the figures of issue 4 (ingest, flush, recovery, bundle sizes; ingest beside
// the same entries into SQLite and the .vsix size, issue 12) and issue 5
// (what a hook costs the agent: the hook process against `node -e 0`, and what the real Claude
// Code waits per tool call for our hooks against a `cat` hook), each comparison measured side
// by side in this run and set against its target. A script, not a test: it prints tables, or with --json one object.
//
//   node out/bench/bench.js [--quick] [--json] [--only ingest,flush,compaction,recovery,bundle,cli,workbench]
//                           [--profile | --no-profile] [--vscode current|1.99]
//
// --quick: smaller and fewer runs (about a third of the time). --profile: always profile the
// recovery (by default only when it misses its target, and not with --quick). --vscode: the
// VS Code the workbench figure runs in (test/harness/vscode-versions.json; default current).
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleFigure, buildProductionBundles, type BundleBuild } from './bundle';
import { cliFigure } from './cliLatency';
import { compactionStallFigure } from './compactionStall';
import { flushFigure } from './flush';
import { ingestFigure } from './ingest';
import { workbenchFigure } from './workbench';
import { machineInfo } from './machine';
import { profileRecovery } from './profile';
import { readAllThroughBuffer, recoveryFigure, stageBreakdown } from './recovery';
import { renderTable, verdictTable, type FigureResult, type Table } from './report';
import { now } from './stats';
import { removeAllTempDirs } from './tempDirs';
import { vsixFigure } from './vsix';

const FIGURES = ['ingest', 'flush', 'compaction', 'recovery', 'bundle', 'cli', 'workbench'] as const;
type Figure = (typeof FIGURES)[number];

interface Args {
  json: boolean;
  quick: boolean;
  only: Set<Figure>;
  profile: 'auto' | 'always' | 'never';
  profileChild?: string;
  vscode: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { json: false, quick: false, only: new Set(FIGURES), profile: 'auto', vscode: 'current' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') args.json = true;
    else if (arg === '--quick') args.quick = true;
    else if (arg === '--profile') args.profile = 'always';
    else if (arg === '--no-profile') args.profile = 'never';
    else if (arg === '--profile-recovery-child') args.profileChild = argv[++i];
    else if (arg === '--vscode') args.vscode = argv[++i] ?? 'current';
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const list = arg === '--only' ? argv[++i] ?? '' : arg.slice('--only='.length);
      const wanted = list.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = wanted.filter((w) => !(FIGURES as readonly string[]).includes(w));
      if (unknown.length) throw new Error(`--only: unknown figure(s) ${unknown.join(', ')} (known: ${FIGURES.join(', ')})`);
      args.only = new Set(wanted as Figure[]);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`usage: node out/bench/bench.js [--quick] [--json] [--only ${FIGURES.join(',')}] [--profile|--no-profile] [--vscode current|1.99]\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.profileChild) {
    // Child of the profiler: the reader alone, three rounds, on the parent's fixture.
    for (let r = 0; r < 3; r++) await readAllThroughBuffer(args.profileChild);
    return 0;
  }
  const root = path.resolve(__dirname, '..', '..');
  const benchScript = __filename;
  const progress = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  const started = now();
  const machine = machineInfo();
  const results: FigureResult[] = [];
  let failed = false;

  const attempt = async (name: Figure, run: () => Promise<FigureResult> | FigureResult) => {
    if (!args.only.has(name)) return;
    try {
      results.push(await run());
    } catch (error) {
      failed = true;
      const message = (error as Error).stack ?? String(error);
      progress(`${name} failed: ${message}`);
      results.push({ name, unavailable: `failed: ${(error as Error).message}`, json: { error: (error as Error).message }, tables: [], verdicts: [] });
    }
  };

  await attempt('ingest', () => ingestFigure({ quick: args.quick, progress }));
  await attempt('flush', () => flushFigure({ quick: args.quick, progress }));
  await attempt('compaction', () => compactionStallFigure({ progress }));
  await attempt('recovery', () => recoveryFigure({
    quick: args.quick,
    progress,
    withFixture: async (fixture, missed): Promise<Table[]> => {
      const wanted = args.profile === 'always' || (args.profile === 'auto' && missed && !args.quick);
      if (!wanted) return [];
      progress('recovery: profiling the reader (node --cpu-prof) and timing it by stage…');
      return [profileRecovery(benchScript, fixture.dir).table, await stageBreakdown(fixture)];
    },
  }));
  let build: BundleBuild | undefined;
  if (args.only.has('bundle') || args.only.has('cli')) {
    progress('bundle: node esbuild.mjs --production into a temp folder…');
    build = buildProductionBundles(root);
  }
  await attempt('bundle', () => {
    const bundles = bundleFigure(build!);
    progress('bundle: the .vsix (vsce package) into a temp folder…');
    const vsix = vsixFigure(root, build!);
    return { ...bundles, json: { ...bundles.json, vsix: vsix.json }, tables: [...bundles.tables, vsix.table], verdicts: [...bundles.verdicts, vsix.verdict] };
  });
  await attempt('cli', () => cliFigure({ quick: args.quick, root, productionDist: build?.production ? build.distDir : undefined, progress }));
  await attempt('workbench', () => workbenchFigure({ quick: args.quick, root, vscode: args.vscode, progress }));

  const seconds = (now() - started) / 1000;
  const verdicts = results.flatMap((r) => r.verdicts);
  if (args.json) {
    const out = {
      machine: { ...machine, loadAverageAtEnd: Number(os.loadavg()[0].toFixed(2)) },
      mode: args.quick ? 'quick' : 'full',
      seconds: Number(seconds.toFixed(1)),
      figures: Object.fromEntries(results.map((r) => [r.name, r.unavailable ? { unavailable: r.unavailable, ...r.json } : r.json])),
      targets: verdicts.map((v) => ({ ...v, ratio: Number(v.ratio.toFixed(3)) })),
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const lines = [
      `# Nexus Buffer benchmark (${args.quick ? 'quick' : 'full'} run, ${seconds.toFixed(0)} s)`,
      `machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGB} GB RAM; node ${machine.node}; ${machine.platform}`,
      `temp folder: ${machine.tmpdir} on ${machine.tmpdirFileSystem} (${machine.tmpdirDevice})`,
      `load average (1 min): ${machine.loadAverage} at the start, ${os.loadavg()[0].toFixed(2)} at the end (on ${machine.cores} cores; other work skews the figures)`,
      '',
    ];
    for (const result of results) {
      if (result.unavailable) lines.push(`## ${result.name}: not available: ${result.unavailable}`, '');
      for (const table of result.tables) lines.push(renderTable(table), '');
    }
    lines.push(renderTable(verdictTable(verdicts)));
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    removeAllTempDirs();
    process.exitCode = code;
  },
  (error) => {
    removeAllTempDirs();
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
