// Claude Code's own transcript -> buffer entries (a real one, made by the real Claude Code
// offline: fixtures/sessions/README.md), and the restore of a lost session file from them.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { completeContext, type BufferEntry } from '../../../core/schema';
import { fixturesDir } from '../../shared/testSupport';
import type { SessionRecord } from '../../types';
import { planRestore, writeRestore } from '../restoreSession';
import { claudeSessions, projectFolderName, readClaudeSession } from '../sessionReader';

const FIXTURE = path.join(fixturesDir(__dirname), 'sessions', 'real-session.jsonl');
const META = JSON.parse(readFileSync(path.join(fixturesDir(__dirname), 'sessions', 'real-session.meta.json'), 'utf8')) as { sessionId: string; cwd: string };
const SESSION = META.sessionId;
const temps: string[] = [];
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const tmp = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-claude-sessions-'));
  temps.push(dir);
  return dir;
};
const lines = readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean);
const byType = (type: string) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((v) => v.type === type);

test('a real transcript: every user, assistant and system line is one entry with the id native-claude-code-<uuid>, its time, file and line', async () => {
  const { records, problems } = await readClaudeSession(FIXTURE, { offset: 0, line: 1 });
  assert.deepEqual(problems, [], 'the real transcript has no problem lines');
  const conversational = [...byType('user'), ...byType('assistant'), ...byType('system')];
  for (const v of conversational) {
    const record = records.find((r) => r.id === `native-claude-code-${v.uuid as string}`);
    assert.ok(record, `no entry for the ${v.type as string} line ${v.uuid as string}`);
    assert.equal(record.timestamp, v.timestamp);
    assert.equal(record.context.session_id, SESSION);
    assert.equal(record.context.extraction_source, 'native');
    assert.equal((record.context.custom as any).source_file, FIXTURE);
    assert.equal(lines[(record.context.custom as any).source_line - 1], (record.context.custom as any).transcript.line);
  }
  assert.equal(records.filter((r) => r.contextType === 'session-start').length, 1);
  // Attachment lines and bookkeeping give no entry.
  assert.equal(records.length, conversational.length + 1);
  // Every record is a context the crate reads.
  for (const r of records) completeContext(r.context, { agentType: 'claude-code' });
});

test('a real transcript: the prompt, the commands with their outcome, the files, the subagent, the decision, the compaction summary', async () => {
  const { records } = await readClaudeSession(FIXTURE, { offset: 0, line: 1 });
  const all = (key: 'conversation' | 'commands_run' | 'files' | 'errors' | 'subagent_executions' | 'decisions' | 'insights'): any[] =>
    records.flatMap((r) => (r.context[key] ?? []) as unknown[]);
  assert.deepEqual(all('conversation').filter((m) => m.role === 'user').map((m) => m.content), ['[[e2e:main]] Check the build and write the notes.', '/compact']);
  assert.ok(all('conversation').some((m) => m.role === 'assistant' && m.content.startsWith('All steps done')));
  assert.deepEqual(all('commands_run'), ['echo build-ok', 'echo missing-config >&2; exit 3']);
  const errors = all('errors');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.error_type, 'command_failed');
  assert.match(errors[0]!.message, /exit code 3: missing-config/);
  assert.deepEqual(all('files').map((f) => [f.path, f.action, f.lines_added, f.lines_removed]), [
    ['/home/dev/shop/notes.txt', 'created', 2, 0],
    ['/home/dev/shop/notes.txt', 'modified', 1, 1],
  ]);
  const sub = all('subagent_executions');
  assert.equal(sub.length, 1);
  assert.equal(sub[0]!.task, 'Check the notes');
  assert.match(String(sub[0]!.result_summary), /alpha and gamma/);
  assert.deepEqual(all('decisions').map((d) => [d.summary, d.rationale]), [['keep the notes in notes.txt rather than the README', 'the README is generated']]);
  assert.ok(all('insights').some((i) => i.includes('notes.txt holds alpha and gamma')), 'the compaction summary is not kept');
  assert.equal(records.find((r) => r.context.insights?.length)?.contextType, 'compact');
});

test('read in two steps (a file that grew), it gives the same entries: the tool calls are paired across the steps', async () => {
  const whole = await readClaudeSession(FIXTURE, { offset: 0, line: 1 });
  const dir = tmp();
  const file = path.join(dir, `${SESSION}.jsonl`);
  const half = lines.findIndex((l) => l.includes('"tool_result"')); // the first tool result comes in the second step
  writeFileSync(file, `${lines.slice(0, half).join('\n')}\n`);
  const first = await readClaudeSession(file, { offset: 0, line: 1 });
  writeFileSync(file, `${lines.join('\n')}\n`);
  const second = await readClaudeSession(file, { ...first.next });
  const strip = (r: SessionRecord) => ({ ...r, context: { ...r.context, custom: { ...(r.context.custom as object), source_file: undefined } } });
  assert.deepEqual([...first.records, ...second.records].map(strip), whole.records.map(strip));
});

test('a torn last line, NUL bytes, a line that is not JSON and an unknown type: the rest is read, each reported with file and line', async () => {
  const dir = tmp();
  const file = path.join(dir, `${SESSION}.jsonl`);
  const unknown = JSON.stringify({ type: 'brand-new-kind', sessionId: SESSION });
  const text = [lines[2], 'garbage {', `\u0000\u0000${lines[3]}`, unknown, ...lines.slice(4, -1), lines[lines.length - 1]!.slice(0, 30)].join('\n');
  writeFileSync(file, text);
  const { records, problems } = await readClaudeSession(file, { offset: 0, line: 1 });
  assert.deepEqual(problems.map((p) => [p.file, p.line]), [[file, 2], [file, 3], [file, 4], [file, lines.length]]);
  assert.match(problems[0]!.message, /not JSON/);
  assert.match(problems[1]!.message, /NUL/);
  assert.match(problems[2]!.message, /unknown line type "brand-new-kind"/);
  assert.match(problems[3]!.message, /torn/);
  const prompt = JSON.parse(lines[2]!) as { uuid: string };
  assert.ok(records.some((r) => r.id === `native-claude-code-${prompt.uuid}`), 'the valid line before the bad ones was not read');
  assert.ok(records.some((r) => r.context.commands_run?.includes('echo build-ok')), 'the valid lines after the bad ones were not read');
});

test('list: the session of a project folder with its project, first prompt, time and size ($CLAUDE_CONFIG_DIR honoured)', async () => {
  const config = tmp();
  const folder = path.join(config, 'projects', projectFolderName(META.cwd));
  mkdirSync(path.join(folder, SESSION, 'subagents'), { recursive: true });
  writeFileSync(path.join(folder, `${SESSION}.jsonl`), readFileSync(FIXTURE));
  writeFileSync(path.join(folder, SESSION, 'subagents', 'agent-1.jsonl'), '{}\n');
  const sessions = await claudeSessions.list({ home: '/nonexistent', env: { CLAUDE_CONFIG_DIR: config } });
  assert.equal(sessions.length, 1, 'a subagent file is not a session');
  assert.equal(projectFolderName('/home/dev/shop'), '-home-dev-shop');
  assert.deepEqual({ ...sessions[0], modifiedAt: undefined }, {
    agent: 'claude-code', file: path.join(folder, `${SESSION}.jsonl`), sessionId: SESSION, project: META.cwd,
    firstPrompt: '[[e2e:main]] Check the build and write the notes.', startedAt: lines.map((l) => JSON.parse(l).timestamp).find(Boolean),
    modifiedAt: undefined, bytes: readFileSync(FIXTURE).length,
  });
});

function asEntries(records: SessionRecord[]): BufferEntry[] {
  return records.map((r) => ({ timestamp: r.timestamp, context_type: r.contextType, context: completeContext(r.context, { agentType: 'claude-code' }), id: r.id }));
}

test('restore: writes the session back where Claude Code keeps it, its conversation lines as they were, the parent chain whole', async () => {
  const { records } = await readClaudeSession(FIXTURE, { offset: 0, line: 1 });
  const config = tmp();
  const places = { home: '/nonexistent', env: { CLAUDE_CONFIG_DIR: config } };
  // Entries in any order (a buffer sorts by time; several imports interleave): the file keeps the original order.
  const plan = planRestore(asEntries(records).reverse(), SESSION, places);
  const file = await writeRestore(plan, places);
  assert.equal(file, path.join(config, 'projects', '-home-dev-shop', `${SESSION}.jsonl`));
  const written = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const kept = lines.filter((l) => ['user', 'assistant', 'system'].includes(JSON.parse(l).type));
  assert.equal(written.length, kept.length);
  const uuids = new Set(written.map((l) => JSON.parse(l).uuid));
  written.forEach((line, i) => {
    const value = JSON.parse(line);
    if (line !== kept[i]) {
      // Only the parent changes, to the nearest kept ancestor (the attachments between are not kept).
      assert.deepEqual({ ...value, parentUuid: 'x' }, { ...JSON.parse(kept[i]!), parentUuid: 'x' });
    }
    assert.ok(value.parentUuid === null || uuids.has(value.parentUuid), `line ${i + 1}: parent ${value.parentUuid} is not in the file`);
  });
  assert.ok(written.filter((l, i) => l === kept[i]).length >= kept.length / 2, 'most lines are written exactly as they were');
});

test('restore refuses to overwrite: Claude Code still has the session in some project folder', async () => {
  const { records } = await readClaudeSession(FIXTURE, { offset: 0, line: 1 });
  const config = tmp();
  const places = { home: '/nonexistent', env: { CLAUDE_CONFIG_DIR: config } };
  const elsewhere = path.join(config, 'projects', '-somewhere-else');
  mkdirSync(elsewhere, { recursive: true });
  writeFileSync(path.join(elsewhere, `${SESSION}.jsonl`), 'the agent’s own\n');
  await assert.rejects(writeRestore(planRestore(asEntries(records), SESSION, places), places), (error: Error & { code?: string }) => error.code === 'EXISTS' && /never overwritten/.test(error.message));
  assert.equal(readFileSync(path.join(elsewhere, `${SESSION}.jsonl`), 'utf8'), 'the agent’s own\n');
  assert.throws(() => planRestore(asEntries(records), 'another-session', places), /no imported lines/);
});

test('restore after a restored file grew and was imported again: the lines in time order, each once, the new one last', async () => {
  const { records } = await readClaudeSession(FIXTURE, { offset: 0, line: 1 });
  const config = tmp();
  const places = { home: '/nonexistent', env: { CLAUDE_CONFIG_DIR: config } };
  const first = planRestore(asEntries(records), SESSION, places);
  const last = JSON.parse(first.lines[first.lines.length - 1]!) as Record<string, unknown>;
  const added = JSON.stringify({ ...last, type: 'user', uuid: 'feedf00d-0000-4000-8000-000000000001', parentUuid: last.uuid, timestamp: '2026-12-03T09:00:00.000Z', message: { role: 'user', content: 'one more thing' } });
  const restored = path.join(tmp(), `${SESSION}.jsonl`);
  writeFileSync(restored, `${[...first.lines, added].join('\n')}\n`);
  const again = await readClaudeSession(restored, { offset: 0, line: 1 });
  const known = new Set(records.map((r) => r.id));
  const fresh = again.records.filter((r) => !known.has(r.id)); // what an import adds: ids it does not have
  assert.deepEqual(fresh.map((r) => r.id), ['native-claude-code-feedf00d-0000-4000-8000-000000000001']);
  const plan = planRestore([...asEntries(records), ...asEntries(fresh)], SESSION, places);
  assert.deepEqual(plan.lines, [...first.lines, added]);
});
