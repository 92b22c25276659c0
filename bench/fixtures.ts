// Realistic buffer entries: what a Claude Code session produces per tool use (an edit with the
// prompt that led to it, a decision, the files touched, the commands run), about 2 KB each as a
// journal line. Built as complete SessionContexts so fixtures need no validation pass, and
// varied by index so no two entries are byte-identical.
import * as path from 'node:path';
import type { BufferEntry, SessionContext } from '../src/core/schema';

/** The compaction worker as tsc builds it (out/src/core): what the extension runs as dist/compactionWorker.js. */
export const COMPACTION_WORKER = path.join(__dirname, '..', 'src', 'core', 'compactionWorker.js');

export const ENTRY_TARGET_BYTES = 2048;
const BASE_TIME = Date.parse('2026-11-20T09:00:00.000Z');

export function timestampOf(i: number): string {
  return new Date(BASE_TIME + i * 1000).toISOString();
}

export function entryIdOf(i: number): string {
  return `${(BASE_TIME + i * 1000).toString(36)}-${(i * 2654435761 % 2 ** 32).toString(16).padStart(12, '0')}`;
}

const PROSE =
  'I changed the flush path so that a flush appends only the new entries to the journal instead of ' +
  'rewriting the whole snapshot; the snapshot is compacted when the journal outgrows it. The tests ' +
  'for torn lines and for two writers still pass, and the benchmark shows the flush cost is flat. ';

function contextOf(i: number, at: string, filler: string): SessionContext {
  const module = `module${i % 97}`;
  return {
    agent_type: 'claude-code',
    extraction_started: at,
    extraction_completed: at,
    session_id: `5c1e${(Math.floor(i / 200) * 7919).toString(16).padStart(8, '0')}-4a1b-9d2e-${(i % 9973).toString(16).padStart(12, '0')}`,
    conversation: [
      { role: 'user', content: `Make the ${module} flush cheaper; it rewrites everything on every call (step ${i}).`, timestamp: at },
      { role: 'assistant', content: filler, timestamp: at },
    ],
    decisions: [
      {
        summary: `Append entry ${i} to the journal and compact later`,
        rationale: 'A flush should cost what is new, not the whole session.',
        alternatives: ['rewrite the snapshot each time', 'one file per entry'],
        impact: 'flush cost no longer grows with the session',
        timestamp: at,
      },
    ],
    files: [
      { path: `src/${module}/journal${i % 13}.ts`, action: 'modified', lines_added: 3 + (i % 40), lines_removed: i % 7, timestamp: at },
      { path: `test/unit/${module}.test.ts`, action: 'read', lines_added: null, lines_removed: null, timestamp: at },
    ],
    tasks: [{ description: `Cheaper flush for ${module}`, status: 'in_progress', started_at: at, completed_at: null, subagent: null }],
    insights: [`fsync of the folder is needed after a rename for ${module}`],
    errors: i % 5 === 0
      ? [{ error_type: 'TypeError', message: `Cannot read properties of undefined (reading 'entries') at step ${i}`, stack_trace: null, timestamp: at }]
      : [],
    subagent_executions: [],
    commands_run: [`npm run test:unit -- --grep ${module}`, 'git status --short'],
    custom: {
      hook_event_name: 'PostToolUse',
      tool_name: 'Edit',
      tool_use_id: `toolu_01${(i * 40503).toString(36).padStart(22, '0')}`,
      cwd: '/home/dev/nexus-buffer',
      transcript_path: '/home/dev/.claude/projects/-home-dev-nexus-buffer/5c1e.jsonl',
    },
    extraction_source: 'claude-hook',
    reliability_score: 0.9,
  };
}

function fullEntry(i: number, filler: string, withId: boolean): BufferEntry {
  const at = timestampOf(i);
  const entry: BufferEntry = { timestamp: at, context_type: 'tool-use', context: contextOf(i, at, filler) };
  if (withId) entry.id = entryIdOf(i);
  return entry;
}

// The assistant's message is sized once so that an average entry is ~2 KB as a journal line.
const FILLER = (() => {
  const bare = JSON.stringify(fullEntry(1, '', true)).length;
  const want = Math.max(0, ENTRY_TARGET_BYTES - bare);
  return PROSE.repeat(Math.ceil(want / PROSE.length) + 1).slice(0, want);
})();

/** A complete context to hand to `bufferContext` (it validates and completes it like any caller's). */
export function makeContext(i: number): SessionContext {
  return contextOf(i, timestampOf(i), FILLER);
}

/** A stored entry; `withId: false` is what the crate writes (it has no entry ids). */
export function makeEntry(i: number, withId = true): BufferEntry {
  return fullEntry(i, FILLER, withId);
}

export function makeEntries(from: number, count: number, withId = true): BufferEntry[] {
  const out = new Array<BufferEntry>(count);
  for (let k = 0; k < count; k++) out[k] = makeEntry(from + k, withId);
  return out;
}

/** Realistic Claude Code hook inputs (PostToolUse of an Edit and of a Bash command). */
export function claudeHookPayloads(): string[] {
  const common = {
    session_id: '5c1e0000-4a1b-9d2e-8f00-00000000a1b2',
    transcript_path: '/home/dev/.claude/projects/-home-dev-nexus-buffer/5c1e0000-4a1b-9d2e-8f00-00000000a1b2.jsonl',
    cwd: '/home/dev/nexus-buffer',
    permission_mode: 'default',
    hook_event_name: 'PostToolUse',
  };
  const oldString = '  async flush(agentType: string): Promise<void> {\n    await this.writeSnapshot(agentType);\n  }\n';
  const newString =
    '  async flush(agentType: string): Promise<void> {\n    await this.journal.settle();\n    if (this.compactionDue()) await this.compact(agentType);\n  }\n';
  const edit = {
    ...common,
    tool_name: 'Edit',
    tool_input: { file_path: '/home/dev/nexus-buffer/src/core/buffer.ts', old_string: oldString, new_string: newString },
    tool_response: {
      filePath: '/home/dev/nexus-buffer/src/core/buffer.ts',
      oldString,
      newString,
      originalFile: null,
      structuredPatch: [{ oldStart: 212, oldLines: 3, newStart: 212, newLines: 4, lines: [' async flush(agentType: string): Promise<void> {', '-    await this.writeSnapshot(agentType);', '+    await this.journal.settle();', '+    if (this.compactionDue()) await this.compact(agentType);', '   }'] }],
      userModified: false,
      replaceAll: false,
    },
    tool_use_id: 'toolu_01ABCDEFGHJKLMNPQRSTUVWX',
  };
  const bash = {
    ...common,
    tool_name: 'Bash',
    tool_input: { command: 'npm run test:unit -- --grep journal', description: 'Run the journal unit tests' },
    tool_response: {
      stdout: '> nexus-buffer@0.1.0 test:unit\n> node --test out/test/unit/**/*.test.js\n\n✔ journal: torn last line is ignored (3.1ms)\n✔ journal: group commit (12.4ms)\nℹ tests 2\nℹ pass 2\nℹ fail 0\n',
      stderr: '',
      interrupted: false,
      isImage: false,
    },
    tool_use_id: 'toolu_01ZYXWVUTSRQPNMLKJHGFEDCBA',
  };
  return [JSON.stringify(edit), JSON.stringify(bash)];
}
