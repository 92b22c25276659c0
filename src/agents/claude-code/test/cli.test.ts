// End to end through the built CLI (dist/cli.js, `npm run build`): the hook command Claude Code
// runs, fed a whole session's events in the shapes Claude Code 2.1.328 sent (a subagent, a
// /compact), then `show --json` and the Copy as Prompt brief of what was buffered.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { BufferData } from '../../../core/schema';
import { renderPrompt } from '../../../handoff/prompt';

// Compiled to out/src/agents/claude-code/test.
const ROOT = path.resolve(__dirname, '../../../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.NEXUS_BUFFER_DIR;
  delete env.NEXUS_BUFFER_DEBUG;
  const result = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', env, cwd: os.tmpdir() });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const SID = '7c0e5a52-9d1b-4c36-a0f2-3e8b41d6c9a7';
const common = { session_id: SID, transcript_path: `/home/ann/.claude/projects/-home-ann-app/${SID}.jsonl`, cwd: '/home/ann/app' };
const SUMMARY = 'Summary:\n1. Primary Request and Intent:\n   Fix the failing login test (parseToken keeps the "Bearer " prefix).\n2. Pending Tasks:\n   - Run the whole suite.';
const events: Array<Record<string, unknown>> = [
  { ...common, hook_event_name: 'SessionStart', source: 'startup' },
  { ...common, hook_event_name: 'UserPromptSubmit', prompt_id: 'p1', permission_mode: 'default', prompt: 'Fix the login test' },
  { ...common, hook_event_name: 'SubagentStart', agent_id: 'ag1', agent_type: 'Explore' },
  {
    ...common, hook_event_name: 'PostToolUse', prompt_id: 'p1', permission_mode: 'default', effort: { level: 'medium' },
    agent_id: 'ag1', agent_type: 'Explore', tool_name: 'Bash', tool_use_id: 'toolu_s1',
    tool_input: { command: 'grep -rn parseToken src', description: 'Find it' },
    tool_response: { stdout: 'src/auth.ts:3:export function parseToken', stderr: '', interrupted: false, isImage: false, noOutputExpected: false },
    duration_ms: 25,
  },
  {
    ...common, hook_event_name: 'SubagentStop', permission_mode: 'default', agent_id: 'ag1', agent_type: 'Explore', stop_hook_active: false,
    agent_transcript_path: `/home/ann/.claude/projects/-home-ann-app/${SID}/subagents/agent-ag1.jsonl`,
    last_assistant_message: 'parseToken is in src/auth.ts.\n<system-reminder>internal</system-reminder>',
  },
  {
    ...common, hook_event_name: 'PostToolUse', prompt_id: 'p1', permission_mode: 'default', tool_name: 'Agent', tool_use_id: 'toolu_a1',
    tool_input: { description: 'Find auth code', prompt: 'Where are tokens parsed?', subagent_type: 'Explore' },
    tool_response: { status: 'completed', agentId: 'ag1', agentType: 'Explore', content: [{ type: 'text', text: 'parseToken is in src/auth.ts.' }], totalDurationMs: 4000, toolStats: {} },
    duration_ms: 4100,
  },
  {
    ...common, hook_event_name: 'PostToolUseFailure', prompt_id: 'p1', permission_mode: 'default', tool_name: 'Bash', tool_use_id: 'toolu_b1',
    tool_input: { command: 'npm test' }, error: 'Exit code 1\nfailing tests: 1', is_interrupt: false, duration_ms: 2100,
  },
  { ...common, hook_event_name: 'PreCompact', trigger: 'manual', custom_instructions: null },
  { ...common, hook_event_name: 'SubagentStop', agent_id: 'acompact-1', agent_type: '', stop_hook_active: false, last_assistant_message: `<analysis>x</analysis><summary>${SUMMARY}</summary>` },
  { ...common, hook_event_name: 'PostCompact', trigger: 'manual', compact_summary: SUMMARY },
  { ...common, hook_event_name: 'SessionStart', source: 'compact', prompt_id: 'p2', model: 'claude-sonnet-4-5' },
  { ...common, hook_event_name: 'Stop', permission_mode: 'default', stop_hook_active: false, last_assistant_message: 'The login test passes now.' },
  { ...common, hook_event_name: 'SessionEnd', prompt_id: 'p2', reason: 'other' },
];

test('a whole session through the hook command: silent, and every event a complete entry', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-claude-e2e-'));
  temps.push(dir);
  for (const event of events) {
    const result = run(['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], JSON.stringify(event));
    assert.equal(result.status, 0, `${String(event.hook_event_name)}: ${result.stderr}`);
    assert.equal(result.stdout, '', 'nothing on stdout (it would reach the model)');
    assert.equal(result.stderr, '');
  }
  const shown = run(['show', 'claude-code', '--json', '--dir', dir]);
  assert.equal(shown.status, 0, shown.stderr);
  const doc = JSON.parse(shown.stdout) as BufferData;
  assert.deepEqual(doc.entries.map((e) => e.context_type), [
    'session-start', 'checkpoint', 'checkpoint', 'tool-use', 'checkpoint', 'tool-use', 'error', 'compact', 'compact', 'compact', 'compact', 'checkpoint', 'session-end',
  ]);
  for (const entry of doc.entries) {
    assert.equal(entry.context.session_id, SID);
    assert.equal(entry.context.extraction_source, 'native');
  }
  // The subagent: started, its command marked as its own, stopped, and the Agent call's time span.
  const runs = doc.entries.flatMap((e) => e.context.subagent_executions);
  assert.deepEqual(runs.map((r) => [r.subagent_type, r.status, (r as Record<string, unknown>).agent_id]), [
    ['Explore', 'running', 'ag1'], ['Explore', 'completed', 'ag1'], ['Explore', 'completed', 'ag1'],
  ]);
  assert.equal(runs[1]?.result_summary, 'parseToken is in src/auth.ts.');
  assert.equal(Date.parse(runs[2]!.completed_at!) - Date.parse(runs[2]!.started_at), 4100, 'started duration_ms before the call returned');
  assert.equal(runs[2]!.task, 'Find auth code');
  const subCommand = doc.entries[3]!;
  assert.deepEqual(subCommand.context.commands_run, ['grep -rn parseToken src']);
  assert.equal(subCommand.context.custom.subagent, 'Explore');
  assert.equal(subCommand.context.custom.duration_ms, 25);
  assert.equal(doc.entries[6]!.context.custom.exit_code, 1);
  // The compaction summary, whole, in the PostCompact entry only (not twice).
  assert.equal(JSON.stringify(doc).split('Fix the failing login test').length - 1, 1);
  assert.ok(doc.entries[9]!.context.insights[0]!.endsWith(SUMMARY));

  // It shows in the document and in Copy as Prompt's brief.
  const markdown = run(['show', 'claude-code', '--dir', dir]);
  assert.match(markdown.stdout, /Fix the failing login test \(parseToken keeps the "Bearer " prefix\)\./);
  const brief = renderPrompt(doc, { maxCharacters: 12_000 });
  assert.match(brief, /## Summary of the conversation before the last compaction\n[\s\S]*Primary Request and Intent:[\s\S]*Fix the failing login test/);
  assert.match(brief, /## Last reply from the agent\n {2}> The login test passes now\./);
  assert.match(brief, /## Subagents\n- Explore: Find auth code \(completed\)/);
});

test('a garbage payload exits 1 with one line on stderr, nothing on stdout, nothing buffered', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-claude-e2e-'));
  temps.push(dir);
  for (const input of ['{"hook_event_name": ', '{"session_id":"x"}', '"PostCompact"']) {
    const result = run(['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], input);
    assert.equal(result.status, 1, input);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^nexus-buffer: [^\n]+\n$/);
  }
  const shown = run(['show', 'claude-code', '--json', '--dir', dir]);
  const entries = shown.status === 0 ? (JSON.parse(shown.stdout) as BufferData).entries : [];
  assert.equal(entries.length, 0);
});
