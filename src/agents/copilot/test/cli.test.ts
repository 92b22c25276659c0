// End to end through the built CLI (dist/cli.js, `npm run build`): the hook commands VS Code's
// agent mode runs, fed events in the shapes of FORMAT.md (built from VS Code's source and the
// docs; no VS Code agent can run offline here), then `show --json`; and `hooks install` on a
// temporary home, whose installed command is run the way the agent runs it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { BufferData } from '../../../core/schema';

// Compiled to out/src/agents/copilot/test.
const ROOT = path.resolve(__dirname, '../../../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const temps: string[] = [];
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});
const tempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
};

function run(args: string[], input = '', extraEnv: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env.NEXUS_BUFFER_DIR;
  delete env.NEXUS_BUFFER_DEBUG;
  const result = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', env, cwd: os.tmpdir() });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function entries(agent: string, dir: string): BufferData['entries'] {
  const shown = run(['show', agent, '--json', '--dir', dir]);
  return shown.status === 0 ? (JSON.parse(shown.stdout) as BufferData).entries : [];
}

function hook(source: 'claude-hook' | 'copilot-hook', dir: string, event: Record<string, unknown>): void {
  const agent = source === 'claude-hook' ? 'claude-code' : 'copilot';
  const result = run(['push', agent, '--from', source, '--dir', dir], JSON.stringify(event));
  assert.equal(result.status, 0, `${String(event.hookEventName ?? event.hook_event_name)}: ${result.stderr}`);
  assert.equal(result.stdout, '', 'nothing on stdout (VS Code parses it as the hook output)');
  assert.equal(result.stderr, '');
}

const SID = 'vscode-chat-session://local/OTk5ZGZkYjEtNWQ0Mi00YjM4';
const T = (s: number) => `2026-10-20T08:15:${String(s).padStart(2, '0')}.000Z`;
const local = (s: number, event: string, rest: Record<string, unknown> = {}) => ({
  timestamp: T(s), cwd: '/home/ann/app', sessionId: SID, hookEventName: event, transcript_path: '/home/ann/.vscode/transcripts/1.jsonl', ...rest,
});

test("a camelCase event through Claude Code's hook command lands in copilot, a snake_case one in claude-code", () => {
  const dir = tempDir('nexus-copilot-e2e-');
  hook('claude-hook', dir, local(1, 'UserPromptSubmit', { prompt: 'Fix the login test' }));
  assert.equal(entries('claude-code', dir).length, 0, 'nothing in claude-code');
  const copilot = entries('copilot', dir);
  assert.equal(copilot.length, 1);
  assert.equal(copilot[0]!.context.agent_type, 'copilot');
  assert.equal(copilot[0]!.context.session_id, SID);
  assert.equal(copilot[0]!.context.conversation[0]!.content, 'Fix the login test');
  assert.equal(copilot[0]!.context.extraction_started, T(1), "the payload's timestamp");
  assert.equal(copilot[0]!.context.custom.delivered_via, 'claude-settings');

  hook('claude-hook', dir, { session_id: 'c1', transcript_path: '/home/ann/.claude/projects/-a/c1.jsonl', cwd: '/a', permission_mode: 'default', hook_event_name: 'UserPromptSubmit', prompt: 'hello' });
  const claude = entries('claude-code', dir);
  assert.equal(claude.length, 1);
  assert.equal(claude[0]!.context.session_id, 'c1');
  assert.equal(entries('copilot', dir).length, 1, 'copilot unchanged');
});

test("a VS Code agent session through Copilot's own hook command: every event a complete entry", () => {
  const dir = tempDir('nexus-copilot-e2e-');
  const events = [
    local(1, 'SessionStart', { source: 'new' }),
    local(2, 'UserPromptSubmit', { prompt: 'Make the login test pass' }),
    local(3, 'PreToolUse', { tool_name: 'run_in_terminal', tool_use_id: 't1', tool_input: { command: 'npm test', explanation: 'Run tests', isBackground: false } }),
    local(4, 'PostToolUse', { tool_name: 'run_in_terminal', tool_use_id: 't1', tool_input: { command: 'npm test', explanation: 'Run tests', isBackground: false }, tool_response: 'FAIL src/login.test.ts\nTests: 1 failed\n\nCommand exited with code 1' }),
    local(5, 'SubagentStart', { agent_id: 'sa-1', agent_type: 'Plan' }),
    local(6, 'SubagentStop', { agent_id: 'sa-1', agent_type: 'Plan', stop_hook_active: false }),
    local(7, 'PostToolUse', { tool_name: 'runSubagent', tool_use_id: 's1', tool_input: { description: 'Plan the fix', prompt: 'Plan it', agentName: 'Plan' }, tool_response: 'Strip the Bearer prefix in parseToken.' }),
    local(8, 'PostToolUse', { tool_name: 'replace_string_in_file', tool_use_id: 'r1', tool_input: { filePath: '/home/ann/app/src/auth.ts', oldString: 'return h;', newString: 'return h.slice(7);', explanation: 'fix' }, tool_response: 'ok' }),
    local(9, 'PostToolUse', { tool_name: 'create_file', tool_use_id: 'c1', tool_input: { filePath: '/home/ann/app/src/auth.test.ts', content: 'a\nb\n' }, tool_response: 'ok' }),
    local(10, 'PreCompact', { trigger: 'auto' }),
    local(11, 'Stop', { stop_hook_active: false }),
    // The Copilot runtime (Copilot CLI, VS Code's Copilot harness) reads the same file.
    { hook_event_name: 'PostToolUseFailure', session_id: 'cli-1', timestamp: T(12), cwd: '/a', tool_name: 'view', tool_input: { path: '/a/missing' }, error: 'Path does not exist' },
    { hook_event_name: 'SessionEnd', session_id: 'cli-1', timestamp: T(13), cwd: '/a', reason: 'complete' },
  ];
  for (const event of events) hook('copilot-hook', dir, event);
  const doc = entries('copilot', dir);
  assert.deepEqual(doc.map((e) => e.context_type), [
    'session-start', 'checkpoint', 'tool-use', 'tool-use', 'checkpoint', 'checkpoint', 'tool-use', 'tool-use', 'tool-use', 'compact', 'checkpoint', 'error', 'session-end',
  ]);
  assert.deepEqual(doc.map((e) => e.context.extraction_started), events.map((e) => e.timestamp));
  for (const entry of doc) {
    assert.equal(entry.context.extraction_source, 'native');
    assert.equal(entry.context.custom.delivered_via, 'copilot-hooks');
  }
  assert.deepEqual(doc.slice(0, 11).map((e) => e.context.session_id), Array(11).fill(SID));
  assert.equal(doc[11]!.context.session_id, 'cli-1');
  assert.deepEqual(doc.flatMap((e) => e.context.commands_run), ['npm test'], 'the command once (PreToolUse keeps the intent only)');
  assert.deepEqual(doc[3]!.context.errors.map((e) => e.message), ['npm test: exit code 1: Tests: 1 failed']);
  assert.deepEqual(doc.flatMap((e) => e.context.files).map((f) => [f.path, f.action, f.lines_added, f.lines_removed]), [
    ['/home/ann/app/src/auth.ts', 'modified', 1, 1], ['/home/ann/app/src/auth.test.ts', 'created', 2, 0],
  ]);
  assert.deepEqual(doc.flatMap((e) => e.context.subagent_executions).map((r) => [r.subagent_type, r.status, r.result_summary]), [
    ['Plan', 'running', null], ['Plan', 'completed', null], ['Plan', 'completed', 'Strip the Bearer prefix in parseToken.'],
  ]);
  assert.deepEqual(doc[11]!.context.errors.map((e) => [e.error_type, e.message]), [['tool_failed', 'view: Path does not exist']]);
  assert.ok(!JSON.stringify(doc).includes('return h.slice(7);'), 'no file contents');
});

test('a garbage payload exits 1 with one line on stderr, nothing on stdout, nothing buffered', () => {
  const dir = tempDir('nexus-copilot-e2e-');
  for (const input of ['{"hookEventName": ', '{"cwd":"/a"}', '"PreToolUse"', '']) {
    const result = run(['push', 'copilot', '--from', 'copilot-hook', '--dir', dir], input);
    assert.equal(result.status, 1, input);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^nexus-buffer: [^\n]+\n$/);
  }
  assert.equal(entries('copilot', dir).length, 0);
});

test('hooks install --agent copilot writes ~/.copilot/hooks/nexus-buffer.json, whose command buffers an event; uninstall takes it back', () => {
  const home = tempDir('nexus-copilot-home-');
  const dir = path.join(home, 'buffers');
  const env = { HOME: home, USERPROFILE: home };
  const installed = run(['hooks', 'install', '--agent', 'copilot', '--yes', '--dir', dir], '', env);
  assert.equal(installed.status, 0, installed.stderr);
  const file = path.join(home, '.copilot', 'hooks', 'nexus-buffer.json');
  assert.match(installed.stdout, /installed in ~\/\.copilot\/hooks\/nexus-buffer\.json/);
  const settings = JSON.parse(fs.readFileSync(file, 'utf8')) as { hooks: Record<string, Array<{ command: string }>> };
  const status = run(['hooks', 'status', '--agent', 'copilot', '--json', '--dir', dir], '', env);
  assert.equal((JSON.parse(status.stdout) as Array<{ installed: boolean }>)[0]!.installed, true);

  // Run the installed commands as VS Code does: through a shell, the event on stdin.
  for (const [event, payload] of [
    ['PreToolUse', local(1, 'PreToolUse', { tool_name: 'run_in_terminal', tool_use_id: 'x', tool_input: { command: 'ls' } })],
    ['PostToolUse', local(2, 'PostToolUse', { tool_name: 'run_in_terminal', tool_use_id: 'x', tool_input: { command: 'ls' }, tool_response: 'a\nb' })],
  ] as const) {
    const ran = spawnSync('/bin/sh', ['-c', settings.hooks[event]![0]!.command], { input: JSON.stringify(payload), encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(ran.status, 0, ran.stderr);
    assert.equal(ran.stdout, '');
  }
  const buffered = entries('copilot', dir);
  assert.deepEqual(buffered.map((e) => e.context.custom.phase), ['pre', 'post']);
  assert.deepEqual(buffered[1]!.context.commands_run, ['ls']);

  const again = run(['hooks', 'install', '--agent', 'copilot', '--yes', '--dir', dir], '', env);
  assert.match(again.stdout, /already installed/);
  const removed = run(['hooks', 'uninstall', '--agent', 'copilot', '--yes'], '', env);
  assert.equal(removed.status, 0, removed.stderr);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { version: 1 });
});
