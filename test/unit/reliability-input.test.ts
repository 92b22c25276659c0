// What stdin may hold: an input larger than the limit is refused while it is read (memory no
// longer grows with it), invalid UTF-8 is refused with its offset (never replaced by U+FFFD),
// and a context nested too deeply is refused naming the field and the limit (not "Maximum call
// stack size exceeded").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { completeContext } from '../../src/core/schema';
import { MAX_CONTEXT_DEPTH } from '../../src/core/nesting';
import { firstInvalidUtf8 } from '../../src/core/textInput';
import { CLI, runCli, scratch, skipWithout } from './support/hostile';

const TIME = '/usr/bin/time';
const skipTime = skipWithout(fs.existsSync(TIME), '/usr/bin/time');

/** A file of `mb` MB holding one context (a single insight), ending with a newline. */
function bigInput(dir: string, mb: number, hook = false): string {
  const file = path.join(dir, `big-${mb}.json`);
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, hook ? '{"session_id":"s","hook_event_name":"Stop","x":"' : '{"insights":["');
  const block = Buffer.alloc(1024 * 1024, 'a');
  for (let i = 0; i < mb; i++) fs.writeSync(fd, block);
  fs.writeSync(fd, hook ? '"}\n' : '"]}\n');
  fs.closeSync(fd);
  return file;
}

/** The CLI with stdin from `file`, under /usr/bin/time: exit status, stderr, peak RSS in MB. */
function measured(args: string[], file: string): { status: number | null; stderr: string; peakMb: number } {
  const script = `${TIME} -f 'PEAK %M' "$@" < ${JSON.stringify(file)}`;
  const run = spawnSync('bash', ['-c', script, 'bash', process.execPath, CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  const peak = /PEAK (\d+)/.exec(run.stderr);
  assert.ok(peak, run.stderr);
  return { status: run.status, stderr: run.stderr, peakMb: Number(peak[1]) / 1024 };
}

describe('an input larger than the limit is refused while reading', () => {
  for (const mb of [50, 200]) {
    it(`push with ${mb} MB on stdin: refused naming the limit, peak memory far below the input`, { skip: skipTime }, () => {
      const dir = scratch();
      const run = measured(['push', 'foo', '--dir', dir], bigInput(dir, mb));
      assert.equal(run.status, 1);
      assert.match(run.stderr, /refused while reading: an entry may be at most 5\.0 MB \(setting nexusBuffer\.maxEntryBytes\)/);
      assert.ok(run.peakMb < 150, `peak RSS ${run.peakMb.toFixed(0)} MB`);
      assert.equal(fs.readdirSync(dir).filter((n) => n.startsWith('foo.json')).length, 0);
    });
  }

  it('push --from claude-hook with a 200 MB event: refused, peak memory below 150 MB', { skip: skipTime }, () => {
    const dir = scratch();
    const run = measured(['push', '--from', 'claude-hook', '--dir', dir], bigInput(dir, 200, true));
    assert.equal(run.status, 1);
    assert.match(run.stderr, /refused while reading \(the limit of one hook event\)/);
    assert.ok(run.peakMb < 150, `peak RSS ${run.peakMb.toFixed(0)} MB`);
  });

  it('push --stream: a 200 MB line is skipped as it is read, the next line is buffered', { skip: skipTime }, () => {
    const dir = scratch();
    const file = bigInput(dir, 200);
    fs.appendFileSync(file, '{"insights":["small"]}\n');
    const run = measured(['push', 'foo', '--stream', '--dir', dir], file);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /line 1: more than 5\.1 MB in one line refused while reading/);
    assert.ok(run.peakMb < 150, `peak RSS ${run.peakMb.toFixed(0)} MB`);
    const shown = JSON.parse(runCli(['show', 'foo', '--json', '--dir', dir]).stdout) as { entries: Array<{ context: { insights: string[] } }> };
    assert.deepEqual(shown.entries.map((e) => e.context.insights), [['small']]);
  });
});

describe('invalid UTF-8 on stdin is refused with its byte offset', () => {
  const bad = Buffer.concat([Buffer.from('{"insights":["caf'), Buffer.from([0xc3]), Buffer.from('"]}')]);

  it('push: exit 1 naming byte 17, nothing buffered', () => {
    const dir = scratch();
    const run = runCli(['push', 'foo', '--dir', dir], { input: bad });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /stdin: not valid UTF-8 at byte 17 \(0xc3\)/);
    assert.equal(fs.readdirSync(dir).filter((n) => n.startsWith('foo.json')).length, 0);
  });

  it('push --from claude-hook: exit 1 naming the offset', () => {
    const dir = scratch();
    const event = Buffer.concat([Buffer.from('{"session_id":"s","hook_event_name":"Stop","x":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const run = runCli(['push', '--from', 'claude-hook', '--dir', dir], { input: event });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /claude-hook input: not valid UTF-8 at byte 48 \(0xff\)/);
    assert.equal(fs.readdirSync(dir).filter((n) => n.startsWith('claude-code.json')).length, 0);
  });

  it('push --stream: the bad line is refused with its offset in stdin, the others are buffered', () => {
    const dir = scratch();
    const good = '{"insights":["ok"]}\n';
    const run = runCli(['push', 'foo', '--stream', '--dir', dir], { input: Buffer.concat([Buffer.from(good), bad, Buffer.from('\n' + good)]) });
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`line 2: stdin: not valid UTF-8 at byte ${good.length + 17} `));
    assert.equal(run.stdout.match(/^ack /gm)?.length, 2);
  });

  it('firstInvalidUtf8 agrees with a fatal TextDecoder (overlong forms, surrogates, truncation)', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const interesting = [0x00, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xa0, 0xed, 0x9f, 0xef, 0xf0, 0x90, 0xf4, 0x8f, 0xf5, 0xff];
    for (let n = 0; n < 20_000; n++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 6) }, () => interesting[Math.floor(random() * interesting.length)]);
      let valid = true;
      try {
        decoder.decode(bytes);
      } catch {
        valid = false;
      }
      assert.equal(firstInvalidUtf8(bytes) === -1, valid, `bytes ${Buffer.from(bytes).toString('hex')}`);
    }
  });
});

describe('nesting deeper than the limit is refused naming the field and the limit', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it('push with 10,000-deep custom: exit 1 naming context.custom.deep and 124 levels', () => {
    const dir = scratch();
    const run = runCli(['push', 'foo', '--dir', dir], { input: `{"custom":{"deep":${nested(10_000)}}}` });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /context\.custom\.deep\[0\]\[0\].*: nested deeper than 124 levels/);
    assert.doesNotMatch(run.stderr, /call stack/);
  });

  it('the hook path with a 10,000-deep event field: exit 1 naming the field', () => {
    const dir = scratch();
    const run = runCli(['push', '--from', 'claude-hook', '--dir', dir], { input: `{"session_id":"s","hook_event_name":"Stop","x":${nested(10_000)}}` });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /claude-hook input: x\[0\]\[0\].*: nested deeper than 124 levels/);
  });

  it(`a context of ${MAX_CONTEXT_DEPTH} levels is taken, one more is refused (the snapshot then stays within the crate's 128)`, () => {
    // The context object is level 1 and custom level 2: a value under it adds the rest.
    const deep = (levels: number) => JSON.parse(nested(levels)) as unknown;
    assert.doesNotThrow(() => completeContext({ custom: { deep: deep(MAX_CONTEXT_DEPTH - 2) } }, { agentType: 'foo' }));
    assert.throws(() => completeContext({ custom: { deep: deep(MAX_CONTEXT_DEPTH - 1) } }, { agentType: 'foo' }), /context\.custom\.deep.*nested deeper than 124 levels/);
  });
});
