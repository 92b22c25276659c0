// The real Claude Code with our hooks as the installer writes them: nothing may be lost when the
// agent exits right after a tool call. Nothing runs in the background any more
// (ASYNC_HOOK_EVENTS in src/agents/claude-code/installer.ts is empty): Claude Code stops
// (SIGTERM) the background hooks still running when it exits, which lost PostToolUse entries
// (`max-turns`, no Stop to wait for). The tool events are waited for but cheap: their hook is the
// spool command (src/agents/shared/spoolCommand.ts), a few coreutils, no Node; the Node hooks of
// the other events ingest the spool before their own entry.
// The fake Messages API answers at once, so each `claude -p` ends milliseconds after its last
// tool call: the worst case. Every event Claude Code says it ran a hook of ours for (its debug
// log: "finished", "completed", "moved to the background") must be in the buffer once, right
// when claude exits, with the spool already empty (ingested by the session's own SessionEnd
// hook, not by the `show` that reads it). The sessions run twice: on an idle machine, and with
// both cores kept busy (hook processes start slower, the race is tighter).
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { marker, scriptedResponder, startFakeMessagesApi, type FakeMessagesApi, type Reply } from './claude/fakeMessagesApi';
import { ensureClaudeCode, runClaude, type HookRun } from './claude/runClaude';
import { runCli, showBuffer, type BufferEntry } from './nexusCli';
import { ASYNC_HOOK_EVENTS } from '../../src/agents/claude-code/installer';

const HOOK_MARKER = '# nexus-buffer-hook';
const RUN_TIMEOUT_MS = 150_000;
const nonce = randomUUID().slice(0, 8);

/** Our hook runs in the debug log: waited for ("finished", "completed") or moved to the background. */
const ours = (runs: readonly HookRun[]) => runs.filter((h) => h.command.trimEnd().endsWith(HOOK_MARKER));

const countBy = (values: string[]) => values.reduce<Record<string, number>>((acc, v) => ((acc[v] = (acc[v] ?? 0) + 1), acc), {});
const eventOf = (e: BufferEntry): string => e.context.custom?.hook_event_name;

interface Scenario {
  name: string;
  turns: Reply[];
  /** Turns of a subagent conversation named `<name>-sub`. */
  subTurns?: Reply[];
  extraArgs?: string[];
  /** Events that must have fired (and so be buffered) at least once. */
  expect: string[];
}

const bash = (command: string, description = 'Run a command') => ({ name: 'Bash', input: { command, description } });

const SCENARIOS: Scenario[] = [
  {
    name: 'end-after-tool',
    turns: [{ toolCalls: [bash(`echo last-${nonce}`)] }, { text: 'Done.' }],
    expect: ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd'],
  },
  {
    name: 'burst',
    turns: [
      ...Array.from({ length: 5 }, (_, i): Reply => ({ toolCalls: [bash(`echo step-${i}-${nonce}`)] })),
      { toolCalls: [bash(`echo a-${nonce}`), bash(`echo b-${nonce}`)] },
      { text: 'Done.' },
    ],
    expect: ['PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd'],
  },
  {
    name: 'max-turns',
    // Ends on the turn limit right after the tool call: no final answer.
    turns: [{ toolCalls: [bash(`echo limit-${nonce}`)] }, { toolCalls: [bash(`echo never-${nonce}`)] }],
    extraArgs: ['--max-turns', '1'],
    expect: ['PreToolUse', 'PostToolUse', 'SessionEnd'],
  },
  {
    name: 'failure-last',
    turns: [{ toolCalls: [bash(`echo fail-${nonce} >&2; exit 4`)] }, { text: 'It failed.' }],
    expect: ['PreToolUse', 'PostToolUseFailure', 'Stop', 'SessionEnd'],
  },
  {
    name: 'subagent-last',
    turns: [
      { toolCalls: [{ name: 'Agent', input: { description: 'Check', prompt: `${marker('subagent-last-sub')} Check.`, subagent_type: 'general-purpose' } }] },
      { text: 'Done.' },
    ],
    subTurns: [{ toolCalls: [bash(`echo sub-${nonce}`)] }, { text: 'Checked.' }],
    expect: ['PreToolUse', 'PostToolUse', 'SubagentStart', 'SubagentStop', 'Stop', 'SessionEnd'],
  },
];

let root: string;
let claude: string;
let api: FakeMessagesApi;
let failures = 0;
const burners: ChildProcess[] = [];

function startBurners(): void {
  for (let i = 0; i < Math.max(2, os.cpus().length); i++) {
    burners.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  }
}

function stopBurners(): void {
  for (const child of burners.splice(0)) child.kill('SIGKILL');
}

describe('Claude Code with background (async) hooks: nothing lost when the agent exits right after', () => {
  before(async () => {
    claude = ensureClaudeCode({ quiet: true }).bin;
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-e2e-async-'));
    const conversations: Record<string, Reply[]> = {};
    for (const s of SCENARIOS) {
      conversations[s.name] = s.turns;
      if (s.subTurns) conversations[`${s.name}-sub`] = s.subTurns;
    }
    api = await startFakeMessagesApi(scriptedResponder({ conversations }));
  });

  after(async () => {
    stopBurners();
    await api?.close();
    if (!root) return;
    if (failures === 0 && !process.env.NEXUS_E2E_KEEP) fs.rmSync(root, { recursive: true, force: true });
    else console.log(`# kept for a look: ${root}`);
  });

  for (const load of ['idle', 'busy'] as const) {
    it(`hooks install writes ASYNC_HOOK_EVENTS (none) as async, the rest waited for, tool events spooled (${load})`, async () => {
      const home = path.join(root, load, 'home');
      fs.mkdirSync(home, { recursive: true });
      // No buffer folder in the command: each session gets its own through claude's environment.
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
      delete env.NEXUS_BUFFER_DIR;
      const result = await runCli(['hooks', 'install', '--agent', 'claude-code', '--scope', 'user', '--yes'], env);
      assert.equal(result.code, 0, result.stderr);
      const settings = JSON.parse(fs.readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'));
      const asyncEvents = Object.entries(settings.hooks as Record<string, any[]>)
        .filter(([, groups]) => groups.some((g) => g.hooks.some((h: any) => String(h.command).endsWith(HOOK_MARKER) && h.async === true)))
        .map(([event]) => event);
      assert.deepEqual(asyncEvents.sort(), [...ASYNC_HOOK_EVENTS].sort());
      type Groups = Array<{ hooks: Array<{ command?: unknown }> }>;
      const spooled = Object.entries(settings.hooks as Record<string, Groups>)
        .filter(([, groups]) => groups.some((g) => g.hooks.some((h) => String(h.command).endsWith(HOOK_MARKER) && String(h.command).includes('/.spool/claude-hook'))))
        .map(([event]) => event);
      assert.deepEqual(spooled.sort(), ['PostToolUse', 'PostToolUseFailure', 'PreToolUse']);
    });

    for (const scenario of SCENARIOS) {
      it(`${scenario.name} (${load}): every hook of ours that ran is in the buffer once, at claude's exit`, { timeout: RUN_TIMEOUT_MS + 30_000 }, async () => {
        try {
          const home = path.join(root, load, 'home');
          const cwd = path.join(root, load, scenario.name);
          const bufferDir = path.join(root, load, `${scenario.name}-buffer`);
          fs.mkdirSync(cwd, { recursive: true });
          if (load === 'busy') startBurners();
          let run;
          try {
            run = await runClaude({
              claude, apiUrl: api.url, home, cwd, prompt: `${marker(scenario.name)} Go (${nonce}).`,
              env: { NEXUS_BUFFER_DIR: bufferDir }, extraArgs: scenario.extraArgs, timeoutMs: RUN_TIMEOUT_MS,
            });
          } finally {
            stopBurners();
          }
          assert.ok(run.exitCode === 0 || scenario.extraArgs, `claude exited ${run.exitCode ?? run.signal}: ${run.stderr.slice(-1500)}`);
          // Read at once: what claude left running after its exit does not count. The session's
          // own hooks ingested the spool (SessionEnd last), not the `show` below.
          const spool = path.join(bufferDir, '.spool', 'claude-hook');
          assert.deepEqual(fs.existsSync(spool) ? fs.readdirSync(spool) : [], [], 'spooled tool events left after the session ended');
          assert.ok(fs.existsSync(spool), 'the tool events went through the spool');
          const doc = await showBuffer(bufferDir);
          const ran = ours(run.hookRuns);
          assert.deepEqual(ran.filter((h) => !h.background && h.status !== 0), [], 'hook runs of ours that did not exit 0');
          const background = [...new Set(ran.filter((h) => h.background).map((h) => h.event))].sort();
          assert.deepEqual(background, [...ASYNC_HOOK_EVENTS].filter((e) => ran.some((h) => h.event === e)).sort(), 'events run in the background');
          for (const event of scenario.expect) assert.ok(ran.some((h) => h.event === event), `no hook of ours ran for ${event} (${run.debugFile})`);
          const session = run.result?.session_id;
          const entries = doc.entries.filter((e) => session === undefined || e.context.session_id === session);
          assert.deepEqual(countBy(entries.map(eventOf)), countBy(ran.map((h) => h.event)), 'buffered entries per event vs hook runs in the debug log');
          // Each tool call has its PreToolUse and its outcome.
          const byTool = new Map<string, string[]>();
          for (const e of entries) {
            const id = e.context.custom?.tool_use_id;
            if (id) byTool.set(id, [...(byTool.get(id) ?? []), eventOf(e)]);
          }
          for (const [id, events] of byTool) {
            assert.equal(events.filter((e) => e === 'PreToolUse').length, 1, `${id}: ${events}`);
            assert.equal(events.filter((e) => e === 'PostToolUse' || e === 'PostToolUseFailure').length, 1, `${id}: ${events}`);
          }
        } catch (error) {
          failures++;
          throw error;
        }
      });
    }
  }
});
