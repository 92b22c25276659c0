import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { completeContext } from '../../../core/schema';
import { MAX_OUTPUT_CHARS } from '../../shared/payload';
import { fixturesDir } from '../../shared/testSupport';
import { cursorHookSource } from '../index';
import { cursorHookToEntry } from '../hookPayload';
import { ANSWERING_EVENTS, HOOK_EVENTS } from '../installer';

const NOW = '2026-06-14T09:12:03.418Z';
// Compiled to out/src/agents/cursor/test; the fixtures stay in the source tree.
const FIXTURES = fixturesDir(__dirname);

interface Fixture {
  source: string;
  payload: Record<string, unknown>;
  /** A null in `context` means: absent (or null). */
  expected: { contextType: string; context: Record<string, unknown> };
}

const fixtureNames = fs.readdirSync(FIXTURES).filter((name) => name.endsWith('.json')).sort();
const load = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Fixture;

test('there is a fixture for every event the installer hooks, and for the answering ones', () => {
  const events = new Set(fixtureNames.map((name) => load(name).payload.hook_event_name));
  for (const event of [...HOOK_EVENTS, 'beforeSubmitPrompt', 'beforeShellExecution', 'beforeMCPExecution', 'beforeReadFile']) {
    assert.ok(events.has(event), `no fixture for ${event}`);
  }
  for (const name of fixtureNames) assert.ok(load(name).source, `${name} says where its payload comes from`);
});

for (const name of fixtureNames) {
  test(`fixture ${name} becomes the expected entry`, () => {
    const fixture = load(name);
    const entry = cursorHookToEntry(fixture.payload, NOW);
    assert.equal(entry.contextType, fixture.expected.contextType);
    for (const [key, value] of Object.entries(fixture.expected.context)) {
      const actual = (entry.context as Record<string, unknown>)[key];
      if (value === null) assert.ok(actual === undefined || actual === null, `context.${key} should be absent, is ${JSON.stringify(actual)}`);
      else assert.deepEqual(actual, value, `context.${key}`);
    }
    assert.equal(entry.context.extraction_started, NOW);
    assert.equal(entry.context.agent_type, 'cursor');
    assert.equal(entry.context.extraction_source, 'native');
    // The crate's schema accepts it once completed.
    completeContext(entry.context, { agentType: 'cursor', now: NOW });
    const stored = JSON.stringify(entry);
    // File contents and the user's e-mail never reach the entry.
    assert.ok(!stored.includes('dev@example.com'), `${name} stores the user's e-mail`);
    if (typeof fixture.payload.content === 'string') assert.ok(!stored.includes('secret-password'), `${name} stores file content`);
    for (const edit of (fixture.payload.edits ?? []) as Array<{ new_string: string }>) {
      assert.ok(!stored.includes(JSON.stringify(edit.new_string).slice(1, -1)), `${name} stores edit text`);
    }
  });
}

test('session_id is the conversation id; every context type is in the crate vocabulary', () => {
  const known = new Set(['extraction', 'checkpoint', 'session-start', 'tool-use', 'session-end', 'compact', 'error']);
  for (const name of fixtureNames) {
    const fixture = load(name);
    const entry = cursorHookToEntry(fixture.payload, NOW);
    assert.ok(known.has(entry.contextType), name);
    assert.equal(entry.context.session_id, fixture.payload.conversation_id ?? null, name);
  }
});

test('the hook source routes to the cursor buffer', () => {
  const entry = cursorHookSource.toEntry(load('stop.json').payload, NOW);
  assert.equal(entry.agent, 'cursor');
  assert.equal(cursorHookSource.id, 'cursor-hook');
  assert.equal(cursorHookSource.payloadFrom, 'stdin');
});

test('the installer never hooks an event whose stdout Cursor reads as a decision', () => {
  for (const event of ANSWERING_EVENTS) assert.ok(!(HOOK_EVENTS as readonly string[]).includes(event), event);
});

test('malformed payloads give one clear line', () => {
  for (const [payload, pattern] of [
    [null, /must be a JSON object, got null/],
    ['{"hook_event_name":"stop"}', /must be a JSON object, got a string/],
    [[1, 2], /got an array/],
    [{}, /no "hook_event_name" string/],
    [{ hook_event_name: 3 }, /no "hook_event_name" string/],
    [{ hook_event_name: ' ' }, /no "hook_event_name" string/],
  ] as Array<[unknown, RegExp]>) {
    assert.throws(() => cursorHookToEntry(payload, NOW), (error: Error) => {
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    });
  }
});

test('huge terminal output is capped, keeping its end; huge unknown fields too', () => {
  const output = `${'x'.repeat(300_000)}\nerror: THE END`;
  const entry = cursorHookToEntry({ hook_event_name: 'afterShellExecution', conversation_id: 'c', command: 'make', output, future: 'y'.repeat(100_000) }, NOW);
  const custom = entry.context.custom as Record<string, unknown>;
  const kept = custom.output as string;
  assert.ok(kept.length < MAX_OUTPUT_CHARS + 100, `kept ${kept.length} characters`);
  assert.match(kept, /^\[truncated \d+ earlier characters\]/);
  assert.ok(kept.endsWith('error: THE END'));
  assert.ok(JSON.stringify(entry).length < 20_000, `entry is ${JSON.stringify(entry).length} characters`);
  assert.match(String((custom.hook as Record<string, unknown>).future), /\[truncated/);
});

test('a huge prompt is capped; secrets in commands are redacted', () => {
  const prompt = cursorHookToEntry({ hook_event_name: 'beforeSubmitPrompt', prompt: 'p'.repeat(100_000) }, NOW);
  assert.ok(prompt.context.conversation![0]!.content.length < 17_000);
  const shell = cursorHookToEntry({ hook_event_name: 'afterShellExecution', command: 'curl -H "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789" https://x' }, NOW);
  assert.ok(!JSON.stringify(shell).includes('abcdefghijklmnopqrstuvwxyz0123456789'), JSON.stringify(shell.context.commands_run));
});

test('unexpected shapes of known fields are no error', () => {
  for (const payload of [
    { hook_event_name: 'afterFileEdit', file_path: 7, edits: 'nope' },
    { hook_event_name: 'afterMCPExecution', tool_input: '{not json', result_json: 42 },
    { hook_event_name: 'postToolUse', tool_name: 'Shell', tool_input: 'ls', tool_output: 'plain text' },
    { hook_event_name: 'subagentStop', duration_ms: -5, status: 'weird' },
    { hook_event_name: 'stop', status: null },
    { hook_event_name: 'beforeSubmitPrompt', attachments: [1, { type: 'file' }] },
  ]) {
    const entry = cursorHookToEntry(payload, NOW);
    completeContext(entry.context, { agentType: 'cursor', now: NOW });
  }
  const edit = cursorHookToEntry({ hook_event_name: 'afterFileEdit', file_path: '/a.ts', edits: 'nope' }, NOW);
  assert.deepEqual(edit.context.files?.map((f) => [f.lines_added, f.lines_removed]), [[null, null]]);
  const sub = cursorHookToEntry({ hook_event_name: 'subagentStop', subagent_type: 'shell', status: 'error', task: 'run the tests' }, NOW);
  assert.equal(sub.contextType, 'error');
  assert.equal(sub.context.subagent_executions![0]!.status, 'failed');
  assert.equal(sub.context.subagent_executions![0]!.started_at, NOW);
});
