// Reading an agent's JSON-lines session file from a byte offset, for the session readers
// (src/agents/<agent>/sessionReader.ts). What the agents leave behind is not always clean: a
// crash tears the last line, a file system hands back NUL bytes where a write did not land, a
// line may not be JSON at all. Every line that is a JSON object is handed on; everything else
// becomes a problem with its line number, and nothing here throws for what is in the file.
//
// A last line without its newline may still be being written: it is parsed (when it is whole
// JSON it is imported now) but not consumed, so the next read starts at it again; the records
// it gave carry the same ids the second time, and the importer skips ids it already has.
import { promises as fs } from 'node:fs';
import type { SessionProblem } from '../types';

export interface JsonLine {
  value: Record<string, unknown>;
  /** 1-based line number in the file. */
  line: number;
  /** Byte offset of the line's start in the file. */
  offset: number;
  /** The line's text as it is in the file (without the newline). */
  text: string;
}

export interface JsonLinesRead {
  lines: JsonLine[];
  problems: SessionProblem[];
  /** Where the next read starts: after the last line that ended with a newline. */
  next: { offset: number; line: number };
  /** The file was shorter than the offset asked for (replaced, or truncated): read from 0. */
  restarted: boolean;
}

/** Reads at most this much of a file per call (a session file of hundreds of MB is read in steps). */
export const MAX_READ_BYTES = 64 * 1024 * 1024;

/** `text` without its NUL bytes (what a write that did not land leaves). */
export function withoutNul(text: string): string {
  return text.split('\u0000').join('');
}

/** The lines of `file` from byte `offset` (line number `line`) to its end. Throws only when it cannot be read. */
export async function readJsonLines(file: string, offset = 0, line = 1, maxBytes = MAX_READ_BYTES): Promise<JsonLinesRead> {
  const handle = await fs.open(file, 'r');
  let bytes: Buffer;
  let restarted = false;
  let atEnd: boolean;
  try {
    const { size } = await handle.stat();
    if (offset > size) {
      restarted = true;
      offset = 0;
      line = 1;
    }
    const length = Math.min(size - offset, maxBytes);
    bytes = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(bytes, read, length - read, offset + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    bytes = bytes.subarray(0, read);
    atEnd = offset + read >= size;
  } finally {
    await handle.close();
  }
  const result: JsonLinesRead = { lines: [], problems: [], next: { offset, line }, restarted };
  let start = 0;
  let number = line;
  while (start < bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    const ended = newline !== -1;
    if (!ended && !atEnd) break; // the rest is read with the next step
    const text = bytes.toString('utf8', start, end).replace(/\r$/, '');
    parseLine(file, text, number, offset + start, ended, result);
    if (ended) {
      result.next = { offset: offset + end + 1, line: number + 1 };
      number++;
    }
    start = end + 1;
  }
  return result;
}

function parseLine(file: string, raw: string, line: number, offset: number, ended: boolean, out: JsonLinesRead): void {
  let text = raw;
  if (text.includes('\u0000')) {
    text = withoutNul(text);
    if (text.trim() === '') {
      out.problems.push({ file, line, message: `${raw.length} NUL bytes and nothing else (a write that never landed, e.g. after a crash); skipped` });
      return;
    }
    out.problems.push({ file, line, message: 'NUL bytes in the line (a write that did not land, e.g. after a crash); they were left out' });
  }
  if (text.trim() === '') return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    out.problems.push({
      file,
      line,
      message: ended
        ? `not JSON (${(error as Error).message}); skipped`
        : `the last line is torn (${Buffer.byteLength(text)} bytes without an end: the agent stopped mid-write); skipped, and read again if the file grows`,
    });
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    out.problems.push({ file, line, message: `not a JSON object (${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}); skipped` });
    return;
  }
  out.lines.push({ value: value as Record<string, unknown>, line, offset, text });
}
