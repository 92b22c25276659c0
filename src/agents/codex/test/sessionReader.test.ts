// Codex's own rollouts -> buffer entries: a real one (fixtures/sessions/README.md) and the older
// shapes of the published format.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { completeContext } from '../../../core/schema';
import { fixturesDir } from '../../shared/testSupport';
import { codexSessions, readCodexSession } from '../sessionReader';

const FIXTURE = path.join(fixturesDir(__dirname), 'sessions', 'real-rollout.jsonl');
const SESSION = '01a23467-a621-7673-8af4-ec543f213aee';
const temps: string[] = [];
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

test('a real rollout: the prompt, the commands with their exit status, the patched file, the answer, the start', async () => {
  const { records, problems } = await readCodexSession(FIXTURE, { offset: 0, line: 1 });
  assert.deepEqual(problems, []);
  assert.deepEqual(records.map((r) => [r.id, r.contextType]), [
    [`native-codex-${SESSION}-start`, 'session-start'],
    [`native-codex-${SESSION}-L8`, 'checkpoint'],
    [`native-codex-${SESSION}-call_ok`, 'tool-use'],
    [`native-codex-${SESSION}-call_fail`, 'tool-use'],
    [`native-codex-${SESSION}-call_patch`, 'tool-use'],
    [`native-codex-${SESSION}-L26`, 'checkpoint'],
  ]);
  const [, prompt, ok, fail, patch, answer] = records;
  assert.equal(prompt!.context.conversation![0]!.content.startsWith('Add a notes file'), true);
  assert.deepEqual(ok!.context.commands_run, ['echo hello-nexus']);
  assert.deepEqual(ok!.context.errors ?? [], []);
  assert.deepEqual(fail!.context.commands_run, ['ls /nonexistent-nexus-dir']);
  assert.match(fail!.context.errors![0]!.message, /exit code 2: ls: cannot access/);
  assert.deepEqual(patch!.context.files!.map((f) => [f.path, f.action, f.lines_added]), [['/tmp/fixture/project/notes.txt', 'created', 2]]);
  assert.equal(answer!.context.conversation![0]!.content, 'All done: notes.txt added.');
  const lines = readFileSync(FIXTURE, 'utf8').split('\n');
  for (const r of records) {
    assert.equal(r.context.session_id, SESSION);
    assert.equal(r.context.extraction_source, 'native');
    const custom = r.context.custom as { source_file: string; source_line: number };
    assert.equal(custom.source_file, FIXTURE);
    assert.equal(r.timestamp, JSON.parse(lines[custom.source_line - 1]!).timestamp);
    completeContext(r.context, { agentType: 'codex' });
  }
});

test('the older shapes: a shell call with an argv, its output as JSON with metadata.exit_code, a compaction; unknown types reported', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-codex-sessions-'));
  temps.push(dir);
  const file = path.join(dir, 'rollout-2025-09-01T10-00-00-0198f0aa-1111-7222-8333-944445555666.jsonl');
  const at = '2025-09-01T10:00:01.000Z';
  writeFileSync(file, [
    { timestamp: at, type: 'session_meta', payload: { id: '0198f0aa-1111-7222-8333-944445555666', timestamp: at, cwd: '/home/dev/app', originator: 'codex_cli_rs', cli_version: '0.30.0' } },
    { timestamp: at, type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/home/dev/app</cwd>\n</environment_context>' }] } },
    { timestamp: at, type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'run the tests' }] } },
    { timestamp: at, type: 'response_item', payload: { type: 'function_call', name: 'shell', arguments: '{"command":["bash","-lc","npm test"],"workdir":"/home/dev/app"}', call_id: 'call_1' } },
    { timestamp: at, type: 'response_item', payload: { type: 'function_call_output', call_id: 'call_1', output: '{"output":"1 failing\\nError: expected 2","metadata":{"exit_code":1,"duration_seconds":0.5}}' } },
    { timestamp: at, type: 'compacted', payload: { message: 'Tests fail in parser.spec.ts.' } },
    { timestamp: at, type: 'something_new', payload: {} },
  ].map((l) => JSON.stringify(l)).join('\n') + '\n');
  const { records, problems } = await readCodexSession(file, { offset: 0, line: 1 });
  assert.deepEqual(records.map((r) => r.contextType), ['session-start', 'checkpoint', 'tool-use', 'compact']);
  assert.deepEqual(records[2]!.context.commands_run, ['npm test']);
  assert.match(records[2]!.context.errors![0]!.message, /exit code 1/);
  assert.match(records[3]!.context.insights![0]!, /parser\.spec\.ts/);
  assert.deepEqual(problems.map((p) => [p.line, p.message.slice(0, 33)]), [[7, 'unknown line type "something_new"']]);
});

test('list: $CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl with its project and first prompt', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'nexus-codex-home-'));
  temps.push(home);
  const day = path.join(home, 'sessions', '2026', '12', '02');
  mkdirSync(day, { recursive: true });
  writeFileSync(path.join(day, `rollout-2026-12-02T01-38-57-${SESSION}.jsonl`), readFileSync(FIXTURE));
  const [info] = await codexSessions.list({ home: '/nonexistent', env: { CODEX_HOME: home } });
  assert.equal(info!.sessionId, SESSION);
  assert.equal(info!.project, '/tmp/fixture/project');
  assert.equal(info!.firstPrompt, 'Add a notes file, and check the folder');
});
