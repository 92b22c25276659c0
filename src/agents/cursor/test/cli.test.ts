// End to end through the built CLI (dist/cli.js, `npm run build`): a Cursor agent session as
// its hooks would deliver it (payloads built from Cursor's hooks reference, fixtures/), then
// `show cursor --json`; and `hooks install` / `uninstall` on a temporary home, running the
// installed command itself the way Cursor does (a shell string, the payload on stdin).
// No Cursor runs here: its CLI (cursor-agent) needs Cursor's cloud and an account.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { BufferData } from '../../../core/schema';
import { fixturesDir } from '../../shared/testSupport';
import { HOOK_EVENTS } from '../installer';

// Compiled to out/src/agents/cursor/test.
const ROOT = path.resolve(__dirname, '../../../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURES = fixturesDir(__dirname);
const CONVERSATION = '4c84288d-6932-46bd-9e19-44e8dab7f055';
const temps: string[] = [];
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});
const tempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
};

function cleanEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const base = { ...process.env };
  delete base.NEXUS_BUFFER_DIR;
  return { ...base, ...env };
}

function run(args: string[], input = '', env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', env: cleanEnv(env), cwd: os.tmpdir() });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const payload = (name: string) => (JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as { payload: Record<string, unknown> }).payload;

test('a Cursor session through `push cursor --from cursor-hook`, then `show cursor --json`', () => {
  const dir = tempDir('nexus-cursor-cli-');
  const session = ['session-start.json', 'before-submit-prompt.json', 'after-shell-execution.json', 'after-shell-execution-exit-code.json',
    'after-file-edit.json', 'post-tool-use-failure.json', 'after-mcp-execution.json', 'subagent-stop.json', 'after-agent-response.json',
    'pre-compact.json', 'stop.json', 'session-end.json'];
  for (const [i, name] of session.entries()) {
    // Both spellings a hook line may use: with and without the agent.
    const args = i % 2 === 0 ? ['push', 'cursor', '--from', 'cursor-hook', '--dir', dir] : ['push', '--from', 'cursor-hook', '--dir', dir];
    const result = run(args, JSON.stringify(payload(name)));
    assert.equal(result.status, 0, `${name}: ${result.stderr}`);
    assert.equal(result.stdout, '', `${name}: a hook prints nothing on stdout (Cursor reads it)`);
    assert.equal(result.stderr, '', name);
  }
  const shown = run(['show', 'cursor', '--json', '--dir', dir]);
  assert.equal(shown.status, 0, shown.stderr);
  const data = JSON.parse(shown.stdout) as BufferData;
  assert.equal(data.agent_type, 'cursor');
  const entries = data.entries;
  assert.deepEqual(entries.map((e) => e.context_type), [
    'session-start', 'checkpoint', 'tool-use', 'tool-use', 'tool-use', 'error', 'tool-use', 'checkpoint', 'checkpoint', 'compact', 'checkpoint', 'session-end',
  ]);
  for (const entry of entries) {
    assert.equal(entry.context.session_id, CONVERSATION);
    assert.equal(entry.context.extraction_source, 'native');
    assert.equal(entry.context.agent_type, 'cursor');
  }
  assert.deepEqual(entries.flatMap((e) => e.context.commands_run), ['npm test', 'npx tsc --noEmit']);
  assert.deepEqual(entries.flatMap((e) => e.context.errors.map((x) => `${x.error_type}: ${x.message}`)), [
    "command_failed: npx tsc --noEmit: exit code 2: src/cart.ts(3,1): error TS1005: ';' expected.",
    'tool_timeout: Shell (npm run e2e): Command timed out after 30s',
  ]);
  assert.deepEqual(entries.flatMap((e) => e.context.files.map((f) => [f.path, f.action, f.lines_added, f.lines_removed])), [
    ['/home/dev/shop/src/cart.ts', 'modified', 3, 2],
  ]);
  assert.deepEqual(entries.flatMap((e) => e.context.conversation.map((m) => `${m.role}: ${m.content}`)), [
    'user: Add a discount field to the cart, token ***', 'assistant: I added `discount` to Cart and a test for it.',
  ]);
  assert.deepEqual(entries.flatMap((e) => e.context.subagent_executions.map((s) => [s.subagent_type, s.status])), [['explore', 'completed']]);
});

test('a garbage payload exits 1 with one line on stderr and nothing on stdout; never exit 2', () => {
  const dir = tempDir('nexus-cursor-cli-');
  for (const input of ['this is not json', '[1,2]', '{"conversation_id": "x"}', '"stop"', '']) {
    const result = run(['push', 'cursor', '--from', 'cursor-hook', '--dir', dir], input);
    assert.equal(result.status, 1, `${JSON.stringify(input)}: ${result.stderr}`);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /^nexus-buffer: /);
  }
  assert.notEqual(run(['show', 'cursor', '--json', '--dir', dir]).status, 0, 'nothing was buffered');
});

test('`hooks install --agent cursor` on a temporary home; the installed command buffers; `uninstall` gives the file back', () => {
  const home = tempDir('nexus-cursor-cli-home-');
  const cursorDir = path.join(home, '.cursor');
  fs.mkdirSync(cursorDir);
  const file = path.join(cursorDir, 'hooks.json');
  const mine = `${JSON.stringify({ version: 1, hooks: { afterFileEdit: [{ command: './hooks/format.sh' }] } }, null, 2)}\n`;
  fs.writeFileSync(file, mine);
  const buffers = path.join(home, 'buffers');
  const env = { HOME: home, PATH: path.dirname(process.execPath) };

  const dry = run(['hooks', 'install', '--agent', 'cursor', '--dry-run', '--dir', buffers], '', env);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /^\+.*push cursor --from cursor-hook # nexus-buffer-hook/m);
  assert.equal(fs.readFileSync(file, 'utf8'), mine, 'a dry run writes nothing');

  const installed = run(['hooks', 'install', '--agent', 'cursor', '--yes', '--dir', buffers], '', env);
  assert.equal(installed.status, 0, installed.stderr);
  const hooks = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: number; hooks: Record<string, Array<{ command: string }>> };
  assert.equal(hooks.version, 1);
  assert.deepEqual(Object.keys(hooks.hooks).sort(), [...HOOK_EVENTS].sort());
  assert.equal(hooks.hooks.afterFileEdit![0]!.command, './hooks/format.sh');
  const status = run(['hooks', 'status', '--agent', 'cursor', '--json', '--dir', buffers], '', env);
  assert.equal((JSON.parse(status.stdout) as Array<{ installed: boolean }>)[0]!.installed, true, status.stdout);

  // What Cursor does with an entry: run the command string in a shell, the payload on stdin.
  const command = hooks.hooks.afterFileEdit![1]!.command;
  const ran = spawnSync('/bin/sh', ['-c', command], { input: JSON.stringify(payload('after-file-edit.json')), encoding: 'utf8', env: cleanEnv({ HOME: home }) });
  assert.equal(ran.status, 0, ran.stderr);
  assert.equal(ran.stdout, '');
  const shown = run(['show', 'cursor', '--json', '--dir', buffers]);
  assert.equal(shown.status, 0, shown.stderr);
  assert.deepEqual((JSON.parse(shown.stdout) as BufferData).entries.flatMap((e) => e.context.files.map((f) => f.path)), ['/home/dev/shop/src/cart.ts']);

  const again = run(['hooks', 'install', '--agent', 'cursor', '--yes', '--dir', buffers], '', env);
  assert.match(again.stdout, /hooks already installed/);
  const removed = run(['hooks', 'uninstall', '--agent', 'cursor', '--yes'], '', env);
  assert.equal(removed.status, 0, removed.stderr);
  assert.equal(fs.readFileSync(file, 'utf8'), mine);
});
