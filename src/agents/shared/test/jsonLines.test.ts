// Reading agents' JSON-lines session files from an offset: torn tails, NUL bytes, lines that are
// not JSON, never a throw, every valid line kept, problems with their line numbers.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { instantOf } from '../instant';
import { readJsonLines } from '../jsonLines';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-jsonlines-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fileWith = (text: string | Buffer) => {
  const file = path.join(dir, `f${++n}.jsonl`);
  writeFileSync(file, text);
  return file;
};

test('every valid line is read; a non-JSON line, an array, NUL-only and a torn tail are problems with their line numbers', async () => {
  const file = fileWith(Buffer.concat([
    Buffer.from('{"a":1}\nnot json at all\n[1,2]\n'),
    Buffer.from([0, 0, 0, 0, 0x0a]),
    Buffer.from('{"b":\u0000 2}\n\n{"c":3}\n{"d":'),
  ]));
  const read = await readJsonLines(file);
  assert.deepEqual(read.lines.map((l) => [l.line, l.value]), [[1, { a: 1 }], [5, { b: 2 }], [7, { c: 3 }]]);
  assert.deepEqual(read.problems.map((p) => [p.file, p.line]), [[file, 2], [file, 3], [file, 4], [file, 5], [file, 8]]);
  assert.match(read.problems[0]!.message, /not JSON/);
  assert.match(read.problems[2]!.message, /NUL bytes and nothing else/);
  assert.match(read.problems[3]!.message, /NUL bytes in the line/);
  assert.match(read.problems[4]!.message, /last line is torn/);
  // The torn line is not consumed: the next read starts at it.
  assert.equal(read.next.line, 8);
  assert.equal(read.next.offset, Buffer.byteLength('{"a":1}\nnot json at all\n[1,2]\n') + 5 + Buffer.byteLength('{"b":\u0000 2}\n\n{"c":3}\n'));
});

test('a grown file is read from the offset: only the new lines, numbered on; a torn tail completed later is read then', async () => {
  const file = fileWith('{"a":1}\n{"b":');
  const first = await readJsonLines(file);
  assert.deepEqual(first.lines.map((l) => l.value), [{ a: 1 }]);
  appendFileSync(file, '2}\n{"c":3}\n');
  const second = await readJsonLines(file, first.next.offset, first.next.line);
  assert.deepEqual(second.lines.map((l) => [l.line, l.value]), [[2, { b: 2 }], [3, { c: 3 }]]);
  assert.deepEqual(second.problems, []);
  assert.equal(second.restarted, false);
});

test('an offset past the end (the file was replaced by a shorter one) reads it again from the start', async () => {
  const file = fileWith('{"a":1}\n');
  const read = await readJsonLines(file, 1000, 40);
  assert.equal(read.restarted, true);
  assert.deepEqual(read.lines.map((l) => [l.line, l.value]), [[1, { a: 1 }]]);
});

test('a whole JSON last line without its newline is read but not consumed', async () => {
  const file = fileWith('{"a":1}\n{"b":2}');
  const read = await readJsonLines(file);
  assert.deepEqual(read.lines.map((l) => l.value), [{ a: 1 }, { b: 2 }]);
  assert.deepEqual(read.next, { offset: 8, line: 2 });
});

test('instantOf refuses what the crate refuses: no such day, no offset, an offset of 24 hours', () => {
  assert.equal(instantOf('2026-12-02T01:37:32.763Z'), '2026-12-02T01:37:32.763Z');
  assert.equal(instantOf('2026-02-30T10:00:00Z'), undefined);
  assert.equal(instantOf('2026-02-28T10:00:00'), undefined);
  assert.equal(instantOf('2026-02-28T10:00:00+24:00'), undefined);
  assert.equal(instantOf(1796175452639), new Date(1796175452639).toISOString());
});
