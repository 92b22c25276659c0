// Small text formatting helpers for terminal output.

export { formatBytes } from '../core/format';

/** "2026-05-19T13:10:05.330118552Z" → "2026-05-19 13:10:05Z" (seconds are enough in a table). */
export function shortTimestamp(ts: string | null | undefined): string {
  if (!ts) return '-';
  const m = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(ts);
  return m ? `${m[1]} ${m[2]}${m[3].toUpperCase()}` : ts;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((row) => (row[col] ?? '').length)));
  return all
    .map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]))).join('  ').trimEnd())
    .join('\n');
}

/** Makes any message one line (for stderr, and the Claude hook's one-line contract). */
export function oneLine(text: string): string {
  return String(text).replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
