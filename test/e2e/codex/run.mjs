#!/usr/bin/env node
// End to end with the real Codex CLI: `@openai/codex` from the npm registry (its native binary
// comes in a per-platform optional dependency), installed once into a tools cache outside the
// clone keyed by version, pointed at a scripted local model server (a custom model provider
// speaking the Responses API on 127.0.0.1; nothing leaves the machine). On a temporary HOME /
// CODEX_HOME our installer (`nexus-buffer hooks install --agent codex`) sets up the hooks and
// the notify program; `codex exec` then runs a session in which the "model" runs a shell
// command that succeeds, one that fails, and an apply_patch that adds a file; the codex buffer
// must hold all of it. Uninstall must give config.toml back byte for byte.
//
// Codex runs a new hook only after a person trusts it (/hooks in its TUI); this test passes
// --dangerously-bypass-hook-trust, the flag Codex provides for automation that vets its hooks.
//
//   node test/e2e/codex/run.mjs          (needs `npm run build` first: dist/cli.js)
//   NEXUS_CODEX_VERSION=0.171.0, NEXUS_CODEX_TOOLS=<dir> (default ~/.cache/nexus-buffer/codex-<version>)
//   import { run } from './test/e2e/codex/run.mjs'; await run()  -> { passed, failed, results }
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const name = 'codex';
export const CODEX_VERSION = process.env.NEXUS_CODEX_VERSION || '0.171.0';
const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, '..', '..', '..');
const CLI = path.join(projectRoot, 'dist', 'cli.js');
const MODEL = 'gpt-5.5'; // a model whose metadata gives Codex its apply_patch tool
const SESSION_TIMEOUT_MS = 120_000;

/** Installs @openai/codex@VERSION into the tools cache (a no-op once there); the codex executable. */
export function ensureCodex(version = CODEX_VERSION, log = () => {}) {
  const dir = process.env.NEXUS_CODEX_TOOLS
    || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'nexus-buffer', `codex-${version}`);
  const bin = path.join(dir, 'node_modules', '.bin', 'codex');
  const works = () => {
    try {
      return execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim() === `codex-cli ${version}`;
    } catch {
      return false;
    }
  };
  if (works()) return bin;
  fs.mkdirSync(dir, { recursive: true });
  const pkg = path.join(dir, 'package.json');
  if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, '{"name":"nexus-buffer-agent-tools","private":true}\n');
  log(`installing @openai/codex@${version} into ${dir}`);
  execFileSync('npm', ['install', '--save-exact', '--no-audit', '--no-fund', '--include=optional', `@openai/codex@${version}`], {
    cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000,
  });
  if (!works()) throw new Error(`${bin} does not run or is not codex-cli ${version}`);
  return bin;
}

/**
 * A scripted model: each answer depends on how many tool outputs the request already holds, so
 * the turn goes shell ok -> shell failing -> apply_patch -> final message.
 */
export const SCRIPT = [
  { type: 'function_call', name: 'exec_command', call_id: 'call_ok', arguments: JSON.stringify({ cmd: 'echo hello-nexus' }) },
  { type: 'function_call', name: 'exec_command', call_id: 'call_fail', arguments: JSON.stringify({ cmd: 'ls /nonexistent-nexus-dir' }) },
  { type: 'custom_tool_call', name: 'apply_patch', call_id: 'call_patch', input: '*** Begin Patch\n*** Add File: notes.txt\n+line one\n+line two\n*** End Patch\n' },
  { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'All done: notes.txt added.' }] },
];

function startModelServer() {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      requests.push({ url: req.url, body });
      if (req.method !== 'POST' || !req.url.endsWith('/responses')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"not here"}}');
        return;
      }
      let input = [];
      try { input = JSON.parse(body).input ?? []; } catch { /* an empty turn */ }
      const done = input.filter((item) => item.type === 'function_call_output' || item.type === 'custom_tool_call_output').length;
      const n = requests.length;
      const item = { id: `item_${n}`, ...SCRIPT[Math.min(done, SCRIPT.length - 1)] };
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const send = (event) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      send({ type: 'response.created', response: { id: `resp_${n}` } });
      send({ type: 'response.output_item.done', item });
      send({ type: 'response.completed', response: { id: `resp_${n}`, usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } } });
      res.end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, requests })));
}

function node(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function runCodex(bin, args, { env, cwd }) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), SESSION_TIMEOUT_MS);
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ status, signal, output }); });
  });
}

/** Runs the scenario; resolves to { passed, failed, results: [{ name, ok, error? }] }. */
export async function run({ log = (line) => process.stderr.write(`[e2e codex] ${line}\n`), keep = false } = {}) {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const bin = ensureCodex(CODEX_VERSION, log);
  const { server, port, requests } = await startModelServer();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-e2e-codex-'));
  const home = path.join(root, 'home');
  const codexHome = path.join(home, '.codex');
  const workdir = path.join(root, 'project');
  const buffers = path.join(root, 'buffers');
  fs.mkdirSync(codexHome, { recursive: true });
  fs.mkdirSync(workdir, { recursive: true });
  const results = [];
  const check = (name, fn) => {
    try {
      fn();
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: error?.message ?? String(error) });
    }
  };
  const expect = (condition, message) => { if (!condition) throw new Error(message); };

  try {
    // The user's own config first (comments, a provider table): our installer edits it in place.
    const config = [
      '# e2e: a local scripted model, no network',
      `model = "${MODEL}"`,
      'model_provider = "local"',
      '',
      '[model_providers.local]',
      'name = "local scripted model"',
      `base_url = "http://127.0.0.1:${port}/v1"`,
      'wire_api = "responses"',
      'env_key = "NEXUS_E2E_KEY"',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(codexHome, 'config.toml'), config);
    const env = {
      PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: home,
      CODEX_HOME: codexHome,
      NEXUS_E2E_KEY: 'not-a-real-key',
      LANG: 'C.UTF-8',
      TMPDIR: os.tmpdir(),
    };

    const installed = await node(['hooks', 'install', '--agent', 'codex', '--yes', '--dir', buffers], env);
    check('nexus-buffer hooks install --agent codex succeeds', () => expect(installed.status === 0, installed.stderr || installed.stdout));
    const status = await node(['hooks', 'status', '--agent', 'codex', '--json', '--dir', buffers], env);
    check('hooks status says installed', () => expect(JSON.parse(status.stdout)[0]?.installed === true, status.stdout + status.stderr));

    const session = await runCodex(bin, [
      'exec', '--skip-git-repo-check', '--dangerously-bypass-hook-trust', '-s', 'danger-full-access', '--color', 'never',
      'Add a notes file, and check the folder',
    ], { env, cwd: workdir });
    if (keep) fs.writeFileSync(path.join(root, 'codex-output.txt'), session.output);
    check('codex exec completes the scripted turn', () => expect(session.status === 0 && /All done: notes\.txt added\./.test(session.output),
      `exit ${session.status} ${session.signal ?? ''}: ${session.output.slice(-2000)}`));
    check('the model server saw the whole script', () => expect(requests.filter((r) => r.url.endsWith('/responses')).length >= SCRIPT.length, `${requests.length} requests`));
    check('Codex reports no failed hook', () => expect(!/hook (exited with code|returned invalid|exited without)/i.test(session.output), session.output.slice(-2000)));
    check('apply_patch really wrote the file', () => expect(fs.readFileSync(path.join(workdir, 'notes.txt'), 'utf8') === 'line one\nline two\n', 'notes.txt'));
    const sessionId = /session id: ([0-9a-f-]{36})/.exec(session.output)?.[1];

    const shown = await node(['show', 'codex', '--json', '--dir', buffers], env);
    let entries = [];
    check('the codex buffer exists', () => {
      expect(shown.status === 0, shown.stderr);
      entries = JSON.parse(shown.stdout).entries;
    });
    const contexts = entries.map((e) => e.context);
    const hooked = (event) => entries.filter((e) => e.context.custom?.hook_event_name === event);
    check('every entry has the Codex session id and native extraction', () => {
      expect(sessionId !== undefined, 'no session id in the codex output');
      for (const c of contexts) expect(c.session_id === sessionId && c.extraction_source === 'native' && c.agent_type === 'codex', JSON.stringify(c).slice(0, 300));
    });
    check('session start and end', () => {
      expect(hooked('SessionStart').length === 1 && hooked('SessionStart')[0].context_type === 'session-start', 'SessionStart');
      expect(hooked('SessionEnd').length === 1 && hooked('SessionEnd')[0].context_type === 'session-end', 'SessionEnd');
    });
    check('the prompt is a user message', () => expect(hooked('UserPromptSubmit')[0]?.context.conversation[0]?.content === 'Add a notes file, and check the folder', 'prompt'));
    check('both shell commands are in commands_run', () => {
      const commands = contexts.flatMap((c) => c.commands_run);
      expect(JSON.stringify(commands) === JSON.stringify(['echo hello-nexus', 'ls /nonexistent-nexus-dir']), JSON.stringify(commands));
    });
    check('the failing command is an error', () => {
      const errors = contexts.flatMap((c) => c.errors);
      expect(errors.length === 1 && errors[0].error_type === 'command_failed' && /ls \/nonexistent-nexus-dir: .*No such file or directory/.test(errors[0].message), JSON.stringify(errors));
    });
    check('the patch is a created file with its lines counted', () => {
      const files = contexts.flatMap((c) => c.files);
      expect(files.length === 1 && files[0].path === path.join(workdir, 'notes.txt') && files[0].action === 'created' && files[0].lines_added === 2 && files[0].lines_removed === 0, JSON.stringify(files));
    });
    check('the last assistant message (Stop)', () => expect(hooked('Stop')[0]?.context.conversation[0]?.content === 'All done: notes.txt added.', 'Stop'));
    check('the notify program buffered the turn (user and assistant messages)', () => {
      const notified = entries.filter((e) => e.context.custom?.capture === 'codex-notify');
      expect(notified.length === 1, `${notified.length} notify entries`);
      const roles = notified[0].context.conversation.map((m) => `${m.role}: ${m.content}`);
      expect(JSON.stringify(roles) === JSON.stringify(['user: Add a notes file, and check the folder', 'assistant: All done: notes.txt added.']), JSON.stringify(roles));
    });

    const removed = await node(['hooks', 'uninstall', '--agent', 'codex', '--yes'], env);
    check('uninstall gives config.toml back byte for byte', () => {
      expect(removed.status === 0, removed.stderr);
      expect(fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8') === config, 'config.toml differs');
      expect(JSON.parse(fs.readFileSync(path.join(codexHome, 'hooks.json'), 'utf8')).hooks === undefined, 'hooks left');
    });

    // Project scope: <project>/.codex/hooks.json, which Codex loads only in a trusted project.
    const projectBuffers = path.join(root, 'project-buffers');
    const projectInstall = await node(['hooks', 'install', '--agent', 'codex', '--scope', 'project', '--project', workdir, '--yes', '--dir', projectBuffers], env);
    check('hooks install --scope project succeeds', () => expect(projectInstall.status === 0 && fs.existsSync(path.join(workdir, '.codex', 'hooks.json')), projectInstall.stderr));
    const codexArgs = ['exec', '--skip-git-repo-check', '--dangerously-bypass-hook-trust', '-s', 'danger-full-access', '--color', 'never', 'Add a notes file, and check the folder'];
    fs.rmSync(path.join(workdir, 'notes.txt'), { force: true });
    const untrusted = await runCodex(bin, codexArgs, { env, cwd: workdir });
    check('in an untrusted project Codex runs none of its hooks', () => {
      expect(untrusted.status === 0, untrusted.output.slice(-1000));
      const written = fs.existsSync(projectBuffers) ? fs.readdirSync(projectBuffers).filter((file) => file.startsWith('codex')) : [];
      expect(written.length === 0, `a codex buffer was written: ${written.join(', ')}`);
    });
    fs.appendFileSync(path.join(codexHome, 'config.toml'), `\n[projects.${JSON.stringify(workdir)}]\ntrust_level = "trusted"\n`);
    fs.rmSync(path.join(workdir, 'notes.txt'), { force: true });
    const trusted = await runCodex(bin, codexArgs, { env, cwd: workdir });
    check('codex exec in the trusted project completes', () => expect(trusted.status === 0, trusted.output.slice(-1000)));
    const projectShown = await node(['show', 'codex', '--json', '--dir', projectBuffers], env);
    check('in a trusted project its hooks buffer the commands and the file', () => {
      expect(projectShown.status === 0, projectShown.stderr);
      const ctx = JSON.parse(projectShown.stdout).entries.map((e) => e.context);
      expect(ctx.flatMap((c) => c.commands_run).length === 2, JSON.stringify(ctx.flatMap((c) => c.commands_run)));
      expect(ctx.flatMap((c) => c.files).some((f) => f.action === 'created' && f.path.endsWith('notes.txt')), 'no file');
      expect(!ctx.some((c) => c.custom?.capture === 'codex-notify'), 'project scope installs no notify');
    });
    const projectRemoved = await node(['hooks', 'uninstall', '--agent', 'codex', '--scope', 'project', '--project', workdir, '--yes'], env);
    check('uninstall --scope project removes the feature line it added and nothing else', () => {
      expect(projectRemoved.status === 0, projectRemoved.stderr);
      expect(fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8') === `${config}\n[projects.${JSON.stringify(workdir)}]\ntrust_level = "trusted"\n`, 'config.toml differs');
    });
  } finally {
    server.close();
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else log(`kept ${root}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  return { passed: results.length - failed, failed, results };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { passed, failed, results } = await run({ keep: process.argv.includes('--keep') });
  for (const r of results) console.log(`${r.ok ? 'ok' : 'not ok'} - ${r.name}${r.ok ? '' : `\n    ${r.error}`}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}
