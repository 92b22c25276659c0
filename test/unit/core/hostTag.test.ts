// The host tag of writer ids and lock owners must stay what earlier versions computed with
// node:crypto's SHA-1, or a new hook would take an older writer's live process for one on
// another machine (ownedLock.ts). So the hand-written SHA-1 is checked against node:crypto.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import { describe, it } from 'node:test';
import { randomHex, sha1Hex } from '../../../src/core/hostTag';
import { HOST, newWriterId } from '../../../src/core/ownedLock';

const nodeSha1 = (text: string) => createHash('sha1').update(text).digest('hex');

describe('host tag', () => {
  it('is SHA-1 as node:crypto computes it, at every padding boundary and for any text', () => {
    const texts = ['', 'a', 'abc', os.hostname(), 'dev-laptop.local', 'ホスト名', 'café', '\u{1F600}host', '\ud800'];
    // 55, 56 and 64 bytes are where the padding needs a second block; 119/120 a third.
    for (let n = 0; n <= 130; n++) texts.push('x'.repeat(n));
    let seed = 7;
    for (let i = 0; i < 300; i++) {
      let text = '';
      const length = (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 200;
      for (let j = 0; j < length; j++) text += String.fromCharCode(((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 0x2fff) + 1);
      texts.push(text);
    }
    for (const text of texts) assert.equal(sha1Hex(text), nodeSha1(text), JSON.stringify(text));
    assert.equal(sha1Hex('abc'), 'a9993e364706816aba3e25717850c26c9cd0d89d'); // FIPS 180-4's example
  });

  it('is the first 6 digits of the host name\'s SHA-1, in the writer ids', () => {
    assert.equal(HOST, nodeSha1(os.hostname()).slice(0, 6));
    assert.match(newWriterId(), new RegExp(`^h${HOST}p${process.pid}r[0-9a-f]{8}$`));
  });

  it('random suffixes are 8 hex digits and do not repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const hex = randomHex(8);
      assert.match(hex, /^[0-9a-f]{8}$/);
      seen.add(hex);
    }
    assert.ok(seen.size > 9_990, `${seen.size} distinct of 10,000`);
  });
});
