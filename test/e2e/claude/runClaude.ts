// Runs the real Claude Code (`claude -p`) offline against a fake Messages API, in a home folder
// of its own, and reads back what its debug log says about the hooks it ran.
//
// The binary comes from test/harness/setup-agents.sh (npm's @anthropic-ai/claude-code, pinned,
// cached outside the clone). Claude Code is pointed at the fake API with ANTHROPIC_BASE_URL and
// kept off the network (telemetry, auto-update and other traffic disabled); as root,
// bypassPermissions needs IS_SANDBOX=1. `--debug-file` makes it log each hook run, e.g.
//   2026-12-01T22:18:09.678Z [DEBUG] Hooks: PreToolUse:Bash [<command>] finished with status 0 (11ms)
//   2026-12-01T22:18:35.006Z [DEBUG] PreCompact:manual [<command>] completed with status 0
// and what a hook printed on stdout: `"Hook PostToolUse:Bash (PostToolUse) success:\n<stdout>"`.
//
// `runSessionWithHooks` is what the benchmark uses: a session of N tool calls with a given hooks
// configuration, returning how long Claude Code waited for the hooks of each tool call.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { marker, scriptedResponder, startFakeMessagesApi, type Reply } from './fakeMessagesApi';

/** The project folder (holds package.json and test/harness/). */
export const projectRoot = findProjectRoot(__dirname);

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'test', 'harness', 'setup-agents.sh'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no project folder above ${from}`);
  }
}

export interface ClaudeCode {
  /** The `claude` executable. */
  bin: string;
  /** e.g. `2.1.332`. */
  version: string;
}

let installed: ClaudeCode | undefined;

/** Installs Claude Code on first use (setup-agents.sh, a no-op once cached) and returns it. */
export function ensureClaudeCode({ quiet = false } = {}): ClaudeCode {
  if (installed) return installed;
  const out = execFileSync('bash', [path.join(projectRoot, 'test', 'harness', 'setup-agents.sh')], {
    stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'],
    encoding: 'utf8',
    timeout: 600_000,
  });
  const bin = out.trim().split('\n').pop()!.trim();
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 60_000 }).trim().split(/\s/)[0];
  installed = { bin, version };
  return installed;
}

/** One hook run, from the debug log. */
export interface HookRun {
  /** The log line's timestamp. */
  time: string;
  event: string;
  /** What follows the event name: the tool (PreToolUse:Bash), the source (SessionStart:startup), … */
  matcher?: string;
  command: string;
  /** The exit status; absent for a hook moved to the background (`"async": true`). */
  status?: number;
  /**
   * How long Claude Code waited for it: until it finished, or (background) until it was moved
   * to the background. Absent for the events whose log line gives none (PreCompact, PostCompact,
   * SessionEnd).
   */
  durationMs?: number;
  /** An `"async": true` hook: Claude Code did not wait for its end. */
  background?: true;
}

/** A hook run in the background (`"async": true`), from the debug log. */
export interface AsyncHookRun {
  /** Claude Code's id, e.g. `async_hook_8596`. */
  id: string;
  event: string;
  matcher?: string;
  registeredAt: string;
  /** When Claude Code saw it end (its response read); absent when it never did. */
  endedAt?: string;
  /** The other log lines about it (e.g. how it ended), without timestamps. */
  notes: string[];
}

/** What a hook printed on stdout, as the debug log repeats it. */
export interface HookOutput {
  time: string;
  label: string;
  event: string;
  outcome: string;
  output: string;
}

const HOOK_FINISHED = /^(\S+) \[[A-Z]+\] Hooks: ([A-Za-z]+)(?::(.*?))? \[(.*)\] finished with status (-?\d+) \((\d+)ms\)\s*$/;
const HOOK_COMPLETED = /^(\S+) \[[A-Z]+\] ([A-Za-z]+)(?::(\S*))? \[(.*)\] completed with status (-?\d+)\s*$/;
const HOOK_BACKGROUND = /^(\S+) \[[A-Z]+\] Hooks: ([A-Za-z]+)(?::(.*?))? \[(.*)\] moved to the background \((\d+)ms\)\s*$/;
const HOOK_OUTPUT = /^(\S+) \[[A-Z]+\] ("Hook .*")\s*$/;
const ASYNC_REGISTERED = /^(\S+) \[[A-Z]+\] Hooks: Registering async hook (async_hook_\d+) \(([A-Za-z]+)(?::([^)]*))?\)/;
const ASYNC_LINE = /^(\S+) \[[A-Z]+\] Hooks: (async_hook_\d+) \([^)]*\) (.*)$/;

export function parseHookRuns(debugLog: string): HookRun[] {
  const runs: HookRun[] = [];
  for (const line of debugLog.split('\n')) {
    const finished = HOOK_FINISHED.exec(line);
    if (finished) {
      const [, time, event, matcher, command, status, ms] = finished;
      runs.push({ time, event, ...(matcher !== undefined ? { matcher } : {}), command, status: Number(status), durationMs: Number(ms) });
      continue;
    }
    const completed = HOOK_COMPLETED.exec(line);
    if (completed) {
      const [, time, event, matcher, command, status] = completed;
      runs.push({ time, event, ...(matcher !== undefined ? { matcher } : {}), command, status: Number(status) });
      continue;
    }
    const background = HOOK_BACKGROUND.exec(line);
    if (background) {
      const [, time, event, matcher, command, ms] = background;
      runs.push({ time, event, ...(matcher !== undefined ? { matcher } : {}), command, durationMs: Number(ms), background: true });
    }
  }
  return runs;
}

export function parseAsyncHooks(debugLog: string): AsyncHookRun[] {
  const byId = new Map<string, AsyncHookRun>();
  for (const line of debugLog.split('\n')) {
    const registered = ASYNC_REGISTERED.exec(line);
    if (registered) {
      const [, time, id, event, matcher] = registered;
      byId.set(id, { id, event, ...(matcher !== undefined ? { matcher } : {}), registeredAt: time, notes: [] });
      continue;
    }
    const about = ASYNC_LINE.exec(line);
    const hook = about && byId.get(about[2]);
    if (!about || !hook) continue;
    hook.notes.push(about[3]);
    // "produced no response payload — skipping attachment", or a response read
    if (/produced|response|completed|finished/i.test(about[3]) && !/kill|cancel|abort|timed out|timeout/i.test(about[3])) hook.endedAt = about[1];
  }
  return [...byId.values()];
}

export function parseHookOutputs(debugLog: string): HookOutput[] {
  const outputs: HookOutput[] = [];
  for (const line of debugLog.split('\n')) {
    const found = HOOK_OUTPUT.exec(line);
    if (!found) continue;
    let text: string;
    try {
      text = JSON.parse(found[2]);
    } catch {
      continue;
    }
    const head = /^Hook (.*?) \(([A-Za-z]+)\) ([a-z_ ]+):\n?([\s\S]*)$/.exec(text);
    if (head) outputs.push({ time: found[1], label: head[1], event: head[2], outcome: head[3], output: head[4] });
  }
  return outputs;
}

/** The environment of a Claude Code run: offline, in `home`, talking to `apiUrl`. */
export function claudeEnv(home: string, apiUrl: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Nothing of an outer Claude Code session or account may leak in.
    if (/^(CLAUDE|ANTHROPIC|CLAUDECODE)/i.test(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    TMPDIR: path.join(home, 'tmp'),
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: 'sk-e2e-fake-key',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    IS_SANDBOX: '1',
    ...extra,
  };
}

export interface ClaudeSessionOptions {
  claude: string;
  apiUrl: string;
  home: string;
  cwd: string;
  prompt: string;
  /** `--session-id` (a UUID) for a new session. */
  sessionId?: string;
  /** `--resume <id>`. */
  resume?: string;
  extraArgs?: string[];
  /** Added to claudeEnv(). */
  env?: NodeJS.ProcessEnv;
  /** Default: a new file in `<home>/debug-logs/`. */
  debugFile?: string;
  /** Default 180 s; then the process group is killed and the result says timedOut. */
  timeoutMs?: number;
}

export interface ClaudeRunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** `--output-format json`'s document (`result`, `session_id`, `is_error`, …) when stdout is one. */
  result?: any;
  debugFile: string;
  debugLog: string;
  hookRuns: HookRun[];
  asyncHooks: AsyncHookRun[];
  hookOutputs: HookOutput[];
  /** From start to exit. */
  durationMs: number;
  /**
   * How long processes it started outlived it (hooks it left running: a background hook it
   * cancelled may still be writing its entry), found by a token in their environment.
   */
  leftoverMs: number;
}

export interface ClaudeSession {
  child: ChildProcess;
  pid: number;
  done: Promise<ClaudeRunResult>;
}

let debugCounter = 0;

/** Starts `claude -p <prompt>` (own process group, stdin closed); `done` resolves when it exits. */
export function startClaude(options: ClaudeSessionOptions): ClaudeSession {
  const debugFile = options.debugFile ?? path.join(options.home, 'debug-logs', `claude-${process.pid}-${++debugCounter}.txt`);
  fs.mkdirSync(path.dirname(debugFile), { recursive: true });
  fs.mkdirSync(path.join(options.home, 'tmp'), { recursive: true });
  const args = [
    '-p', options.prompt,
    '--permission-mode', 'bypassPermissions',
    '--output-format', 'json',
    '--debug-file', debugFile,
    ...(options.sessionId ? ['--session-id', options.sessionId] : []),
    ...(options.resume ? ['--resume', options.resume] : []),
    ...(options.extraArgs ?? []),
  ];
  const started = Date.now();
  const token = randomUUID();
  const child = spawn(options.claude, args, {
    cwd: options.cwd,
    env: { ...claudeEnv(options.home, options.apiUrl, options.env), [RUN_TOKEN]: token },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child, 'SIGKILL');
  }, options.timeoutMs ?? 180_000);
  const done = new Promise<ClaudeRunResult>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', async (exitCode, signal) => {
      clearTimeout(timer);
      const exited = Date.now();
      // A hook it left running may still write its entry: background hooks run in a session of
      // their own, so look for what inherited the run's token (a tool's command too).
      await descendantsGone(token, 30_000);
      const debugLog = fs.existsSync(debugFile) ? fs.readFileSync(debugFile, 'utf8') : '';
      let result: any;
      try {
        result = JSON.parse(stdout);
      } catch {
        result = undefined;
      }
      resolve({
        exitCode, signal, timedOut, stdout, stderr, result, debugFile, debugLog,
        hookRuns: parseHookRuns(debugLog), asyncHooks: parseAsyncHooks(debugLog), hookOutputs: parseHookOutputs(debugLog),
        durationMs: exited - started, leftoverMs: Date.now() - exited,
      });
    });
  });
  return { child, pid: child.pid!, done };
}

/** Runs a session to its end. */
export function runClaude(options: ClaudeSessionOptions): Promise<ClaudeRunResult> {
  return startClaude(options).done;
}

/** The environment variable that marks every process a run started (hooks, tools' commands). */
export const RUN_TOKEN = 'NEXUS_E2E_RUN';

/** Pids of the live processes whose environment holds `NEXUS_E2E_RUN=<token>` (Linux; [] elsewhere). */
export function processesOfRun(token: string): number[] {
  if (process.platform !== 'linux') return [];
  const needle = `${RUN_TOKEN}=${token}`;
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${name}/environ`, 'latin1');
      if (environ.split('\0').includes(needle) && !isZombie(name)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function isZombie(pid: string): boolean {
  try {
    return / Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'latin1').replace(/^.*\)/, ''));
  } catch {
    return true;
  }
}

/** Resolves once no process of the run is left (or after `timeoutMs`). */
async function descendantsGone(token: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && processesOfRun(token).length > 0) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Signals the process group started by startClaude (what is left of it after a kill, too). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Writes `<home>/.claude/settings.json`. */
export function writeClaudeSettings(home: string, settings: Record<string, unknown>): string {
  const file = path.join(home, '.claude', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(settings, null, 2));
  return file;
}

/** A hooks configuration that runs one shell command on every event listed. */
export function hooksRunning(command: string, events: readonly string[], { async = false, timeout = 30 } = {}): Record<string, unknown[]> {
  const toolEvents = new Set(['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PermissionRequest']);
  const hooks: Record<string, unknown[]> = {};
  for (const event of events) {
    hooks[event] = [{
      ...(toolEvents.has(event) ? { matcher: '*' } : {}),
      hooks: [{ type: 'command', command, timeout, ...(async ? { async: true } : {}) }],
    }];
  }
  return hooks;
}

export interface HookedSessionOptions {
  /** The `hooks` object of settings.json. */
  hooks: Record<string, unknown>;
  /** Bash tool calls in the session (each `true`), default 10. */
  toolCalls?: number;
  /** Default: ensureClaudeCode(). */
  claude?: string;
  /** Added to the environment of claude (e.g. NEXUS_BUFFER_DIR). */
  env?: NodeJS.ProcessEnv;
  /** Keep the temporary folder (its path is returned). */
  keep?: boolean;
  timeoutMs?: number;
}

export interface HookedSessionResult {
  run: ClaudeRunResult;
  /** Per tool call, the sum of the durations of its PreToolUse, PostToolUse and PostToolBatch hooks. */
  perToolCallMs: number[];
  /** Event -> durations (ms) of its hook runs, in order. */
  byEvent: Record<string, number[]>;
  /** The temporary folder (home, work); removed unless `keep`. */
  dir: string;
}

/**
 * Runs one `claude -p` session of `toolCalls` Bash calls with the given hooks and returns how
 * long Claude Code waited for them per tool call (from its debug log). For the benchmark: our
 * hook against a `cat` hook, e.g. `hooksRunning('cat > /dev/null', ['PreToolUse', 'PostToolUse'])`.
 */
export async function runSessionWithHooks(options: HookedSessionOptions): Promise<HookedSessionResult> {
  const claude = options.claude ?? ensureClaudeCode({ quiet: true }).bin;
  const toolCalls = options.toolCalls ?? 10;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-claude-hooks-'));
  const home = path.join(dir, 'home');
  const cwd = path.join(dir, 'work');
  fs.mkdirSync(cwd, { recursive: true });
  writeClaudeSettings(home, { hooks: options.hooks });
  const turns: Reply[] = [];
  for (let i = 0; i < toolCalls; i++) turns.push({ toolCalls: [{ name: 'Bash', input: { command: 'true', description: `Step ${i + 1}` } }] });
  turns.push({ text: 'Done.' });
  const api = await startFakeMessagesApi(scriptedResponder({ conversations: { bench: turns } }));
  try {
    const run = await runClaude({
      claude, apiUrl: api.url, home, cwd, prompt: `${marker('bench')} Run the steps.`, env: options.env, timeoutMs: options.timeoutMs,
    });
    if (run.exitCode !== 0) throw new Error(`claude exited with ${run.exitCode ?? run.signal}: ${run.stderr.slice(-2000)}`);
    const byEvent: Record<string, number[]> = {};
    for (const hook of run.hookRuns) {
      if (hook.durationMs !== undefined) (byEvent[hook.event] ??= []).push(hook.durationMs);
    }
    const of = (event: string) => run.hookRuns.filter((h) => h.event === event && (event === 'PostToolBatch' || h.matcher === 'Bash'));
    const pre = of('PreToolUse');
    const post = of('PostToolUse');
    const batch = of('PostToolBatch');
    const perToolCallMs: number[] = [];
    for (let i = 0; i < toolCalls; i++) {
      perToolCallMs.push((pre[i]?.durationMs ?? 0) + (post[i]?.durationMs ?? 0) + (batch[i]?.durationMs ?? 0));
    }
    return { run, perToolCallMs, byEvent, dir };
  } finally {
    await api.close();
    if (!options.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The median (p50) of a list of numbers; NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
