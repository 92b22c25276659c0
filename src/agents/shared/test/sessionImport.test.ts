// Importing session files into the buffers: a re-import adds nothing, a grown file adds only
// its new lines (read from the offset the import state keeps), a deleted file's entries stay.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { PersistentBuffer } from '../../../core/buffer';
import { AGENTS } from '../../registry';
import { fixturesDir } from '../testSupport';
import { IMPORT_STATE_FILE, loadImportState } from '../importState';
import { importSessions, listSessions, parseDuration } from '../sessionImport';

const CLAUDE_FIXTURE = path.join(fixturesDir(path.join(__dirname, '..', '..', 'claude-code', 'test')), 'sessions', 'real-session.jsonl');
const SESSION = '827221e7-420c-4134-8c59-49f6683859d2';
const LINES = readFileSync(CLAUDE_FIXTURE, 'utf8').split('\n').filter(Boolean);
const temps: string[] = [];
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function setUp(lines: readonly string[]) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'nexus-import-'));
  temps.push(root);
  const home = path.join(root, 'home');
  const folder = path.join(home, '.claude', 'projects', '-home-dev-shop');
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${SESSION}.jsonl`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { root, home, file, dir: path.join(root, 'buffers'), places: { home, env: {} } };
}

async function importAll(dir: string, places: { home: string; env: NodeJS.ProcessEnv }) {
  const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0 });
  try {
    const sessions = await listSessions(AGENTS, { places, agents: ['claude-code'] });
    return await importSessions(buffer, AGENTS, sessions);
  } finally {
    await buffer.dispose();
  }
}

async function entries(dir: string) {
  const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, durability: 'off' });
  try {
    return (await buffer.read('claude-code'))?.data.entries ?? [];
  } finally {
    await buffer.dispose();
  }
}

test('importing the same file again adds nothing, also when the import state is lost', async () => {
  const { dir, places } = setUp(LINES);
  const first = await importAll(dir, places);
  assert.ok(first.added > 10);
  const count = (await entries(dir)).length;
  assert.equal(count, first.added);
  const again = await importAll(dir, places);
  assert.equal(again.added, 0);
  assert.equal(again.files[0]!.unchanged, true);
  rmSync(path.join(dir, IMPORT_STATE_FILE));
  const afresh = await importAll(dir, places);
  assert.equal(afresh.added, 0, 'the ids (the agent\'s own) keep a re-read from adding anything twice');
  assert.equal(afresh.files[0]!.known, first.added);
  assert.equal((await entries(dir)).length, count);
  // The state is the buffer folder's, owner-only.
  assert.equal(statSync(path.join(dir, IMPORT_STATE_FILE)).mode & 0o777, 0o600);
});

test('a grown file adds only its new lines, read from where the last import stopped', async () => {
  const half = 30;
  const { dir, places, file } = setUp(LINES.slice(0, half));
  const first = await importAll(dir, places);
  const { state } = await loadImportState(dir);
  assert.equal(state.files[file]!.line, half + 1);
  assert.equal(state.files[file]!.offset, Buffer.byteLength(`${LINES.slice(0, half).join('\n')}\n`));
  // Garble what was imported already (same length, same file): a read from the start would report it.
  const bytes = readFileSync(file).length;
  writeFileSync(file, `${'x'.repeat(bytes - 1)}\n`);
  appendFileSync(file, `${LINES.slice(half).join('\n')}\n`);
  const second = await importAll(dir, places);
  assert.deepEqual(second.problems, [], 'the lines before the offset were read again');
  assert.ok(second.added > 0);
  const all = await entries(dir);
  assert.equal(all.length, first.added + second.added);
  const lines = all.map((e) => (e.context.custom as { source_line: number }).source_line);
  assert.ok(lines.filter((n) => n > half).length === second.added, 'the second import added lines of the grown part only');
  // The tool result of the second part was paired with its call from the first part.
  assert.ok(all.some((e) => e.context.commands_run.includes('echo missing-config >&2; exit 3') && e.context.errors.length === 1));
});

test('a torn tail is reported with file and line, and imported once the agent finished writing it', async () => {
  const { dir, places, file } = setUp(LINES.slice(0, 25));
  appendFileSync(file, LINES[25]!.slice(0, 40));
  const first = await importAll(dir, places);
  assert.deepEqual(first.problems.map((p) => [p.file, p.line]), [[file, 26]]);
  assert.match(first.problems[0]!.message, /torn/);
  appendFileSync(file, `${LINES[25]!.slice(40)}\n`);
  const second = await importAll(dir, places);
  assert.deepEqual(second.problems, []);
  const uuid = JSON.parse(LINES[25]!).uuid as string;
  assert.ok((await entries(dir)).some((e) => e.id === `native-claude-code-${uuid}`));
});

test('a session file the agent deletes keeps its entries in the buffer', async () => {
  const { dir, places, file } = setUp(LINES);
  const first = await importAll(dir, places);
  rmSync(file);
  const after = await importAll(dir, places);
  assert.equal(after.files.length, 0);
  assert.equal((await entries(dir)).length, first.added);
});

test('--since, --project and a dry run', async () => {
  const { dir, places } = setUp(LINES);
  assert.equal((await listSessions(AGENTS, { places, project: '/home/dev' })).length, 1);
  assert.equal((await listSessions(AGENTS, { places, project: '/home/other' })).length, 0);
  assert.equal((await listSessions(AGENTS, { places, since: Date.now() + 60_000 })).length, 0);
  const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0 });
  try {
    const report = await importSessions(buffer, AGENTS, await listSessions(AGENTS, { places }), { dryRun: true });
    assert.ok(report.added > 10);
  } finally {
    await buffer.dispose();
  }
  assert.deepEqual(await entries(dir), []);
  assert.equal(parseDuration('7d'), 7 * 86_400_000);
  assert.equal(parseDuration('7 days'), undefined);
});

test('a record the buffer refuses (too large) is reported with its file and line; the others are imported', async () => {
  const { dir, places, file } = setUp(LINES);
  const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, maxEntryBytes: 2_500 });
  let report;
  try {
    report = await importSessions(buffer, AGENTS, await listSessions(AGENTS, { places }));
  } finally {
    await buffer.dispose();
  }
  const refused = report.problems.filter((p) => /not imported: entry of .* refused/.test(p.message));
  assert.ok(refused.length > 0 && refused.every((p) => p.file === file && p.line > 0), JSON.stringify(report.problems.slice(0, 2)));
  assert.ok(report.added > 0);
  assert.equal((await entries(dir)).length, report.added);
});
