// The host part of writer ids and lock owners (`h<host>p<pid>r<random>`, ownedLock.ts): the first
// 6 hex digits of the SHA-1 of the host name, as every version has written it, and a random
// suffix. Computed here rather than with node:crypto: loading that module costs a hook process
// about 6 ms (Node 20), a tenth of Node's own start-up, for one hash of a short name and four
// random bytes. Neither is a secret: the tag says which machine a pid belongs to, and the suffix
// only keeps names apart.

/** SHA-1 (FIPS 180-4) of the UTF-8 bytes of `text`, as 40 hex digits. */
export function sha1Hex(text: string): string {
  const bytes = new TextEncoder().encode(text);
  // The message, a 1 bit, zeros, and its length in bits as the last 64 bits of a 64-byte block.
  const blocks = ((bytes.length + 8) >> 6) + 1;
  const words = new Uint32Array(blocks * 16);
  for (let i = 0; i < bytes.length; i++) words[i >> 2] |= bytes[i] << (24 - (i & 3) * 8);
  words[bytes.length >> 2] |= 0x80 << (24 - (bytes.length & 3) * 8);
  const bits = bytes.length * 8;
  words[blocks * 16 - 2] = Math.floor(bits / 2 ** 32);
  words[blocks * 16 - 1] = bits >>> 0;
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Uint32Array(80);
  for (let block = 0; block < blocks; block++) {
    for (let t = 0; t < 16; t++) w[t] = words[block * 16 + t];
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
      w[t] = (x << 1) | (x >>> 31);
    }
    let [a, b, c, d, e] = h;
    for (let t = 0; t < 80; t++) {
      const f = t < 20 ? (b & c) | (~b & d) : t < 40 ? b ^ c ^ d : t < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d;
      const k = t < 20 ? 0x5a827999 : t < 40 ? 0x6ed9eba1 : t < 60 ? 0x8f1bbcdc : 0xca62c1d6;
      const next = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) >>> 0;
      e = d;
      d = c;
      c = ((b << 30) | (b >>> 2)) >>> 0;
      b = a;
      a = next;
    }
    h[0] = (h[0] + a) >>> 0;
    h[1] = (h[1] + b) >>> 0;
    h[2] = (h[2] + c) >>> 0;
    h[3] = (h[3] + d) >>> 0;
    h[4] = (h[4] + e) >>> 0;
  }
  return h.map((word) => word.toString(16).padStart(8, '0')).join('');
}

/**
 * `digits` hex digits (at most 8) from Math.random, which V8 seeds from the system's entropy in
 * every process: enough to keep apart names and ids made by different processes.
 */
export function randomHex(digits: number): string {
  return Math.floor(Math.random() * 2 ** (digits * 4)).toString(16).padStart(digits, '0');
}
