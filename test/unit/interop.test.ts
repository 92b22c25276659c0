// The file format across languages: our files read by a Rust reader with the crate's own types
// (test/interop/crate-reader, `crate-buffer`: serde_json into typed structs, as the crate
// `nexus-memory-hooks` reads), and files that Rust writer made read by us. The binary is built by
// test/harness/setup-rust.sh (CI runs it); without it these tests are skipped here and fail in CI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PersistentBuffer } from '../../src/core/buffer';
import { skipWithout } from './support/hostile';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const CRATE_PROJECT = path.join(ROOT, 'test', 'interop', 'crate-reader');

/** Where setup-rust.sh puts the binary (or $NEXUS_CRATE_BUFFER). */
function crateBinaryPath(): string {
  if (process.env.NEXUS_CRATE_BUFFER) return process.env.NEXUS_CRATE_BUFFER;
  const cache = process.env.NEXUS_TEST_TOOLS_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'nexus-buffer');
  return path.join(cache, 'crate-reader-target', 'release', 'crate-buffer');
}
const CRATE = crateBinaryPath();
const skip = skipWithout(fs.existsSync(CRATE), `crate-buffer at ${CRATE} (bash test/harness/setup-rust.sh builds it)`);

const temps: string[] = [];
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-interop-'));
  temps.push(dir);
  return dir;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}
function run(file: string, args: string[], input = ''): Run {
  const env = { ...process.env };
  delete env.NEXUS_BUFFER_DIR;
  delete env.NEXUS_BUFFER_DEBUG;
  const result = spawnSync(file, args, { input, encoding: 'utf8', env, cwd: os.tmpdir(), timeout: 60_000 });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}
const ours = (args: string[], input = '') => run(process.execPath, [CLI, ...args], input);
const crate = (args: string[]) => run(CRATE, args);

function oursOk(args: string[], input = ''): Run {
  const result = ours(args, input);
  assert.equal(result.status, 0, `nexus-buffer ${args.join(' ')}: ${result.stderr}`);
  return result;
}

/** The crate's reader on a file: the entry count and what it would write back, parsed. */
function crateRead(file: string): { entries: number; agentType: string; document: unknown; text: string } {
  const result = crate(['read', file]);
  assert.equal(result.status, 0, `the crate refuses ${path.basename(file)}: ${result.stderr}`);
  const summary = JSON.parse(result.stdout) as { entries: number; agent_type: string; document: string };
  return { entries: summary.entries, agentType: summary.agent_type, document: JSON.parse(summary.document), text: summary.document };
}

// The crate's keys (the spec's tables); anything else in our files is ours and the crate drops it.
const TIMESTAMP_KEYS = new Set(['started_at', 'last_flush', 'timestamp', 'extraction_started', 'extraction_completed', 'completed_at']);
const KEYS: Record<string, readonly string[]> = {
  document: ['started_at', 'entries', 'last_flush', 'agent_type'],
  entries: ['timestamp', 'context_type', 'context'],
  context: ['agent_type', 'extraction_started', 'extraction_completed', 'session_id', 'conversation', 'decisions', 'files', 'tasks',
    'insights', 'errors', 'subagent_executions', 'commands_run', 'custom', 'extraction_source', 'reliability_score'],
  conversation: ['role', 'content', 'timestamp'],
  decisions: ['summary', 'rationale', 'alternatives', 'impact', 'timestamp'],
  files: ['path', 'action', 'lines_added', 'lines_removed', 'timestamp'],
  tasks: ['description', 'status', 'started_at', 'completed_at', 'subagent'],
  errors: ['error_type', 'message', 'stack_trace', 'timestamp'],
  subagent_executions: ['subagent_type', 'task', 'status', 'started_at', 'completed_at', 'result_summary'],
};

/** One instant, one spelling: chrono writes `.100Z` as `.100Z` but `.000Z` as `Z`. */
function sameInstant(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(value);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : value;
}

/** The crate's view of a document: its keys only (every one of them), timestamps as instants. */
function crateView(value: unknown, kind = 'document'): unknown {
  if (Array.isArray(value)) return value.map((item) => crateView(item, kind));
  const keys = KEYS[kind];
  if (!keys || value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(keys.map((key) => {
    assert.ok(key in record, `${kind} has no "${key}" (the crate requires every key)`);
    const item = record[key];
    if (key === 'custom') return [key, item];
    if (TIMESTAMP_KEYS.has(key)) return [key, sameInstant(item)];
    return [key, crateView(item, key)];
  }));
}

/** A context with every field set, values both sides hold exactly (integers < 2^53, plain strings). */
function fullContext(agent: string, i: number): Record<string, unknown> {
  const at = (ms: number) => new Date(Date.UTC(2026, 5, 14, 9, 12, 3) + i * 1000 + ms).toISOString();
  return {
    agent_type: agent,
    extraction_started: at(418),
    extraction_completed: at(900),
    session_id: `session-${i}`,
    conversation: [{ role: 'user', content: `Make the resizer keep EXIF orientation (${i})`, timestamp: at(420) },
      { role: 'assistant', content: 'Rotating on import: "tag" → pixels, ünïcödé 😀, tab\tnewline\n', timestamp: at(430) }],
    decisions: [{ summary: 'Rotate on import', rationale: 'viewers ignore the tag', alternatives: ['keep the tag', 'strip EXIF'], impact: 'high', timestamp: at(500) }],
    files: [{ path: `lib/resize-${i}.py`, action: 'modified', lines_added: 4_294_967_296 + i, lines_removed: 0, timestamp: at(600) },
      { path: 'README.md', action: 'created', lines_added: 12, lines_removed: 3, timestamp: at(601) }],
    tasks: [{ description: 'Add a portrait JPEG', status: 'in_progress', started_at: at(700), completed_at: at(800), subagent: 'test-writer' },
      { description: 'Release', status: 'completed', started_at: at(0), completed_at: at(1), subagent: 'releaser' }],
    insights: ['orientation 6 is 90° clockwise'],
    errors: [{ error_type: 'AssertionError', message: 'expected 600x800', stack_trace: 'tests/test_resize.py:12', timestamp: at(650) }],
    subagent_executions: [{ subagent_type: 'reviewer', task: 'review the patch', status: 'completed', started_at: at(660), completed_at: at(670), result_summary: 'looks right' }],
    commands_run: ['pytest tests/test_resize.py -q', 'git diff --stat'],
    custom: { branch: 'fix/exif', count: i, big: 9_007_199_254_740_991, neg: -42, ratio: 0.25, flag: true, none: null,
      list: [1, 'two', null, false, { deep: { er: [] } }], nested: { zeta: 1, alpha: { y: 'x', b: [] } } },
    extraction_source: 'native',
    reliability_score: i % 2 ? 0.9 : 0.75,
  };
}

const T = (ns: string) => `2026-06-14T09:12:03.${ns}Z`;
/** A BufferData as the crate writes it: nanosecond timestamps, plain values, every field. */
function crateSpec(agent: string, entries: number): Record<string, unknown> {
  return {
    started_at: T('918231007'),
    entries: Array.from({ length: entries }, (_, i) => ({
      timestamp: T(`33011855${i}`),
      context_type: i === 0 ? 'session-start' : 'checkpoint',
      context: {
        agent_type: agent,
        extraction_started: T(`30144221${i}`),
        extraction_completed: i === 0 ? null : T('329870003'),
        session_id: i === 0 ? null : 'a3e9f7d2-61c4-4c0b-b1f8-0d5e2c7a9b34',
        conversation: [{ role: 'user', content: `step ${i}: keep EXIF orientation`, timestamp: T('301620871') }],
        decisions: [{ summary: 'Rotate pixels on import', rationale: i ? 'viewers ignore the tag' : null, alternatives: i ? ['keep it'] : [], impact: null, timestamp: T('329001118') }],
        files: [{ path: 'lib/resize.py', action: ['created', 'modified', 'deleted', 'read'][i % 4], lines_added: i ? 120 * i : null, lines_removed: i ? 7 : null, timestamp: T('329402965') }],
        tasks: [{ description: 'Add a portrait JPEG', status: ['pending', 'in_progress', 'completed', 'failed'][i % 4], started_at: i ? T('1') : null, completed_at: null, subagent: i ? 'tester' : null }],
        insights: i ? ['orientation 6 is 90 degrees clockwise'] : [],
        errors: i ? [{ error_type: 'IOError', message: 'disk full', stack_trace: null, timestamp: T('5') }] : [],
        subagent_executions: i ? [{ subagent_type: 'reviewer', task: 'review', status: 'running', started_at: T('7'), completed_at: null, result_summary: null }] : [],
        commands_run: ['pytest tests/test_resize.py -q'],
        custom: i ? { branch: 'fix/exif', attempt: i, nested: { zeta: [1, 2], alpha: 'a' } } : {},
        extraction_source: i ? 'native' : 'unknown',
        reliability_score: i ? 0.5 : 1,
      },
    })),
    last_flush: null,
    agent_type: agent,
  };
}

/** Has crate-buffer write `spec` as the crate would (through its types); returns the file's text. */
function crateWrite(file: string, spec: unknown): string {
  const specFile = `${file}.spec`;
  fs.writeFileSync(specFile, JSON.stringify(spec));
  const result = crate(['write', file, specFile]);
  fs.rmSync(specFile);
  assert.equal(result.status, 0, `crate-buffer write: ${result.stderr}`);
  return fs.readFileSync(file, 'utf8');
}

describe('the file format across languages (a Rust reader and writer with the crate\'s types)', { skip }, () => {
  before(() => {
    // A binary older than its sources would test yesterday's reader.
    const sources = ['Cargo.toml', 'Cargo.lock', ...fs.readdirSync(path.join(CRATE_PROJECT, 'src')).map((f) => path.join('src', f))];
    const newest = Math.max(...sources.map((f) => fs.statSync(path.join(CRATE_PROJECT, f)).mtimeMs));
    assert.ok(fs.statSync(CRATE).mtimeMs >= newest, `${CRATE} is older than test/interop/crate-reader: run bash test/harness/setup-rust.sh`);
  });

  it('reads a snapshot our CLI wrote: every entry of every agent, every field as we wrote it', () => {
    const dir = tempDir();
    const pushed = new Map<string, Record<string, unknown>[]>();
    for (const agent of ['claude-code', 'codex']) {
      const contexts = [fullContext(agent, 0), fullContext(agent, 1)];
      pushed.set(agent, contexts);
      oursOk(['push', agent, '--type', 'extraction', '--dir', dir], JSON.stringify(contexts[0]));
      oursOk(['push', agent, '--type', 'tool-use', '--dir', dir], JSON.stringify(contexts[1]));
      oursOk(['push', agent, '--type', 'session-end', '--dir', dir], '{}'); // the crate's defaults, nulls and empty lists
      oursOk(['recover', agent, '--dir', dir]); // journals into the snapshot, the only file the crate reads
    }
    for (const [agent, contexts] of pushed) {
      const file = path.join(dir, `${agent}.json`);
      const ourDoc = JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: { context: Record<string, unknown> }[] };
      // What we wrote is what was pushed (else an empty writer would pass what follows).
      assert.deepEqual(crateView(ourDoc.entries.slice(0, 2).map((e) => e.context), 'context'), crateView(contexts, 'context'));
      const read = crateRead(file);
      assert.equal(read.entries, 3, `${agent}: entries the crate read`);
      assert.equal(read.agentType, agent);
      assert.deepEqual(crateView(read.document), crateView(ourDoc), `${agent}: the crate's re-serialisation differs from our file`);
    }
  });

  it('reads a snapshot that compactions appended to, round after round (the bytes before copied, not rewritten)', async () => {
    const dir = tempDir();
    const said: string[] = [];
    const log = { info: (m: string) => said.push(m), warn: (m: string) => said.push(m), error: (m: string) => said.push(m) };
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, compactMinBytes: 1e12, log });
    try {
      for (const [from, to] of [[0, 2], [2, 3], [3, 6]]) {
        for (let i = from; i < to; i++) await buffer.bufferContext('claude-code', fullContext('claude-code', i), 'checkpoint');
        await buffer.flush('claude-code', { compact: true });
      }
    } finally {
      await buffer.dispose();
    }
    assert.equal(said.filter((m) => / appended,/.test(m)).length, 2, `not appended: ${said.join(' | ')}`);
    const file = path.join(dir, 'claude-code.json');
    const read = crateRead(file);
    assert.equal(read.entries, 6);
    assert.deepEqual(crateView(read.document), crateView(JSON.parse(fs.readFileSync(file, 'utf8'))));
  });

  it('reads the archive a full buffer rolled over into, and the emptied snapshot beside it', async () => {
    const dir = tempDir();
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, maxBufferEntries: 3, durability: 'always' });
    try {
      for (let i = 0; i < 4; i++) await buffer.bufferContext('codex', fullContext('codex', i), 'checkpoint');
      await buffer.flush('codex', { compact: true });
    } finally {
      await buffer.dispose();
    }
    const archives = fs.readdirSync(dir).filter((f) => /^codex\.archive-.*\.json$/.test(f));
    assert.equal(archives.length, 1, `one archive in ${fs.readdirSync(dir).join(', ')}`);
    const archiveFile = path.join(dir, archives[0]);
    const read = crateRead(archiveFile);
    assert.equal(read.entries, 4);
    assert.equal(read.agentType, 'codex'); // the full snapshot renamed whole (one atomic step)
    assert.deepEqual(crateView(read.document), crateView(JSON.parse(fs.readFileSync(archiveFile, 'utf8'))));
    assert.equal(crateRead(path.join(dir, 'codex.json')).entries, 0);
  });

  it('shows a file the crate wrote byte for byte (plain values, nanosecond timestamps)', () => {
    const dir = tempDir();
    const crateText = crateWrite(path.join(dir, 'gemini.json'), crateSpec('gemini', 4));
    assert.match(crateText, /"extraction_started": "2026-06-14T09:12:03\.301442210Z"/, 'the crate wrote nanoseconds');
    const shown = oursOk(['show', 'gemini', '--json', '--dir', dir]);
    assert.equal(shown.stderr, '', 'no warning about a file the crate wrote');
    assert.equal(shown.stdout, `${crateText}\n`);
  });

  it('keeps every entry of a file the crate wrote when it recovers it and adds one: the crate reads them all back', () => {
    const dir = tempDir();
    const file = path.join(dir, 'gemini.json');
    crateWrite(file, crateSpec('gemini', 3));
    const before = crateRead(file);
    oursOk(['push', 'gemini', '--dir', dir], JSON.stringify(fullContext('gemini', 7)));
    oursOk(['recover', 'gemini', '--dir', dir]);
    const afterRead = crateRead(file);
    assert.equal(afterRead.entries, 4);
    const entries = (afterRead.document as { entries: unknown[] }).entries;
    assert.deepEqual(entries.slice(0, 3), (before.document as { entries: unknown[] }).entries, 'the crate\'s entries, exactly as it wrote them');
    assert.deepEqual(crateView(entries[3], 'entries'), crateView(JSON.parse(fs.readFileSync(file, 'utf8')).entries[3], 'entries'));
    // And the crate rewriting our file (its recover + flush) leaves a file we still read whole.
    assert.equal(crate(['rewrite', file]).status, 0);
    assert.equal(JSON.parse(oursOk(['show', 'gemini', '--json', '--dir', dir]).stdout).entries.length, 4);
  });

  // The stand-in is only worth its checks if it refuses what the crate refuses and takes what it
  // takes (the spec's "What makes the whole file unreadable to the crate").
  it('refuses what the spec says the crate refuses, and takes what it takes', () => {
    const dir = tempDir();
    const file = path.join(dir, 'generic.json');
    const base = () => crateSpec('generic', 2) as { entries: { context: Record<string, unknown> }[] } & Record<string, unknown>;
    const context = (doc: ReturnType<typeof base>) => doc.entries[1].context;
    const files = (doc: ReturnType<typeof base>) => (context(doc).files as Record<string, unknown>[])[0];
    const verdict = (text: string) => {
      fs.writeFileSync(file, text);
      return crate(['read', file]);
    };
    const refused: [string, (d: ReturnType<typeof base>) => void, RegExp][] = [
      ['a missing array', (d) => delete context(d).insights, /missing field `insights`/],
      ['a missing string', (d) => delete context(d).extraction_source, /missing field `extraction_source`/],
      ['lines_added -1', (d) => (files(d).lines_added = -1), /invalid value: integer `-1`, expected usize/],
      ['lines_added 2.5', (d) => (files(d).lines_added = 2.5), /invalid type: floating point `2.5`, expected usize/],
      ['action "renamed"', (d) => (files(d).action = 'renamed'), /unknown variant `renamed`/],
      ['2026-02-30', (d) => (context(d).extraction_started = '2026-02-30T10:00:00Z'), /out of range/],
      ['offset +25:00', (d) => (context(d).extraction_started = '2026-06-14T10:00:00+25:00'), /out of range/],
      ['no offset', (d) => (context(d).extraction_started = '2026-06-14T10:00:00'), /premature end of input/],
      ['reliability_score "1"', (d) => (context(d).reliability_score = '1'), /invalid type: string "1", expected f32/],
    ];
    for (const [name, change, error] of refused) {
      const doc = base();
      change(doc);
      const result = verdict(JSON.stringify(doc, null, 2));
      assert.equal(result.status, 1, `${name}: refused`);
      assert.match(result.stderr, error, name);
    }
    assert.match(verdict(JSON.stringify(base()).replace('"step 1', '"\\ud800step 1')).stderr, /surrogate|hex escape/, 'a lone surrogate');
    const deep = JSON.stringify(base()).replace('"custom":{}', `"custom":{"d":${'['.repeat(125)}${']'.repeat(125)}}`);
    assert.match(verdict(deep).stderr, /recursion limit exceeded/, '130 levels');

    const taken: [string, (d: ReturnType<typeof base>) => void][] = [
      ['a missing nullable key', (d) => delete context(d).session_id],
      ['unknown keys', (d) => Object.assign(context(d), { id: 'ours', extra: { any: 1 } })],
      ['reliability_score 1.5, -2 and 1', (d) => ((context(d).reliability_score = 1.5), (d.entries[0].context.reliability_score = -2))],
      ['an RFC 3339 offset', (d) => (context(d).extraction_started = '2026-06-14T11:12:03.5+02:00')],
    ];
    for (const [name, change] of taken) {
      const doc = base();
      change(doc);
      const result = verdict(JSON.stringify(doc, null, 2));
      assert.equal(result.status, 0, `${name}: taken (${result.stderr})`);
    }
  });

  // Issue 9, points 1 to 3, against the crate's own reader and writer.
  it('shows a file with the edge values the crate writes byte for byte, and a rewrite keeps every one exactly', () => {
    const dir = tempDir();
    const file = path.join(dir, 'codex.json');
    assert.equal(crate(['write-sample', file, 'codex']).status, 0);
    const original = fs.readFileSync(file, 'utf8');
    for (const literal of ['18446744073709551615', '-9223372036854775808', '9007199254740993', '2.0', '-0.0', '1e300']) assert.ok(original.includes(literal), literal);
    assert.equal(oursOk(['show', 'codex', '--json', '--dir', dir]).stdout, `${original}\n`);
    oursOk(['push', 'codex', '--dir', dir], JSON.stringify({ insights: ['ours, after the crate'] }));
    oursOk(['recover', 'codex', '--dir', dir]);
    const rewritten = fs.readFileSync(file, 'utf8');
    const entriesText = (text: string) => text.slice(text.indexOf('"entries": ['), text.lastIndexOf('\n    }') + 6);
    assert.ok(entriesText(rewritten).startsWith(entriesText(original)), 'the crate-written entries are written back as the crate wrote them');
    // The crate reads the rewrite whole, and its own rewrite of it keeps its entries as they were.
    assert.equal(crateRead(file).entries, (JSON.parse(original) as { entries: unknown[] }).entries.length + 1);
    assert.equal(crate(['rewrite', file]).status, 0);
    assert.equal(JSON.parse(oursOk(['show', 'codex', '--json', '--dir', dir]).stdout).entries.length, crateRead(file).entries);
  });

  it('refuses every value the crate would refuse, so every snapshot we write stays readable by it', () => {
    const dir = tempDir();
    const at = '2026-06-14T10:00:00Z';
    const refused: Array<[string, unknown]> = [
      ['lines_added -1', { files: [{ path: 'a', action: 'modified', lines_added: -1, timestamp: at }] }],
      ['2026-02-30', { extraction_started: '2026-02-30T10:00:00Z' }],
      ['a conversation timestamp of +25:00', { conversation: [{ role: 'user', content: 'x', timestamp: '2026-06-14T10:00:00+25:00' }] }],
      ['a lone surrogate', { insights: ['\ud800'] }],
      ['a lone surrogate in a custom key', { custom: { ['\udc00']: 1 } }],
      // custom counts as the first level: 124 make the file 128 deep.
      ['custom 124 levels deep', { custom: JSON.parse(`${'{"a":'.repeat(124)}1${'}'.repeat(124)}`) as unknown }],
    ];
    for (const [name, context] of refused) {
      const result = ours(['push', 'generic', '--dir', dir], JSON.stringify(context));
      assert.equal(result.status, 1, `${name}: refused (${result.stderr})`);
    }
    // What the crate takes, we take: the deepest custom that fits, reliability 1.5 and -2, a big line count.
    const taken: Array<[string, unknown]> = [
      ['custom 123 levels deep', { custom: JSON.parse(`${'{"a":'.repeat(123)}1${'}'.repeat(123)}`) as unknown }],
      ['reliability 1.5', { reliability_score: 1.5 }],
      ['reliability -2', { reliability_score: -2 }],
      ['lines_added 2^53-1', { files: [{ path: 'a', action: 'modified', lines_added: Number.MAX_SAFE_INTEGER, timestamp: '2026-06-14T11:12:03.5+02:00' }] }],
    ];
    for (const [, context] of taken) oursOk(['push', 'generic', '--dir', dir], JSON.stringify(context));
    oursOk(['recover', 'generic', '--dir', dir]);
    assert.equal(crateRead(path.join(dir, 'generic.json')).entries, taken.length);
  });
});
