// The lean hook path: dist/hook.js (src/hookLoader.ts, which loads dist/hook-body.js, src/hook.ts)
// and its writer (src/core/hookWriter.ts) must do exactly what `push --from` through the core
// does, without loading the core: the same entry
// (the hand-written completion against zod), the same lock (core/ownedLock.ts), the same
// journal, the guest rules, and the compaction the core does after a shared append.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { allHookSources } from '../../src/agents/registry';
import { faults } from '../../src/core/faults';
import { appendSharedEntry, completeHookContext, hookEntryLine, LockedError, MAX_ENTRY_BYTES, newHookEntryId } from '../../src/core/hookWriter';
import { withAgentLock } from '../../src/core/lock';
import { completeContext } from '../../src/core/schema';
import { loadBuffer, scanDir } from '../../src/core/store';
import { compileCacheDir } from '../../src/compileCache';

const ROOT = path.resolve(__dirname, '../../..');
const HOOK = path.join(ROOT, 'dist', 'hook.js');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const temps: string[] = [];
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-hook-test-'));
  temps.push(dir);
  return dir;
}

const NOW = '2026-06-14T09:12:03.418Z';
const stringify = (value: unknown) => JSON.stringify(value);

/** zod's answer: the completed context as JSON, or the error. */
function viaZod(input: unknown, agentType = 'claude-code'): { json?: string; error?: string } {
  try {
    return { json: stringify(completeContext(input, { agentType, extractionSource: 'native', now: NOW })) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Every agent's fixture payloads, through every hook source that accepts them. */
function fixtureContexts(): Array<{ name: string; context: unknown }> {
  const out: Array<{ name: string; context: unknown }> = [];
  const agentsDir = path.join(ROOT, 'src', 'agents');
  for (const agent of fs.readdirSync(agentsDir)) {
    const dir = path.join(agentsDir, agent, 'test', 'fixtures');
    if (!fs.existsSync(dir)) continue;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      let json: any;
      try {
        json = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      } catch {
        continue;
      }
      const payload = json && typeof json === 'object' && 'payload' in json ? json.payload : json;
      for (const source of allHookSources()) {
        try {
          out.push({ name: `${agent}/${file} via ${source.id}`, context: source.toEntry(payload, NOW).context });
        } catch {
          // not a payload of this source
        }
      }
    }
  }
  return out;
}

describe('completeHookContext: zod\'s completeContext without zod', () => {
  it('gives byte for byte what zod gives for every entry the mappings build from the fixtures', () => {
    const contexts = fixtureContexts();
    assert.ok(contexts.length >= 30, `only ${contexts.length} fixture entries`);
    for (const { name, context } of contexts) {
      const zod = viaZod(context);
      assert.ok(zod.json, `${name}: zod refused the mapping's entry: ${zod.error}`);
      const lean = completeHookContext(context, { agentType: 'claude-code', extractionSource: 'native', now: NOW });
      assert.equal(stringify(lean), zod.json, name);
    }
  });

  it('never accepts what zod refuses, and never differs from zod on what it accepts (random contexts)', () => {
    let seed = 42;
    const rand = () => {
      // mulberry32: deterministic, and no correlation between consecutive draws
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(values: readonly T[]): T => values[Math.floor(rand() * values.length)];
    // Per kind of field, values zod takes and values it refuses; mostly the first, so that both
    // sides are tested (one bad field anywhere refuses the whole context).
    const valid: Record<string, unknown[]> = {
      string: ['', 'x', 'read'], nstring: [undefined, null, 'x'], time: [NOW, '2026-06-14 09:12:03Z', '2026-06-14T09:12:03.123456789+02:00'],
      ntime: [undefined, null, NOW], nint: [undefined, null, 0, 7, -3], action: ['created', 'modified', 'deleted', 'read'],
      status: ['pending', 'in_progress', 'completed', 'failed'], strings: [undefined, [], ['a', 'b']], score: [undefined, 0, 0.5, 1],
      record: [undefined, {}, { k: 1, nested: { a: [1] } }], any: [undefined, 1, 'x', null, [1], { a: 1 }],
    };
    const invalid: Record<string, unknown[]> = {
      string: [undefined, null, 1, []], nstring: [1, {}], time: [undefined, 'not a time', '2026-06-14', 5], ntime: ['yesterday', 1],
      nint: [1.5, '1', 2 ** 53], action: ['edited', null], status: ['done'], strings: [[1], 'a', null], score: [2, -0.1, '1', null],
      record: [[], 'x', null], any: [],
    };
    const value = (kind: string) => (rand() < 0.03 && invalid[kind].length ? pick(invalid[kind]) : pick(valid[kind]));
    const item = (fields: Record<string, string>) => {
      const out: Record<string, unknown> = {};
      for (const [k, kind] of Object.entries(fields)) if (rand() < 0.9) out[k] = value(kind);
      if (rand() < 0.2) out.extra = value('any');
      return out;
    };
    const arrays: Record<string, Record<string, string>> = {
      conversation: { role: 'string', content: 'string', timestamp: 'time' },
      decisions: { summary: 'string', rationale: 'nstring', alternatives: 'strings', impact: 'nstring', timestamp: 'time' },
      files: { path: 'string', action: 'action', lines_added: 'nint', lines_removed: 'nint', timestamp: 'time' },
      tasks: { description: 'string', status: 'status', started_at: 'ntime', completed_at: 'ntime', subagent: 'nstring' },
      errors: { error_type: 'string', message: 'string', stack_trace: 'nstring', timestamp: 'time' },
      subagent_executions: { subagent_type: 'string', task: 'string', status: 'string', started_at: 'time', completed_at: 'ntime', result_summary: 'nstring' },
    };
    const top: Record<string, string> = {
      agent_type: 'nstring', extraction_started: 'ntime', extraction_completed: 'ntime', session_id: 'nstring', extraction_source: 'nstring',
      reliability_score: 'score', custom: 'record', insights: 'strings', commands_run: 'strings', zzz: 'any',
    };
    let accepted = 0;
    let refused = 0;
    for (let n = 0; n < 20000; n++) {
      const context: Record<string, unknown> = {};
      for (const [key, kind] of Object.entries(top)) if (rand() < 0.4) context[key] = value(kind);
      for (const [key, fields] of Object.entries(arrays)) {
        if (rand() < 0.4) context[key] = rand() < 0.97 ? Array.from({ length: Math.floor(rand() * 3) }, () => item(fields)) : pick(['x', {}, 1]);
      }
      const zod = viaZod(context);
      const lean = completeHookContext(context, { agentType: 'claude-code', extractionSource: 'native', now: NOW });
      if (lean === undefined) {
        refused++;
        continue; // the caller asks zod then: always right
      }
      accepted++;
      assert.equal(stringify(lean), zod.json, `differs from zod (${zod.error ?? 'zod accepted'}) for ${stringify(context)}`);
    }
    assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}: the random contexts do not test both sides`);
  });

  it('refuses what is not an object, and a context type or size the core refuses', () => {
    for (const input of [null, [], 'x', 3]) assert.equal(completeHookContext(input, { agentType: 'a', extractionSource: 'native', now: NOW }), undefined);
    const context = completeHookContext({}, { agentType: 'a', extractionSource: 'native', now: NOW })!;
    assert.throws(() => hookEntryLine(context, '', NOW), /context type/);
    assert.throws(() => hookEntryLine({ ...context, insights: ['x'.repeat(MAX_ENTRY_BYTES)] }, 'checkpoint', NOW), /refused: the limit is 5\.0 MB/);
    const line = JSON.parse(hookEntryLine(context, 'tool-use', NOW));
    assert.deepEqual(Object.keys(line), ['timestamp', 'context_type', 'context', 'id']);
    assert.match(line.id, /^[0-9a-z]+-[0-9a-f]{12}$/);
    assert.notEqual(newHookEntryId(), newHookEntryId());
  });
});

describe('appendSharedEntry: the core\'s shared journal and agent lock', () => {
  const line = (n: number) => hookEntryLine(completeHookContext({ insights: [`n${n}`] }, { agentType: 'claude-code', extractionSource: 'native', now: NOW })!, 'checkpoint', NOW);

  it('writes the journal the core reads, creating the folder, under the agent lock, which names this process', async () => {
    const dir = path.join(tempDir(), 'not', 'yet');
    let heldDuringWrite = false;
    faults.beforeWrite = () => {
      const owner = fs.readFileSync(path.join(dir, 'claude-code.json.lock', 'owner'), 'utf8');
      heldDuringWrite = new RegExp(`^h[0-9a-f]{6}p${process.pid}r`).test(owner);
    };
    try {
      await appendSharedEntry(dir, 'claude-code', line(1), { startedAt: NOW, deadlineAt: Date.now() + 5000 });
      await appendSharedEntry(dir, 'claude-code', line(2), { startedAt: NOW, deadlineAt: Date.now() + 5000 });
    } finally {
      faults.beforeWrite = undefined;
    }
    assert.ok(heldDuringWrite, 'the lock was not held by this process during the write');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.ok(!fs.existsSync(path.join(dir, 'claude-code.json.lock')), 'the lock is released');
    const files = (await scanDir(dir)).get('claude-code')!;
    assert.deepEqual(files.journals.map((j) => path.basename(j.path)), ['claude-code.json.wal-shared-0']);
    const loaded = await loadBuffer(files);
    assert.deepEqual(loaded.entries.map((e) => e.context.insights[0]), ['n1', 'n2']);
    assert.deepEqual(loaded.problems, []);
  });

  it('waits while the core holds the lock, and the core waits for it', async () => {
    const dir = tempDir();
    const order: string[] = [];
    const core = withAgentLock(dir, 'claude-code', undefined, async () => {
      order.push('core in');
      await new Promise((r) => setTimeout(r, 300));
      order.push('core out');
    });
    await new Promise((r) => setTimeout(r, 50));
    await appendSharedEntry(dir, 'claude-code', line(1), { startedAt: NOW, deadlineAt: Date.now() + 5000 });
    order.push('lean appended');
    await core;
    assert.deepEqual(order, ['core in', 'core out', 'lean appended']);
  });

  it('takes over a stale lock (a writer killed 10 s ago), and gives up on a live one at the deadline', async () => {
    const dir = tempDir();
    const lockDir = path.join(dir, 'claude-code.json.lock');
    fs.mkdirSync(lockDir);
    const old = new Date(Date.now() - 20_000);
    fs.utimesSync(lockDir, old, old);
    await appendSharedEntry(dir, 'claude-code', line(1), { startedAt: NOW, deadlineAt: Date.now() + 5000 });
    fs.mkdirSync(lockDir);
    const t0 = Date.now();
    await assert.rejects(appendSharedEntry(dir, 'claude-code', line(2), { startedAt: NOW, deadlineAt: Date.now() + 400 }), LockedError);
    assert.ok(Date.now() - t0 < 1500);
    assert.ok(fs.existsSync(lockDir), 'someone else\'s lock is left alone');
    const loaded = await loadBuffer((await scanDir(dir)).get('claude-code')!);
    assert.equal(loaded.entries.length, 1);
  });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], input: string, env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Run {
  const result = spawnSync(process.execPath, [...nodeArgs, script, ...args], { input, encoding: 'utf8', env: { ...process.env, NEXUS_BUFFER_DIR: '', NEXUS_BUFFER_DEBUG: '', ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Resolves once process `pid` catches `signal` (Linux: /proc/<pid>/status SigCgt), else after 700 ms. */
async function untilCatches(pid: number, signal: number): Promise<void> {
  const bit = 1n << BigInt(signal - 1);
  for (let waited = 0; waited < 30_000; waited += 10) {
    let status: string;
    try {
      status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      return new Promise((r) => setTimeout(r, 700)); // no /proc here
    }
    const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    if (caught === undefined) return new Promise((r) => setTimeout(r, 700));
    if ((BigInt(`0x${caught}`) & bit) !== 0n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const payload = (event = 'PostToolUse') => stringify({
  session_id: 's-hook-test', transcript_path: '/t.jsonl', cwd: '/w', hook_event_name: event, tool_name: 'Bash',
  tool_input: { command: 'ls' }, tool_response: { stdout: 'a\n', stderr: '', interrupted: false }, tool_use_id: 'toolu_1',
});

function show(dir: string): any {
  const shown = run(CLI, ['show', 'claude-code', '--json', '--dir', dir], '');
  assert.equal(shown.status, 0, shown.stderr);
  return JSON.parse(shown.stdout);
}

describe('dist/hook.js and dist/cli.js as the hooks run them', () => {
  it('are built, and the hook bundle holds neither the core\'s compaction nor an installer', () => {
    assert.ok(fs.existsSync(HOOK) && fs.existsSync(CLI), 'run npm run build first');
    const text = fs.readFileSync(path.join(ROOT, 'dist', 'hook-body.js'), 'utf8');
    assert.ok(text.includes('runHookProcess'), 'dist/hook-body.js is the hook bundle');
    for (const heavy of ['src/core/store.ts', 'src/core/schema.ts', 'installer.ts']) {
      assert.ok(!text.includes(heavy), `dist/hook.js bundles ${heavy}`);
    }
    assert.ok(fs.statSync(CLI).size < 8 * 1024, 'dist/cli.js is meant to be a few lines');
    assert.ok(fs.statSync(HOOK).size < 8 * 1024, 'dist/hook.js is meant to be a few lines (it loads dist/hook-body.js)');
  });

  it('buffer an event silently, exit 0, and load nothing of the full command line', () => {
    for (const script of [HOOK, CLI]) {
      const dir = tempDir();
      const loaded = path.join(tempDir(), 'loaded.json');
      const preload = path.join(tempDir(), 'preload.js');
      // Node's own modules are not in require.cache: its load list names them (node:crypto alone
      // cost a hook 6 ms to load, for one hash: core/hostTag.ts).
      fs.writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${stringify(loaded)}, JSON.stringify([...Object.keys(require.cache), ...process.moduleLoadList])));`);
      const result = run(script, ['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], payload(), {}, ['-r', preload]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr, '');
      const modules = JSON.parse(fs.readFileSync(loaded, 'utf8')) as string[];
      assert.ok(!modules.some((m) => ['cli-full.js', 'core.js'].includes(path.basename(m))), `${path.basename(script)} loaded ${modules.join(', ')}`);
      assert.ok(!modules.includes('NativeModule crypto'), `${path.basename(script)} loaded node:crypto`);
      const doc = show(dir);
      assert.equal(doc.entries.length, 1);
      assert.equal(doc.entries[0].context.session_id, 's-hook-test');
      assert.deepEqual(doc.entries[0].context.commands_run, ['ls']);
      assert.equal(doc.entries[0].context.extraction_source, 'native');
    }
  });

  it('write the entry the core path writes (same keys, same values but times and id)', async () => {
    const lean = tempDir();
    assert.equal(run(HOOK, ['push', '--from', 'claude-hook', '--dir', lean], payload()).status, 0);
    // The core's path: the full command line in this process.
    const full = tempDir();
    const { runCli } = await import('../../src/cli/main');
    let out = '';
    const code = await runCli(['push', '--from', 'claude-hook', '--dir', full], {
      out: (t) => void (out += t), err: (t) => void (out += t), readStdin: async () => payload(), stdinLines: () => (async function* () {})(),
      stdinIsTTY: false, confirm: async () => false, env: {},
    });
    assert.equal(code, 0, out);
    const norm = (dir: string) => fs.readFileSync(path.join(dir, 'claude-code.json.wal-shared-0'), 'utf8')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, 'T').replace(/"id":"[^"]+"/, '"id":"I"');
    assert.equal(norm(lean), norm(full));
  });

  it('a malformed payload or a usage mistake: exit 1 (never 2), one stderr line, nothing on stdout, nothing written', () => {
    const dir = tempDir();
    const cases: Array<[string[], string]> = [
      [['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], 'not json'],
      [['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], ''],
      [['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], '[1]'],
      [['push', 'claude-code', '--from', 'claude-hook', '--dir', dir], '{"session_id":"x"}'],
      [['push', '../evil', '--from', 'claude-hook', '--dir', dir], '{"hook_event_name":"Stop"}'],
      // Not the lean path's: handed to the full command line, which keeps the same rules.
      [['push', 'claude-code', '--from', 'claude-hook', '--bogus', '--dir', dir], payload()],
      [['push', 'claude-code', 'extra', '--from', 'claude-hook', '--dir', dir], payload()],
      [['push', '--from', 'nowhere', '--dir', dir], payload()],
      [['push', '--from', 'claude-hook', '--dir', ''], payload()],
    ];
    for (const [args, input] of cases) {
      const result = run(HOOK, args, input);
      assert.equal(result.status, 1, `${args.join(' ')} <<< ${input}: exit ${result.status} ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^nexus-buffer: [^\n]+\n$/, `${args.join(' ')}: not one line: ${stringify(result.stderr)}`);
    }
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('finishes the entry when the agent sends SIGTERM (an async hook at the end of a turn)', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [HOOK, 'push', '--from', 'claude-hook', '--dir', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Once the hook waits for its input (its handlers are set), SIGTERM, then the input. On
    // Linux, /proc says when its SIGHUP handler is in, set with the SIGTERM one (Node catches
    // SIGTERM itself from the start); a loaded machine can take over a second to get there.
    // Elsewhere a pause has to do.
    await untilCatches(child.pid!, 1 /* SIGHUP */);
    child.kill('SIGTERM');
    child.stdin.end(payload());
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    assert.deepEqual([code, signal], [0, null], stderr);
    assert.equal(show(dir).entries.length, 1);
  });

  it('gives up at the deadline, with one line, when the buffer stays locked', async () => {
    const dir = tempDir();
    const lockDir = path.join(dir, 'claude-code.json.lock');
    fs.mkdirSync(lockDir, { recursive: true });
    const t0 = Date.now();
    const result = run(HOOK, ['push', '--from', 'claude-hook', '--dir', dir], payload());
    const ms = Date.now() - t0;
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^nexus-buffer: claude-code: another process keeps the buffer locked[^\n]*\n$/);
    assert.ok(ms >= 4000 && ms < 6500, `${ms} ms`);
    assert.deepEqual(fs.readdirSync(dir), ['claude-code.json.lock']);
  });

  it('merges the shared journal into the snapshot once it outgrew it, as the core does', () => {
    const dir = tempDir();
    // A shared journal of more than 1 MB (the core's compactMinBytes) and no snapshot yet.
    const big = completeHookContext({ insights: ['y'.repeat(300 * 1024)] }, { agentType: 'claude-code', extractionSource: 'native', now: NOW })!;
    const header = stringify({ nexus_journal: 1, agent_type: 'claude-code', started_at: NOW, writer_id: 'shared' });
    const lines = [header, ...Array.from({ length: 4 }, () => hookEntryLine(big, 'checkpoint', NOW))];
    fs.writeFileSync(path.join(dir, 'claude-code.json.wal-shared-0'), `${lines.join('\n')}\n`);
    const result = run(HOOK, ['push', '--from', 'claude-hook', '--dir', dir], payload());
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['claude-code.json']);
    const snapshot = JSON.parse(fs.readFileSync(path.join(dir, 'claude-code.json'), 'utf8'));
    assert.equal(snapshot.entries.length, 5);
    assert.equal(snapshot.entries[4].context.session_id, 's-hook-test');
  });
});

describe('compileCacheDir', () => {
  it('is a folder of this user only, and refuses one someone else could write or a link', () => {
    if (process.getuid === undefined) return;
    const tmp = tempDir();
    const uid = process.getuid();
    const dir = compileCacheDir(tmp, uid)!;
    assert.equal(dir, path.join(tmp, `nexus-buffer-compile-cache-${uid}`));
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(compileCacheDir(tmp, uid), dir, 'the same folder next time');
    fs.chmodSync(dir, 0o777);
    assert.equal(compileCacheDir(tmp, uid), undefined, 'open to others');
    const other = tempDir();
    fs.symlinkSync(tmp, path.join(other, `nexus-buffer-compile-cache-${uid}`));
    assert.equal(compileCacheDir(other, uid), undefined, 'a link');
    assert.equal(compileCacheDir(tempDir(), uid + 1), undefined, 'owned by another user');
  });
});
