#!/usr/bin/env node
// What happens today to each edge value of the file format, in both directions, between our CLI
// (dist/cli.js) and the crate stand-in (crate-buffer): a report, not a test. Each case is tried
// alone in a fresh folder, so one refusal does not hide another.
//
//   node test/interop/edge-report.mjs [path/to/crate-buffer]
//
// Crate -> us: crate-buffer writes a file holding the value, then `show --json` reads it and
// `recover` rewrites it, and crate-buffer reads the rewrite. Us -> crate: `push` takes the value,
// `recover` writes the snapshot, crate-buffer reads it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const cache = process.env.NEXUS_TEST_TOOLS_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'nexus-buffer');
const crate = process.argv[2] || process.env.NEXUS_CRATE_BUFFER || path.join(cache, 'crate-reader-target', 'release', 'crate-buffer');
const AGENT = 'claude-code';

const run = (file, args, input) => {
  const r = spawnSync(file, args, { input, encoding: 'utf8', cwd: os.tmpdir(), env: { ...process.env, NEXUS_BUFFER_DIR: undefined } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '').trim().replace(/\s+/g, ' ') };
};
const ours = (args, input) => run(process.execPath, [cli, ...args], input);
const made = [];
const fresh = () => {
  made.push(fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-edge-')));
  return made.at(-1);
};
const short = (text, n = 160) => (text.length > n ? `${text.slice(0, n)}…` : text);
/** The raw text after `"key": ` in a JSON document (a scalar, up to the line's end). */
const rawAfter = (text, key) => text.match(new RegExp(`"${key}": ([^\\n]*?),?\\n`))?.[1];

const T = '2026-06-14T09:12:03.418275913Z';
/** A crate-format document (text, so any number survives) with one entry; parts are raw JSON. */
function crateDoc({ custom = '{}', reliability = '1.0', files = '[]', extractionStarted = `"${T}"` } = {}) {
  return `{
  "started_at": "${T}",
  "entries": [
    {
      "timestamp": "${T}",
      "context_type": "checkpoint",
      "context": {
        "agent_type": "${AGENT}",
        "extraction_started": ${extractionStarted},
        "extraction_completed": null,
        "session_id": null,
        "conversation": [],
        "decisions": [],
        "files": ${files},
        "tasks": [],
        "insights": [],
        "errors": [],
        "subagent_executions": [],
        "commands_run": [],
        "custom": ${custom},
        "extraction_source": "native",
        "reliability_score": ${reliability}
      }
    }
  ],
  "last_flush": null,
  "agent_type": "${AGENT}"
}`;
}

/** Crate writes `doc` (through its own types), we show and recover it, the crate reads it again. */
function crateToUs(name, doc, key) {
  const dir = fresh();
  const spec = path.join(dir, 'spec.txt');
  const file = path.join(dir, `${AGENT}.json`);
  fs.writeFileSync(spec, doc);
  const written = run(crate, ['write', file, spec]);
  if (written.status !== 0) return { name, dir: 'crate->us', result: `the crate refuses to write it: ${written.stderr}` };
  const crateText = fs.readFileSync(file, 'utf8');
  const show = ours(['show', AGENT, '--json', '--dir', dir]);
  const showEntries = show.status === 0 ? JSON.parse(show.stdout).entries.length : 'n/a';
  const recover = ours(['recover', AGENT, '--dir', dir]);
  const after = fs.readFileSync(file, 'utf8');
  const reread = run(crate, ['read', file]);
  const rereadEntries = reread.status === 0 ? JSON.parse(reread.stdout).entries : 'n/a';
  const parts = [
    `crate wrote ${key ? `${key}: ${rawAfter(crateText, key)}` : 'it'}`,
    `show --json: exit ${show.status}, ${showEntries} of 1 entries${key && show.status === 0 ? `, ${key}: ${rawAfter(show.stdout, key) ?? '(missing)'}` : ''}${show.stderr ? ` [stderr: ${short(show.stderr)}]` : ''}`,
    `recover: exit ${recover.status}, file then has ${key ? `${key}: ${rawAfter(after, key) ?? '(missing)'}` : `${(after.match(/"context_type"/g) ?? []).length} entries`}`,
    `crate re-reads: exit ${reread.status}, ${rereadEntries} entries${reread.status ? ` (${short(reread.stderr)})` : ''}`,
  ];
  if (show.status === 0) parts.push(`show --json byte-identical to the crate's file: ${show.stdout.replace(/\n$/, '') === crateText ? 'yes' : 'no'}`);
  return { name, dir: 'crate->us', result: parts.join('; ') };
}

/** We take `input` with push, write the snapshot with recover, the crate reads it. */
function usToCrate(name, input, key) {
  const dir = fresh();
  const push = ours(['push', AGENT, '--dir', dir], input);
  if (push.status !== 0) return { name, dir: 'us->crate', result: `push refuses it: exit ${push.status}, ${short(push.stderr)}` };
  ours(['recover', AGENT, '--dir', dir]);
  const file = path.join(dir, `${AGENT}.json`);
  const text = fs.readFileSync(file, 'utf8');
  const read = run(crate, ['read', file]);
  const ours_ = key ? `our snapshot has ${key}: ${short(rawAfter(text, key) ?? '(missing)', 80)}; ` : '';
  const theirs = read.status === 0 && key ? `, re-serialised ${key}: ${short(rawAfter(JSON.parse(read.stdout).document, key) ?? '(missing)', 80)}` : '';
  return { name, dir: 'us->crate', result: `push: exit 0; ${ours_}crate reads it: exit ${read.status}${read.status ? ` (${short(read.stderr)})` : theirs}` };
}

const deep = (n) => `${'{"d":'.repeat(n)}1${'}'.repeat(n)}`;
const cases = [
  crateToUs('plain values, nanosecond timestamps', crateDoc({ custom: '{"branch": "main", "n": 42}' }), 'extraction_started'),
  crateToUs('custom u64::MAX', crateDoc({ custom: '{"v": 18446744073709551615}' }), 'v'),
  crateToUs('custom i64::MIN', crateDoc({ custom: '{"v": -9223372036854775808}' }), 'v'),
  crateToUs('custom 2^53+1', crateDoc({ custom: '{"v": 9007199254740993}' }), 'v'),
  crateToUs('custom 2.0', crateDoc({ custom: '{"v": 2.0}' }), 'v'),
  crateToUs('custom -0.0', crateDoc({ custom: '{"v": -0.0}' }), 'v'),
  crateToUs('custom 1e300', crateDoc({ custom: '{"v": 1e300}' }), 'v'),
  crateToUs('custom keys "10","9" (order as the crate wrote them)', crateDoc({ custom: '{"10": "ten", "9": "nine", "b": 1, "a": 2}' })),
  crateToUs('custom nested object (crate sorts its keys)', crateDoc({ custom: '{"o": {"zeta": 1, "alpha": {"y": 2, "b": 3}}}' })),
  crateToUs('reliability_score 1.5', crateDoc({ reliability: '1.5' }), 'reliability_score'),
  crateToUs('reliability_score -2', crateDoc({ reliability: '-2' }), 'reliability_score'),
  crateToUs('lines_added 4294967296', crateDoc({ files: `[{"path": "a", "action": "read", "lines_added": 4294967296, "lines_removed": null, "timestamp": "${T}"}]` }), 'lines_added'),
  crateToUs('lines_added 2^53+1', crateDoc({ files: `[{"path": "a", "action": "read", "lines_added": 9007199254740993, "lines_removed": null, "timestamp": "${T}"}]` }), 'lines_added'),
  crateToUs('lines_added usize::MAX', crateDoc({ files: `[{"path": "a", "action": "read", "lines_added": 18446744073709551615, "lines_removed": null, "timestamp": "${T}"}]` }), 'lines_added'),
  crateToUs('timestamp with an offset (+02:00, the crate writes Z)', crateDoc({ extractionStarted: '"2026-06-14T11:12:03.5+02:00"' }), 'extraction_started'),

  usToCrate('lines_added -1', JSON.stringify({ files: [{ path: 'a', action: 'read', lines_added: -1, timestamp: T }] }), 'lines_added'),
  usToCrate('lines_added 2.5', JSON.stringify({ files: [{ path: 'a', action: 'read', lines_added: 2.5, timestamp: T }] }), 'lines_added'),
  usToCrate('action "renamed"', JSON.stringify({ files: [{ path: 'a', action: 'renamed', timestamp: T }] }), 'action'),
  usToCrate('task status "blocked"', JSON.stringify({ tasks: [{ description: 'x', status: 'blocked' }] }), 'status'),
  usToCrate('extraction_started 2026-02-30T10:00:00Z', JSON.stringify({ extraction_started: '2026-02-30T10:00:00Z' }), 'extraction_started'),
  usToCrate('extraction_started with offset +25:00', JSON.stringify({ extraction_started: '2026-06-14T10:00:00+25:00' }), 'extraction_started'),
  usToCrate('extraction_started without an offset', JSON.stringify({ extraction_started: '2026-06-14T10:00:00' }), 'extraction_started'),
  usToCrate('conversation timestamp 2026-02-30T10:00:00Z', JSON.stringify({ conversation: [{ role: 'user', content: 'x', timestamp: '2026-02-30T10:00:00Z' }] })),
  usToCrate('lone surrogate "\\ud800" in an insight', '{"insights": ["a\\ud800b"]}'),
  usToCrate('lone surrogate "\\udc00" as a custom key', '{"custom": {"\\udc00": 1}}'),
  usToCrate('custom 130 levels deep', JSON.stringify({ custom: JSON.parse(deep(130)) })),
  usToCrate('custom 120 levels deep (document ~126)', JSON.stringify({ custom: JSON.parse(deep(120)) })),
  usToCrate('reliability_score 1.5', JSON.stringify({ reliability_score: 1.5 }), 'reliability_score'),
  usToCrate('reliability_score 1e39 (beyond f32)', '{"reliability_score": 1e39}', 'reliability_score'),
  usToCrate('custom u64::MAX pushed', '{"custom": {"v": 18446744073709551615}}', 'v'),
  usToCrate('custom 2^53+1 pushed', '{"custom": {"v": 9007199254740993}}', 'v'),
  usToCrate('custom 2.0 pushed', '{"custom": {"v": 2.0}}', 'v'),
  usToCrate('custom -0.0 pushed', '{"custom": {"v": -0.0}}', 'v'),
];

for (const c of cases) console.log(`- [${c.dir}] ${c.name}: ${c.result.replaceAll(os.tmpdir(), '$TMPDIR')}`);
for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
