// `nexus-buffer import` and `restore` as processes (dist/cli.js, `npm run build`): a dry run
// lists and writes nothing, an import fills the buffers that `show --json` then prints (in the
// crate's format), a second import adds nothing, and a deleted Claude Code session is written
// back once, never over the agent's own file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { skipWithout, straceArgs, straceWorks } from './support/hostile';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURES = path.join(ROOT, 'src', 'agents');
const CLAUDE = path.join(FIXTURES, 'claude-code', 'test', 'fixtures', 'sessions', 'real-session.jsonl');
const CODEX = path.join(FIXTURES, 'codex', 'test', 'fixtures', 'sessions', 'real-rollout.jsonl');
const SESSION = '827221e7-420c-4134-8c59-49f6683859d2';
const root = mkdtempSync(path.join(os.tmpdir(), 'nexus-cli-import-'));
after(() => rmSync(root, { recursive: true, force: true }));

const home = path.join(root, 'home');
const dir = path.join(root, 'buffers');
const claudeFile = path.join(home, '.claude', 'projects', '-home-dev-shop', `${SESSION}.jsonl`);
mkdirSync(path.dirname(claudeFile), { recursive: true });
writeFileSync(claudeFile, readFileSync(CLAUDE));
const codexDay = path.join(home, '.codex', 'sessions', '2026', '12', '02');
mkdirSync(codexDay, { recursive: true });
writeFileSync(path.join(codexDay, 'rollout-2026-12-02T01-38-57-01a23467-a621-7673-8af4-ec543f213aee.jsonl'), readFileSync(CODEX));

function run(args: string[], inject?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  for (const key of ['NEXUS_BUFFER_DIR', 'NEXUS_BUFFER_DEBUG', 'CLAUDE_CONFIG_DIR', 'CODEX_HOME', 'GEMINI_CLI_HOME']) delete env[key];
  const command = [process.execPath, CLI, ...args, '--dir', dir];
  const result = inject
    ? spawnSync('strace', [...straceArgs(inject), ...command], { encoding: 'utf8', env, cwd: os.tmpdir() })
    : spawnSync(command[0], command.slice(1), { encoding: 'utf8', env, cwd: os.tmpdir() });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('import --dry-run --json lists the sessions and what they would add, and writes nothing', () => {
  const result = run(['import', '--dry-run', '--json']);
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.dry_run, true);
  assert.deepEqual(report.files.map((f: { agent: string; session_id: string }) => [f.agent, f.session_id]).sort(), [
    ['claude-code', SESSION], ['codex', '01a23467-a621-7673-8af4-ec543f213aee'],
  ]);
  assert.ok(report.added > 20);
  assert.equal(existsSync(dir), false, 'a dry run wrote to the buffer folder');
});

test('import --from claude-code, then show --json: the session is in the buffer in the crate\'s format; a second import adds nothing', () => {
  const first = run(['import', '--from', 'claude-code', '--json']);
  assert.equal(first.status, 0, first.stderr);
  const report = JSON.parse(first.stdout);
  assert.equal(report.files.length, 1);
  assert.ok(report.added > 10);
  const shown = run(['show', 'claude-code', '--json']);
  assert.equal(shown.status, 0, shown.stderr);
  const doc = JSON.parse(shown.stdout);
  assert.equal(doc.entries.length, report.added);
  assert.ok(doc.entries.every((e: { context: { session_id: string; extraction_source: string } }) => e.context.session_id === SESSION && e.context.extraction_source === 'native'));
  assert.ok(doc.entries.some((e: { context: { commands_run: string[] } }) => e.context.commands_run.includes('echo build-ok')));
  assert.equal(run(['show', 'codex', '--json']).status, 1, '--from claude-code imported codex too');
  const again = run(['import', '--from', 'claude-code', '--json']);
  assert.equal(JSON.parse(again.stdout).added, 0);
  const text = run(['import', '--from', 'claude-code']);
  assert.match(text.stdout, /Added 0 entries from 1 session file\./);
  assert.match(text.stdout, /unchanged/);
});

test('restore claude-code --session: writes the deleted session back and prints its path; refuses while the file is there', () => {
  const refused = run(['restore', 'claude-code', '--session', SESSION]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /still has session .* never overwritten/);
  const original = readFileSync(claudeFile, 'utf8');
  rmSync(claudeFile);
  const restored = run(['restore', 'claude-code', '--session', SESSION]);
  assert.equal(restored.status, 0, restored.stderr);
  assert.equal(restored.stdout, `${claudeFile}\n`);
  const prompt = original.split('\n').find((l) => l.includes('"promptSource"'))!;
  assert.ok(readFileSync(claudeFile, 'utf8').split('\n').includes(prompt), 'the prompt line is not back as it was');
  const usage = run(['restore', 'codex', '--session', SESSION]);
  assert.equal(usage.status, 2);
});

test('restore writes the session whole or not at all: a failing fsync leaves no file, a file system without hard links still gets it whole', { skip: skipWithout(straceWorks, 'strace') }, () => {
  const folder = path.dirname(claudeFile);
  const expected = (() => {
    rmSync(claudeFile, { force: true });
    assert.equal(run(['restore', 'claude-code', '--session', SESSION]).status, 0);
    return readFileSync(claudeFile, 'utf8');
  })();
  rmSync(claudeFile);
  const failed = run(['restore', 'claude-code', '--session', SESSION], 'fsync:error=EIO');
  assert.equal(failed.status, 1, failed.stderr);
  assert.match(failed.stderr, /EIO|input\/output/i);
  assert.equal(existsSync(claudeFile), false, 'a restore that failed left a file where Claude Code looks');
  assert.deepEqual(readdirSync(folder), [], 'a restore that failed left its temporary file');
  const noLinks = run(['restore', 'claude-code', '--session', SESSION], 'link:error=EPERM');
  assert.equal(noLinks.status, 0, noLinks.stderr);
  assert.equal(readFileSync(claudeFile, 'utf8'), expected);
  assert.deepEqual(readdirSync(folder), [path.basename(claudeFile)]);
});

test('import: a bad --from or --since is a usage error (exit 2), not the hook guest mode', () => {
  const bad = run(['import', '--from', 'nope']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown --from "nope"/);
  assert.equal(run(['import', '--since', 'yesterday']).status, 2);
});
