import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { completeContext, type SessionContext } from '../../../core/schema';
import { findHookSource } from '../../registry';
import { fixturesDir } from '../../shared/testSupport';
import { geminiHookSource } from '../index';
import { geminiHookToEntry } from '../hookPayload';

const FIXTURES = fixturesDir(__dirname);
const NOW = '2026-12-01T23:00:00.000Z';
const fixture = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
const map = (name: string) => geminiHookToEntry(fixture(name), NOW);
type Custom = Record<string, unknown>;
const customOf = (entry: ReturnType<typeof map>) => entry.context.custom as Custom;

test('every fixture maps to a complete, valid crate-format context', () => {
  const names = fs.readdirSync(FIXTURES).filter((name) => name.endsWith('.json'));
  assert.ok(names.length >= 30, `fixtures found: ${names.length}`);
  for (const name of names) {
    const entry = map(name);
    const complete = completeContext(entry.context, { agentType: 'gemini', extractionSource: 'native' });
    assert.doesNotThrow(() => completeContext(complete, { agentType: 'gemini' }), name);
    assert.equal(complete.agent_type, 'gemini', name);
    assert.equal(complete.extraction_source, 'native', name);
    assert.match(complete.session_id ?? '', /^[0-9a-f-]{36}$/, `${name}: the agent's own session id`);
    assert.ok(['extraction', 'checkpoint', 'session-start', 'tool-use', 'session-end', 'compact', 'error'].includes(entry.contextType), `${name}: ${entry.contextType}`);
    assert.equal(customOf(entry).capture, 'gemini-hook', name);
  }
});

test('the hook source is registered and routes to the gemini buffer', () => {
  assert.equal(findHookSource('gemini-hook'), geminiHookSource);
  const entry = geminiHookSource.toEntry(fixture('before-agent.json'), NOW);
  assert.equal(entry.agent, 'gemini');
  assert.equal(geminiHookSource.payloadFrom, 'stdin');
});

test('SessionStart and SessionEnd are session-start / session-end with source and reason', () => {
  const start = map('session-start.json');
  assert.equal(start.contextType, 'session-start');
  assert.equal(customOf(start).source, 'startup');
  assert.equal(customOf(start).transcript_path, '/home/dev/.gemini/tmp/project/chats/session-2026-12-01T22-20-f85ed586.jsonl');
  assert.equal(customOf(start).cwd, '/home/dev/project');
  const end = map('session-end.json');
  assert.equal(end.contextType, 'session-end');
  assert.equal(customOf(end).reason, 'exit');
});

test("BeforeAgent's prompt is a user message at the event's time; AfterAgent's answer an assistant one", () => {
  const before = map('before-agent.json');
  assert.equal(before.contextType, 'checkpoint');
  assert.deepEqual(before.context.conversation, [{ role: 'user', content: 'run the commands', timestamp: '2026-12-01T22:20:36.144Z' }]);
  const after = map('after-agent.json');
  assert.deepEqual(after.context.conversation, [{ role: 'assistant', content: 'All done.', timestamp: '2026-12-01T22:20:36.498Z' }]);
  assert.equal(customOf(after).prompt_chars, 'run the commands'.length, 'the prompt is not repeated, only its size');
  assert.equal(customOf(after).stop_hook_active, false);
});

test('a secret in a prompt is redacted', () => {
  const entry = map('before-agent-secret.json');
  const content = entry.context.conversation![0]!.content;
  assert.doesNotMatch(content, /ghp_abcdefghij/);
  assert.match(content, /GITHUB_TOKEN=\*\*\*/);
});

test('a shell command that succeeds goes to commands_run, with its output and no error', () => {
  const entry = map('after-tool-shell.json');
  assert.equal(entry.contextType, 'tool-use');
  assert.deepEqual(entry.context.commands_run, ['echo hello-from-shell']);
  assert.equal(entry.context.errors, undefined);
  assert.equal(customOf(entry).output, 'hello-from-shell');
  assert.equal(customOf(entry).exit_code, undefined, 'Gemini only says the exit code when it is not 0');
  assert.equal(customOf(entry).phase, 'post');
});

test('a shell command with a non-zero exit goes to commands_run and errors (from llmContent)', () => {
  const entry = map('after-tool-shell-failed.json');
  assert.equal(entry.contextType, 'error');
  assert.deepEqual(entry.context.commands_run, ['ls /nonexistent-nexus-dir']);
  assert.equal(customOf(entry).exit_code, 2);
  assert.equal(entry.context.errors?.length, 1);
  const error = entry.context.errors![0]!;
  assert.equal(error.error_type, 'command_failed');
  assert.equal(error.message, "ls /nonexistent-nexus-dir: exit code 2: ls: cannot access '/nonexistent-nexus-dir': No such file or directory");
  assert.equal(error.timestamp, '2026-12-01T22:20:36.404Z');
});

test('a non-zero exit without output says only the exit code', () => {
  const entry = map('after-tool-shell-exit-no-output.json');
  assert.equal(entry.contextType, 'error');
  assert.equal(entry.context.errors![0]!.message, 'sleep 0; exit 3: exit code 3');
  assert.equal(customOf(entry).output, undefined);
  assert.deepEqual(customOf(entry).tool_input, { command: 'sleep 0; exit 3', description: 'exit with 3' });
});

test("a shell tool's error field (the command did not start) is the error, typed as Gemini typed it", () => {
  const entry = map('after-tool-shell-spawn-error.json');
  assert.equal(entry.contextType, 'error');
  assert.deepEqual(entry.context.commands_run, ['npm test']);
  assert.deepEqual(entry.context.errors?.map((e) => [e.error_type, e.message]), [['shell_execute_error', 'run_shell_command: spawn /bin/bash ENOENT']]);
});

test('a cancelled shell command is an interrupted command', () => {
  const entry = map('after-tool-shell-cancelled.json');
  assert.equal(entry.contextType, 'error');
  assert.equal(entry.context.errors![0]!.error_type, 'command_interrupted');
  assert.match(entry.context.errors![0]!.message, /^npm run watch: Command was cancelled by user/);
});

test('BeforeTool records the intent only: no command, no file (AfterTool does)', () => {
  const shell = map('before-tool-shell.json');
  assert.equal(shell.contextType, 'tool-use');
  assert.equal(shell.context.commands_run, undefined);
  assert.equal(customOf(shell).phase, 'pre');
  assert.deepEqual(customOf(shell).tool_input, { command: 'echo hello-from-shell' });
  const write = map('before-tool-write-file.json');
  assert.equal(write.context.files, undefined);
  assert.deepEqual(customOf(write).tool_input, { file_path: '/home/dev/project/notes.txt', content_chars: 14 });
});

test('write_file of a new file: created, line counts from diffStat, no contents anywhere', () => {
  const entry = map('after-tool-write-file-create.json');
  assert.equal(entry.contextType, 'tool-use');
  assert.deepEqual(entry.context.files, [{ path: '/home/dev/project/notes.txt', action: 'created', lines_added: 3, lines_removed: 0, timestamp: '2026-12-01T22:20:36.464Z' }]);
  const text = JSON.stringify(entry);
  assert.doesNotMatch(text, /one\\ntwo/, 'file contents never enter the entry');
  assert.deepEqual((customOf(entry).result as Custom).diff_stat, {
    model_added_lines: 3, model_removed_lines: 0, model_added_chars: 11, model_removed_chars: 0,
    user_added_lines: 0, user_removed_lines: 0, user_added_chars: 0, user_removed_chars: 0,
  });
});

test('write_file over an existing file and replace: modified, with the diff line counts', () => {
  const overwrite = map('after-tool-write-file-overwrite.json');
  assert.deepEqual(overwrite.context.files?.map((f) => [f.path, f.action, f.lines_added, f.lines_removed]), [['/home/dev/project/a.md', 'modified', 1, 0]]);
  assert.doesNotMatch(JSON.stringify(overwrite), /gamma/);
  const replace = map('after-tool-replace.json');
  assert.deepEqual(replace.context.files?.map((f) => [f.path, f.action, f.lines_added, f.lines_removed]), [['/home/dev/project/notes.txt', 'modified', 2, 1]]);
  assert.doesNotMatch(JSON.stringify(replace), /LINE-2/, 'neither old_string, new_string nor the diff');
  assert.deepEqual(customOf(replace).tool_input, { file_path: '/home/dev/project/notes.txt', instruction: 'change line2', old_string_chars: 6, new_string_chars: 15 });
});

test('replace that creates a file (old_string "", returnDisplay "Created …") is created', () => {
  const entry = map('after-tool-replace-create.json');
  assert.deepEqual(entry.context.files?.map((f) => [f.path, f.action, f.lines_added, f.lines_removed]), [['/home/dev/project/src/new.ts', 'created', 2, 0]]);
});

test('a failed replace is an error and no file change', () => {
  const entry = map('after-tool-replace-failed.json');
  assert.equal(entry.contextType, 'error');
  assert.equal(entry.context.files, undefined);
  assert.equal(entry.context.errors![0]!.error_type, 'edit_no_occurrence_found');
  assert.match(entry.context.errors![0]!.message, /^replace: Could not find an exact match/);
});

test('read_file and read_many_files are reads; their contents are not kept', () => {
  const read = map('after-tool-read-file.json');
  assert.deepEqual(read.context.files?.map((f) => [f.path, f.action, f.lines_added]), [['/home/dev/project/notes.txt', 'read', null]]);
  assert.doesNotMatch(JSON.stringify(read), /LINE-2/);
  const many = map('after-tool-read-many-files.json');
  assert.deepEqual(many.context.files?.map((f) => [f.path, f.action]), [['a.md', 'read'], ['b.md', 'read']]);
  assert.doesNotMatch(JSON.stringify(many), /FILE CONTENT/);
});

test('glob and grep_search keep their input, not their listings', () => {
  const glob = map('after-tool-glob.json');
  assert.deepEqual(customOf(glob).tool_input, { pattern: '*.md' });
  assert.equal(glob.context.files, undefined);
  assert.equal(customOf(glob).tool_response, undefined);
  assert.equal(typeof customOf(glob).response_chars, 'number');
  const grep = map('after-tool-grep-search.json');
  assert.doesNotMatch(JSON.stringify(grep), /gamma/);
});

test('write_todos becomes tasks', () => {
  const entry = map('after-tool-write-todos.json');
  assert.deepEqual(entry.context.tasks?.map((t) => [t.description, t.status]), [
    ['Fix the parser bug', 'completed'], ['Write tests', 'in_progress'], ['Ship it', 'pending'], ['Old idea', 'failed'],
  ]);
  assert.equal(entry.context.tasks![2]!.started_at, null);
  assert.equal(entry.context.tasks![0]!.completed_at, '2026-12-01T22:33:00.000Z');
});

test('invoke_agent becomes a subagent execution with its result', () => {
  const entry = map('after-tool-invoke-agent.json');
  assert.deepEqual(entry.context.subagent_executions, [{
    subagent_type: 'codebase_investigator',
    task: 'Find where the buffer is flushed',
    status: 'completed',
    started_at: '2026-12-01T22:34:00.000Z',
    completed_at: '2026-12-01T22:34:00.000Z',
    result_summary: "Subagent 'codebase_investigator' finished.\nResult: flush() is called from two places.",
  }]);
});

test("an MCP tool keeps its (redacted) context and answer", () => {
  const entry = map('after-tool-mcp.json');
  const custom = customOf(entry);
  assert.equal(custom.tool_name, 'mcp_github_list_issues');
  assert.equal(custom.tool_response, '#12 Crash on start\n#15 Slow flush');
  assert.equal((custom.mcp_context as Custom).server_name, 'github');
  assert.doesNotMatch(JSON.stringify(entry), /ghp_abcdefghij/, 'the token in the MCP args is redacted');
  assert.equal(custom.original_request_name, 'mcp_github_list_issues');
});

test('PreCompress is a compaction, with its trigger', () => {
  for (const [name, trigger] of [['pre-compress-manual.json', 'manual'], ['pre-compress-auto.json', 'auto']] as const) {
    const entry = map(name);
    assert.equal(entry.contextType, 'compact', name);
    assert.equal(customOf(entry).trigger, trigger, name);
  }
});

test('a Notification keeps its message and the scalar details, never the file contents of an edit', () => {
  const edit = map('notification-tool-permission-edit.json');
  assert.equal(edit.contextType, 'checkpoint');
  const custom = customOf(edit);
  assert.equal(custom.notification_type, 'ToolPermission');
  assert.equal(custom.message, 'Tool Edit notes.txt requires editing');
  assert.deepEqual(custom.details, {
    type: 'edit', title: 'Edit notes.txt', fileName: 'notes.txt', filePath: '/home/dev/project/notes.txt',
    fileDiff_chars: 74, originalContent_chars: 16, newContent_chars: 16, isModifying: false,
  });
  assert.doesNotMatch(JSON.stringify(edit), /SECRET-(OLD|NEW)-LINE/);
  const info = map('notification-tool-permission-info.json');
  assert.deepEqual((customOf(info).details as Custom).urls, ['https://example.com/docs']);
});

test('model events keep a small summary, never the messages', () => {
  for (const name of ['before-model.json', 'after-model.json', 'before-tool-selection.json']) {
    const entry = map(name);
    assert.equal(entry.contextType, 'checkpoint', name);
    const text = JSON.stringify(entry);
    assert.doesNotMatch(text, /session_context/, `${name}: the request's messages are left out`);
    assert.ok(text.length < 1_000, `${name}: ${text.length} characters`);
    assert.equal((customOf(entry).model_call as Custom).model, 'gemini-3.1-pro-preview', name);
    assert.equal((customOf(entry).model_call as Custom).messages, 1, name);
    assert.equal(customOf(entry).hook, undefined, name);
  }
  const after = customOf(map('after-model.json')).model_call as Custom;
  assert.equal(after.finish_reason, 'STOP');
  assert.equal(after.total_tokens, 15);
});

test('an unknown event is a checkpoint that keeps its fields in custom.hook, secrets redacted', () => {
  const entry = map('unknown-event.json');
  assert.equal(entry.contextType, 'checkpoint');
  const hook = customOf(entry).hook as Custom;
  assert.equal(hook.agent_name, 'codebase_investigator');
  assert.deepEqual(hook.result, { ok: true });
  assert.equal(hook.api_key, '***');
});

test('unknown fields of a known event are kept in custom.hook', () => {
  const entry = geminiHookToEntry({ ...fixture('session-start.json'), model: 'gemini-9', extra: { a: 1 } }, NOW);
  assert.deepEqual(customOf(entry).hook, { model: 'gemini-9', extra: { a: 1 } });
});

test('a huge shell output and a huge prompt are capped', () => {
  const big = 'x'.repeat(200_000);
  const shell = geminiHookToEntry({
    ...fixture('after-tool-shell.json'),
    tool_response: { llmContent: `Output: ${big}\nExit Code: 1\nProcess Group PGID: 1`, returnDisplay: big },
  }, NOW);
  assert.ok(JSON.stringify(shell).length < 20_000, `${JSON.stringify(shell).length}`);
  assert.equal(customOf(shell).exit_code, 1);
  const prompt = geminiHookToEntry({ ...fixture('before-agent.json'), prompt: big }, NOW);
  assert.ok(prompt.context.conversation![0]!.content.length < 17_000);
});

test('an output line that looks like an exit code does not fool the parser', () => {
  const entry = geminiHookToEntry({
    ...fixture('after-tool-shell.json'),
    tool_response: { llmContent: '<untrusted_context>\nOutput: Exit Code: 9\nall good\nProcess Group PGID: 5\n</untrusted_context>', returnDisplay: 'Exit Code: 9\nall good' },
  }, NOW);
  assert.equal(entry.context.errors, undefined);
  assert.equal(customOf(entry).exit_code, undefined);
});

test('without a valid timestamp the time received is used; without a session id it is null', () => {
  const { timestamp: _t, session_id: _s, ...rest } = fixture('before-agent.json');
  const entry = geminiHookToEntry(rest, NOW);
  assert.equal(entry.context.conversation![0]!.timestamp, NOW);
  assert.equal(entry.context.session_id, null);
  assert.equal(geminiHookToEntry({ ...rest, timestamp: 'yesterday' }, NOW).context.conversation![0]!.timestamp, NOW);
});

test('not a hook payload: a one-line error', () => {
  for (const payload of [null, [], 'text', 42, {}, { hook_event_name: '' }, { hook_event_name: 7 }]) {
    assert.throws(() => geminiHookToEntry(payload, NOW), (error: Error) => !error.message.includes('\n') && /Gemini CLI hook payload/.test(error.message));
  }
});

// The bundled CLI, as Gemini CLI runs it.
const root = path.resolve(__dirname, '..', '..', '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

test('end to end: push --from gemini-hook, then show gemini --json', { skip: !fs.existsSync(cli) && 'dist/cli.js not built (npm run build)' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-gemini-e2e-'));
  try {
    for (const name of ['session-start.json', 'before-agent.json', 'after-tool-shell.json', 'after-tool-shell-failed.json', 'after-tool-write-file-create.json', 'session-end.json']) {
      const run = spawnSync(process.execPath, [cli, 'push', 'gemini', '--from', 'gemini-hook', '--dir', dir], {
        input: fs.readFileSync(path.join(FIXTURES, name)), encoding: 'utf8',
      });
      assert.equal(run.status, 0, `${name}: ${run.stderr}`);
      assert.equal(run.stdout, '', `${name}: nothing on stdout`);
      assert.equal(run.stderr, '', `${name}: nothing on stderr`);
    }
    const shown = JSON.parse(execFileSync(process.execPath, [cli, 'show', 'gemini', '--json', '--dir', dir], { encoding: 'utf8' })) as {
      agent_type: string; entries: Array<{ context_type: string; context: SessionContext }>;
    };
    assert.equal(shown.agent_type, 'gemini');
    assert.deepEqual(shown.entries.map((e) => e.context_type), ['session-start', 'checkpoint', 'tool-use', 'error', 'tool-use', 'session-end']);
    const [, prompt, ok, failed, write] = shown.entries;
    assert.equal(prompt!.context.conversation[0]!.content, 'run the commands');
    assert.deepEqual(ok!.context.commands_run, ['echo hello-from-shell']);
    assert.deepEqual(failed!.context.commands_run, ['ls /nonexistent-nexus-dir']);
    assert.equal(failed!.context.errors[0]!.error_type, 'command_failed');
    assert.deepEqual(write!.context.files.map((f) => [f.path, f.action, f.lines_added]), [['/home/dev/project/notes.txt', 'created', 3]]);
    for (const entry of shown.entries) assert.equal(entry.context.extraction_source, 'native');
    assert.deepEqual(new Set(shown.entries.map((e) => e.context.session_id)), new Set(['f85ed586-b6e6-45ba-a74e-90072e70ad55']));

    // Garbage: exit 1, one line on stderr, nothing on stdout, nothing buffered.
    const bad = spawnSync(process.execPath, [cli, 'push', 'gemini', '--from', 'gemini-hook', '--dir', dir], { input: 'not json {', encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    const notHook = spawnSync(process.execPath, [cli, 'push', 'gemini', '--from', 'gemini-hook', '--dir', dir], { input: '{"foo": 1}', encoding: 'utf8' });
    assert.equal(notHook.status, 1);
    assert.match(notHook.stderr, /hook_event_name/);
    assert.equal(notHook.stderr.trim().split('\n').length, 1);
    const again = JSON.parse(execFileSync(process.execPath, [cli, 'show', 'gemini', '--json', '--dir', dir], { encoding: 'utf8' })) as { entries: unknown[] };
    assert.equal(again.entries.length, 6);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
