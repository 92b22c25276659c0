// End to end with the real Gemini CLI: `@google/gemini-cli` from the npm registry, installed
// once into a tools cache outside the clone keyed by version, pointed at a scripted local
// Gemini API (GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:<port>, any GEMINI_API_KEY; the
// streamGenerateContent SSE format; nothing leaves the machine). On a temporary HOME our
// installer (`nexus-buffer hooks install --agent gemini`) adds the hooks to a settings file the
// "user" already has; `gemini -p … --approval-mode yolo` then runs a session in which the
// "model" runs a shell command that succeeds, one that fails, writes a file and edits it. The
// gemini buffer must hold all of it; uninstall must give settings.json back byte for byte.
// Then the same with --scope project.
//
// Gemini CLI runs hooks only in a trusted folder (and a headless run in an untrusted one does
// not start): the test trusts its project folder in ~/.gemini/trustedFolders.json.
//
//   node out/test/e2e/gemini/run.js [--keep]    (after npm run build && npm run compile-tests)
//   NEXUS_GEMINI_VERSION=0.61.0, NEXUS_GEMINI_TOOLS=<dir> (default ~/.cache/nexus-buffer/gemini-cli-<version>)
//   import { run } from './run'; await run()  -> { passed, failed, results }
// test/e2e/gemini/gemini.test.ts runs it under node:test for test/harness/run-e2e.mjs.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const name = 'gemini';
export const GEMINI_VERSION = process.env.NEXUS_GEMINI_VERSION || '0.61.0';
const projectRoot = path.resolve(__dirname, '..', '..', '..', '..');
const CLI = path.join(projectRoot, 'dist', 'cli.js');
const SESSION_TIMEOUT_MS = 120_000;

export interface CheckResult { name: string; ok: boolean; error?: string }
export interface RunResult { passed: number; failed: number; results: CheckResult[] }

/** Installs @google/gemini-cli@VERSION into the tools cache (a no-op once there); the gemini executable. */
export function ensureGemini(version = GEMINI_VERSION, log: (line: string) => void = () => {}): string {
  const dir = process.env.NEXUS_GEMINI_TOOLS
    || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'nexus-buffer', `gemini-cli-${version}`);
  const bin = path.join(dir, 'node_modules', '.bin', 'gemini');
  const works = () => {
    try {
      // A throwaway HOME: `--version` must not touch the real ~/.gemini.
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-gemini-version-'));
      try {
        return execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: home } }).trim() === version;
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
    } catch {
      return false;
    }
  };
  if (works()) return bin;
  fs.mkdirSync(dir, { recursive: true });
  const pkg = path.join(dir, 'package.json');
  if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, '{"name":"nexus-buffer-agent-tools","private":true}\n');
  log(`installing @google/gemini-cli@${version} into ${dir}`);
  execFileSync('npm', ['install', '--save-exact', '--no-audit', '--no-fund', `@google/gemini-cli@${version}`], {
    cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000,
  });
  if (!works()) throw new Error(`${bin} does not run or is not Gemini CLI ${version}`);
  return bin;
}

type Part = Record<string, unknown>;

/** The turn, one model answer per tool result already in the request. */
export function script(workdir: string, nonce: string): { steps: Part[][]; ok: string; fail: string; final: string; notes: string; edited: string; secretLine: string } {
  const notes = path.join(workdir, 'notes.txt');
  const ok = `echo e2e-ok-${nonce}`;
  const fail = `ls /nonexistent-nexus-${nonce}`;
  const final = `All steps done (${nonce}).`;
  // A line only the file holds: it must never reach the buffer.
  const secretLine = `file-content-${nonce}`;
  const call = (name: string, args: Record<string, unknown>): Part[] => [{ functionCall: { name, args } }];
  return {
    ok, fail, final, notes, secretLine,
    edited: `one\nTWO\n${secretLine}\nthree\n`,
    steps: [
      call('run_shell_command', { command: ok, description: 'say ok' }),
      call('run_shell_command', { command: fail, description: 'list a missing folder' }),
      call('write_file', { file_path: notes, content: 'one\ntwo\nthree\n' }),
      call('replace', { file_path: notes, instruction: 'expand line two', old_string: 'two\n', new_string: `TWO\n${secretLine}\n` }),
      [{ text: final }],
    ],
  };
}

interface FakeApi { server: http.Server; port: number; requests: Array<{ url: string; stream: boolean }> }

/**
 * A scripted Gemini API: streamGenerateContent answers the next step of the script (counted by
 * the functionResponse parts the request holds) as one SSE chunk; generateContent (Gemini's
 * routing classifier, next-speaker check) a small JSON text that satisfies them; countTokens a
 * count; anything else 404.
 */
function startFakeGeminiApi(steps: Part[][]): Promise<FakeApi> {
  const requests: FakeApi['requests'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const url = req.url ?? '';
      const stream = url.includes(':streamGenerateContent');
      requests.push({ url, stream });
      let parsed: { contents?: Array<{ parts?: Part[] }> } = {};
      try { parsed = JSON.parse(body || '{}'); } catch { /* an empty request */ }
      if (url.includes(':countTokens')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"totalTokens":10}');
        return;
      }
      if (!stream && !url.includes(':generateContent')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"code":404,"message":"not here","status":"NOT_FOUND"}}');
        return;
      }
      const done = (parsed.contents ?? []).flatMap((c) => c.parts ?? []).filter((p) => p.functionResponse !== undefined).length;
      const parts = stream
        ? steps[Math.min(done, steps.length - 1)]!
        : [{ text: JSON.stringify({ complexity_reasoning: 'e2e', complexity_score: 1, reasoning: 'e2e', next_speaker: 'user', model_choice: 'flash' }) }];
      const answer = {
        candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
      };
      if (stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.end(`data: ${JSON.stringify(answer)}\r\n\r\n`);
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, requests })));
}

interface Ran { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function spawnCollect(file: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number }): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr }); });
  });
}

const nexus = (args: string[], env: NodeJS.ProcessEnv) => spawnCollect(process.execPath, [CLI, ...args], { env, timeoutMs: 60_000 });

interface Entry {
  context_type: string;
  context: {
    agent_type: string; session_id: string | null; extraction_source: string;
    conversation: Array<{ role: string; content: string }>;
    commands_run: string[];
    errors: Array<{ error_type: string; message: string }>;
    files: Array<{ path: string; action: string; lines_added: number | null; lines_removed: number | null }>;
    custom: Record<string, unknown>;
  };
}

async function entriesOf(buffers: string, env: NodeJS.ProcessEnv): Promise<Entry[]> {
  if (!fs.existsSync(buffers)) return [];
  const shown = await nexus(['show', 'gemini', '--json', '--dir', buffers], env);
  if (shown.status !== 0) return [];
  return (JSON.parse(shown.stdout) as { entries: Entry[] }).entries;
}

/** Polls the buffer until `test` holds: SessionEnd is best effort (Gemini does not wait for it). */
async function waitForEntries(buffers: string, env: NodeJS.ProcessEnv, test: (entries: Entry[]) => boolean, timeoutMs = 15_000): Promise<Entry[]> {
  const deadline = Date.now() + timeoutMs;
  let entries = await entriesOf(buffers, env);
  while (!test(entries) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    entries = await entriesOf(buffers, env);
  }
  return entries;
}

/** Runs the scenario; resolves to { passed, failed, results: [{ name, ok, error? }] }. */
export async function run({ log = (line: string) => process.stderr.write(`[e2e gemini] ${line}\n`), keep = process.env.NEXUS_E2E_KEEP === '1' } = {}): Promise<RunResult> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const bin = ensureGemini(GEMINI_VERSION, log);
  const nonce = randomUUID().slice(0, 8);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-e2e-gemini-'));
  const home = path.join(root, 'home');
  const geminiDir = path.join(home, '.gemini');
  const workdir = path.join(root, 'project');
  const buffers = path.join(root, 'buffers');
  fs.mkdirSync(geminiDir, { recursive: true });
  fs.mkdirSync(workdir, { recursive: true });
  const turn = script(workdir, nonce);
  const api = await startFakeGeminiApi(turn.steps);
  const results: CheckResult[] = [];
  const check = (what: string, fn: () => void) => {
    try {
      fn();
      results.push({ name: what, ok: true });
    } catch (error) {
      results.push({ name: what, ok: false, error: (error as Error)?.message ?? String(error) });
    }
  };
  const expect = (condition: unknown, message: string) => { if (!condition) throw new Error(message); };
  const hookedEvent = (entries: Entry[], event: string) => entries.filter((e) => e.context.custom?.hook_event_name === event);

  try {
    // The user's own settings first (auth, no telemetry or update checks: nothing leaves the
    // machine), in 4-space indentation: our installer edits it in place.
    const settingsFile = path.join(geminiDir, 'settings.json');
    const settings = `${JSON.stringify({
      security: { auth: { selectedType: 'gemini-api-key' } },
      general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
      privacy: { usageStatisticsEnabled: false },
      ui: { hideTips: true },
    }, null, 4)}\n`;
    fs.writeFileSync(settingsFile, settings);
    fs.writeFileSync(path.join(geminiDir, 'trustedFolders.json'), `${JSON.stringify({ [workdir]: 'TRUST_FOLDER' }, null, 2)}\n`);
    const env: NodeJS.ProcessEnv = {
      PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: home,
      GEMINI_API_KEY: 'not-a-real-key',
      GOOGLE_GEMINI_BASE_URL: `http://127.0.0.1:${api.port}`,
      NO_COLOR: '1',
      TERM: 'dumb',
      LANG: 'C.UTF-8',
      TMPDIR: os.tmpdir(),
    };
    const gemini = (prompt: string) => spawnCollect(bin, ['-p', prompt, '--approval-mode', 'yolo'], { env, cwd: workdir, timeoutMs: SESSION_TIMEOUT_MS });

    const installed = await nexus(['hooks', 'install', '--agent', 'gemini', '--yes', '--dir', buffers], env);
    check('nexus-buffer hooks install --agent gemini succeeds', () => expect(installed.status === 0, installed.stderr || installed.stdout));
    const status = await nexus(['hooks', 'status', '--agent', 'gemini', '--json', '--dir', buffers], env);
    check('hooks status says installed', () => expect((JSON.parse(status.stdout || '[]') as Array<{ installed: boolean }>)[0]?.installed === true, status.stdout + status.stderr));

    const prompt = `Run the e2e steps (${nonce})`;
    const session = await gemini(prompt);
    if (keep) fs.writeFileSync(path.join(root, 'gemini-output.txt'), `exit ${session.status}\n--- stdout\n${session.stdout}\n--- stderr\n${session.stderr}`);
    check('gemini -p completes the scripted turn, and our hooks print nothing it would show', () => {
      expect(session.status === 0, `exit ${session.status} ${session.signal ?? ''}: ${session.stderr.slice(-2000)}`);
      expect(session.stdout.trim() === turn.final, `stdout: ${session.stdout.slice(-1000)}`);
    });
    check('the fake API saw the whole script', () => expect(api.requests.filter((r) => r.stream).length >= turn.steps.length, `${api.requests.length} requests`));
    check('Gemini reports no failed hook', () => expect(!/Hook\(s\) \[[^\]]*\] failed|Hook system message|Hook execution failed/.test(session.stderr), session.stderr.slice(-2000)));
    check('the tools really ran (notes.txt written and edited)', () => expect(fs.readFileSync(turn.notes, 'utf8') === turn.edited, 'notes.txt'));

    const entries = await waitForEntries(buffers, env, (list) => hookedEvent(list, 'SessionEnd').length > 0);
    const contexts = entries.map((e) => e.context);
    check('every entry is native, of the gemini buffer, with one Gemini session id', () => {
      expect(entries.length > 0, 'no gemini buffer');
      const ids = new Set(contexts.map((c) => c.session_id));
      expect(ids.size === 1 && /^[0-9a-f-]{36}$/.test([...ids][0] ?? ''), `session ids: ${[...ids].join(', ')}`);
      for (const c of contexts) expect(c.extraction_source === 'native' && c.agent_type === 'gemini', JSON.stringify(c).slice(0, 300));
    });
    check("the session id is Gemini's own (its transcript file is named after it)", () => {
      const id = contexts[0]?.session_id ?? '';
      const transcript = String(contexts[0]?.custom.transcript_path ?? '');
      expect(transcript.startsWith(path.join(geminiDir, 'tmp')) && path.basename(transcript).includes(id.slice(0, 8)), `${id} / ${transcript}`);
    });
    check('session start and end', () => {
      expect(hookedEvent(entries, 'SessionStart').length === 1 && hookedEvent(entries, 'SessionStart')[0]!.context_type === 'session-start', 'SessionStart');
      expect(hookedEvent(entries, 'SessionStart')[0]!.context.custom.source === 'startup', 'source startup');
      expect(hookedEvent(entries, 'SessionEnd').length === 1 && hookedEvent(entries, 'SessionEnd')[0]!.context_type === 'session-end', 'SessionEnd');
    });
    check('the prompt is a user message, the answer an assistant message', () => {
      expect(hookedEvent(entries, 'BeforeAgent')[0]?.context.conversation[0]?.content === prompt, 'prompt');
      const answer = hookedEvent(entries, 'AfterAgent')[0]?.context.conversation[0];
      expect(answer?.role === 'assistant' && answer.content === turn.final, JSON.stringify(answer));
    });
    check('both shell commands are in commands_run, once each', () => {
      const commands = contexts.flatMap((c) => c.commands_run);
      expect(JSON.stringify(commands) === JSON.stringify([turn.ok, turn.fail]), JSON.stringify(commands));
    });
    check('the failing command is an error entry with its exit code', () => {
      const errors = contexts.flatMap((c) => c.errors);
      expect(errors.length === 1 && errors[0]!.error_type === 'command_failed'
        && errors[0]!.message.startsWith(`${turn.fail}: exit code 2: `) && /No such file or directory/.test(errors[0]!.message), JSON.stringify(errors));
      const failed = entries.find((e) => e.context.commands_run.includes(turn.fail));
      expect(failed?.context_type === 'error', `context type ${failed?.context_type}`);
    });
    check('the written file is created (3 lines), then modified (+2 -1)', () => {
      const files = contexts.flatMap((c) => c.files).map((f) => [f.path, f.action, f.lines_added, f.lines_removed]);
      expect(JSON.stringify(files) === JSON.stringify([[turn.notes, 'created', 3, 0], [turn.notes, 'modified', 2, 1]]), JSON.stringify(files));
    });
    check('no file contents in the buffer', () => expect(!JSON.stringify(entries).includes(turn.secretLine), 'the edit text is in the buffer'));
    check('model-call events are not hooked; PreCompress only for /compress', () => {
      for (const event of ['BeforeModel', 'AfterModel', 'BeforeToolSelection', 'PreCompress']) {
        expect(hookedEvent(entries, event).length === 0, `${event}: ${hookedEvent(entries, event).length} entries`);
      }
    });

    const removed = await nexus(['hooks', 'uninstall', '--agent', 'gemini', '--yes'], env);
    check('uninstall gives settings.json back byte for byte', () => {
      expect(removed.status === 0, removed.stderr);
      expect(fs.readFileSync(settingsFile, 'utf8') === settings, fs.readFileSync(settingsFile, 'utf8'));
    });

    // Project scope: <project>/.gemini/settings.json (the folder is trusted).
    const projectBuffers = path.join(root, 'project-buffers');
    const projectInstall = await nexus(['hooks', 'install', '--agent', 'gemini', '--scope', 'project', '--project', workdir, '--yes', '--dir', projectBuffers], env);
    check('hooks install --scope project succeeds', () => expect(projectInstall.status === 0 && fs.existsSync(path.join(workdir, '.gemini', 'settings.json')), projectInstall.stderr));
    fs.rmSync(turn.notes, { force: true });
    const projectSession = await gemini(prompt);
    check('gemini -p in the project completes', () => expect(projectSession.status === 0 && projectSession.stdout.trim() === turn.final, projectSession.stderr.slice(-1000)));
    const projectEntries = await waitForEntries(projectBuffers, env, (list) => hookedEvent(list, 'SessionEnd').length > 0);
    check("the project's hooks buffer the commands, the error and the files", () => {
      const ctx = projectEntries.map((e) => e.context);
      expect(JSON.stringify(ctx.flatMap((c) => c.commands_run)) === JSON.stringify([turn.ok, turn.fail]), JSON.stringify(ctx.flatMap((c) => c.commands_run)));
      expect(ctx.flatMap((c) => c.errors).length === 1, 'one error');
      expect(ctx.flatMap((c) => c.files).length === 2, 'two file changes');
    });
    const userAfter = await entriesOf(buffers, env);
    check('nothing went to the user-scope buffer after its uninstall', () => expect(userAfter.length === entries.length, `${entries.length} -> ${userAfter.length} entries`));
    const projectRemoved = await nexus(['hooks', 'uninstall', '--agent', 'gemini', '--scope', 'project', '--project', workdir, '--yes'], env);
    check('uninstall --scope project leaves no hooks of ours', () => {
      expect(projectRemoved.status === 0, projectRemoved.stderr);
      const left = JSON.parse(fs.readFileSync(path.join(workdir, '.gemini', 'settings.json'), 'utf8')) as Record<string, unknown>;
      expect(left.hooks === undefined, JSON.stringify(left));
    });
  } finally {
    api.server.close();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else log(`kept ${root}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  return { passed: results.length - failed, failed, results };
}

if (require.main === module) {
  run({ keep: process.argv.includes('--keep') || process.env.NEXUS_E2E_KEEP === '1' }).then(({ passed, failed, results }) => {
    for (const r of results) console.log(`${r.ok ? 'ok' : 'not ok'} - ${r.name}${r.ok ? '' : `\n    ${r.error}`}`);
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed === 0 ? 0 : 1;
  }, (error: Error) => {
    console.error(`e2e gemini: ${error.message}`);
    process.exitCode = 1;
  });
}
