// What every figure hands back, and its rendering as plain-text tables.
export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  /** Lines printed under the table (what was measured, caveats). */
  notes?: string[];
}

/** One comparison against its target, measured side by side in this run. */
export interface Verdict {
  figure: string;
  target: string;
  measured: string;
  /** The comparison as a ratio, oriented so that >= 1 meets the target. */
  ratio: number;
  meets: boolean;
  /** Could not be measured here (said in `measured`): shown as such, never as a pass. */
  unmeasured?: boolean;
}

export interface FigureResult {
  name: string;
  /** Set when the figure could not be measured. */
  unavailable?: string;
  json: Record<string, unknown>;
  tables: Table[];
  verdicts: Verdict[];
}

export function renderTable(table: Table): string {
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  const out = [`## ${table.title}`, line(table.headers), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of table.rows) out.push(line(row));
  for (const note of table.notes ?? []) out.push(`  ${note}`);
  return out.join('\n');
}

export function verdictTable(verdicts: Verdict[]): Table {
  return {
    title: 'Targets (each measured side by side in this run)',
    headers: ['figure', 'measured', 'target', 'ratio to target', 'verdict'],
    rows: verdicts.map((v) => [v.figure, v.measured, v.target, Number.isFinite(v.ratio) ? v.ratio.toFixed(2) : 'n/a', v.unmeasured ? 'NOT MEASURED' : v.meets ? 'meets' : 'MISSES']),
    notes: ['ratio to target: >= 1.00 meets it (e.g. 1.60 = 60% better than needed; 0.40 = 60% short).'],
  };
}
