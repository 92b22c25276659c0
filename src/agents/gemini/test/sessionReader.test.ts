// Gemini CLI's own chats -> buffer entries: a real JSON-lines chat (fixtures/sessions/README.md)
// and the older one-document chat of the published format.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { completeContext } from '../../../core/schema';
import { fixturesDir } from '../../shared/testSupport';
import { geminiSessions, readGeminiSession } from '../sessionReader';

const FIXTURE = path.join(fixturesDir(__dirname), 'sessions', 'real-chat.jsonl');
const SESSION = '1efe1093-e1cb-4254-ad26-59aa237bef5a';
const temps: string[] = [];
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

test('a real chat: the start, the prompt, each finished tool call once (a message is written twice), the answer', async () => {
  const { records, problems } = await readGeminiSession(FIXTURE, { offset: 0, line: 1 });
  assert.deepEqual(problems, []);
  assert.equal(new Set(records.map((r) => r.id)).size, records.length, 'one record per id');
  assert.deepEqual(records.map((r) => r.contextType), ['session-start', 'checkpoint', 'tool-use', 'error', 'tool-use', 'tool-use', 'checkpoint']);
  assert.equal(records[1]!.context.conversation![0]!.content, 'Run the e2e steps (e9cd6115)');
  assert.deepEqual(records.flatMap((r) => r.context.commands_run ?? []), ['echo e2e-ok-e9cd6115', 'ls /nonexistent-nexus-e9cd6115']);
  assert.match(records[3]!.context.errors![0]!.message, /No such file or directory/);
  assert.deepEqual(records.flatMap((r) => r.context.files ?? []).map((f) => [f.path, f.action]), [
    ['/tmp/fixture/project/notes.txt', 'created'], ['/tmp/fixture/project/notes.txt', 'modified'],
  ]);
  assert.equal(records[6]!.context.conversation![0]!.content, 'All steps done (e9cd6115).');
  for (const r of records) {
    assert.equal(r.context.session_id, SESSION);
    assert.equal(r.context.extraction_source, 'native');
    assert.match(r.id, /^native-gemini-/);
    completeContext(r.context, { agentType: 'gemini' });
  }
});

test('read again from its offset after it grew, it adds only the new message', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-gemini-sessions-'));
  temps.push(dir);
  const file = path.join(dir, 'session-x.jsonl');
  writeFileSync(file, readFileSync(FIXTURE));
  const first = await readGeminiSession(file, { offset: 0, line: 1 });
  writeFileSync(file, `${JSON.stringify({ id: 'm-new', timestamp: '2026-12-02T01:40:00.000Z', type: 'user', content: [{ text: 'one more thing' }] })}\n`, { flag: 'a' });
  const second = await readGeminiSession(file, first.next);
  assert.deepEqual(second.records.map((r) => [r.id, r.context.conversation?.[0]?.content]), [['native-gemini-m-new', 'one more thing']]);
});

test('an older one-document chat (session-*.json), and list with the project from projects.json ($GEMINI_CLI_HOME)', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'nexus-gemini-home-'));
  temps.push(home);
  const chats = path.join(home, '.gemini', 'tmp', 'app', 'chats');
  mkdirSync(chats, { recursive: true });
  writeFileSync(path.join(home, '.gemini', 'projects.json'), JSON.stringify({ projects: { '/home/dev/app': 'app' } }));
  const at = '2025-10-01T08:00:00.000Z';
  writeFileSync(path.join(chats, 'session-2025-10-01T08-00-abcd1234.json'), JSON.stringify({
    sessionId: 'abcd1234-0000-4000-8000-000000000000', projectHash: 'ff', startTime: at, lastUpdated: at,
    messages: [
      { id: 'u1', timestamp: at, type: 'user', content: 'fix the build' },
      { id: 'g1', timestamp: at, type: 'gemini', content: 'Done.', toolCalls: [{ id: 't1', name: 'run_shell_command', args: { command: 'make' }, status: 'error', resultDisplay: 'make: *** [all] Error 2', timestamp: at }] },
      { id: 'w1', timestamp: at, type: 'mystery', content: 'x' },
    ],
  }));
  const [info] = await geminiSessions.list({ home: '/nonexistent', env: { GEMINI_CLI_HOME: home } });
  assert.equal(info!.project, '/home/dev/app');
  assert.equal(info!.firstPrompt, 'fix the build');
  const { records, problems } = await readGeminiSession(info!.file, { offset: 0, line: 1 });
  assert.deepEqual(records.map((r) => r.id), ['native-gemini-abcd1234-0000-4000-8000-000000000000-start', 'native-gemini-u1', 'native-gemini-g1', 'native-gemini-t1']);
  assert.deepEqual(records[3]!.context.commands_run, ['make']);
  assert.equal(records[3]!.contextType, 'error');
  assert.match(problems[0]!.message, /unknown message type "mystery"/);
});
