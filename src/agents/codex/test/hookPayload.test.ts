import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { completeContext } from '../../../core/schema';
import { MAX_OUTPUT_CHARS } from '../../shared/payload';
import { fixturesDir } from '../../shared/testSupport';
import { codexHookToEntry, codexNotifyToEntry, commandText, parsePatch } from '../hookPayload';
import { codex } from '../index';
import { HOOK_EVENTS } from '../installer';

const NOW = '2026-06-14T09:12:03.418Z';
const FIXTURES = fixturesDir(__dirname);

interface Fixture {
  /** Where the payload comes from (a real Codex run, or the published schema). */
  source: string;
  payload: Record<string, unknown>;
  /** `custom.X` keys are checked inside context.custom; null means "absent". */
  expected: { contextType: string; context: Record<string, unknown> };
}

const fixtureNames = fs.readdirSync(FIXTURES).filter((name) => name.endsWith('.json')).sort();
const load = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Fixture;
const isNotify = (fixture: Fixture) => typeof fixture.payload.type === 'string' && fixture.payload.hook_event_name === undefined;
const mapFixture = (fixture: Fixture) => (isNotify(fixture) ? codexNotifyToEntry(fixture.payload, NOW) : codexHookToEntry(fixture.payload, NOW));

test('there is a fixture for every event the installer hooks, and for notify', () => {
  const events = new Set(fixtureNames.map((name) => load(name).payload.hook_event_name));
  for (const event of HOOK_EVENTS) assert.ok(events.has(event), `no fixture for ${event}`);
  assert.ok(fixtureNames.some((name) => isNotify(load(name))), 'no notify fixture');
  for (const name of fixtureNames) assert.ok(load(name).source.length > 10, `${name} says where it comes from`);
});

for (const name of fixtureNames) {
  test(`fixture ${name} becomes the expected entry`, () => {
    const fixture = load(name);
    const entry = mapFixture(fixture);
    assert.equal(entry.contextType, fixture.expected.contextType);
    const context = entry.context as Record<string, unknown>;
    const custom = context.custom as Record<string, unknown>;
    for (const [key, value] of Object.entries(fixture.expected.context)) {
      const actual = key.startsWith('custom.') ? custom[key.slice('custom.'.length)] : context[key];
      if (value === null) assert.equal(actual, undefined, `${key} should be absent`);
      else assert.deepEqual(actual, value, key);
    }
    assert.equal(context.agent_type, 'codex');
    assert.equal(context.extraction_source, 'native');
    assert.equal(context.extraction_started, NOW);
    const sessionId = fixture.payload.session_id ?? fixture.payload['thread-id'];
    assert.equal(context.session_id, sessionId, 'the agent\'s own session id');
    // The crate's schema accepts it once completed.
    assert.equal(completeContext(entry.context, { agentType: 'codex', now: NOW }).agent_type, 'codex');
    // A patch's text never reaches the entry, only paths and counts.
    const input = fixture.payload.tool_input as Record<string, unknown> | undefined;
    if (typeof input?.command === 'string' && input.command.includes('*** Begin Patch')) {
      const body = input.command.split('\n').filter((line) => /^[+-]/.test(line) && line.length > 3);
      for (const line of body) assert.ok(!JSON.stringify(entry).includes(line.slice(1)), `${name} stores patch content: ${line}`);
    }
  });
}

test('the hook sources are registered as codex-hook (stdin) and codex-notify (last argument)', () => {
  assert.deepEqual(codex.hookSources.map((s) => [s.id, s.agent, s.payloadFrom]), [
    ['codex-hook', 'codex', 'stdin'], ['codex-notify', 'codex', 'last-argument'],
  ]);
  const entry = codex.hookSources[1]!.toEntry(load('notify-turn-complete.json').payload, NOW);
  assert.equal(entry.agent, 'codex');
  assert.equal(entry.context.conversation?.length, 2);
});

test('malformed payloads give one clear line', () => {
  const cases: Array<[(p: unknown) => unknown, unknown, RegExp]> = [
    [codexHookToEntry, null, /must be a JSON object, got null/],
    [codexHookToEntry, [1], /got an array/],
    [codexHookToEntry, '{"hook_event_name":"Stop"}', /got a string/],
    [codexHookToEntry, {}, /no "hook_event_name" string/],
    [codexHookToEntry, { hook_event_name: '' }, /no "hook_event_name" string/],
    [codexNotifyToEntry, 7, /must be a JSON object, got a number/],
    [codexNotifyToEntry, { 'thread-id': 'x' }, /no "type" string/],
  ];
  for (const [map, payload, pattern] of cases) {
    assert.throws(() => map(payload), (error: Error) => {
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
  }
});

test('huge shell output is capped, keeping its end', () => {
  const entry = codexHookToEntry({
    hook_event_name: 'PostToolUse', session_id: 's', tool_name: 'Bash',
    tool_input: { command: 'cat big.log' }, tool_response: `${'x'.repeat(200_000)}\nfatal: THE END`,
  }, NOW);
  const output = (entry.context.custom as { output: { text: string } }).output.text;
  assert.ok(output.length < MAX_OUTPUT_CHARS + 100, `kept ${output.length}`);
  assert.ok(output.endsWith('fatal: THE END'));
  assert.match(entry.context.errors?.[0]?.message ?? '', /cat big\.log: fatal: THE END/);
});

test('a successful command whose output merely mentions errors is not a failure when the exit code says 0', () => {
  const entry = codexHookToEntry({
    hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'grep -c error log' },
    tool_response: 'Exit code: 0\nWall time: 0 seconds\nOutput:\nerror: 3\n',
  }, NOW);
  assert.equal(entry.context.errors, undefined);
  assert.equal((entry.context.custom as Record<string, unknown>).exit_code, 0);
});

test('secrets in commands and prompts are redacted', () => {
  const entry = codexHookToEntry({
    hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'curl -H "Authorization: Bearer abcdef1234567890" https://x' },
    tool_response: '',
  }, NOW);
  assert.ok(!JSON.stringify(entry).includes('abcdef1234567890'));
  const prompt = codexHookToEntry({ hook_event_name: 'UserPromptSubmit', prompt: 'use OPENAI_API_KEY=sk-proj-abcdefghijklmnop' }, NOW);
  assert.ok(!JSON.stringify(prompt).includes('sk-proj-abcdefghijklmnop'));
});

test('commandText reads strings, argv arrays and shell wrappers', () => {
  assert.equal(commandText({ command: 'ls -la' }), 'ls -la');
  assert.equal(commandText({ command: ['bash', '-lc', 'npm test && echo ok'] }), 'npm test && echo ok');
  assert.equal(commandText({ command: ['/bin/zsh', '-c', 'make'] }), 'make');
  assert.equal(commandText({ command: ['git', 'commit', '-m', 'two words'] }), "git commit -m 'two words'");
  assert.equal(commandText({ cmd: 'pwd' }), 'pwd');
  assert.equal(commandText({ command: 42 }), '');
});

test('parsePatch counts lines per file and keeps a file named twice once', () => {
  assert.deepEqual(parsePatch('*** Begin Patch\r\n*** Add File: a.txt\r\n+1\r\n+2\r\n+3\r\n*** Update File: a.txt\r\n@@\r\n-2\r\n+two\r\n*** End Patch\r\n'), [
    { path: 'a.txt', action: 'created', lines_added: 4, lines_removed: 1 },
  ]);
  assert.deepEqual(parsePatch('*** Begin Patch\n*** Update File: b.ts\n@@ class B\n context\n-old\n+new\n@@ other\n-gone\n*** End Patch'), [
    { path: 'b.ts', action: 'modified', lines_added: 1, lines_removed: 2 },
  ]);
  assert.deepEqual(parsePatch('no patch here'), []);
});
