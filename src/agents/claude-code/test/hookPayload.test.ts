import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { claudeHookToEntry, MAX_COMPACT_SUMMARY_CHARS, MAX_OUTPUT_CHARS, stripInternalTags } from '../hookPayload';
import { HOOK_EVENTS } from '../installer';
import { completeContext } from '../../../core/schema';
import { fixturesDir } from '../../shared/testSupport';

const NOW = '2026-06-14T09:12:03.418Z';
// Compiled to out/src/agents/claude-code/test; the fixtures stay in the source tree.
const FIXTURES = fixturesDir(__dirname);

interface Fixture {
  payload: Record<string, unknown>;
  expected: { contextType: string; context: Record<string, unknown> };
}

const fixtureNames = fs.readdirSync(FIXTURES).filter((name) => name.endsWith('.json')).sort();

test('there is a fixture for every event the installer hooks', () => {
  const events = new Set(fixtureNames.map((name) => (JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Fixture).payload.hook_event_name));
  for (const event of HOOK_EVENTS) {
    assert.ok(events.has(event), `no fixture for ${event}`);
  }
});

for (const name of fixtureNames) {
  test(`fixture ${name} becomes the expected entry`, () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Fixture;
    const entry = claudeHookToEntry(fixture.payload, NOW);
    assert.equal(entry.contextType, fixture.expected.contextType);
    for (const [key, value] of Object.entries(fixture.expected.context)) {
      assert.deepEqual((entry.context as Record<string, unknown>)[key], value, `context.${key}`);
    }
    assert.equal(entry.context.extraction_started, NOW);
    // Whatever it maps to, the crate's schema accepts it once completed.
    const complete = completeContext(entry.context, { agentType: 'claude-code', now: NOW });
    assert.equal(complete.agent_type, 'claude-code');
    // File contents never reach the entry (only sizes and line counts).
    const stored = JSON.stringify(entry);
    const input = (fixture.payload.tool_input ?? {}) as Record<string, unknown>;
    const response = (fixture.payload.tool_response ?? {}) as Record<string, unknown>;
    for (const content of [input.content, input.old_string, input.new_string, response.originalFile]) {
      if (typeof content === 'string' && content.length > 8) assert.ok(!stored.includes(JSON.stringify(content).slice(1, -1)), `${name} stores file content`);
    }
  });
}

test('every context type is in the crate vocabulary', () => {
  const known = new Set(['extraction', 'checkpoint', 'session-start', 'tool-use', 'session-end', 'compact', 'error']);
  for (const name of fixtureNames) {
    const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Fixture;
    assert.ok(known.has(claudeHookToEntry(fixture.payload, NOW).contextType), name);
  }
});

test('malformed payloads give one clear line', () => {
  for (const [payload, pattern] of [
    [null, /must be a JSON object, got null/],
    ['{"hook_event_name":"Stop"}', /must be a JSON object, got a string/],
    [[1, 2], /got an array/],
    [42, /got a number/],
    [{}, /no "hook_event_name" string/],
    [{ hook_event_name: 7 }, /no "hook_event_name" string/],
    [{ hook_event_name: '  ' }, /no "hook_event_name" string/],
  ] as Array<[unknown, RegExp]>) {
    assert.throws(() => claudeHookToEntry(payload, NOW), (error: Error) => {
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    });
  }
});

test('huge tool output keeps its head and its tail, with a marker between', () => {
  const stdout = `THE START\n${'x'.repeat(200_000)}\nTHE END`;
  const entry = claudeHookToEntry({
    hook_event_name: 'PostToolUse', session_id: 's', tool_name: 'Bash',
    tool_input: { command: 'cat big.log' }, tool_response: { stdout, stderr: '', interrupted: false },
  }, NOW);
  const output = (entry.context.custom as { output: { stdout: string } }).output.stdout;
  assert.ok(output.length < MAX_OUTPUT_CHARS + 100, `kept ${output.length} characters`);
  assert.ok(output.startsWith('THE START\n'));
  assert.match(output, /\n… \[\d+ characters left out\] …\n/);
  assert.ok(output.endsWith('THE END'));
});

test('a big Bash output: head, tail and where Claude Code saved the whole of it (real 2.1.328 shape)', () => {
  // Claude Code sends the first 30,000 characters of stdout and the path of the saved output.
  const lines = Array.from({ length: 3_000 }, (_, i) => `line ${i} ${'.'.repeat(2)}`).join('\n');
  const stdout = lines.slice(0, 30_000);
  const entry = claudeHookToEntry({
    session_id: 's', transcript_path: '/t.jsonl', cwd: '/app', hook_event_name: 'PostToolUse', prompt_id: 'p1',
    permission_mode: 'default', tool_name: 'Bash', tool_use_id: 'toolu_big',
    tool_input: { command: 'seq-report', description: 'Report' },
    tool_response: {
      stdout, stderr: '', interrupted: false, isImage: false, noOutputExpected: false,
      persistedOutputPath: '/home/ann/.claude/projects/-app/s/tool-results/toolu_big.txt', persistedOutputSize: 41_877,
    },
    duration_ms: 950,
  }, NOW);
  const custom = entry.context.custom as Record<string, unknown>;
  assert.equal(custom.persistedOutputPath, '/home/ann/.claude/projects/-app/s/tool-results/toolu_big.txt');
  assert.equal(custom.persistedOutputSize, 41_877);
  assert.equal(custom.duration_ms, 950);
  assert.equal(custom.prompt_id, 'p1');
  assert.equal(custom.tool_response, undefined, 'every field of the response was understood');
  const kept = (custom.output as { stdout: string }).stdout;
  assert.ok(kept.startsWith('line 0 ..\nline 1 ..'));
  assert.ok(kept.endsWith(stdout.slice(-200)));
  assert.ok(kept.length < MAX_OUTPUT_CHARS + 100);
  assert.deepEqual(entry.context.commands_run, ['seq-report']);
  assert.equal(entry.context.errors, undefined);
});

test('Bash response fields not understood are kept in custom.tool_response', () => {
  const entry = claudeHookToEntry({
    hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'sleep 100', run_in_background: true },
    tool_response: { stdout: '', stderr: '', interrupted: false, backgroundTaskId: 'bash_1' },
  }, NOW);
  assert.deepEqual((entry.context.custom as Record<string, unknown>).tool_response, { backgroundTaskId: 'bash_1' });
});

test('huge unknown fields and tool responses are capped', () => {
  const entry = claudeHookToEntry({
    hook_event_name: 'PostToolUse', tool_name: 'Grep', tool_input: { pattern: 'x' },
    tool_response: { matches: Array.from({ length: 5000 }, (_, i) => `file${i}.ts`) },
    future_field: 'y'.repeat(100_000),
  }, NOW);
  assert.ok(JSON.stringify(entry).length < 30_000, `entry is ${JSON.stringify(entry).length} characters`);
  const custom = entry.context.custom as Record<string, unknown>;
  assert.match(JSON.stringify(custom.tool_response), /4800 more items left out|\[truncated \d+ more characters\]/);
  assert.match(String((custom.hook as Record<string, unknown>).future_field), /\[truncated/);
});

test('the session id and the wall clock default', () => {
  const entry = claudeHookToEntry({ hook_event_name: 'Stop' });
  assert.equal(entry.context.session_id, null);
  assert.match(String(entry.context.extraction_started), /^\d{4}-\d{2}-\d{2}T/);
});

test('a failed tool call that is not Bash is an error entry without a command', () => {
  const entry = claudeHookToEntry({
    hook_event_name: 'PostToolUseFailure', tool_name: 'Edit', is_interrupt: true,
    tool_input: { file_path: '/a.ts', old_string: 'a', new_string: 'b' }, error: 'String to replace not found',
  }, NOW);
  assert.equal(entry.contextType, 'error');
  assert.equal(entry.context.files, undefined);
  assert.equal(entry.context.commands_run, undefined);
  assert.deepEqual(entry.context.errors?.map((e) => [e.error_type, e.message]), [['tool_interrupted', 'Edit: String to replace not found']]);
});

test('PostToolUseFailure "Exit code N" gives the exit code; other error strings stay as they are', () => {
  const failed = claudeHookToEntry({
    hook_event_name: 'PostToolUseFailure', tool_name: 'Bash', tool_input: { command: 'false' }, error: 'Error: Exit code 1', duration_ms: 3,
  }, NOW);
  const custom = failed.context.custom as Record<string, unknown>;
  assert.equal(custom.exit_code, 1);
  assert.equal(custom.duration_ms, 3);
  assert.deepEqual(failed.context.errors?.map((e) => [e.error_type, e.message]), [['command_failed', 'false: exit code 1']]);
  const other = claudeHookToEntry({
    hook_event_name: 'PostToolUseFailure', tool_name: 'Bash', tool_input: { command: 'x' }, error: 'Exit code: unknown\nfoo',
  }, NOW);
  assert.equal((other.context.custom as Record<string, unknown>).exit_code, undefined);
  assert.equal(other.context.errors?.[0]?.error_type, 'tool_failed');
  const interrupted = claudeHookToEntry({
    hook_event_name: 'PostToolUseFailure', tool_name: 'Bash', tool_input: { command: 'sleep 9' }, error: 'Exit code 130\n', is_interrupt: true,
  }, NOW);
  assert.equal(interrupted.context.errors?.[0]?.error_type, 'tool_interrupted');
  assert.equal((interrupted.context.custom as Record<string, unknown>).exit_code, 130);
});

test('PostToolBatch keeps which calls it grouped, never their commands, files or errors', () => {
  const entry = claudeHookToEntry({
    hook_event_name: 'PostToolBatch', session_id: 's',
    tool_calls: [
      { tool_name: 'Bash', tool_use_id: 't1', tool_input: { command: 'rm -rf build' }, tool_response: { stdout: 'x' } },
      { tool_name: 'Write', tool_use_id: 't2', tool_input: { file_path: '/a.ts', content: 'SECRET CONTENT' } },
      'odd',
    ],
  }, NOW);
  assert.equal(entry.contextType, 'tool-use');
  for (const key of ['commands_run', 'files', 'errors', 'subagent_executions', 'conversation']) {
    assert.equal((entry.context as Record<string, unknown>)[key], undefined, key);
  }
  const custom = entry.context.custom as Record<string, unknown>;
  assert.equal(custom.tool_calls_count, 3);
  assert.deepEqual(custom.tool_calls, [{ tool_name: 'Bash', tool_use_id: 't1' }, { tool_name: 'Write', tool_use_id: 't2' }, 'a string']);
  assert.ok(!JSON.stringify(entry).includes('SECRET CONTENT'));
  assert.ok(!JSON.stringify(entry).includes('rm -rf'));
});

test('a subagent\'s tool calls are marked as its own: files, errors, tasks and the entry', () => {
  const sub = { agent_id: 'ag1', agent_type: 'Plan' };
  const edit = claudeHookToEntry({
    hook_event_name: 'PostToolUse', ...sub, tool_name: 'Edit',
    tool_input: { file_path: '/a.ts', old_string: 'a', new_string: 'b' }, tool_response: { filePath: '/a.ts' },
  }, NOW);
  assert.equal(edit.context.files?.[0]?.subagent, 'Plan');
  const todo = claudeHookToEntry({
    hook_event_name: 'PostToolUse', ...sub, tool_name: 'TodoWrite', tool_input: { todos: [{ content: 'Check auth', status: 'in_progress' }] },
  }, NOW);
  assert.deepEqual(todo.context.tasks?.map((t) => [t.description, t.subagent]), [['Check auth', 'Plan']]);
  const failed = claudeHookToEntry({
    hook_event_name: 'PostToolUseFailure', ...sub, tool_name: 'Read', tool_input: { file_path: '/nope' }, error: 'File does not exist.',
  }, NOW);
  assert.deepEqual(failed.context.errors?.map((e) => [e.message, e.subagent]), [['Read [subagent Plan]: File does not exist.', 'Plan']]);
  // The main agent's calls carry no mark at all.
  const main = claudeHookToEntry({
    hook_event_name: 'PostToolUse', tool_name: 'TodoWrite', tool_input: { todos: [{ content: 'Check auth', status: 'pending' }] },
  }, NOW);
  assert.equal(main.context.tasks?.[0]?.subagent, null);
  for (const key of ['agent_id', 'agent_type', 'subagent']) assert.equal((main.context.custom as Record<string, unknown>)[key], undefined, key);
});

test('an Agent launched in the background has not finished', () => {
  const entry = claudeHookToEntry({
    hook_event_name: 'PostToolUse', tool_name: 'Agent', duration_ms: 20,
    tool_input: { description: 'Watch the build', prompt: 'Watch it', subagent_type: 'general-purpose', run_in_background: true },
    tool_response: { status: 'async_launched', agentId: 'bg1', description: 'Watch the build' },
  }, NOW);
  const run = entry.context.subagent_executions?.[0];
  assert.equal(run?.status, 'async_launched');
  assert.equal(run?.completed_at, null);
  assert.equal(run?.started_at, '2026-06-14T09:12:03.398Z');
  assert.equal(run?.agent_id, 'bg1');
});

test('a subagent\'s last message is its result, not the main agent\'s reply', () => {
  const entry = claudeHookToEntry({
    hook_event_name: 'SubagentStop', agent_id: 'x', agent_type: 'Explore', last_assistant_message: 'Found it.',
  }, NOW);
  assert.equal(entry.context.conversation, undefined);
  assert.equal(entry.context.subagent_executions?.[0]?.result_summary, 'Found it.');
});

test('Claude Code markup is stripped from assistant messages; a mere mention of a tag stays', () => {
  const stop = claudeHookToEntry({
    hook_event_name: 'Stop', stop_hook_active: false, effort: { level: 'medium' }, background_tasks: [], session_crons: [],
    last_assistant_message: 'Done.\n\n<system-reminder>\nThe TodoWrite tool has not been used.\n</system-reminder>\n\nAll tests pass.',
  }, NOW);
  assert.equal(stop.context.conversation?.[0]?.content, 'Done.\n\nAll tests pass.');
  // 2.1.332 adds effort (kept like a tool event's), background_tasks and session_crons (kept as they came).
  assert.deepEqual((stop.context.custom as Record<string, unknown>).effort, { level: 'medium' });
  assert.deepEqual((stop.context.custom as Record<string, unknown>).hook, { background_tasks: [], session_crons: [] });
  assert.equal(
    stripInternalTags('<command-name>/cost</command-name>\n<command-message>cost</command-message>\n<command-args></command-args>\n<local-command-stdout>Total cost: $0.12</local-command-stdout>'),
    '/cost\n\nTotal cost: $0.12',
  );
  assert.equal(stripInternalTags('<local-command-caveat>Caveat: the messages below…</local-command-caveat>ok'), 'ok');
  assert.equal(stripInternalTags('<task-notification>\n<task-id>b1</task-id>\n<status>completed</status>\n</task-notification>\nNext.'), 'Next.');
  assert.equal(stripInternalTags('<bash-input>ls</bash-input><bash-stdout>a.ts</bash-stdout><bash-stderr></bash-stderr>'), 'lsa.ts');
  // Only complete pairs: text about the markup keeps it; ordinary HTML stays.
  assert.equal(stripInternalTags('I now skip lines starting with <system-reminder> in the parser.'), 'I now skip lines starting with <system-reminder> in the parser.');
  assert.equal(stripInternalTags('<details><summary>More</summary>text</details>'), '<details><summary>More</summary>text</details>');
  assert.equal(stripInternalTags('  keep   spacing  \n\n\n\nas is '), 'keep   spacing  \n\n\n\nas is');
});

test('PostCompact: the summary is kept whole, without the analysis, redacted, up to a generous cap', () => {
  const summary = `Summary:\n1. Primary Request and Intent: ship it\n${'- detail line\n'.repeat(4_000)}9. Next step: run npm test`;
  assert.ok(summary.length > MAX_OUTPUT_CHARS * 10, `a long summary (${summary.length} characters)`);
  const entry = claudeHookToEntry({
    session_id: 's', hook_event_name: 'PostCompact', trigger: 'auto',
    compact_summary: `<analysis>\nscratch notes\n</analysis>\n\n<summary>\n${summary}\n</summary>`,
  }, NOW);
  assert.equal(entry.contextType, 'compact');
  const insight = entry.context.insights?.[0] ?? '';
  assert.ok(insight.startsWith('Summary of the compacted conversation (auto):\n\nSummary:\n1. Primary'));
  assert.ok(insight.endsWith('9. Next step: run npm test'), 'kept whole');
  assert.ok(!insight.includes('scratch notes') && !insight.includes('<summary>'));

  const secret = claudeHookToEntry({
    hook_event_name: 'PostCompact', trigger: 'manual', compact_summary: 'Summary: set GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789 then push',
  }, NOW);
  assert.ok(!JSON.stringify(secret).includes('ghp_abcdefghijklmnopqrstuvwxyz0123456789'));

  const huge = claudeHookToEntry({ hook_event_name: 'PostCompact', compact_summary: 'y'.repeat(MAX_COMPACT_SUMMARY_CHARS * 2) }, NOW);
  const capped = huge.context.insights?.[0] ?? '';
  assert.ok(capped.length < MAX_COMPACT_SUMMARY_CHARS + 200 && capped.length > MAX_COMPACT_SUMMARY_CHARS, `${capped.length}`);
  assert.match(capped, /\[truncated \d+ more characters\]$/);
  assert.equal((huge.context.custom as Record<string, unknown>).compact_summary_chars, MAX_COMPACT_SUMMARY_CHARS * 2);

  const empty = claudeHookToEntry({ hook_event_name: 'PostCompact', trigger: 'manual', compact_summary: '' }, NOW);
  assert.equal(empty.context.insights, undefined);
  assert.equal(empty.contextType, 'compact');
});

test('a /compact fork is a compaction, not a subagent, at its start too', () => {
  for (const event of ['SubagentStart', 'SubagentStop']) {
    const entry = claudeHookToEntry({ hook_event_name: event, agent_id: 'acompact-1', agent_type: '' }, NOW);
    assert.equal(entry.contextType, 'compact', event);
    assert.equal(entry.context.subagent_executions, undefined, event);
  }
  // An older Claude Code's SubagentStop has no agent fields: still a subagent that stopped.
  const old = claudeHookToEntry({ hook_event_name: 'SubagentStop', stop_hook_active: false }, NOW);
  assert.equal(old.contextType, 'checkpoint');
  assert.deepEqual(old.context.subagent_executions?.map((r) => [r.subagent_type, r.status]), [['unknown', 'completed']]);
});
