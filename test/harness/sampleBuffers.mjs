// Writes buffer files as the Rust crate `nexus-memory-hooks` writes them (see
// ../shared/spec/buffer-format.md): one pretty-printed `<agent>.json` per agent, every key
// present, nanosecond timestamps, no trailing newline. Used by the UI tests and `npm start -- --demo`.
import fs from 'node:fs';
import path from 'node:path';

export const DEFAULT_SAMPLE_COUNTS = { 'claude-code': 14, codex: 3, gemini: 1 };

const TOPICS = [
  { ask: 'Make the image resizer keep EXIF orientation', file: 'lib/resize.py', cmd: 'pytest tests/test_resize.py -q' },
  { ask: 'Add retry with backoff to the upload client', file: 'src/upload/client.ts', cmd: 'npm test -- --grep upload' },
  { ask: 'Fix the flaky date parsing test on Windows', file: 'src/dates/parse.ts', cmd: 'npx vitest run dates' },
  { ask: 'Move the settings page to the new form library', file: 'web/settings/Page.tsx', cmd: 'pnpm build' },
  { ask: 'Explain why the cache misses after deploys', file: 'infra/cache.tf', cmd: 'terraform plan' },
];
const CONTEXT_TYPES = ['session-start', 'tool-use', 'tool-use', 'checkpoint', 'extraction', 'error', 'compact'];

/** An RFC 3339 UTC timestamp with 9 fraction digits, `offsetMs` after `base`. */
function nanoTimestamp(base, offsetMs, salt) {
  const iso = new Date(base + offsetMs).toISOString(); // ...T13:02:44.918Z
  const nanos = String((salt * 7919 + 131) % 1000000).padStart(6, '0');
  return `${iso.slice(0, -1)}${nanos}Z`;
}

/** A tag unique to entry `index` (0-based) of `agent`, e.g. "claude-code-entry-07" (tests look for it). */
export function sampleTag(agent, index) {
  return `${agent}-entry-${String(index + 1).padStart(2, '0')}`;
}

/** The command seeded in entry `index` of `agent`; it carries the entry's tag. */
export function sampleCommand(agent, index) {
  return `${TOPICS[index % TOPICS.length].cmd} --tag ${sampleTag(agent, index)}`;
}

export function sampleBuffer(agent, count, { base = Date.parse('2026-05-19T13:02:44.918Z') } = {}) {
  const entries = [];
  for (let i = 0; i < count; i++) {
    const topic = TOPICS[i % TOPICS.length];
    const t = (ms, salt) => nanoTimestamp(base, i * 60000 + ms, i * 13 + salt);
    const isError = CONTEXT_TYPES[i % CONTEXT_TYPES.length] === 'error';
    entries.push({
      timestamp: t(900, 1),
      context_type: CONTEXT_TYPES[i % CONTEXT_TYPES.length],
      context: {
        agent_type: agent,
        extraction_started: t(0, 2),
        extraction_completed: t(850, 3),
        session_id: `5e55${String(i).padStart(4, '0')}-61c4-4c0b-b1f8-0d5e2c7a9b34`,
        conversation: [
          { role: 'user', content: topic.ask, timestamp: t(10, 4) },
          { role: 'assistant', content: `Looking at ${topic.file} first.`, timestamp: t(400, 5) },
        ],
        decisions: [{
          summary: `Change ${topic.file} rather than its callers`,
          rationale: 'Keeps the fix in one place',
          alternatives: ['Patch every caller'],
          impact: null,
          timestamp: t(500, 6),
        }],
        files: [{ path: topic.file, action: 'modified', lines_added: 12 + i, lines_removed: i % 4, timestamp: t(600, 7) }],
        tasks: [{ description: `Verify: ${topic.ask}`, status: i % 3 === 0 ? 'completed' : 'in_progress', started_at: t(20, 8), completed_at: i % 3 === 0 ? t(800, 9) : null, subagent: null }],
        insights: [`${topic.file} is covered by ${topic.cmd.split(' ')[0]}`],
        errors: isError ? [{ error_type: 'TestFailure', message: `1 failing test after editing ${topic.file}`, stack_trace: null, timestamp: t(700, 10) }] : [],
        subagent_executions: [],
        commands_run: [sampleCommand(agent, i)],
        custom: { branch: `fix/${agent}-${i + 1}`, nested: { step: i + 1, tags: ['sample'] } },
        extraction_source: 'native',
        reliability_score: 1.0,
      },
    });
  }
  return {
    started_at: nanoTimestamp(base, -1000, 99),
    entries,
    last_flush: count > 0 ? entries[count - 1].timestamp : null,
    agent_type: agent,
  };
}

/** Writes `<dir>/<agent>.json` for each agent of `counts`; returns the file paths. */
export function writeSampleBuffers(dir, counts = DEFAULT_SAMPLE_COUNTS, options) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return Object.entries(counts).map(([agent, count]) => {
    const file = path.join(dir, `${agent}.json`);
    // The crate writes serde_json's pretty output: 2 spaces, no trailing newline. JSON.stringify
    // prints 1.0 as 1, which the crate reads the same.
    fs.writeFileSync(file, JSON.stringify(sampleBuffer(agent, count, options), null, 2), { mode: 0o600 });
    return file;
  });
}
