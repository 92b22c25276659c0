import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { claudeHookToEntry, MAX_OUTPUT_CHARS } from '../hookPayload';
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
  for (const event of ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'Stop', 'SubagentStop', 'PreCompact', 'SessionEnd']) {
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

test('huge tool output is capped with a marker, keeping its end', () => {
  const stdout = `${'x'.repeat(200_000)}\nTHE END`;
  const entry = claudeHookToEntry({
    hook_event_name: 'PostToolUse', session_id: 's', tool_name: 'Bash',
    tool_input: { command: 'cat big.log' }, tool_response: { stdout, stderr: '', interrupted: false },
  }, NOW);
  const output = (entry.context.custom as { output: { stdout: string } }).output.stdout;
  assert.ok(output.length < MAX_OUTPUT_CHARS + 100, `kept ${output.length} characters`);
  assert.match(output, /^\[truncated \d+ earlier characters\]/);
  assert.ok(output.endsWith('THE END'));
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
