// Salvage against a corpus of damaged files with an oracle: from 500 known entries, damaged
// variants of one snapshot (torn at many offsets, one broken entry, a repeated or object
// `entries`, bytes that are not UTF-8, NUL bytes, a BOM, garbage around it, a second document,
// CRLF, …). For each, the oracle knows which entries' text is intact: every one of them must
// come back unchanged, nothing else may come back, and every entry that is there but broken
// must be counted in what the salvage reports.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completeContext, type BufferEntry } from '../../../src/core/schema';
import { parseSnapshot, serializeSnapshot } from '../../../src/core/snapshot';

const ENTRIES = 500;
const words = ['retry', 'upload', 'cache', 'é', '漢字', '🚀', '{"timestamp": "x"}', 'a "quoted" word', 'back\\slash', '[1, 2]', 'tenant'];

function makeEntry(i: number): BufferEntry {
  const w = (k: number) => words[(i + k) % words.length];
  const ts = `2026-06-14T09:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.${String(i).padStart(9, '0')}Z`;
  const context = completeContext(
    {
      session_id: `session-${i % 7}`,
      conversation: [{ role: 'user', content: `message ${i} about ${w(0)} and ${w(1)}`, timestamp: ts }],
      decisions: i % 3 ? [] : [{ summary: `decide ${w(2)}`, rationale: null, alternatives: [w(3)], impact: null, timestamp: ts }],
      files: i % 4 ? [] : [{ path: `src/${i}.ts`, action: 'modified', lines_added: i, lines_removed: null, timestamp: ts }],
      insights: [`insight ${i}: ${w(4)}`],
      custom: { n: i, nested: { list: [i, w(5)] } },
      reliability_score: 0.5,
    },
    { agentType: 'ag', extractionSource: 'cli', now: ts },
  );
  return { timestamp: ts, context_type: i % 5 ? 'checkpoint' : 'tool-use', context, id: `e${String(i).padStart(3, '0')}` };
}

const originals = Array.from({ length: ENTRIES }, (_, i) => makeEntry(i));
const docOf = (entries: BufferEntry[]) => serializeSnapshot({ started_at: '2026-06-14T09:00:00Z', entries, last_flush: '2026-06-14T10:00:00Z', agent_type: 'ag' });
const TEXT = docOf(originals);
const BYTES = Buffer.from(TEXT, 'utf8');

/** Byte range of each entry's text in BYTES. */
const ranges = (() => {
  const out: Array<[number, number]> = [];
  let from = 0;
  for (const entry of originals) {
    const piece = JSON.stringify(entry, null, 2).replace(/\n/g, '\n    ');
    const at = TEXT.indexOf(piece, from);
    assert.ok(at > 0, 'entry text located');
    const start = Buffer.byteLength(TEXT.slice(0, at));
    out.push([start, start + Buffer.byteLength(piece)]);
    from = at + piece.length;
  }
  return out;
})();

interface Variant {
  name: string;
  bytes: Buffer;
  /** Entries whose text is in the file unchanged. */
  intact: Set<number>;
  /** Entries whose beginning is in the file but whose text is altered: each must be reported. */
  broken: Set<number>;
}

const all = () => new Set(originals.map((_, i) => i));
const entryAt = (offset: number) => ranges.findIndex(([s, e]) => s <= offset && offset < e);
/** The byte offset of `needle` inside entry i (after `after` bytes into it). */
function inEntry(i: number, needle: string, after = 0): number {
  const at = BYTES.indexOf(needle, ranges[i][0] + after);
  assert.ok(at >= 0 && at < ranges[i][1], `${needle} found in entry ${i}`);
  return at;
}

function truncated(cut: number): Variant {
  const intact = new Set<number>();
  const broken = new Set<number>();
  ranges.forEach(([s, e], i) => {
    if (e <= cut) intact.add(i);
    else if (s < cut) broken.add(i);
  });
  return { name: `torn at byte ${cut}`, bytes: BYTES.subarray(0, cut), intact, broken };
}

/** Replaces the bytes at `offset` with `bytes`; entries touched are broken (reported when their beginning is left). */
function replaced(name: string, offset: number, bytes: Buffer | string, length = Buffer.byteLength(bytes)): Variant {
  const out = Buffer.concat([BYTES.subarray(0, offset), Buffer.from(bytes), BYTES.subarray(offset + length)]);
  const intact = all();
  const broken = new Set<number>();
  for (let k = offset; k < offset + Math.max(1, length); k++) {
    const i = entryAt(k);
    if (i >= 0) {
      intact.delete(i);
      if (ranges[i][0] < offset || ranges[i][0] >= offset + length) broken.add(i);
    }
  }
  return { name, bytes: out, intact, broken };
}

const inserted = (name: string, offset: number, bytes: Buffer | string) => replaced(name, offset, bytes, 0);
const between = (i: number) => ranges[i][1] + 1; // just after the comma that follows entry i

function variants(): Variant[] {
  const out: Variant[] = [];
  // Torn at many offsets: in the header, inside entries, at boundaries, in the footer.
  for (const cut of [10, 40, ranges[0][0] + 3, ranges[0][1], ranges[1][0] + 20, ranges[37][0] + 400, ranges[250][0] + 1, ranges[250][1] + 2, ranges[411][1] - 1, ranges[499][1], BYTES.length - 5, BYTES.length - 1]) {
    out.push(truncated(cut));
  }
  out.push(replaced('a flipped quote in entry 7', inEntry(7, '"', 60), "'"));
  out.push(replaced('a flipped quote opening entry 8\'s first key', inEntry(8, '"timestamp"'), "'"));
  out.push(replaced('a { turned into [ in entry 100', inEntry(100, '{', 2), '['));
  out.push(replaced('a } turned into ] in entry 200', inEntry(200, '}'), ']'));
  out.push(replaced('a missing comma between entries 10 and 11', ranges[10][1], '', 1));
  out.push(replaced('a key of entry 10 misspelt (no "context" any more)', inEntry(10, '"context"'), '"contexx"'));
  out.push(replaced('a value of entry 12 the crate refuses', inEntry(12, '"insights"'), '"insights": 5, "x"'));
  out.push(replaced('an 0xFF byte inside a string of entry 42', inEntry(42, 'message') + 2, Buffer.from([0xff]), 1));
  out.push(inserted('an 0xFF byte between entries', between(60), Buffer.from([0xff])));
  out.push(replaced('an overlong NUL (C0 80) in entry 300', inEntry(300, 'insight') + 1, Buffer.from([0xc0, 0x80]), 2));
  out.push(replaced('a cut multibyte sequence in entry 301', inEntry(301, 'message') + 1, Buffer.from([0xe2, 0x82]), 2));
  out.push(replaced('a lone surrogate encoded in UTF-8 in entry 302', inEntry(302, 'message') + 1, Buffer.from([0xed, 0xa0, 0x80]), 3));
  out.push(replaced('a NUL byte inside a string of entry 5', inEntry(5, 'message') + 3, Buffer.from([0]), 1));
  out.push(inserted('a NUL byte between entries', between(70), Buffer.from([0])));
  out.push(replaced('a block of zeros over entries 150-152', ranges[150][0] + 100, Buffer.alloc(ranges[152][1] - ranges[150][0] - 200), ranges[152][1] - ranges[150][0] - 200));
  out.push(replaced('random bytes over the end of entry 320', ranges[320][1] - 300, Buffer.from(Array.from({ length: 300 }, (_, k) => (k * 197 + 31) % 256)), 300));
  out.push(inserted('the entries list closed early after entry 250', ranges[250][1], ']'));
  out.push({ name: 'a byte-order mark', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), BYTES]), intact: all(), broken: new Set() });
  out.push({ name: 'garbage before the document', bytes: Buffer.concat([Buffer.from('\u0000garbage } ] {"x": '), BYTES]), intact: all(), broken: new Set() });
  out.push({ name: 'garbage after the document', bytes: Buffer.concat([BYTES, Buffer.from('\n}]\u0000 trailing "junk": {')]), intact: all(), broken: new Set() });
  out.push({ name: 'CRLF line ends', bytes: Buffer.from(TEXT.replace(/\n/g, '\r\n')), intact: all(), broken: new Set() });
  {
    const crlf = Buffer.from(TEXT.replace(/\n/g, '\r\n'));
    const cut = crlf.indexOf('"e123"');
    out.push({ name: 'CRLF line ends, torn inside entry 123', bytes: crlf.subarray(0, cut), intact: new Set(originals.map((_, i) => i).filter((i) => i < 123)), broken: new Set([123]) });
  }
  {
    // The crate's in-place write of a shorter document over a longer file leaves the old tail.
    const shorter = Buffer.from(docOf(originals.slice(0, 50)));
    const bytes = Buffer.concat([shorter, BYTES.subarray(shorter.length)]);
    const intact = new Set<number>();
    ranges.forEach(([s], i) => (i < 50 || s >= shorter.length) && intact.add(i));
    out.push({ name: 'a shorter document written over a longer one', bytes, intact, broken: new Set() });
  }
  out.push({ name: 'two documents one after the other', bytes: Buffer.concat([BYTES, Buffer.from('\n'), BYTES]), intact: all(), broken: new Set() });
  {
    const doc = JSON.parse(TEXT);
    const text = JSON.stringify(doc, null, 2).replace('"entries": [', '"entries": [], "entries": [');
    out.push({ name: 'a repeated "entries" key (the first one empty)', bytes: Buffer.from(text), intact: all(), broken: new Set() });
    const split = `{"started_at": "2026-06-14T09:00:00Z", "entries": ${JSON.stringify(doc.entries.slice(0, 250))}, "last_flush": null, "entries": ${JSON.stringify(doc.entries.slice(250))}, "agent_type": "ag"}`;
    out.push({ name: 'a repeated "entries" key, half of the entries in each', bytes: Buffer.from(split), intact: all(), broken: new Set() });
    const object = { ...doc, entries: Object.fromEntries(doc.entries.map((e: unknown, i: number) => [String(i), e])) };
    out.push({ name: '"entries" an object', bytes: Buffer.from(JSON.stringify(object, null, 2)), intact: all(), broken: new Set() });
    const compact = JSON.stringify(doc);
    const at = compact.indexOf('"e200"');
    out.push({ name: 'one line (no indentation), torn inside entry 200', bytes: Buffer.from(compact.slice(0, at)), intact: new Set(originals.map((_, i) => i).filter((i) => i < 200)), broken: new Set([200]) });
  }
  return out;
}

describe('salvage of a corpus of damaged snapshots', () => {
  const corpus = variants();

  it('has a corpus of more than 34 damaged files', () => {
    assert.ok(corpus.length > 34, `${corpus.length} variants`);
  });

  const totals = { intact: 0, salvaged: 0, broken: 0, reported: 0 };
  for (const variant of corpus) {
    it(`${variant.name}: every intact entry comes back unchanged and every broken one is reported`, () => {
      const parsed = parseSnapshot(variant.bytes);
      const byId = new Map(parsed.entries.map((e) => [e.id, e]));
      for (const i of variant.intact) {
        const got = byId.get(originals[i].id);
        assert.ok(got, `entry ${i} is salvaged`);
        assert.deepEqual(got, originals[i], `entry ${i} is unchanged`);
      }
      for (const entry of parsed.entries) {
        const i = originals.findIndex((o) => o.id === entry.id);
        assert.ok(variant.intact.has(i), `${entry.id} was intact (no altered entry comes back)`);
      }
      assert.equal(parsed.entries.length, variant.intact.size, 'each entry once');
      assert.ok((parsed.lost ?? 0) >= variant.broken.size, `${variant.broken.size} broken entries reported (reported ${parsed.lost ?? 0}: ${parsed.problems.join('; ')})`);
      // A BOM or CRLF line ends are not damage (every entry is as it was); the rest is.
      if (!['a byte-order mark', 'CRLF line ends'].includes(variant.name)) assert.ok(parsed.damaged && parsed.problems.length > 0, 'the damage is reported');
      totals.intact += variant.intact.size;
      totals.salvaged += parsed.entries.length;
      totals.broken += variant.broken.size;
      totals.reported += Math.min(parsed.lost ?? 0, variant.broken.size);
    });
  }

  it('adds up', (t) => {
    t.diagnostic(`${corpus.length} damaged files: ${totals.salvaged} of ${totals.intact} intact entries salvaged; ${totals.reported} of ${totals.broken} broken entries reported`);
    assert.equal(totals.salvaged, totals.intact);
    assert.equal(totals.reported, totals.broken);
  });
});
