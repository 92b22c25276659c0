import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findNexusBinary, NEXUS_EVENT, sendEntries } from '../../src/handoff/nexusCli';
import type { BufferEntry } from '../../src/core/schema';
import { completeContext } from '../../src/core/schema';

let dir: string;
let record: string;

/** A stand-in `nexus` that appends its arguments and stdin to $NEXUS_STANDIN_RECORD. */
function writeStandIn(file: string, body: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}
const RECORDING = `{ printf 'ARGS %s\\n' "$*"; cat; printf '\\n'; } >> "$NEXUS_STANDIN_RECORD"`;

function entry(i: number, text = `step ${i}`): BufferEntry {
  const timestamp = `2026-06-14T09:12:0${i}.000Z`;
  return {
    id: `e${i}`, timestamp, context_type: 'checkpoint',
    context: completeContext({ commands_run: [text] }, { agentType: 'claude-code', now: timestamp }),
  };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-standin-'));
  record = path.join(dir, 'record.txt');
  process.env.NEXUS_STANDIN_RECORD = record;
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  delete process.env.NEXUS_STANDIN_RECORD;
});

test('finds nexus: NEXUS_HOOK_BINARY first, then ~/.local/bin, then PATH; reports where it looked', async () => {
  const home = path.join(dir, 'home');
  const onPath = writeStandIn(path.join(dir, 'bin', 'nexus'), 'exit 0');
  const env = { PATH: `${path.join(dir, 'empty')}${path.delimiter}${path.join(dir, 'bin')}` };
  assert.equal((await findNexusBinary(env, home)).binary, onPath);

  const local = writeStandIn(path.join(home, '.local', 'bin', 'nexus'), 'exit 0');
  assert.equal((await findNexusBinary(env, home)).binary, local);

  const explicit = writeStandIn(path.join(dir, 'explicit', 'my-nexus'), 'exit 0');
  assert.equal((await findNexusBinary({ ...env, NEXUS_HOOK_BINARY: explicit }, home)).binary, explicit);

  const none = await findNexusBinary({ PATH: path.join(dir, 'empty'), NEXUS_HOOK_BINARY: path.join(dir, 'missing') }, path.join(dir, 'nohome'));
  assert.equal(none.binary, undefined);
  assert.ok(none.searched.includes(path.join(dir, 'missing')));
  assert.ok(none.searched.includes(path.join(dir, 'nohome', '.local', 'bin', 'nexus')));
  assert.ok(none.searched.includes(path.join(dir, 'empty', 'nexus')));
});

test('a file that is not executable is not the tool', async () => {
  const file = path.join(dir, 'noexec', 'nexus');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  assert.equal((await findNexusBinary({ PATH: path.dirname(file) }, path.join(dir, 'nohome'))).binary === file, false);
});

test('every entry reaches the stand-in, as JSON, with the agent and event', async () => {
  fs.rmSync(record, { force: true });
  const nexus = writeStandIn(path.join(dir, 'ok', 'nexus'), RECORDING);
  const entries = [entry(1), entry(2, 'curl -H "x: y"'), entry(3)];
  const progress: number[] = [];
  const result = await sendEntries(nexus, 'claude-code', entries, { onProgress: (done) => progress.push(done) });
  assert.deepEqual({ stored: result.stored, failed: result.failed, errors: result.errors }, { stored: 3, failed: 0, errors: [] });
  assert.deepEqual(result.storedIds, ['e1', 'e2', 'e3']);
  assert.deepEqual(progress, [1, 2, 3]);
  const lines = fs.readFileSync(record, 'utf8').trim().split('\n');
  const args = lines.filter((line) => line.startsWith('ARGS '));
  assert.deepEqual(args, Array(3).fill(`ARGS ingest-hook-event --agent claude-code --event ${NEXUS_EVENT}`));
  const received = lines.filter((line) => !line.startsWith('ARGS ')).map((line) => JSON.parse(line) as BufferEntry);
  assert.deepEqual(received, entries);
});

test('a failing stand-in is counted as failed, with its message', async () => {
  const nexus = writeStandIn(path.join(dir, 'failing', 'nexus'),
    `input=$(cat); case "$input" in *step\\ 2*) echo "warn: first line" >&2; echo "database is locked" >&2; exit 3;; esac; exit 0`);
  const result = await sendEntries(nexus, 'codex', [entry(1), entry(2), entry(3)]);
  assert.equal(result.stored, 2);
  assert.equal(result.failed, 1);
  assert.match(result.errors[0]!, /entry 2 .*exited with 3: database is locked/);
  assert.deepEqual(result.storedIds, ['e1', 'e3']);
});

test('a stand-in that hangs is stopped by the timeout and counted as failed', async () => {
  const nexus = writeStandIn(path.join(dir, 'hanging', 'nexus'), 'exec sleep 30');
  const result = await sendEntries(nexus, 'codex', [entry(1)], { timeoutMs: 300 });
  assert.equal(result.failed, 1);
  assert.match(result.errors[0]!, /no answer within/);
});

test('a tool that cannot be run is a failure, not an exception', async () => {
  const result = await sendEntries(path.join(dir, 'does-not-exist'), 'codex', [entry(1), entry(2)]);
  assert.equal(result.stored, 0);
  assert.equal(result.failed, 2);
  assert.match(result.errors[0]!, /could not run/);
});
