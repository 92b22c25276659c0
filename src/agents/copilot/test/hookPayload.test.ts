import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COPILOT_AGENT, copilotHookToEntry, isCopilotPayload, patchChanges, toolKind } from '../hookPayload';
import { copilotHookSource } from '..';
import { claudeHookSource } from '../../claude-code';
import { HOOK_EVENTS } from '../installer';
import { completeContext } from '../../../core/schema';
import { MAX_OUTPUT_CHARS } from '../../shared/payload';
import { fixturesDir } from '../../shared/testSupport';

const NOW = '2026-12-01T09:00:00.000Z';
const FIXTURES = fixturesDir(__dirname);
// Claude Code's own fixtures (read only): none of them may ever be taken for Copilot's.
const CLAUDE_FIXTURES = path.join(FIXTURES, '..', '..', '..', 'claude-code', 'test', 'fixtures');

interface Fixture {
  source: string;
  payload: Record<string, unknown>;
  expected: { contextType: string; context: Record<string, unknown>; custom: Record<string, unknown> };
}

const load = (dir: string, name: string) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as Fixture;
const fixtureNames = fs.readdirSync(FIXTURES).filter((name) => name.endsWith('.json')).sort();
const CONTENT_KEYS = ['content', 'code', 'oldString', 'newString', 'file_text', 'old_str', 'new_str', 'input'];

for (const name of fixtureNames) {
  test(`fixture ${name} becomes the expected entry`, () => {
    const fixture = load(FIXTURES, name);
    assert.ok(fixture.source.length > 20, 'the fixture says where its shape comes from');
    const entry = copilotHookToEntry(fixture.payload, NOW, 'copilot-hooks');
    assert.equal(entry.agent, COPILOT_AGENT);
    assert.equal(entry.contextType, fixture.expected.contextType);
    const context = entry.context as Record<string, unknown>;
    for (const [key, value] of Object.entries(fixture.expected.context)) {
      assert.deepEqual(context[key] ?? [], value, `context.${key}`);
    }
    const custom = context.custom as Record<string, unknown>;
    assert.equal(custom.capture, 'copilot-hook');
    assert.equal(custom.delivered_via, 'copilot-hooks');
    for (const [key, value] of Object.entries(fixture.expected.custom)) {
      assert.deepEqual(custom[key], value, `custom.${key}`);
    }
    assert.equal(entry.context.extraction_source, 'native');
    // Whatever it maps to, the crate's schema accepts it once completed.
    const complete = completeContext(entry.context, { agentType: COPILOT_AGENT, now: NOW });
    assert.equal(complete.agent_type, COPILOT_AGENT);
    // File contents never reach the entry (only sizes and line counts).
    const stored = JSON.stringify(entry);
    const input = (fixture.payload.tool_input ?? {}) as Record<string, unknown>;
    for (const key of CONTENT_KEYS) {
      const value = input[key];
      if (typeof value === 'string' && value.length > 8) assert.ok(!stored.includes(JSON.stringify(value).slice(1, -1)), `${name} stores ${key}`);
    }
    // Every fixture is a Copilot payload, so it is routed to copilot through Claude's settings too.
    assert.ok(isCopilotPayload(fixture.payload), `${name} is recognised`);
  });
}

test('there is a fixture for every event the installer hooks (except PostToolUseFailure in the Local shape, which VS Code does not send)', () => {
  const events = new Set(fixtureNames.map((name) => {
    const payload = load(FIXTURES, name).payload;
    return payload.hookEventName ?? payload.hook_event_name;
  }));
  for (const event of HOOK_EVENTS) assert.ok(events.has(event), `no fixture for ${event}`);
});

test('the payload timestamp is the entry time; an unparseable one falls back to now and is kept', () => {
  const base = { sessionId: 's', hookEventName: 'Stop', cwd: '/a' };
  assert.equal(copilotHookToEntry({ ...base, timestamp: '2026-10-20T08:15:30+02:00' }, NOW).context.extraction_started, '2026-10-20T06:15:30.000Z');
  assert.equal(copilotHookToEntry({ ...base, timestamp: 1792483530120 }, NOW).context.extraction_started, '2026-10-20T08:05:30.120Z');
  const bad = copilotHookToEntry({ ...base, timestamp: 'yesterday' }, NOW);
  assert.equal(bad.context.extraction_started, NOW);
  assert.equal((bad.context.custom as Record<string, unknown>).timestamp, 'yesterday');
});

test('no real Claude Code payload is taken for a Copilot one', () => {
  const names = fs.readdirSync(CLAUDE_FIXTURES).filter((name) => name.endsWith('.json'));
  assert.ok(names.length >= 10, 'Claude Code fixtures found');
  for (const name of names) {
    const payload = load(CLAUDE_FIXTURES, name).payload;
    assert.equal(isCopilotPayload(payload), false, name);
    assert.equal(claudeHookSource.toEntry(payload, NOW).agent, 'claude-code', name);
  }
  // Claude Code's shapes with a timestamp added (a future version) still stay Claude Code's.
  const claude = { session_id: 's', transcript_path: '/home/a/.claude/projects/-a/s.jsonl', cwd: '/a', hook_event_name: 'Stop', timestamp: '2026-10-20T08:15:30Z' };
  assert.equal(isCopilotPayload(claude), false, 'transcript under .claude');
  assert.equal(isCopilotPayload({ ...claude, transcript_path: undefined, permission_mode: 'default' }), false, 'permission_mode');
  assert.equal(isCopilotPayload({ ...claude, transcript_path: undefined, hook_event_name: 'PreToolUse', tool_use_id: 'toolu_1' }), false, 'tool_use_id');
  assert.equal(isCopilotPayload({ ...claude, transcript_path: undefined, timestamp: undefined }), false, 'no timestamp');
  // ...while the Copilot runtime's snake_case shape is recognised.
  assert.equal(isCopilotPayload({ ...claude, transcript_path: '/home/a/.copilot/session-state/s/events.jsonl' }), true);
  for (const value of [null, 'x', [], 1, {}, { session_id: 's' }, { hookEventName: 7 }]) assert.equal(isCopilotPayload(value), false, JSON.stringify(value));
});

test("through Claude Code's settings (--from claude-hook) a Copilot event goes to copilot, marked as delivered that way", () => {
  const payload = load(FIXTURES, 'local-post-tool-use-run-in-terminal-failed.json').payload;
  const entry = claudeHookSource.toEntry(payload, NOW);
  assert.equal(entry.agent, COPILOT_AGENT);
  assert.equal(entry.context.agent_type, COPILOT_AGENT);
  assert.equal((entry.context.custom as Record<string, unknown>).delivered_via, 'claude-settings');
  assert.deepEqual(entry.context.commands_run, ['npm test -- --grep login']);
  const own = copilotHookSource.toEntry(payload, NOW);
  assert.equal((own.context.custom as Record<string, unknown>).delivered_via, 'copilot-hooks');
});

test('malformed payloads give one clear line; a session id alone is enough for an entry', () => {
  for (const [payload, pattern] of [
    [null, /must be a JSON object, got null/],
    ['{"hookEventName":"Stop"}', /must be a JSON object, got a string/],
    [[1], /got an array/],
    [{}, /no "hookEventName"/],
    [{ cwd: '/a' }, /no "hookEventName"/],
  ] as Array<[unknown, RegExp]>) {
    assert.throws(() => copilotHookSource.toEntry(payload, NOW), (error: Error) => {
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    });
  }
  const entry = copilotHookSource.toEntry({ sessionId: 's', whatever: { a: 1 } }, NOW);
  assert.equal(entry.contextType, 'checkpoint');
  assert.deepEqual((entry.context.custom as Record<string, unknown>).hook, { whatever: { a: 1 } });
});

test('secrets in prompts, commands, outputs and unknown fields are redacted', () => {
  const entry = copilotHookSource.toEntry({
    sessionId: 's', hookEventName: 'PostToolUse', timestamp: NOW, tool_name: 'run_in_terminal', tool_use_id: 'c',
    tool_input: { command: 'curl -H "Authorization: Bearer abcdefghijklmnop1234567890" https://x --password=hunter22' },
    tool_response: 'export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nok',
    extra: { api_key: 'sk-live-1234567890abcdefghij' },
  }, NOW);
  const stored = JSON.stringify(entry);
  for (const secret of ['abcdefghijklmnop1234567890', 'hunter22', 'wJalrXUtnFEMI', 'sk-live-1234567890abcdefghij']) {
    assert.ok(!stored.includes(secret), `${secret} redacted`);
  }
  const fetched = copilotHookSource.toEntry(load(FIXTURES, 'local-post-tool-use-fetch-webpage.json').payload, NOW);
  assert.ok(!JSON.stringify(fetched).includes('sk-live-1234567890abcdef'), 'secret in a URL of an unknown tool');
});

test('a huge terminal output keeps its end, where the exit code and the error are', () => {
  const text = `${'x'.repeat(100_000)}\nError: boom\n\nCommand exited with code 3`;
  const entry = copilotHookSource.toEntry({
    sessionId: 's', hookEventName: 'PostToolUse', tool_name: 'run_in_terminal', tool_input: { command: 'make' }, tool_response: text,
  }, NOW);
  const output = (entry.context.custom as { output: { text: string } }).output.text;
  assert.ok(output.length < MAX_OUTPUT_CHARS + 100);
  assert.ok(output.endsWith('Command exited with code 3'));
  assert.equal(entry.context.errors?.[0]?.message, 'make: exit code 3: Error: boom');
});

test("VS Code's and the Copilot runtime's tool names map to the right kind", () => {
  const kinds: Record<string, string> = {
    run_in_terminal: 'terminal', runTerminalCommand: 'terminal', bash: 'terminal', Bash: 'terminal', powershell: 'terminal',
    create_file: 'create', createFile: 'create', copilot_createFile: 'create', create: 'create', Write: 'create',
    replace_string_in_file: 'replace', copilot_replaceString: 'replace', edit: 'replace', Edit: 'replace',
    multi_replace_string_in_file: 'multi-replace', insert_edit_into_file: 'edit', editFiles: 'edit', edit_notebook_file: 'edit',
    apply_patch: 'patch', copilot_applyPatch: 'patch', read_file: 'read', copilot_readFile: 'read', view: 'read', Read: 'read',
    runSubagent: 'subagent', task: 'subagent', Agent: 'subagent', manage_todo_list: 'todo', update_todo: 'todo',
    str_replace_editor: 'str-replace-editor', fetch_webpage: 'other', get_errors: 'other', create_directory: 'other',
  };
  for (const [name, kind] of Object.entries(kinds)) assert.equal(toolKind(name), kind, name);
});

test('a PostToolUse of a tool that reports a failure result type records an error and no file', () => {
  const entry = copilotHookSource.toEntry({
    hook_event_name: 'PostToolUse', session_id: 's', timestamp: NOW, tool_name: 'create', tool_input: { path: '/a/b.ts', file_text: 'x' },
    tool_result: { result_type: 'denied', text_result_for_llm: 'The user denied this tool call' },
  }, NOW);
  assert.deepEqual(entry.context.files, undefined);
  assert.equal(entry.context.errors?.[0]?.message, 'create: The user denied this tool call');
});

test('str_replace_editor commands and patches without contents', () => {
  const base = { sessionId: 's', hookEventName: 'PostToolUse', tool_name: 'str_replace_editor', tool_response: 'ok' };
  const files = (input: Record<string, unknown>) => copilotHookSource.toEntry({ ...base, tool_input: input }, NOW).context.files;
  assert.equal(files({ command: 'view', path: '/a' })?.[0]?.action, 'read');
  assert.deepEqual(files({ command: 'insert', path: '/a', insert_line: 3, new_str: 'a\nb' })?.map((f) => [f.action, f.lines_added, f.lines_removed]), [['modified', 2, 0]]);
  assert.deepEqual(files({ command: 'create', path: '/a', file_text: 'a\n' })?.map((f) => [f.action, f.lines_added]), [['created', 1]]);
  assert.deepEqual(patchChanges('*** Begin Patch\n*** Update File: x.ts\n@@\n-a\n+b\n*** End Patch', NOW).map((f) => [f.path, f.lines_added, f.lines_removed]), [['x.ts', 1, 1]]);
  assert.deepEqual(patchChanges('no patch here', NOW), []);
});
