// Figure 5, what a hook costs the agent. Two comparisons, each side by side in this run:
// (a) the hook process: wall time of `push claude-code --from claude-hook` as an agent runs it (a
//     new node process, the hook input on stdin), against Node's own start-up (`node -e 0`);
//     target: p50 at most 1.25 times node's.
// (b) what the real Claude Code waits per tool call for our hooks as the installer writes them
//     (on POSIX the spool command on PreToolUse and PostToolUse, every hook waited for), against
//     a `cat` hook on the same two events, from Claude Code's debug log; target: at most 3 times
//     the cat hook's wait. For comparison, the Node hook on the tool events (as before the spool).
//     Needs Claude Code (test/harness/setup-agents.sh); without it the row says so.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { claudeCodeHooks, claudeCodeHooksFor } from '../src/agents/claude-code/installer';
import type { HookRun } from '../test/e2e/claude/runClaude';
import { loadBuffer, scanDir } from '../src/core/store';
import { claudeHookPayloads } from './fixtures';
import type { FigureResult, Table, Verdict } from './report';
import { formatBytes, formatMs, now, percentile, round } from './stats';
import { makeTempDir, removeTempDir } from './tempDirs';

const PROCESS_TARGET_RATIO = 1.25;
const WAIT_TARGET_RATIO = 3;
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
const seriesJson = (s: Series) => ({ p50Ms: round(s.p50, 1), p99Ms: round(s.p99, 1), minMs: round(s.min, 1), maxMs: round(s.max, 1), runs: s.runs });

/** Why the bundles cannot be measured yet, or undefined when they look ready. */
function notReady(dist: string): string | undefined {
  for (const name of ['cli.js', 'hook.js', 'hook-body.js', 'cli-full.js']) {
    if (!existsSync(path.join(dist, name))) return `${path.join(dist, name)} does not exist (run npm run build)`;
  }
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

function hookSubject(label: string, script: string): Subject {
  const dir = makeTempDir('cli');
  const payloads = claudeHookPayloads();
  return {
    label,
    args: [script, 'push', AGENT, '--from', 'claude-hook', '--dir', dir],
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

// ---------------------------------------------------------------------------------------------
// (b) The real Claude Code.

/**
 * The `claude` that test/harness/setup-agents.sh installed (its cache folder, keyed by the
 * version the script pins), else one on PATH; undefined when there is none. Installs nothing.
 */
export function installedClaudeCode(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const script = path.join(root, 'test', 'harness', 'setup-agents.sh');
  const text = existsSync(script) ? readFileSync(script, 'utf8') : '';
  const version = env.NEXUS_CLAUDE_CODE_VERSION || /CLAUDE_CODE_VERSION=(?:\$\{NEXUS_CLAUDE_CODE_VERSION:-)?(\d[^}\s]*)/.exec(text)?.[1];
  const cache = path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'nexus-buffer');
  const candidates = version
    ? [env.NEXUS_AGENT_TOOLS && path.join(env.NEXUS_AGENT_TOOLS, `claude-code-${version}`), env.NEXUS_AGENT_TOOLS, path.join(cache, `claude-code-${version}`)]
    : [];
  for (const dir of candidates) {
    const bin = dir ? path.join(dir, 'node_modules', '.bin', 'claude') : undefined;
    if (bin && existsSync(bin)) return bin;
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const bin = dir ? path.join(dir, process.platform === 'win32' ? 'claude.cmd' : 'claude') : '';
    if (bin && existsSync(bin)) return bin;
  }
  return undefined;
}

/** Per Bash tool call, the time Claude Code spent on its PreToolUse and PostToolUse hooks. */
function waitPerToolCall(runs: readonly HookRun[], toolCalls: number): number[] {
  // A hook waited for: until it finished; an async one (`"async": true`): until it was moved to the background.
  const of = (event: string) => runs.filter((r) => r.event === event && r.matcher === 'Bash' && r.durationMs !== undefined);
  const pre = of('PreToolUse');
  const post = of('PostToolUse');
  if (pre.length < toolCalls || post.length < toolCalls) throw new Error(`the debug log has ${pre.length} PreToolUse and ${post.length} PostToolUse hook runs for ${toolCalls} tool calls`);
  return Array.from({ length: toolCalls }, (_, i) => pre[i].durationMs! + post[i].durationMs!);
}

/** Our hooks exactly as `hooks install` writes them (every event; the tool events spooled on POSIX). */
async function installedHooks(cli: string, bufferDir: string, installer = claudeCodeHooks): Promise<Record<string, unknown>> {
  const settings = path.join(makeTempDir('claude-settings'), 'settings.json');
  const plan = await installer.planInstallFile(settings, { node: process.execPath, cliPath: cli, useElectronRunAsNode: false, bufferDir });
  return (JSON.parse(plan.after) as { hooks: Record<string, unknown> }).hooks;
}

/** After a session: every tool call's two hooks are in the buffer once (spool ingested at SessionEnd). */
async function checkBuffered(bufferDir: string, toolCalls: number, sessionsSoFar: number): Promise<string | undefined> {
  const spool = path.join(bufferDir, '.spool', 'claude-hook');
  const left = existsSync(spool) ? readdirSync(spool).length : 0;
  const files = (await scanDir(bufferDir)).get(AGENT);
  const entries = files ? (await loadBuffer(files)).entries : [];
  const tools = entries.filter((e) => ['PreToolUse', 'PostToolUse'].includes(String((e.context.custom as Record<string, unknown>)?.hook_event_name))).length;
  if (left > 0) return `${left} spooled payloads left after the session ended`;
  if (tools !== 2 * toolCalls * sessionsSoFar) return `${tools} tool-event entries buffered for ${2 * toolCalls * sessionsSoFar} tool hook runs`;
  return undefined;
}

interface WaitSeries {
  label: string;
  perToolCall: number[];
  sessionMs: number[];
  hooks: Record<string, unknown>;
}

async function claudeWaits(opts: { root: string; claude: string; quick: boolean; progress: (s: string) => void }): Promise<{ table: Table; verdict: Verdict; json: Record<string, unknown> }> {
  // The runner is compiled beside the bench (out/test/e2e/claude/runClaude.js).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { hooksRunning, runSessionWithHooks } = require('../test/e2e/claude/runClaude') as typeof import('../test/e2e/claude/runClaude');
  const toolCalls = 10;
  const sessions = opts.quick ? 1 : 3;
  const cli = path.join(opts.root, 'dist', 'cli.js');
  const bufferDir = makeTempDir('claude-buffer');
  const nodeBufferDir = makeTempDir('claude-buffer');
  const ours = await installedHooks(cli, bufferDir);
  // Every event through the Node hook, as on Windows (and as before the spool), all waited for.
  const oursNode = await installedHooks(cli, nodeBufferDir, claudeCodeHooksFor('win32'));
  const spooled = JSON.stringify(ours).includes('/.spool/claude-hook');
  const series: WaitSeries[] = [
    { label: '`cat > /dev/null` hook on PreToolUse and PostToolUse (waited for)', perToolCall: [], sessionMs: [], hooks: hooksRunning('cat > /dev/null', ['PreToolUse', 'PostToolUse']) },
    { label: `ours, as \`hooks install\` writes them (${spooled ? 'the spool command on the tool events' : 'the Node hook'}, all waited for)`, perToolCall: [], sessionMs: [], hooks: ours },
    { label: 'ours with the Node hook on the tool events too (for comparison: before the spool)', perToolCall: [], sessionMs: [], hooks: oursNode },
  ];
  const problems: string[] = [];
  opts.progress(`cli: the real Claude Code, ${sessions} session(s) of ${toolCalls} tool calls with each of ${series.length} hook setups…`);
  for (let s = 0; s < sessions; s++) {
    for (const [i, one] of series.entries()) {
      const dir = i === 2 ? nodeBufferDir : bufferDir;
      const { run } = await runSessionWithHooks({ claude: opts.claude, hooks: one.hooks, toolCalls, env: { NEXUS_BUFFER_DIR: dir } });
      one.perToolCall.push(...waitPerToolCall(run.hookRuns, toolCalls));
      one.sessionMs.push(run.durationMs);
      if (i === 1) {
        const problem = await checkBuffered(bufferDir, toolCalls, s + 1);
        if (problem) problems.push(`session ${s + 1}: ${problem}`);
      }
    }
  }
  removeTempDir(bufferDir);
  removeTempDir(nodeBufferDir);
  const [cat, installed] = series;
  const catP50 = percentile(cat.perToolCall, 50);
  const ratio = percentile(installed.perToolCall, 50) / catP50;
  const table: Table = {
    title: 'Claude Code hooks: what the agent waits per tool call (PreToolUse + PostToolUse, from `claude --debug`)',
    headers: ['hooks', 'p50', 'p90', 'min', 'max', 'tool calls', 'x cat', 'session / tool call'],
    rows: series.map((one) => {
      const p50 = percentile(one.perToolCall, 50);
      return [
        one.label, formatMs(p50), formatMs(percentile(one.perToolCall, 90)), formatMs(Math.min(...one.perToolCall)), formatMs(Math.max(...one.perToolCall)),
        String(one.perToolCall.length), (p50 / catP50).toFixed(2), formatMs(percentile(one.sessionMs, 50) / toolCalls),
      ];
    }),
    notes: [
      `the real Claude Code (${opts.claude}) with \`claude -p\` against a local fake Messages API that answers at once; ${toolCalls} Bash \`true\` calls per session, ${sessions} session(s) per setup, in turn.`,
      'the wait is what its debug log says per hook run: "finished with status 0 (N ms)" for a hook it waits for, "moved to the background (N ms)" for an async one.',
      'session / tool call: the whole session\'s wall time over its tool calls (the model answers at once), so background hooks competing for the CPU show there.',
      'the spool command writes the payload to <buffer>/.spool/claude-hook/ (cat, sync, mv); the Node hooks of the other events (Stop, SessionEnd, …) turn it into entries.',
      problems.length ? `NOT ALL BUFFERED: ${problems.join('; ')}` : 'checked after each session of ours as installed: every tool call\'s two events are in the buffer once, the spool empty.',
    ],
  };
  const verdict: Verdict = {
    figure: 'Claude Code: wait per tool call for our hooks vs a cat hook, p50',
    target: `<= ${WAIT_TARGET_RATIO}x`,
    measured: `${formatMs(percentile(installed.perToolCall, 50))} vs ${formatMs(catP50)} (${ratio.toFixed(2)}x)`,
    ratio: WAIT_TARGET_RATIO / ratio,
    meets: ratio <= WAIT_TARGET_RATIO && problems.length === 0,
  };
  const json = Object.fromEntries(series.map((one, i) => [['cat', 'installed', 'nodeOnToolEvents'][i], {
    perToolCallP50Ms: round(percentile(one.perToolCall, 50), 1), perToolCallP90Ms: round(percentile(one.perToolCall, 90), 1),
    sessionPerToolCallMs: round(percentile(one.sessionMs, 50) / toolCalls, 1), toolCalls: one.perToolCall.length,
  }]));
  return { table, verdict, json: { ...json, ratio: round(ratio, 2), ...(problems.length ? { notBuffered: problems } : {}) } };
}

// ---------------------------------------------------------------------------------------------

export async function cliFigure(opts: { quick: boolean; root: string; productionDist?: string; progress: (s: string) => void }): Promise<FigureResult> {
  const runs = opts.quick ? 10 : 30;
  const dist = path.join(opts.root, 'dist');
  const reason = notReady(dist);
  if (reason) return { name: 'cli', unavailable: reason, json: { unavailable: reason }, tables: [], verdicts: [] };

  opts.progress(`cli: ${runs} runs each of node -e 0 and the claude-hook push…`);
  const node: Subject = { label: 'node -e 0 (Node start-up alone)', args: ['-e', '0'], ms: [] };
  const hook = hookSubject('node dist/hook.js push … --from claude-hook (npm run build)', path.join(dist, 'hook.js'));
  const viaCli = hookSubject('node dist/cli.js push … --from claude-hook (hooks of earlier versions)', path.join(dist, 'cli.js'));
  const prodHook = opts.productionDist ? path.join(opts.productionDist, 'hook.js') : undefined;
  const prod = prodHook && existsSync(prodHook) ? hookSubject('dist/hook.js, production bundle (minified)', prodHook) : undefined;
  await measureRoundRobin([node, hook, viaCli, ...(prod ? [prod] : [])], runs);
  if (node.problem) throw new Error(`node -e 0 failed: ${node.problem}`);
  if (hook.problem) return { name: 'cli', unavailable: `dist/hook.js: ${hook.problem}`, json: { unavailable: hook.problem }, tables: [], verdicts: [] };
  const nodeSeries = seriesOf(node.ms);
  const measured = [hook, viaCli, ...(prod ? [prod] : [])].filter((s) => !s.problem);
  const row = (label: string, s: Series) =>
    [label, formatMs(s.p50), formatMs(s.p99), formatMs(s.min), formatMs(s.max), String(s.runs), (s.p50 / nodeSeries.p50).toFixed(2)];
  const table: Table = {
    title: 'Hook process: wall time of one `push claude-code --from claude-hook` (spawn to exit)',
    headers: ['command', 'p50', 'p99', 'min', 'max', 'runs', 'x node -e 0'],
    rows: [row(node.label, nodeSeries), ...measured.map((s) => row(s.label, seriesOf(s.ms)))],
    notes: [
      'a realistic PostToolUse input (an Edit, a Bash run; ~2 KB) on stdin, into a temp --dir: the shared journal appended under the agent lock, fsynced, then exit.',
      'the commands run in turn (node, hook, cli, production hook, node, …) after one warm-up run each; every event is checked to be buffered.',
      `bundle sizes: ${['cli.js', 'hook.js', 'hook-body.js', 'cli-full.js'].map((name) => `${name} ${formatBytes(statSync(path.join(dist, name)).size)}${prod ? ` (production ${formatBytes(statSync(path.join(opts.productionDist!, name)).size)})` : ''}`).join(', ')}; a hook loads cli.js (or not), hook.js and hook-body.js (on Node 20 from a V8 code cache, src/compileCache.ts) only.`,
      ...[viaCli, ...(prod ? [prod] : [])].filter((s) => s.problem).map((s) => `${s.label}: ${s.problem}`),
    ],
  };
  const ratioVerdict = (figure: string, s: Series): Verdict => {
    const ratio = s.p50 / nodeSeries.p50;
    return {
      figure, target: `<= ${PROCESS_TARGET_RATIO}x node -e 0`, measured: `${formatMs(s.p50)} vs ${formatMs(nodeSeries.p50)} (${ratio.toFixed(2)}x)`,
      ratio: PROCESS_TARGET_RATIO / ratio, meets: ratio <= PROCESS_TARGET_RATIO,
    };
  };
  const verdicts: Verdict[] = [ratioVerdict('hook process (dist/hook.js), p50 vs node -e 0', seriesOf(hook.ms))];
  if (!viaCli.problem) verdicts.push(ratioVerdict('hook process through dist/cli.js, p50 vs node -e 0', seriesOf(viaCli.ms)));
  const json: Record<string, unknown> = {
    nodeStartup: seriesJson(nodeSeries), hook: seriesJson(seriesOf(hook.ms)),
    ...(viaCli.problem ? {} : { hookViaCli: seriesJson(seriesOf(viaCli.ms)) }),
    ...(prod && !prod.problem ? { hookProduction: seriesJson(seriesOf(prod.ms)) } : {}),
  };
  const tables = [table];

  const claude = installedClaudeCode(opts.root);
  const runnerBuilt = existsSync(path.join(__dirname, '..', 'test', 'e2e', 'claude', 'runClaude.js'));
  const waitFigure = 'Claude Code: wait per tool call for our hooks vs a cat hook, p50';
  if (!claude || !runnerBuilt) {
    const why = !claude ? 'Claude Code is not installed here (bash test/harness/setup-agents.sh installs it)' : 'the Claude Code runner is not built (npm run compile-tests)';
    tables.push({ title: 'Claude Code hooks: what the agent waits per tool call', headers: ['hooks', 'wait per tool call'], rows: [['(not measured)', why]] });
    verdicts.push({ figure: waitFigure, target: `<= ${WAIT_TARGET_RATIO}x`, measured: `not measured: ${why}`, ratio: NaN, meets: false, unmeasured: true });
    json.claudeCode = { unavailable: why };
  } else {
    try {
      const waits = await claudeWaits({ root: opts.root, claude, quick: opts.quick, progress: opts.progress });
      tables.push(waits.table);
      verdicts.push(waits.verdict);
      json.claudeCode = waits.json;
    } catch (error) {
      const why = `the Claude Code sessions failed: ${(error as Error).message.split('\n')[0]}`;
      tables.push({ title: 'Claude Code hooks: what the agent waits per tool call', headers: ['hooks', 'wait per tool call'], rows: [['(not measured)', why]] });
      verdicts.push({ figure: waitFigure, target: `<= ${WAIT_TARGET_RATIO}x`, measured: `not measured: ${why}`, ratio: NaN, meets: false, unmeasured: true });
      json.claudeCode = { error: why };
    }
  }
  return { name: 'cli', json, tables, verdicts };
}
