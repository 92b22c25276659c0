// Hand-off in the real extension host: the same actions as the commands, driven with a
// scripted UI (modal dialogs cannot be answered here) against a buffer in a temporary folder,
// a stand-in `nexus` script, and the hook installer on a temporary settings file.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PersistentBuffer } from '../../src/core/buffer';
import type { BufferData } from '../../src/core/schema';
import { HandoffActions, HandoffCommandIds, type HandoffUi } from '../../src/handoff/registerHandoffCommands';
import { HOOK_EVENTS, isOurHookCommand } from '../../src/agents/claude-code/installer';
import { bufferUri } from '../../src/views/bufferUri';
import { agentFilesContain, api, extension, uniqueAgent, waitFor } from './nexusTestUtils';

interface Script {
  /** Answer to info/warn messages that offer actions (e.g. "Clear Buffer"). */
  answer?: string;
  confirm?: boolean;
  saveAs?: vscode.Uri;
  pick?: string;
  /** Runs when a message is shown, before it is answered (e.g. an agent buffering more). */
  onMessage?: (message: string) => Promise<void>;
}

function scriptedUi(script: Script, shown: string[]): HandoffUi {
  const message = async (text: string, ...actions: string[]) => {
    shown.push(text);
    await script.onMessage?.(text);
    return actions.includes(script.answer ?? '') ? script.answer : undefined;
  };
  return {
    pickAgent: async (buffers) => script.pick ?? buffers[0]?.agentType,
    info: message,
    warn: message,
    confirm: async (text) => { shown.push(`confirm: ${text}`); return script.confirm ?? false; },
    pickSettingsFile: async (choices) => choices[0],
    saveDialog: async () => script.saveAs,
    showPlan: async () => () => undefined,
    withProgress: (_title, task) => task(() => undefined, new AbortController().signal),
  };
}

suite('Hand-off', () => {
  let work: string;
  let buffer: PersistentBuffer;
  let log: vscode.LogOutputChannel;
  let previousBinary: string | undefined;

  suiteSetup(() => {
    log = vscode.window.createOutputChannel('Nexus Buffer hand-off test', { log: true });
  });
  suiteTeardown(() => log.dispose());

  setup(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-handoff-'));
    buffer = new PersistentBuffer({ dir: path.join(work, 'buffers'), flushIntervalMs: 0 });
    previousBinary = process.env.NEXUS_HOOK_BINARY;
  });
  teardown(async () => {
    if (previousBinary === undefined) delete process.env.NEXUS_HOOK_BINARY;
    else process.env.NEXUS_HOOK_BINARY = previousBinary;
    await buffer.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const actions = (script: Script, shown: string[] = []) =>
    new HandoffActions({ buffer, log, extensionUri: extension().extensionUri }, scriptedUi(script, shown));

  async function fill(agent: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await buffer.bufferContext(agent, { commands_run: [`step ${i}`], session_id: 'handoff-test' }, 'checkpoint');
    }
  }

  /** A stand-in `nexus` that appends each stdin document (one line) to `record`, then exits `code`. */
  function standIn(code: number): { binary: string; record: string } {
    const binary = path.join(work, `nexus-${code}`);
    const record = path.join(work, `received-${code}.jsonl`);
    fs.writeFileSync(binary, `#!/bin/sh\necho "$*" >> '${record}.args'\ncat >> '${record}'\necho >> '${record}'\nexit ${code}\n`, { mode: 0o755 });
    return { binary, record };
  }

  test('the hand-off commands are registered', async () => {
    await api();
    const commands = await vscode.commands.getCommands(true);
    for (const id of Object.values(HandoffCommandIds)) assert.ok(commands.includes(id), id);
  });

  test('Send to Nexus: the stand-in receives every entry, then the buffer is cleared (only after success)', async () => {
    const agent = uniqueAgent('send');
    await fill(agent, 3);
    const { binary, record } = standIn(0);
    process.env.NEXUS_HOOK_BINARY = binary;
    const shown: string[] = [];
    const outcome = await actions({ answer: 'Clear Buffer' }, shown).sendToNexus({ agentType: agent });
    assert.equal(outcome?.stored, 3);
    assert.equal(outcome?.failed, 0);
    assert.equal(outcome?.cleared, true);
    const received = fs.readFileSync(record, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { context: { commands_run: string[] } });
    assert.deepEqual(received.map((e) => e.context.commands_run[0]), ['step 0', 'step 1', 'step 2']);
    assert.deepEqual(fs.readFileSync(`${record}.args`, 'utf8').trim().split('\n'), Array(3).fill(`ingest-hook-event --agent ${agent} --event buffer_recovery`));
    assert.equal(await buffer.read(agent), null, 'cleared');
    assert.ok(shown.some((m) => /Nexus stored all 3 entries/.test(m)));
  });

  test('Send to Nexus: a failing stand-in leaves the buffer alone and never offers to clear', async () => {
    const agent = uniqueAgent('sendfail');
    await fill(agent, 2);
    const { binary } = standIn(1);
    process.env.NEXUS_HOOK_BINARY = binary;
    const shown: string[] = [];
    const outcome = await actions({ answer: 'Clear Buffer', confirm: true }, shown).sendToNexus(agent);
    assert.equal(outcome?.stored, 0);
    assert.equal(outcome?.failed, 2);
    assert.equal(outcome?.cleared, undefined);
    assert.equal((await buffer.read(agent))?.data.entries.length, 2, 'the buffer is kept');
    assert.ok(shown.some((m) => /The buffer is kept/.test(m)), shown.join(' | '));
  });

  test('Send to Nexus: entries that arrive after the hand-off are not cleared without asking', async () => {
    const agent = uniqueAgent('sendlive');
    await fill(agent, 2);
    process.env.NEXUS_HOOK_BINARY = standIn(0).binary;
    const shown: string[] = [];
    const outcome = await actions({
      answer: 'Clear Buffer',
      confirm: false,
      // The agent is still running: one more entry lands while the user reads the message.
      onMessage: async () => { await buffer.bufferContext(agent, { commands_run: ['late'] }, 'checkpoint'); },
    }, shown).sendToNexus(agent);
    assert.equal(outcome?.stored, 2);
    assert.equal(outcome?.cleared, false);
    assert.equal(outcome?.newerEntries, 1);
    assert.ok(shown.some((m) => /^confirm: 1 entry arrived/.test(m)), shown.join(' | '));
    assert.equal((await buffer.read(agent))?.data.entries.length, 3, 'nothing was cleared');
  });

  test('Send to Nexus without the tool says where it looked', async () => {
    const agent = uniqueAgent('nonexus');
    await fill(agent, 1);
    process.env.NEXUS_HOOK_BINARY = path.join(work, 'missing-nexus');
    const savedPath = process.env.PATH;
    process.env.PATH = path.join(work, 'empty-bin');
    const shown: string[] = [];
    try {
      const home = os.homedir();
      const present = ['/usr/local/bin/nexus', path.join(home, '.local', 'bin', 'nexus')].some((p) => fs.existsSync(p));
      const outcome = await actions({}, shown).sendToNexus(agent);
      if (!present) {
        assert.deepEqual(outcome, { stored: 0, failed: 0 });
        assert.ok(shown.some((m) => /was not found\. Looked at \$NEXUS_HOOK_BINARY, ~\/\.local\/bin\/nexus, \/usr\/local\/bin\/nexus/.test(m)), shown.join(' | '));
      }
      assert.equal((await buffer.read(agent))?.data.entries.length, 1);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  test('Export as JSON writes the crate format and offers to clear; Markdown too', async () => {
    const agent = uniqueAgent('export');
    await fill(agent, 2);
    const jsonFile = vscode.Uri.file(path.join(work, 'out', 'export.json'));
    fs.mkdirSync(path.dirname(jsonFile.fsPath), { recursive: true });
    const kept = await actions({ saveAs: jsonFile }).exportBuffer(vscode.Uri.parse(`nexus-buffer:/${agent}.md`));
    assert.equal(kept?.cleared, undefined, 'not cleared unless the user asks');
    const doc = JSON.parse(fs.readFileSync(jsonFile.fsPath, 'utf8')) as BufferData;
    assert.equal(doc.agent_type, agent);
    assert.deepEqual(Object.keys(doc), ['started_at', 'entries', 'last_flush', 'agent_type']);
    assert.equal(doc.entries.length, 2);
    assert.equal(doc.entries[0]!.context.reliability_score, 1);

    const mdFile = vscode.Uri.file(path.join(work, 'out', 'export.md'));
    const cleared = await actions({ saveAs: mdFile, answer: 'Clear Buffer' }).exportBuffer(bufferUri(agent, 'json'));
    assert.equal(cleared?.cleared, true);
    assert.match(fs.readFileSync(mdFile.fsPath, 'utf8'), /^# Nexus Buffer: /);
    assert.equal(await buffer.read(agent), null);
  });

  test('Export cancelled in the save dialog writes nothing and keeps the buffer', async () => {
    const agent = uniqueAgent('exportcancel');
    await fill(agent, 1);
    assert.equal(await actions({ answer: 'Clear Buffer' }).exportBuffer(agent), undefined);
    assert.equal((await buffer.read(agent))?.data.entries.length, 1);
  });

  test('Copy as Prompt puts a resume brief on the clipboard, and never clears', async () => {
    const agent = uniqueAgent('prompt');
    await fill(agent, 2);
    await vscode.env.clipboard.writeText('');
    const outcome = await actions({ answer: 'Clear Buffer' }).copyAsPrompt({ agentType: agent });
    assert.equal(outcome?.entries, 2);
    const text = await vscode.env.clipboard.readText();
    assert.match(text, new RegExp(`^# Resume: ${agent} session`));
    assert.match(text, /`step 1`/);
    assert.equal((await buffer.read(agent))?.data.entries.length, 2);
  });

  test('with no argument, the buffer is picked from a list', async () => {
    const agent = uniqueAgent('picked');
    await fill(agent, 1);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const outcome = await actions({ pick: agent }).copyAsPrompt();
    assert.equal(outcome?.agent, agent);
  });

  test('installing the Claude Code hooks (confirmed) makes Claude Code events land in the buffer', async () => {
    const settingsPath = path.join(work, 'home', '.claude', 'settings.json');
    fs.mkdirSync(path.dirname(settingsPath), { recursive: true });
    fs.writeFileSync(settingsPath, JSON.stringify({ model: 'opus' }, null, 2));
    const declined = await actions({ confirm: false }).installClaudeHooks({ settingsPath });
    assert.equal(declined, undefined);
    assert.deepEqual(JSON.parse(fs.readFileSync(settingsPath, 'utf8')), { model: 'opus' }, 'declined: untouched');

    const plan = await actions({ confirm: true }).installClaudeHooks({ settingsPath });
    assert.equal(plan?.changed, true);
    const settings = JSON.parse(fs.readFileSync(settingsPath, 'utf8')) as { model: string; hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>> };
    assert.equal(settings.model, 'opus');
    assert.deepEqual(Object.keys(settings.hooks), [...HOOK_EVENTS]);
    const command = settings.hooks.UserPromptSubmit![0]!.hooks[0]!.command;
    assert.ok(isOurHookCommand(command));
    assert.ok(command.includes(path.join('dist', 'cli.js')), command);

    // Run it the way Claude Code does: a shell, the payload on stdin, nothing on stdout.
    const cli = vscode.Uri.joinPath(extension().extensionUri, 'dist', 'cli.js').fsPath;
    if (fs.existsSync(cli)) {
      const payload = JSON.stringify({ hook_event_name: 'UserPromptSubmit', session_id: 'hook-e2e', cwd: work, prompt: 'hello from a hook, token=abc123' });
      const stdout = execFileSync('/bin/sh', ['-c', command], { input: payload, encoding: 'utf8', env: { ...process.env, NEXUS_BUFFER_DIR: buffer.dir } });
      assert.equal(stdout, '', 'a hook prints nothing');
      await waitFor(() => agentFilesContain(buffer.dir, 'claude-code', 'hook-e2e'), 'the hook event in the claude-code buffer');
      assert.ok(!agentFilesContain(buffer.dir, 'claude-code', 'abc123'), 'the prompt was redacted');
    }

    const again = await actions({ confirm: true }).installClaudeHooks({ settingsPath });
    assert.equal(again?.changed, false, 'idempotent');
    const removed = await actions({ confirm: true }).uninstallClaudeHooks({ settingsPath });
    assert.equal(removed?.changed, true);
    assert.deepEqual(JSON.parse(fs.readFileSync(settingsPath, 'utf8')), { model: 'opus' });
    assert.ok(fs.readdirSync(path.dirname(settingsPath)).some((name) => name.includes('nexus-buffer-backup')), 'backup kept');
  });
});
