// `nexus-buffer search` as a process: the fields, --agent, --since, --json's shape, usage errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';

const CLI = path.join(path.resolve(__dirname, '../../..'), 'dist', 'cli.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-cli-search-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], input = '') {
  const env = { ...process.env };
  delete env.NEXUS_BUFFER_DIR;
  return spawnSync(process.execPath, [CLI, ...args, '--dir', dir], { input, encoding: 'utf8', env });
}

const old = '2026-01-01T10:00:00.000000001Z';
writeFileSync(path.join(dir, 'codex.json'), JSON.stringify({
  started_at: old,
  entries: [{ timestamp: old, context_type: 'tool-use', context: {
    agent_type: 'codex', extraction_started: old, extraction_completed: null, session_id: null, conversation: [], decisions: [], files: [],
    tasks: [], insights: [], errors: [], subagent_executions: [], commands_run: ['cargo test --workspace'], custom: {}, extraction_source: 'native', reliability_score: 1,
  } }],
  last_flush: old,
  agent_type: 'codex',
}, null, 2));

test('search finds a command in every buffer, newest first, and --json has the documented keys', () => {
  assert.equal(run(['push', 'claude-code', '--type', 'error'], JSON.stringify({
    errors: [{ error_type: 'command_failed', message: 'cargo test failed: 2 tests', timestamp: new Date().toISOString() }],
    files: [{ path: 'src/main.rs', action: 'modified', timestamp: new Date().toISOString() }],
  })).status, 0);
  const json = run(['search', 'CARGO', 'TEST', '--json']);
  assert.equal(json.status, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as Array<Record<string, string>>;
  assert.deepEqual(rows.map((r) => [r.agent_type, r.field, r.text]), [
    ['claude-code', 'error', 'cargo test failed: 2 tests'],
    ['codex', 'command', 'cargo test --workspace'],
  ]);
  assert.deepEqual(Object.keys(rows[0]), ['agent_type', 'id', 'timestamp', 'context_type', 'field', 'text']);
  assert.equal(rows[0].context_type, 'error');
  assert.equal(rows[1].id, null, 'an entry the crate wrote has no id');
  assert.equal(rows[1].timestamp, old);

  const text = run(['search', 'cargo test']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^TIME\s+AGENT\s+FIELD\s+TEXT\n\S+ \S+\s+claude-code\s+error\s+cargo test failed/);
});

test('--agent and --since narrow the search; nothing found says so', () => {
  assert.deepEqual((JSON.parse(run(['search', 'cargo', '--agent', 'codex', '--json']).stdout) as Array<{ agent_type: string }>).map((r) => r.agent_type), ['codex']);
  assert.deepEqual((JSON.parse(run(['search', 'cargo', '--since', '2d', '--json']).stdout) as Array<{ agent_type: string }>).map((r) => r.agent_type), ['claude-code'], 'the January entry is older');
  const none = run(['search', 'no such thing']);
  assert.equal(none.status, 0);
  assert.match(none.stdout, /Nothing matches "no such thing"/);
  assert.equal(run(['search', 'x', '--json']).stdout, '[]\n');
});

test('usage mistakes exit 2 and name the option', () => {
  const missing = run(['search']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /missing QUERY/);
  const since = run(['search', 'x', '--since', 'yesterday']);
  assert.equal(since.status, 2);
  assert.match(since.stderr, /--since "yesterday"/);
  assert.equal(run(['search', 'x', '--agent', '../etc']).status, 1);
});
