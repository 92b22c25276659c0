import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  code, escapeInline, fence, renderBufferJson, renderBufferMarkdown, renderEntryMarkdown, summarizeEntry,
} from '../../src/core/render';
import { bufferDataProblem, parseEntry, type BufferData, type BufferEntry } from '../../src/core/schema';

const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/crate-full.json');
const raw = readFileSync(FIXTURE, 'utf8');

function loadFixture(): BufferData {
  const doc = JSON.parse(raw) as BufferData & { entries: unknown[] };
  assert.equal(bufferDataProblem(doc), undefined);
  const entries = doc.entries.map((value) => {
    const { entry, problem } = parseEntry(value);
    assert.ok(entry, problem);
    return entry;
  });
  return { ...doc, entries };
}

function entryWith(context: Record<string, unknown>, contextType = 'checkpoint'): BufferEntry {
  const { entry, problem } = parseEntry({
    timestamp: '2026-05-19T13:10:05.330118552Z',
    context_type: contextType,
    context: { agent_type: 'codex', extraction_started: '2026-05-19T13:10:05Z', ...context },
  });
  assert.ok(entry, problem);
  return entry;
}

test('the full fixture renders every section, in order, with file line counts', () => {
  const md = renderBufferMarkdown(loadFixture());
  const sections = ['Conversation', 'Decisions', 'Files', 'Tasks', 'Insights', 'Errors', 'Subagent executions', 'Commands', 'Custom'];
  let last = -1;
  for (const name of sections) {
    const at = md.indexOf(`### ${name}\n`);
    assert.ok(at > last, `section ${name} missing or out of order`);
    last = at;
  }
  assert.match(md, /^# Nexus Buffer: claude-code\n/);
  assert.match(md, /- \*\*Entries:\*\* 3/);
  // Entries oldest first, numbered, with context type and time.
  assert.ok(md.indexOf('## 1. session-start · 2026-05-19 13:02:45 UTC') < md.indexOf('## 2. checkpoint · 2026-05-19 13:10:05 UTC'));
  assert.ok(md.indexOf('## 2. checkpoint') < md.indexOf('## 3. compact · 2026-05-19 13:15:40 UTC'));
  assert.match(md, /session `a3e9f7d2-61c4-4c0b-b1f8-0d5e2c7a9b34`/);
  assert.match(md, /- `lib\/resize.py` modified \(\+42 -7\)/);
  assert.match(md, /- `lib\/old_rotate.py` deleted \(\+0 -118\)/);
  assert.match(md, /- `README.md` read\n/);
  assert.match(md, /- \[x\] Add a portrait JPEG/);
  assert.match(md, /- \[ \] Review the resize pipeline _\(in progress\)_ by `code-reviewer`/);
  assert.match(md, /Alternatives: Keep the tag and rotate on display; Refuse rotated images/);
  assert.match(md, /\*\*code-reviewer\*\* _\(completed\)_/);
  assert.match(md, /Result: One off-by-one/);
  assert.match(md, /AssertionError/);
  // Nested custom data is shown whole.
  assert.match(md, /"nested": \[\n\s+1,/);
  assert.match(md, /"remote": null/);
  assert.match(md, /_No content._/); // the empty session-start entry says so
});

test('untrusted text cannot inject HTML, headings or emphasis', () => {
  const md = renderBufferMarkdown(loadFixture());
  assert.ok(!md.includes('<b>'), 'raw HTML tag leaked');
  assert.ok(md.includes('- \\# not a heading: \\<b\\>not bold\\</b\\> & \\*not emphasis\\*'));
  const hostile = entryWith({
    conversation: [{ role: 'user**', content: '<script>alert(1)</script> [x](javascript:alert(1)) &lt;', timestamp: '2026-05-19T13:10:05Z' }],
    insights: ['- fake item', '1. fake number', '> fake quote', '---'],
  }, 'tool-use\n# injected');
  const out = renderEntryMarkdown(hostile);
  assert.ok(!/<script>/.test(out));
  assert.ok(out.includes('\\<script\\>'));
  assert.ok(out.includes('\\[x\\](javascript:alert(1))'));
  assert.ok(out.includes('\\&lt;'));
  assert.ok(!/^# injected/m.test(out), 'a newline in the context type started a heading');
  assert.ok(out.includes('- \\- fake item') && out.includes('- 1\\. fake number') && out.includes('- \\> fake quote') && out.includes('- \\---'));
  assert.ok(out.includes('**user\\*\\***'));
});

test('commands and multi-line text go into fences longer than any backtick run inside', () => {
  const md = renderEntryMarkdown(loadFixture().entries[1]);
  assert.match(md, /```sh\npytest tests\/test_resize.py -q\ngit diff --stat -- 'lib\/\*.py' \| tail -n 1\necho `date` > \/tmp\/stamp\n```/);
  // The assistant message contains a ``` fence: its block uses four backticks.
  assert.match(md, / {2}````text\n {2}Plan:\n/);
  const multi = renderEntryMarkdown(entryWith({ commands_run: ['cat <<EOF\n````\nEOF', 'ls'] }));
  assert.match(multi, /`````sh\ncat <<EOF\n````\nEOF\n`````/);
  assert.match(multi, /```sh\nls\n```/);
  assert.equal(fence('a ``` b', 'x'), '````x\na ``` b\n````');
  assert.equal(code('a`b'), '``a`b``');
  assert.equal(code('`x'), '`` `x ``');
});

test('escapeInline keeps paths and snake_case readable', () => {
  assert.equal(escapeInline('lib/resize.py and extraction_source'), 'lib/resize.py and extraction_source');
  assert.equal(escapeInline('_emph_ *x*'), '\\_emph\\_ \\*x\\*');
  assert.equal(escapeInline('## title'), '\\## title');
});

test('summarizeEntry counts each kind, singular and plural, and is empty for an empty entry', () => {
  const [empty, full, compact] = loadFixture().entries;
  assert.equal(summarizeEntry(full), '2 messages · 1 decision · 4 files · 4 tasks · 2 insights · 1 error · 1 subagent run · 3 commands');
  assert.equal(summarizeEntry(compact), '1 insight');
  assert.equal(summarizeEntry(empty), '');
  assert.equal(summarizeEntry(entryWith({ files: [{ path: 'a', action: 'read', timestamp: '2026-05-19T13:10:05Z' }], commands_run: ['x', 'y'] })), '1 file · 2 commands');
});

test('an empty buffer renders a header and says it has no entries; the title can be set', () => {
  const md = renderBufferMarkdown({ started_at: '2026-05-19T13:02:44Z', entries: [], last_flush: null, agent_type: 'gemini' }, { title: 'Recovered <gemini>' });
  assert.match(md, /^# Recovered \\<gemini\\>\n/);
  assert.match(md, /Last flush:\*\* never/);
  assert.match(md, /_This buffer has no entries._/);
});

test('renderBufferJson writes the crate document back unchanged: keys, order, nanosecond timestamps', () => {
  const data = loadFixture();
  assert.equal(renderBufferJson(data), raw.replace(/\n$/, ''));
  assert.ok(renderBufferJson(data).includes('"2026-05-19T13:10:05.330118552Z"'));
});

test('renderBufferJson fills every crate key and puts our own keys after them', () => {
  const entry = { ...entryWith({ files: [{ path: 'a', action: 'read', timestamp: '2026-05-19T13:10:05Z' }] }), id: 'abc' };
  const text = renderBufferJson({ agent_type: 'codex', entries: [entry], started_at: '2026-05-19T13:02:44Z', last_flush: null });
  const doc = JSON.parse(text);
  assert.deepEqual(Object.keys(doc), ['started_at', 'entries', 'last_flush', 'agent_type']);
  assert.deepEqual(Object.keys(doc.entries[0]), ['timestamp', 'context_type', 'context', 'id']);
  assert.deepEqual(Object.keys(doc.entries[0].context), [
    'agent_type', 'extraction_started', 'extraction_completed', 'session_id', 'conversation', 'decisions', 'files',
    'tasks', 'insights', 'errors', 'subagent_executions', 'commands_run', 'custom', 'extraction_source', 'reliability_score',
  ]);
  assert.deepEqual(Object.keys(doc.entries[0].context.files[0]), ['path', 'action', 'lines_added', 'lines_removed', 'timestamp']);
  assert.ok(!text.endsWith('\n'), 'the crate writes no trailing newline');
});

test('inline code an agent wrote stays code, with no escaped backticks; a lone backtick is escaped', () => {
  const md = renderEntryMarkdown(entryWith({
    conversation: [{ role: 'user', content: 'Run `npm test` and fix ``a`b``', timestamp: '2026-05-19T13:10:05Z' }],
    insights: ['a lone ` backtick'],
  }));
  assert.ok(md.includes('Run `npm test` and fix ``a`b``'), md);
  assert.ok(!md.includes('\\`npm'), 'no escaped backticks around inline code');
  assert.ok(md.includes('a lone \\` backtick'));
});

test('the document groups entries by session, with a table of contents and each session\'s end', () => {
  const entry = (i: number, type: string, session: string | null): BufferEntry => {
    const { entry: parsed, problem } = parseEntry({
      timestamp: `2026-05-19T13:0${i}:00Z`, context_type: type,
      context: { agent_type: 'codex', extraction_started: '2026-05-19T13:00:00Z', session_id: session, insights: [`note ${i}`] },
    });
    assert.ok(parsed, problem);
    return parsed;
  };
  const md = renderBufferMarkdown({
    started_at: '2026-05-19T13:00:00Z', last_flush: null, agent_type: 'codex',
    entries: [entry(1, 'session-start', 's-one'), entry(2, 'session-start', 's-two'), entry(3, 'session-end', 's-one'), entry(4, 'checkpoint', 's-two')],
  });
  assert.match(md, /## Sessions\n\n1\. \[Session 1\]\(#session-1\): `s-one` · 2026-05-19 13:01:00 UTC to 2026-05-19 13:03:00 UTC · 2 entries · ended\n2\. \[Session 2\]\(#session-2\): `s-two` .* · 2 entries · no session-end/);
  const one = md.indexOf('\n## Session 1\n');
  const two = md.indexOf('\n## Session 2\n');
  assert.ok(one > 0 && two > one);
  assert.ok(md.indexOf('### 3. session-end') > one && md.indexOf('### 3. session-end') < two, 'entry 3 is under its session');
  assert.ok(md.indexOf('### 2. session-start') > two, 'entry 2 is under session 2, numbered in buffer order');
  // Entries without any session id are listed as before, without grouping.
  const plain = renderBufferMarkdown({ started_at: '2026-05-19T13:00:00Z', last_flush: null, agent_type: 'codex', entries: [entry(1, 'checkpoint', null)] });
  assert.ok(!plain.includes('## Sessions') && plain.includes('\n## 1. checkpoint'));
});
