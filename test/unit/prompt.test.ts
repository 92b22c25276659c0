import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPrompt } from '../../src/handoff/prompt';
import { completeContext, type BufferData, type BufferEntry, type PartialSessionContext } from '../../src/core/schema';

function at(minute: number): string {
  return `2026-06-14T09:${String(minute).padStart(2, '0')}:00.000Z`;
}
function entry(minute: number, context: PartialSessionContext, type = 'checkpoint'): BufferEntry {
  return { timestamp: at(minute), context_type: type, context: completeContext({ session_id: 's-1', ...context }, { agentType: 'claude-code', now: at(minute) }) };
}
function buffer(entries: BufferEntry[]): BufferData {
  return { started_at: at(0), last_flush: null, agent_type: 'claude-code', entries };
}

const session = buffer([
  entry(1, { conversation: [{ role: 'user', content: 'OLD REQUEST: set up the project', timestamp: at(1) }], custom: { cwd: '/home/ann/app' } }),
  entry(2, { files: [{ path: 'src/auth.ts', action: 'created', lines_added: 10, lines_removed: 0, timestamp: at(2) }], commands_run: ['npm test'] }),
  entry(3, { decisions: [{ summary: 'Use JWT in the header', rationale: 'cookies break the CLI', alternatives: ['cookies'], impact: null, timestamp: at(3) }] }),
  entry(4, { files: [{ path: 'src/auth.ts', action: 'modified', lines_added: 2, lines_removed: 1, timestamp: at(4) }, { path: 'README.md', action: 'read', lines_added: null, lines_removed: null, timestamp: at(4) }], commands_run: ['npm test'] }),
  entry(5, { errors: [{ error_type: 'command_failed', message: 'npm test: 1 failing', stack_trace: null, timestamp: at(5) }] }, 'error'),
  entry(6, { tasks: [{ description: 'Write the docs', status: 'pending', started_at: null, completed_at: null, subagent: null }, { description: 'Fix the login test', status: 'in_progress', started_at: at(6), completed_at: null, subagent: null }] }),
  entry(7, { conversation: [{ role: 'user', content: 'NEW REQUEST: make the login test pass', timestamp: at(7) }, { role: 'assistant', content: 'Working on it.', timestamp: at(7) }], custom: { cwd: '/home/ann/app', git_branch: 'fix-login' } }),
]);

test('a brief with every section, newest and most important first', () => {
  const text = renderPrompt(session, { maxCharacters: 10_000 });
  assert.match(text, /^# Resume: claude-code session\n/);
  assert.match(text, /7 buffered entries from 2026-06-14 09:01:00 UTC to 2026-06-14 09:07:00 UTC/);
  assert.match(text, /session `s-1`, in `\/home\/ann\/app`, on branch `fix-login`/);
  const order = ['## Latest requests', '## Last reply', '## Decisions', '## Errors', '## Files changed', '## Tasks', '## Commands run', '## Files read'];
  const positions = order.map((heading) => text.indexOf(heading));
  assert.ok(positions.every((p) => p > 0), `all sections present: ${positions.join(',')}`);
  assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'sections in priority order');
  assert.ok(text.indexOf('NEW REQUEST') < text.indexOf('OLD REQUEST'), 'newest request first');
  assert.match(text, /> NEW REQUEST: make the login test pass/);
  assert.match(text, /- `src\/auth\.ts` created \+12 −1 \(2 changes\)/, 'one line per file, counts summed, created kept');
  assert.match(text, /- `npm test` ×2/);
  assert.ok(text.indexOf('[in progress] Fix the login test') < text.indexOf('[pending] Write the docs'), 'open work first');
  assert.match(text, /Use JWT in the header — because cookies break the CLI \(instead of cookies\)/);
  assert.ok(!text.includes('Left out'), 'nothing left out');
});

test('the size limit is honoured, and what is left out is said', () => {
  const many = buffer(Array.from({ length: 300 }, (_, i) => entry(i % 60, {
    commands_run: [`command number ${i} ${'x'.repeat(40)}`],
    errors: [{ error_type: 'e', message: `error number ${i}`, stack_trace: null, timestamp: at(i % 60) }],
    conversation: [{ role: 'user', content: `request ${i}`, timestamp: at(i % 60) }],
  })));
  for (const max of [600, 1_000, 2_000, 4_000]) {
    const text = renderPrompt(many, { maxCharacters: max });
    assert.ok(text.length <= max, `${text.length} > ${max}`);
    assert.match(text, /Left out to stay under \d+ characters.*\d+ commands/);
  }
  const text = renderPrompt(many, { maxCharacters: 4_000 });
  // Every section got its first items before any section got more.
  assert.match(text, /## Latest requests/);
  assert.match(text, /## Errors/);
  assert.match(text, /## Commands run/);
});

test('a limit smaller than the header still returns at most that many characters', () => {
  for (const max of [1, 10, 50]) assert.ok(renderPrompt(session, { maxCharacters: max }).length <= max);
});

test('an empty buffer says so', () => {
  const text = renderPrompt(buffer([]), { maxCharacters: 1_000 });
  assert.match(text, /buffer is empty/);
});

test('long prompts are capped so one cannot eat the whole brief', () => {
  const long = buffer([entry(1, { conversation: [{ role: 'user', content: 'y'.repeat(50_000), timestamp: at(1) }], commands_run: ['make'] })]);
  const text = renderPrompt(long, { maxCharacters: 5_000 });
  assert.ok(text.length < 2_500, `${text.length}`);
  assert.match(text, /`make`/);
});

test('a compaction summary gets its own section, whole; a subagent recorded three times is one line', () => {
  const longSummary = `The user is fixing the login test. ${'Details of the work so far. '.repeat(40)}END-OF-SUMMARY`;
  const run = (status: string, task: string, result: string | null, minute: number) => ({
    subagent_type: 'Explore', task, status, started_at: at(minute), completed_at: status === 'completed' ? at(minute) : null, result_summary: result, agent_id: 'a-7',
  });
  const data = buffer([
    entry(1, { subagent_executions: [run('async_launched', 'find the flaky test', null, 1)] }, 'tool-use'),
    entry(2, { subagent_executions: [run('running', 'agent a-7', null, 2)] }),
    entry(3, { subagent_executions: [run('completed', 'agent a-7', 'login.test.ts races the mock server', 3)] }),
    entry(4, { insights: [`Summary of the compacted conversation (manual):\n\n${longSummary}`] }, 'compact'),
    entry(5, { insights: ['cache keys are per tenant'] }),
  ]);
  const text = renderPrompt(data, { maxCharacters: 20_000 });
  assert.match(text, /## Summary of the conversation before the last compaction\n/);
  assert.ok(text.includes('END-OF-SUMMARY'), 'the summary is not cut at an insight\'s 400 characters');
  assert.ok(!/## Insights[\s\S]*Summary of the compacted conversation/.test(text), 'not repeated as an insight');
  assert.match(text, /- cache keys are per tenant/);
  const subagentLines = text.split('\n').filter((line) => line.startsWith('- Explore:'));
  assert.deepEqual(subagentLines, ['- Explore: find the flaky test (completed) — login.test.ts races the mock server']);
});
