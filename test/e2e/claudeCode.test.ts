// End to end with the real Claude Code, offline: our hooks are installed with our own CLI
// (`nexus-buffer hooks install --agent claude-code --scope user --yes`) into a temporary home,
// `claude -p` runs scripted sessions against a local fake Messages API (real tools, real hooks:
// Bash that succeeds and fails, Write, Edit, a subagent with a tool of its own, `/compact`, a
// SIGKILL mid-session), and the buffer (`nexus-buffer show claude-code --json`) is checked
// against what happened. Run by test/harness/run-e2e.mjs (node:test).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  marker, scriptedResponder, startFakeMessagesApi, toolUseId, type FakeMessagesApi, type RecordedRequest,
} from './claude/fakeMessagesApi';
import { ensureClaudeCode, killGroup, runClaude, startClaude, writeClaudeSettings, type ClaudeRunResult, type HookRun } from './claude/runClaude';
import { runCli, showBuffer, waitForBuffer, type BufferDocument, type BufferEntry } from './nexusCli';

const HOOK_MARKER = '# nexus-buffer-hook';
/** The events this test relies on being hooked by the installer. */
const EVENTS_NEEDED = [
  'SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'Stop',
  'SubagentStart', 'SubagentStop', 'PreCompact', 'PostCompact', 'SessionEnd',
];
const RUN_TIMEOUT_MS = 150_000;
const TEST_TIMEOUT_MS = 200_000;

const nonce = randomUUID().slice(0, 8);
const PROMPT = `${marker('main')} Run the steps of the e2e script (${nonce}).`;
const OK_COMMAND = `echo e2e-ok-${nonce}`;
const FAIL_COMMAND = `echo e2e-fail-${nonce} >&2; exit 3`;
const SUB_COMMAND = `echo e2e-from-subagent-${nonce}`;
const SUB_RESULT = `The subagent checked the notes (${nonce}).`;
const SUB_TASK = 'Check the notes';
const BG_COMMAND = `echo e2e-from-background-${nonce}`;
const BG_RESULT = `The background subagent is done (${nonce}).`;
const BG_TASK = 'Look around in the background';
const FINAL_TEXT = `All steps done (${nonce}).`;
const COMPACT_SUMMARY = `E2E-COMPACT-SUMMARY-${nonce}: two commands ran (one failed), notes.txt was written and edited, a subagent checked it.`;
const KILL_PROMPT = `${marker('kill')} Run two commands (${nonce}).`;
const KILL_OK_COMMAND = `echo e2e-before-kill-${nonce}`;
/** The slow command of the killed session waits on this FIFO (written to once the test is done with it). */
let killFifo: string;
// (not `sleep`: Claude Code refuses a long foreground sleep before running it; and a command left
// running after the kill must end by itself: the test closes the FIFO, at worst `timeout` ends it)
const killSlowCommand = () => `timeout 170 cat ${killFifo} > /dev/null # e2e-slow-${nonce}`;

let root: string;
let home: string;
let cwd: string;
let bufferDir: string;
let notesFile: string;
let claude: string;
let api: FakeMessagesApi;
let failures = 0;

let mainRun: ClaudeRunResult | undefined;
let mainSession: string | undefined;
let compactRun: ClaudeRunResult | undefined;
let doc: BufferDocument | undefined;

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} did not run (see the earlier failure)`);
  return value;
}

/** A test whose failure keeps the temporary folder for a look. */
function check(name: string, fn: () => Promise<void> | void, options: { timeout?: number } = {}) {
  it(name, { timeout: options.timeout ?? TEST_TIMEOUT_MS }, async () => {
    try {
      await fn();
    } catch (error) {
      failures++;
      throw error;
    }
  });
}

const eventOf = (e: BufferEntry): string => e.context.custom?.hook_event_name;
const sessionEntries = (d: BufferDocument, session: string) => d.entries.filter((e) => e.context.session_id === session);
const ours = (runs: HookRun[]) => runs.filter((h) => h.command.trimEnd().endsWith(HOOK_MARKER));
const describeEntries = (entries: BufferEntry[]) => entries.map((e) => `${eventOf(e)}${e.context.custom?.tool_name ? `:${e.context.custom.tool_name}` : ''}`).join(', ');
const toolIdOf = (e: BufferEntry): string | undefined => e.context.custom?.tool_use_id;
const agentIdOf = (e: BufferEntry): string | undefined => e.context.custom?.agent_id ?? e.context.custom?.hook?.agent_id;

/** The id of the subagent an Agent tool call started, as its entry gives it. */
function launchedAgentId(e: BufferEntry): string | undefined {
  return (e.context.subagent_executions[0] as any)?.agent_id ?? e.context.custom.tool_response?.agentId ?? e.context.custom.hook?.tool_response?.agentId;
}

/** Entries of the main session as they were after the main run (before the compaction). */
function mainEntries(): BufferEntry[] {
  return sessionEntries(need(doc, 'the main session'), need(mainSession, 'the main session'));
}

describe(`Claude Code end to end (offline, fake Messages API)`, () => {
  before(async () => {
    claude = ensureClaudeCode({ quiet: true }).bin;
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-e2e-claude-'));
    home = path.join(root, 'home');
    cwd = path.join(root, 'work');
    bufferDir = path.join(root, 'buffers');
    notesFile = path.join(cwd, 'notes.txt');
    killFifo = path.join(root, 'kill-fifo');
    execFileSync('mkfifo', [killFifo]);
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(cwd, { recursive: true });
    api = await startFakeMessagesApi(scriptedResponder({
      conversations: {
        control: [{ text: 'Control done.' }],
        main: [
          { text: 'Starting.', toolCalls: [{ name: 'Bash', input: { command: OK_COMMAND, description: 'Print a word' } }] },
          { toolCalls: [{ name: 'Bash', input: { command: FAIL_COMMAND, description: 'Fail on purpose' } }] },
          { toolCalls: [{ name: 'Write', input: { file_path: notesFile, content: 'alpha\nbeta\n' } }] },
          { toolCalls: [{ name: 'Edit', input: { file_path: notesFile, old_string: 'beta', new_string: 'gamma' } }] },
          {
            toolCalls: [{
              name: 'Agent',
              input: { description: SUB_TASK, prompt: `${marker('sub')} Check notes.txt.`, subagent_type: 'general-purpose', run_in_background: false },
            }],
          },
          // No run_in_background: Claude Code's default runs the subagent in the background; `-p`
          // waits for it, and a task notification starts one more turn (answered with the final text).
          { toolCalls: [{ name: 'Agent', input: { description: BG_TASK, prompt: `${marker('bgsub')} Look around.`, subagent_type: 'general-purpose' } }] },
          { text: FINAL_TEXT },
        ],
        bgsub: [
          { toolCalls: [{ name: 'Bash', input: { command: BG_COMMAND, description: 'Print a word' } }] },
          { text: BG_RESULT },
        ],
        sub: [
          { toolCalls: [{ name: 'Bash', input: { command: SUB_COMMAND, description: 'Print a word' } }] },
          { text: SUB_RESULT },
        ],
        kill: [
          { toolCalls: [{ name: 'Bash', input: { command: KILL_OK_COMMAND, description: 'Print a word' } }] },
          { toolCalls: [{ name: 'Bash', input: { command: killSlowCommand(), description: 'Wait for a signal' } }] },
          { text: 'Not reached: the session is killed before.' },
        ],
      },
      compactSummary: COMPACT_SUMMARY,
    }));
  });

  after(async () => {
    releaseFifo();
    await api?.close();
    if (!root) return;
    if (failures === 0 && !process.env.NEXUS_E2E_KEEP) fs.rmSync(root, { recursive: true, force: true });
    else console.log(`# kept for a look: ${root} (home, work, buffers, home/debug-logs)`);
  });

  check('the control: a hook that prints on stdout is seen in the debug log and in the requests (the detector works)', async () => {
    const controlHome = path.join(root, 'control-home');
    const probe = `E2E-PROBE-${nonce}`;
    writeClaudeSettings(controlHome, { hooks: { SessionStart: [{ hooks: [{ type: 'command', command: `echo ${probe}` }] }] } });
    const run = await runClaude({ claude, apiUrl: api.url, home: controlHome, cwd, prompt: `${marker('control')} Say done.`, timeoutMs: RUN_TIMEOUT_MS });
    assert.equal(run.exitCode, 0, `claude exited ${run.exitCode ?? run.signal}: ${run.stderr.slice(-2000)}`);
    assert.equal(run.result?.result, 'Control done.');
    assert.ok(run.hookOutputs.some((o) => o.event === 'SessionStart' && o.output.includes(probe)), `no hook output with ${probe} in ${run.debugFile}`);
    assert.ok(api.requests.some((r) => r.rawBody.includes(`hook success: ${probe}`)), 'the probe did not reach the model as "hook success: …"');
  });

  check('hooks install --agent claude-code --scope user --yes writes our entries into the temporary home', async () => {
    const result = await runCli(['hooks', 'install', '--agent', 'claude-code', '--scope', 'user', '--yes'], {
      ...process.env, HOME: home, NEXUS_BUFFER_DIR: bufferDir,
    });
    assert.equal(result.code, 0, `hooks install exited ${result.code}: ${result.stderr}`);
    const settings = JSON.parse(fs.readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'));
    for (const event of EVENTS_NEEDED) {
      const commands = (settings.hooks?.[event] ?? []).flatMap((group: any) => (group.hooks ?? []).map((h: any) => h.command));
      const mine = commands.filter((c: unknown) => typeof c === 'string' && c.trimEnd().endsWith(HOOK_MARKER));
      assert.equal(mine.length, 1, `${event}: expected one hook entry of ours, found ${JSON.stringify(commands)}`);
      // The buffer folder goes to claude's environment too; a folder the command names must be it.
      assert.ok(!/NEXUS_BUFFER_DIR=/.test(mine[0]) || mine[0].includes(bufferDir), `${event}: the hook command names another buffer folder: ${mine[0]}`);
    }
  });

  check('a session with our hooks runs as scripted: exit 0, the scripted final text, every tool ran', async () => {
    const run = await runClaude({ claude, apiUrl: api.url, home, cwd, prompt: PROMPT, env: { NEXUS_BUFFER_DIR: bufferDir }, timeoutMs: RUN_TIMEOUT_MS });
    mainRun = run;
    assert.equal(run.exitCode, 0, `claude exited ${run.exitCode ?? run.signal}${run.timedOut ? ' (timed out)' : ''}: ${run.stderr.slice(-2000)}`);
    assert.equal(run.result?.is_error, false, `is_error in ${run.stdout.slice(0, 1000)}`);
    assert.equal(run.result?.result, FINAL_TEXT);
    mainSession = run.result.session_id;
    assert.match(String(mainSession), /^[0-9a-f-]{36}$/);
    // The tools really ran: the fake API got each tool's result back, the file is there.
    const results = toolResults(api.requests.filter((r) => ['main', 'sub', 'bgsub'].includes(r.conversation ?? '')));
    assert.match(results.get(toolUseId('main', 0)) ?? '', new RegExp(`e2e-ok-${nonce}`));
    assert.match(results.get(toolUseId('main', 1)) ?? '', /Exit code 3/);
    assert.match(results.get(toolUseId('sub', 0)) ?? '', new RegExp(`e2e-from-subagent-${nonce}`));
    assert.match(results.get(toolUseId('bgsub', 0)) ?? '', new RegExp(`e2e-from-background-${nonce}`));
    assert.equal(fs.readFileSync(notesFile, 'utf8'), 'alpha\ngamma\n');
    // The session's own Node hooks ingested what the tool events spooled (SessionEnd last).
    const spool = path.join(bufferDir, '.spool', 'claude-hook');
    assert.deepEqual(fs.existsSync(spool) ? fs.readdirSync(spool) : [], [], 'spooled tool events left after the session ended');
    doc = await showBuffer(bufferDir);
  });

  check('every hook run of ours exited 0, and each is in the buffer exactly once', () => {
    const run = need(mainRun, 'the main session');
    const runs = ours(run.hookRuns);
    assert.ok(runs.length >= 15, `only ${runs.length} runs of our hook in ${run.debugFile}`);
    const failed = runs.filter((h) => h.status !== undefined && h.status !== 0);
    assert.deepEqual(failed, [], 'hook runs that did not exit 0');
    // Background ("async": true) runs count too: Claude Code started them, so each owes an entry.
    const fired = countBy(runs.map((h) => h.event));
    const buffered = countBy(mainEntries().map(eventOf));
    const unended = run.asyncHooks.filter((a) => !a.endedAt).map((a) => `${a.id} ${a.event}:${a.matcher ?? ''} ${a.notes.join(' / ')}`);
    assert.deepEqual(buffered, fired, `events fired (debug log) vs buffered; buffered: ${describeEntries(mainEntries())}; background hooks Claude Code did not see end: ${unended.join('; ') || 'none'}`);
    // Per tool call: one PreToolUse and one PostToolUse or PostToolUseFailure entry.
    const calls = api.requests.filter((r) => ['main', 'sub', 'bgsub'].includes(r.conversation ?? '')).flatMap((r) => toolUsesOf(r)).filter((id, i, all) => all.indexOf(id) === i);
    assert.ok(calls.length >= 8, `tool calls answered: ${calls.join(', ')}`);
    for (const id of calls) {
      const entries = mainEntries().filter((e) => toolIdOf(e) === id);
      assert.deepEqual(entries.map(eventOf).sort(), id === toolUseId('main', 1) ? ['PostToolUseFailure', 'PreToolUse'] : ['PostToolUse', 'PreToolUse'], `entries of ${id}`);
    }
  });

  check('our hooks print nothing on stdout: no hook output in the debug log, none reached the model', () => {
    const run = need(mainRun, 'the main session');
    assert.deepEqual(run.hookOutputs, [], 'hook output logged by Claude Code');
    const leaked = api.requests.filter((r) => r.conversation !== 'control' && r.rawBody.includes('hook success:'));
    assert.deepEqual(leaked.map((r) => r.index), [], 'requests that carry a hook\'s stdout');
  });

  check('the prompt is a user message', () => {
    // (the second UserPromptSubmit is Claude Code's <task-notification> of the background subagent)
    const prompts = mainEntries().filter((e) => eventOf(e) === 'UserPromptSubmit');
    assert.ok(prompts.length >= 1, describeEntries(mainEntries()));
    assert.deepEqual(prompts[0].context.conversation.map(({ role, content }) => ({ role, content })), [{ role: 'user', content: PROMPT }]);
    const withPrompt = mainEntries().filter((e) => e.context.conversation.some((m) => m.content.includes(PROMPT)));
    assert.equal(withPrompt.length, 1, 'the prompt is in more than one entry');
  });

  check('the succeeding command is in commands_run, with no error', () => {
    const entries = mainEntries().filter((e) => e.context.commands_run.includes(OK_COMMAND));
    assert.deepEqual(entries.map(eventOf), ['PostToolUse'], `entries with ${OK_COMMAND}`);
    assert.equal(entries[0].context_type, 'tool-use');
    assert.deepEqual(entries[0].context.errors, []);
  });

  check('the failing command is in commands_run, with an error that has its exit code', () => {
    const entries = mainEntries().filter((e) => e.context.commands_run.includes(FAIL_COMMAND));
    assert.deepEqual(entries.map(eventOf), ['PostToolUseFailure'], `entries with ${FAIL_COMMAND}`);
    assert.equal(entries[0].context_type, 'error');
    assert.equal(entries[0].context.errors.length, 1);
    assert.match(entries[0].context.errors[0].message, /exit code 3/i);
    assert.match(entries[0].context.errors[0].message, new RegExp(`e2e-fail-${nonce}`));
  });

  check('the written file is in files as created (2 lines), the edit as modified (1 line in, 1 out)', () => {
    const files = mainEntries().flatMap((e) => e.context.files.map((f) => ({ event: eventOf(e), tool: e.context.custom.tool_name, ...f })));
    // (in tool order; the buffer's order is the order hooks finished, and background hooks finish in any order)
    const mine = files.filter((f) => f.path === notesFile).map(({ event, tool, action, lines_added, lines_removed }) => ({ event, tool, action, lines_added, lines_removed }))
      .sort((a, b) => (a.tool === 'Write' ? 0 : 1) - (b.tool === 'Write' ? 0 : 1));
    assert.deepEqual(mine, [
      { event: 'PostToolUse', tool: 'Write', action: 'created', lines_added: 2, lines_removed: 0 },
      { event: 'PostToolUse', tool: 'Edit', action: 'modified', lines_added: 1, lines_removed: 1 },
    ]);
  });

  check('the subagent is in subagent_executions, completed with its result; its own command is buffered with its agent id', () => {
    const agentCall = mainEntries().filter((e) => toolIdOf(e) === toolUseId('main', 4) && eventOf(e) === 'PostToolUse');
    assert.equal(agentCall.length, 1, describeEntries(mainEntries()));
    const executions = agentCall[0].context.subagent_executions;
    assert.equal(executions.length, 1);
    assert.equal(executions[0].subagent_type, 'general-purpose');
    assert.equal(executions[0].task, SUB_TASK);
    assert.equal(executions[0].status, 'completed');
    assert.match(executions[0].result_summary ?? '', new RegExp(SUB_RESULT.replace(/[()]/g, '\\$&')));
    const agentId = launchedAgentId(agentCall[0]);
    assert.ok(agentId, 'the Agent tool call\'s entry has no agent id');
    const stops = mainEntries().filter((e) => eventOf(e) === 'SubagentStop' && agentIdOf(e) === agentId);
    assert.equal(stops.length, 1, `one SubagentStop of agent ${agentId}`);
    const subCommand = mainEntries().filter((e) => e.context.commands_run.includes(SUB_COMMAND));
    assert.deepEqual(subCommand.map(eventOf), ['PostToolUse']);
    assert.equal(agentIdOf(subCommand[0]), agentId, 'the subagent\'s command is not marked as run by the subagent');
    const mainCommand = mainEntries().find((e) => e.context.commands_run.includes(OK_COMMAND));
    assert.equal(agentIdOf(mainCommand!), undefined, 'the main agent\'s command carries an agent id');
  });

  check('a background subagent (Claude Code\'s default): launched, then completed with its result; its own command is buffered with its agent id', () => {
    const launch = mainEntries().filter((e) => toolIdOf(e) === toolUseId('main', 5) && eventOf(e) === 'PostToolUse');
    assert.equal(launch.length, 1, describeEntries(mainEntries()));
    const launched = launch[0].context.subagent_executions;
    assert.equal(launched.length, 1);
    assert.equal(launched[0].task, BG_TASK);
    assert.notEqual(launched[0].status, 'completed', 'the launch of a background subagent is recorded as completed');
    assert.equal(launched[0].result_summary, null);
    const agentId = launchedAgentId(launch[0]);
    assert.ok(agentId, 'the launch entry has no agent id');
    const stops = mainEntries().filter((e) => eventOf(e) === 'SubagentStop' && agentIdOf(e) === agentId);
    assert.equal(stops.length, 1, `one SubagentStop of agent ${agentId}`);
    const done = stops[0].context.subagent_executions;
    assert.equal(done.length, 1, 'the SubagentStop entry has no subagent execution');
    assert.equal(done[0].status, 'completed');
    assert.match(done[0].result_summary ?? '', new RegExp(BG_RESULT.replace(/[()]/g, '\\$&')));
    const command = mainEntries().filter((e) => e.context.commands_run.includes(BG_COMMAND));
    assert.deepEqual(command.map(eventOf), ['PostToolUse']);
    assert.equal(agentIdOf(command[0]), agentId, 'the background subagent\'s command is not marked as run by it');
  });

  check('a session-start (startup) and a session-end entry', () => {
    const starts = mainEntries().filter((e) => e.context_type === 'session-start');
    assert.deepEqual(starts.map((e) => [eventOf(e), e.context.custom.source]), [['SessionStart', 'startup']]);
    const ends = mainEntries().filter((e) => e.context_type === 'session-end');
    assert.deepEqual(ends.map((e) => [eventOf(e), e.context.custom.reason]), [['SessionEnd', 'other']]);
    assert.equal(eventOf(mainEntries()[0]), 'SessionStart', 'the first entry of the session');
  });

  check('/compact on the resumed session: exit 0, PreCompact and PostCompact entries, each hook run buffered once', async () => {
    const session = need(mainSession, 'the main session');
    const before = sessionEntries(await showBuffer(bufferDir), session).length;
    const run = await runClaude({ claude, apiUrl: api.url, home, cwd, prompt: '/compact', resume: session, env: { NEXUS_BUFFER_DIR: bufferDir }, timeoutMs: RUN_TIMEOUT_MS });
    compactRun = run;
    assert.equal(run.exitCode, 0, `claude exited ${run.exitCode ?? run.signal}: ${run.stderr.slice(-2000)}`);
    assert.equal(run.result?.is_error, false);
    assert.ok(api.requests.some((r) => r.kind === 'compact'), 'Claude Code never asked the fake API for a summary');
    const added = sessionEntries(await showBuffer(bufferDir), session).slice(before);
    const runs = ours(run.hookRuns);
    assert.deepEqual(runs.filter((h) => h.status !== 0), [], 'hook runs that did not exit 0');
    assert.deepEqual(countBy(added.map(eventOf)), countBy(runs.map((h) => h.event)), `buffered: ${describeEntries(added)}`);
    const pre = added.filter((e) => eventOf(e) === 'PreCompact');
    assert.deepEqual(pre.map((e) => [e.context_type, e.context.custom.trigger]), [['compact', 'manual']]);
    const post = added.filter((e) => eventOf(e) === 'PostCompact');
    assert.deepEqual(post.map((e) => [e.context_type, e.context.custom.trigger]), [['compact', 'manual']]);
    assert.deepEqual(added.filter((e) => eventOf(e) === 'SessionStart').map((e) => e.context.custom.source).sort(), ['compact', 'resume']);
    assert.deepEqual(run.hookOutputs, [], 'hook output logged by Claude Code');
  });

  check('the compaction summary Claude Code got from the API is kept in the PostCompact entry', async () => {
    need(compactRun, 'the compaction');
    const post = sessionEntries(await showBuffer(bufferDir), need(mainSession, 'the main session')).filter((e) => eventOf(e) === 'PostCompact');
    assert.equal(post.length, 1);
    const text = JSON.stringify(post[0].context);
    assert.ok(text.includes(`E2E-COMPACT-SUMMARY-${nonce}`),
      `PostCompact's compact_summary is not in the entry: the mapping does not keep it (entry keys: custom=${Object.keys(post[0].context.custom).join(',')}; insights=${JSON.stringify((post[0].context as any).insights)?.slice(0, 300)})`);
  });

  check('a session killed (SIGKILL) in the middle keeps each entry up to the kill, exactly once, also after recover', async () => {
    const session = randomUUID();
    const firstId = toolUseId('kill', 0);
    const slowId = toolUseId('kill', 1);
    const before = await showBuffer(bufferDir);
    const started = startClaude({
      claude, apiUrl: api.url, home, cwd, prompt: KILL_PROMPT, sessionId: session, env: { NEXUS_BUFFER_DIR: bufferDir }, timeoutMs: RUN_TIMEOUT_MS,
    });
    let run: ClaudeRunResult;
    const expected = ['SessionStart', 'UserPromptSubmit', `PreToolUse ${firstId}`, `PostToolUse ${firstId}`, `PreToolUse ${slowId}`];
    const listed = (d: BufferDocument) => sessionEntries(d, session).map((e) => `${eventOf(e)}${toolIdOf(e) ? ` ${toolIdOf(e)}` : ''}`).sort();
    try {
      // Claude Code is running the slow command, and every hook it started so far has buffered
      // its entry (the tool calls' in the spool, which each `show` of waitForBuffer ingests).
      const exitedEarly = started.done.then((r) => {
        throw new Error(`claude ended before the slow command (exit ${r.exitCode ?? r.signal}); debug log ${r.debugFile}`);
      });
      exitedEarly.catch(() => undefined);
      await Promise.race([
        waitForBuffer(bufferDir, (d) => listed(d).length >= expected.length, 90_000, { explain: (d) => `for the session: ${listed(d).join(', ') || 'nothing'}; expected ${expected.join(', ')}` }),
        exitedEarly,
      ]);
      process.kill(started.pid, 'SIGKILL');
      releaseFifo(); // the slow command (a session of its own) ends: `done` waits for it
      run = await started.done;
    } finally {
      releaseFifo();
      killGroup(started.child, 'SIGKILL');
    }
    assert.equal(run.signal, 'SIGKILL', `claude was not killed: exit ${run.exitCode}`);
    assert.ok(!api.requests.some((r) => r.conversation === 'kill' && (r.step ?? 0) >= 2), 'the session went past the slow command: the kill came too late');
    // What the killed session spooled after its last Node hook is still there: `show` ingests it.
    const after = await showBuffer(bufferDir);
    const spool = path.join(bufferDir, '.spool', 'claude-hook');
    assert.deepEqual(fs.existsSync(spool) ? fs.readdirSync(spool) : [], [], 'show ingested the spool');
    assert.deepEqual(listed(after), [...expected].sort(), 'entries of the killed session');
    const killedCommand = sessionEntries(after, session).filter((e) => e.context.commands_run.includes(KILL_OK_COMMAND));
    assert.deepEqual(killedCommand.map(eventOf), ['PostToolUse']);
    assert.equal(after.entries.length, before.entries.length + expected.length, 'entries of other sessions came or went');
    const recovered = await runCli(['recover', 'claude-code', '--dir', bufferDir]);
    assert.equal(recovered.code, 0, `recover exited ${recovered.code}: ${recovered.stderr}`);
    const merged = await showBuffer(bufferDir);
    assert.deepEqual(listed(merged), [...expected].sort(), 'entries of the killed session after recover');
    assert.equal(merged.entries.length, after.entries.length, 'recover changed the number of entries');
  });
});

/** Ends the killed session's slow command (`cat` of the FIFO) if it is still waiting. */
function releaseFifo(): void {
  if (!killFifo || !fs.existsSync(killFifo)) return;
  try {
    fs.closeSync(fs.openSync(killFifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
  } catch {
    // ENXIO: nobody is reading it
  }
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of [...values].sort()) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** The tool_use ids of the tool results a request carries back. */
function toolUsesOf(request: RecordedRequest): string[] {
  return [...toolResults([request]).keys()];
}

/** tool_use_id -> the text of its tool_result, over the requests given. */
function toolResults(requests: RecordedRequest[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const request of requests) {
    for (const message of request.body?.messages ?? []) {
      if (message?.role !== 'user' || !Array.isArray(message.content)) continue;
      for (const block of message.content) {
        if (block?.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue;
        const text = typeof block.content === 'string' ? block.content
          : Array.isArray(block.content) ? block.content.map((c: any) => (typeof c?.text === 'string' ? c.text : '')).join('\n') : '';
        out.set(block.tool_use_id, text);
      }
    }
  }
  return out;
}
