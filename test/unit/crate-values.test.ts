// Values as the crate writes them and as its reader accepts them (issue 9, points 1 to 3): a
// crate-written file comes back byte for byte from `show --json` and from a rewrite; values the
// crate accepts are taken; values it refuses never reach a snapshot.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PersistentBuffer } from '../../src/core/buffer';
import { runCli, scratch } from './support/hostile';

const ROOT = path.resolve(__dirname, '../../..');
const CRATE_FULL = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'crate-full.json'), 'utf8');

/** Values JSON.parse changes, as serde_json writes them (the keys of `custom` in no fixed order). */
const EDGE_CUSTOM = `{
          "10": 1,
          "9": 2,
          "u64_max": 18446744073709551615,
          "i64_min": -9223372036854775808,
          "past_2_53": 9007199254740993,
          "float_two": 2.0,
          "negative_zero": -0.0,
          "huge": 1e300,
          "tiny": 5e-324,
          "nested": {
            "a": [
              1.0,
              123456789012345678901234567890
            ],
            "b": "caf\\u00e9 \\u001f"
          }
        }`;

/** crate-full.json with the edge values in one entry's custom, a reliability of 1.5 and huge line counts. */
function crateFileWithEdges(): string {
  let replaced = 0;
  const text = CRATE_FULL.replace(/"custom": \{\}/, () => {
    replaced++;
    return `"custom": ${EDGE_CUSTOM}`;
  }).replace('"reliability_score": 0.85', '"reliability_score": 1.5');
  assert.equal(replaced, 1);
  assert.ok(text.includes('"reliability_score": 1.5'));
  return text;
}

function writeCrateFile(dir: string, agent: string, text: string): string {
  const file = path.join(dir, `${agent}.json`);
  fs.writeFileSync(file, text.replace(/"agent_type": "claude-code"\n\}$/, `"agent_type": "${agent}"\n}`));
  return file;
}

describe('numbers and keys as the crate wrote them', () => {
  it('show --json of a crate-written file is byte-identical to it', () => {
    const dir = scratch();
    const file = writeCrateFile(dir, 'claude-code', crateFileWithEdges());
    const shown = runCli(['show', 'claude-code', '--json', '--dir', dir]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal(shown.stdout.replace(/\n$/, ''), fs.readFileSync(file, 'utf8'));
  });

  it('a rewrite (recover, then a push and a compaction) keeps every crate-written value exactly', async () => {
    const dir = scratch();
    const original = crateFileWithEdges();
    const file = writeCrateFile(dir, 'claude-code', original);
    const recovered = runCli(['recover', 'claude-code', '--dir', dir]);
    assert.equal(recovered.status, 0, recovered.stderr);
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0 });
    await buffer.bufferContext('claude-code', { insights: ['after the crate'], custom: { n: 3 } });
    await buffer.flush('claude-code', { compact: true });
    await buffer.dispose();
    const rewritten = fs.readFileSync(file, 'utf8');
    // Every original entry's text is in the new file unchanged; the new entry follows.
    const entriesOf = (text: string) => text.slice(text.indexOf('"entries": [') + 12, text.lastIndexOf('\n  ],'));
    assert.ok(entriesOf(rewritten).startsWith(entriesOf(original)), 'the crate-written entries are written back as they were');
    for (const literal of ['18446744073709551615', '-9223372036854775808', '9007199254740993', '2.0', '-0.0', '1e300', '5e-324', '123456789012345678901234567890', '"reliability_score": 1.5']) {
      assert.ok(rewritten.includes(literal), `${literal} kept`);
    }
    assert.ok(rewritten.indexOf('"10": 1') < rewritten.indexOf('"9": 2'), 'integer-like keys keep their order');
  });
});

describe("the crate's reader's rules", () => {
  it('a value the crate accepts is taken: reliability 1.5 and -2, huge line counts', () => {
    const dir = scratch();
    const text = CRATE_FULL.replace('"reliability_score": 0.85', '"reliability_score": -2').replace(/"lines_added": \d+/, '"lines_added": 18446744073709551615');
    assert.ok(text.includes('18446744073709551615'));
    writeCrateFile(dir, 'codex', text);
    const listed = runCli(['list', '--json', '--dir', dir]);
    assert.equal(listed.status, 0, listed.stderr);
    const [status] = JSON.parse(listed.stdout) as Array<{ entries_count: number; problems: string[] }>;
    const expected = (JSON.parse(text) as { entries: unknown[] }).entries.length;
    assert.deepEqual(status.problems, []);
    assert.equal(status.entries_count, expected);
    const recovered = runCli(['recover', 'codex', '--dir', dir]);
    assert.equal(recovered.status, 0, recovered.stderr);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes('damaged')), [], 'nothing set aside');
  });

  it('push with --reliability-like values the crate reads (1.5) is accepted', () => {
    const dir = scratch();
    const pushed = runCli(['push', 'codex', '--dir', dir], { input: JSON.stringify({ reliability_score: 1.5 }) });
    assert.equal(pushed.status, 0, pushed.stderr);
  });

  it('an entry the crate cannot read, found in a journal, is reported and never reaches the snapshot', async () => {
    const dir = scratch();
    // A one-shot writer's journal (the shared one), as a hook call leaves it.
    const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0, sharedJournal: true });
    const good = await buffer.bufferContext('codex', { insights: ['good'] });
    await buffer.dispose();
    // What an older version could have written: a negative line count, an impossible date, a lone surrogate.
    const journal = fs.readdirSync(dir).find((n) => n.startsWith('codex.json.wal-'))!;
    const bad = (patch: Record<string, unknown>) => JSON.stringify({ ...good, id: `bad-${Object.keys(patch)[0]}`, context: { ...good.context, ...patch } });
    fs.appendFileSync(path.join(dir, journal), [
      bad({ files: [{ path: 'a', action: 'modified', lines_added: -1, lines_removed: null, timestamp: good.timestamp }] }),
      bad({ extraction_started: '2026-02-30T10:00:00Z' }),
      bad({ insights: ['\ud800'] }),
    ].join('\n') + '\n');
    const recovered = runCli(['recover', 'codex', '--dir', dir]);
    assert.equal(recovered.status, 0, recovered.stderr);
    const snapshot = JSON.parse(fs.readFileSync(path.join(dir, 'codex.json'), 'utf8')) as { entries: Array<{ id: string }> };
    assert.deepEqual(snapshot.entries.map((e) => e.id), [good.id]);
    assert.match(recovered.stderr, /codex\.json\.rejected-\S+ holds journal lines that are not entries the crate could read; they were kept aside, not merged/);
    const kept = fs.readdirSync(dir).filter((n) => n.startsWith('codex.json.rejected-'));
    assert.equal(kept.length, 1);
    assert.match(fs.readFileSync(path.join(dir, kept[0]), 'utf8'), /bad-files/);
  });
});

describe('names the crate wrote', () => {
  it('a crate buffer whose name our writer refuses (`my agent.json`) is listed, shown and recovered; only creating one is refused', () => {
    const dir = scratch();
    writeCrateFile(dir, 'my agent', CRATE_FULL);
    const count = (JSON.parse(CRATE_FULL) as { entries: unknown[] }).entries.length;
    const listed = runCli(['list', '--json', '--dir', dir]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual((JSON.parse(listed.stdout) as Array<{ agent_type: string; entries_count: number }>).map((b) => [b.agent_type, b.entries_count]), [['my agent', count]]);
    const shown = runCli(['show', 'my agent', '--json', '--dir', dir]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal((JSON.parse(shown.stdout) as { entries: unknown[] }).entries.length, count);
    const recovered = runCli(['recover', 'my agent', '--dir', dir]);
    assert.equal(recovered.status, 0, recovered.stderr);
    const pushed = runCli(['push', 'my agent', '--dir', dir], { input: '{}' });
    assert.equal(pushed.status, 1);
    assert.match(pushed.stderr, /invalid agent name "my agent"/);
    const other = runCli(['push', 'new agent', '--dir', dir], { input: '{}' });
    assert.equal(other.status, 1);
    assert.ok(!fs.readdirSync(dir).some((n) => n.startsWith('new agent')), 'no file of a refused name');
    for (const hostile of ['../x', '.hidden']) {
      const refused = runCli(['show', hostile, '--dir', dir]);
      assert.equal(refused.status, 1, hostile);
      assert.match(refused.stderr, /invalid agent name/);
    }
  });
});
