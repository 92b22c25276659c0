// Reading text input (stdin: a context for `push`, JSON lines for `push --stream`, a hook event)
// within a byte limit and as strict UTF-8. The limit is applied while reading, so memory stays
// bounded whatever is piped in; invalid UTF-8 is refused with its byte offset, never replaced
// by U+FFFD (which would silently change what is buffered). A leaf module: the lean hook path
// uses it too.
import { isUtf8 } from 'node:buffer';
import { formatBytes } from './format';

/**
 * The largest hook event read. An event is not the entry: the mappings keep at most a few
 * thousand characters of any output (agents/shared/payload.ts), so an event with a large tool
 * output still makes a small entry, and it is read whole up to this size.
 */
export const MAX_HOOK_PAYLOAD_BYTES = 32 * 1024 * 1024;

/** Input refused as it was read (too large, not UTF-8): the message says what and why. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

export interface InputLimit {
  /** More bytes than this are refused, and reading stops there. */
  maxBytes: number;
  /** The message then, e.g. "stdin: more than 5.1 MB refused while reading: …". */
  refusal: string;
}

/**
 * The limit for one entry's JSON (all of stdin, or one line of a stream): the entry limit and a
 * margin for the input's whitespace.
 */
export function entryInputLimit(maxEntryBytes: number, oneLine = false): InputLimit {
  const maxBytes = maxEntryBytes + 64 * 1024;
  const rule = `an entry may be at most ${formatBytes(maxEntryBytes)} (setting nexusBuffer.maxEntryBytes)`;
  return {
    maxBytes,
    refusal: oneLine
      ? `more than ${formatBytes(maxBytes)} in one line refused while reading: ${rule}; the line was skipped. Leave out large outputs or file contents.`
      : `stdin: more than ${formatBytes(maxBytes)} refused while reading: ${rule}; nothing was buffered. Leave out large outputs or file contents.`,
  };
}

/** The limit for one hook event (MAX_HOOK_PAYLOAD_BYTES). */
export function hookInputLimit(what: string): InputLimit {
  return {
    maxBytes: MAX_HOOK_PAYLOAD_BYTES,
    refusal: `${what}: an event of more than ${formatBytes(MAX_HOOK_PAYLOAD_BYTES)} refused while reading (the limit of one hook event); event not buffered`,
  };
}

/** Offset of the first byte that does not start a valid UTF-8 sequence, or -1 when all is valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  const n = bytes.length;
  const cont = (i: number, lo = 0x80, hi = 0xbf) => i < n && bytes[i] >= lo && bytes[i] <= hi;
  for (let i = 0; i < n; ) {
    const b = bytes[i];
    let size: number;
    if (b < 0x80) size = 1;
    else if (b >= 0xc2 && b <= 0xdf) size = cont(i + 1) ? 2 : 0;
    else if (b === 0xe0) size = cont(i + 1, 0xa0) && cont(i + 2) ? 3 : 0; // no overlong forms
    else if (b === 0xed) size = cont(i + 1, 0x80, 0x9f) && cont(i + 2) ? 3 : 0; // no surrogates
    else if (b >= 0xe1 && b <= 0xef) size = cont(i + 1) && cont(i + 2) ? 3 : 0;
    else if (b === 0xf0) size = cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (b >= 0xf1 && b <= 0xf3) size = cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (b === 0xf4) size = cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3) ? 4 : 0; // ≤ U+10FFFF
    else size = 0;
    if (size === 0) return i;
    i += size;
  }
  return n; // not reached: isUtf8 said something is wrong
}

/** The bytes as text, or InputError naming the first invalid byte (`base`: offset of bytes[0] in the input). */
export function decodeUtf8(bytes: Uint8Array, what: string, base = 0): string {
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const byte = bad < bytes.length ? ` (0x${bytes[bad].toString(16).padStart(2, '0')})` : '';
    throw new InputError(`${what}: not valid UTF-8 at byte ${base + bad}${byte}: refused rather than stored with replacement characters. Send the text as UTF-8.`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
}

/** Chunks of input gathered up to a limit: `add` says false once it is exceeded (the chunk is dropped). */
export class CappedInput {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  over = false;

  constructor(private readonly limit: InputLimit) {}

  add(chunk: Buffer): boolean {
    if (this.over || this.length + chunk.length > this.limit.maxBytes) {
      this.over = true;
      this.chunks.length = 0; // nothing of it is used: free it now
      return false;
    }
    this.chunks.push(chunk);
    this.length += chunk.length;
    return true;
  }

  /** The text read, or InputError (too large, not UTF-8). */
  text(what: string): string {
    if (this.over) throw new InputError(this.limit.refusal);
    return decodeUtf8(Buffer.concat(this.chunks, this.length), what);
  }
}

/**
 * Lines of a byte stream (split at \n, a \r before it dropped), each decoded as strict UTF-8.
 * A line longer than `limit.maxBytes` is not gathered: its bytes are skipped up to its end and
 * an InputError (the refusal) comes in its place; so does one for a line that is not UTF-8.
 */
export async function* cappedLines(input: AsyncIterable<Buffer | string>, limit: InputLimit, what = 'stdin'): AsyncGenerator<string | InputError> {
  let parts: Buffer[] = [];
  let length = 0;
  let over = false;
  let lineStart = 0; // offset of the current line in the input
  let offset = 0; // offset of the current chunk in the input
  const finish = (): string | InputError => {
    let result: string | InputError;
    if (over) result = new InputError(limit.refusal);
    else {
      const line = Buffer.concat(parts, length);
      const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
      try {
        result = decodeUtf8(line.subarray(0, end), what, lineStart);
      } catch (error) {
        result = error as InputError;
      }
    }
    parts = [];
    length = 0;
    over = false;
    return result;
  };
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline < 0 ? chunk.length : newline;
      if (!over && length + (end - start) > limit.maxBytes) {
        over = true;
        parts = [];
        length = 0;
      }
      if (!over && end > start) {
        parts.push(chunk.subarray(start, end));
        length += end - start;
      }
      if (newline < 0) break;
      yield finish();
      lineStart = offset + newline + 1;
      start = newline + 1;
    }
    offset += chunk.length;
  }
  if (length > 0 || over) yield finish();
}
