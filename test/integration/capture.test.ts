// Capture of this window's activity, in the real extension host: real file operations, real
// saves, a real terminal (shell integration when the host has it), real tasks and diagnostics.
// A capture of our own with a short coalescing time records into an array; one test checks
// the extension's own capture reaches the `vscode` buffer on disk.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { WorkspaceActivityCapture, windowSessionId } from '../../src/capture/workspaceActivity';
import type { PartialSessionContext } from '../../src/core/schema';
import { agentFilesContain, api, setSetting, sleep, testBufferDir, waitFor } from './nexusTestUtils';

interface Recorded { context: PartialSessionContext; type: string }
type FileRec = NonNullable<PartialSessionContext['files']>[number];

function workspaceFolder(): string {
  const dir = process.env.NEXUS_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(dir, 'no test workspace (NEXUS_TEST_WORKSPACE or an open folder)');
  return dir;
}

let counter = 0;
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 6)}`;
}

async function createFile(uri: vscode.Uri, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.createFile(uri, { contents: new TextEncoder().encode(text), overwrite: true });
  assert.ok(await vscode.workspace.applyEdit(edit), `create ${uri.fsPath}`);
}

async function deleteFile(uri: vscode.Uri): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.deleteFile(uri, { ignoreIfNotExists: true });
  assert.ok(await vscode.workspace.applyEdit(edit), `delete ${uri.fsPath}`);
}

suite('Workspace activity capture', function () {
  let recorded: Recorded[];
  let capture: WorkspaceActivityCapture;
  let log: vscode.LogOutputChannel;
  let dir: string;

  const filesFor = (filePath: string): FileRec[] =>
    recorded.flatMap((r) => (r.context.files ?? []).filter((f) => f.path === filePath));

  suiteSetup(() => {
    log = vscode.window.createOutputChannel('Nexus Buffer capture test', { log: true });
  });
  suiteTeardown(() => log.dispose());

  setup(() => {
    recorded = [];
    dir = path.join(workspaceFolder(), uniqueName('capture'));
    fs.mkdirSync(dir, { recursive: true });
    capture = new WorkspaceActivityCapture(async (context, type) => {
      recorded.push({ context, type });
    }, log, { coalesceMs: 250, diagnosticsDelayMs: 50 });
  });

  teardown(async () => {
    capture.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('starts with a session-start entry naming the window session and the workspace', async () => {
    const start = await waitFor(() => recorded.find((r) => r.type === 'session-start'), 'the session-start entry');
    assert.equal(start.context.session_id, windowSessionId());
    assert.notEqual(start.context.session_id, 'someValue.sessionId', 'a real id even with telemetry off');
    assert.equal(start.context.extraction_source, 'native');
    const custom = start.context.custom as Record<string, unknown>;
    assert.equal(custom.capture, 'vscode');
    assert.equal(custom.workspace_folder, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
    assert.equal(custom.vscode_version, vscode.version);
  });

  test('creating, saving and deleting a file give checkpoint entries with the right actions and line counts', async () => {
    const uri = vscode.Uri.file(path.join(dir, 'notes.md'));
    await createFile(uri, 'one\ntwo\n');
    const created = await waitFor(() => filesFor(uri.fsPath).find((f) => f.action === 'created'), 'the created record');
    assert.equal(created.lines_added, null, 'a create through the API has no known line count');
    const entry = recorded.find((r) => (r.context.files ?? []).some((f) => f.path === uri.fsPath))!;
    assert.equal(entry.type, 'checkpoint');
    assert.equal(entry.context.session_id, windowSessionId());
    assert.equal((entry.context.custom as Record<string, unknown>).capture, 'vscode');

    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    assert.ok(await editor.edit((e) => e.insert(new vscode.Position(2, 0), 'three\nfour\nfive\n')));
    assert.ok(await doc.save(), 'saved');
    const saved = await waitFor(() => filesFor(uri.fsPath).find((f) => f.action === 'modified'), 'the modified record');
    assert.equal(saved.lines_added, 3);
    assert.equal(saved.lines_removed, 0);

    await deleteFile(uri);
    const deleted = await waitFor(() => filesFor(uri.fsPath).find((f) => f.action === 'deleted'), 'the deleted record');
    assert.equal(deleted.lines_removed, 5, 'the deleted file had 5 lines at its last save');
    assert.ok(!JSON.stringify(recorded).includes('three'), 'never file contents');
  });

  test('a rename records the old path deleted, the new one created, and the pair', async () => {
    const from = vscode.Uri.file(path.join(dir, 'a.txt'));
    const to = vscode.Uri.file(path.join(dir, 'b.txt'));
    await createFile(from, 'x\n');
    const edit = new vscode.WorkspaceEdit();
    edit.renameFile(from, to);
    assert.ok(await vscode.workspace.applyEdit(edit));
    const entry = await waitFor(() => recorded.find((r) => (r.context.custom as Record<string, unknown> | undefined)?.renames), 'the rename');
    assert.deepEqual((entry.context.custom as { renames: unknown }).renames, [{ from: from.fsPath, to: to.fsPath }]);
    assert.equal(filesFor(to.fsPath).at(-1)?.action, 'created');
    assert.equal(filesFor(from.fsPath).at(-1)?.action, 'deleted');
  });

  test('excluded paths (.env, node_modules) produce no records', async () => {
    const env = vscode.Uri.file(path.join(dir, '.env'));
    const nested = vscode.Uri.file(path.join(dir, 'config', '.env.local'));
    const dependency = vscode.Uri.file(path.join(dir, 'node_modules', 'x', 'index.js'));
    await createFile(env, 'TOKEN=1\n');
    await createFile(nested, 'TOKEN=2\n');
    await createFile(dependency, 'module.exports = 1;\n');
    const doc = await vscode.workspace.openTextDocument(env);
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.insert(new vscode.Position(1, 0), 'MORE=1\n'));
    await doc.save();
    // A file that is captured, after them: once it is recorded, so would they have been.
    const marker = vscode.Uri.file(path.join(dir, 'marker.txt'));
    await createFile(marker, 'm\n');
    await waitFor(() => filesFor(marker.fsPath).length > 0, 'the marker record');
    for (const uri of [env, nested, dependency]) assert.deepEqual(filesFor(uri.fsPath), [], `${uri.fsPath} was captured`);
    assert.ok(!JSON.stringify(recorded).includes('.env'), 'no .env path anywhere');
  });

  test('with nexusBuffer.capture.enabled off nothing is recorded, and it applies live', async () => {
    await waitFor(() => recorded.find((r) => r.type === 'session-start'), 'the session-start entry');
    const restore = await setSetting('capture.enabled', false);
    try {
      await waitFor(() => !capture.isEnabled, 'capture to see the setting');
      const off = vscode.Uri.file(path.join(dir, 'while-off.txt'));
      await createFile(off, 'x\n');
      capture.recordCommand('echo while off', 1);
      await capture.flush();
      await sleep(400);
      assert.deepEqual(filesFor(off.fsPath), []);
      assert.ok(!JSON.stringify(recorded).includes('while off'));
    } finally {
      await restore();
    }
    await waitFor(() => capture.isEnabled, 'capture to see the setting back on');
    const on = vscode.Uri.file(path.join(dir, 'while-on.txt'));
    await createFile(on, 'x\n');
    await waitFor(() => filesFor(on.fsPath).length > 0, 'a record once capture is back on');
  });

  test('the command handler redacts secrets and records a non-zero exit as an error (synthetic event)', async () => {
    capture.recordCommand('curl -H "Authorization: Bearer abc123secret" https://x.test && GITHUB_TOKEN=ghp_0123456789abcdefghij0123456789abcdef git push', 22, 'bash');
    capture.recordCommand('npm test', 0, 'bash');
    const entry = await waitFor(() => recorded.find((r) => (r.context.commands_run ?? []).length > 0), 'the command entry');
    assert.deepEqual(entry.context.commands_run, [
      'curl -H "Authorization: Bearer ***" https://x.test && GITHUB_TOKEN=*** git push',
      'npm test',
    ]);
    assert.equal(entry.context.errors?.length, 1, 'only the failing command is an error');
    assert.match(entry.context.errors![0]!.message, /exited with code 22 \(terminal "bash"\)/);
    assert.ok(!JSON.stringify(recorded).includes('abc123secret'));
    assert.ok(!JSON.stringify(recorded).includes('ghp_0123'));
  });

  test('a command run in a real terminal through shell integration is captured, redacted, with its exit code', async function () {
    const terminal = vscode.window.createTerminal({ name: 'nexus capture test', cwd: dir, shellPath: '/bin/bash', env: { HISTFILE: '/dev/null' } });
    try {
      terminal.show(true);
      const integration = terminal.shellIntegration ?? await new Promise<vscode.TerminalShellIntegration | undefined>((resolve) => {
        const timer = setTimeout(() => { subscription.dispose(); resolve(undefined); }, 15_000);
        const subscription = vscode.window.onDidChangeTerminalShellIntegration((e) => {
          if (e.terminal === terminal) { clearTimeout(timer); subscription.dispose(); resolve(e.shellIntegration); }
        });
      });
      if (!integration) {
        log.warn('Shell integration did not activate in this host: the terminal test is skipped (the synthetic test covers the handler)');
        this.skip();
        return;
      }
      integration.executeCommand('API_TOKEN=s3cr3tvalue123 bash -c "exit 7"');
      const entry = await waitFor(() => recorded.find((r) => (r.context.commands_run ?? []).some((c) => c.includes('API_TOKEN'))), 'the terminal command', 30_000);
      assert.ok(entry.context.commands_run!.includes('API_TOKEN=*** bash -c "exit 7"'), JSON.stringify(entry.context.commands_run));
      assert.ok(entry.context.errors?.some((e) => /exited with code 7/.test(e.message)), JSON.stringify(entry.context.errors));
      assert.ok(!JSON.stringify(recorded).includes('s3cr3tvalue123'));
    } finally {
      terminal.dispose();
    }
  });

  test('a task that fails is a failed task and an error', async () => {
    const name = uniqueName('failing task');
    const task = new vscode.Task({ type: 'shell' }, vscode.TaskScope.Workspace, name, 'nexus-test', new vscode.ShellExecution('exit 4'));
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Never };
    await vscode.tasks.executeTask(task);
    const entry = await waitFor(() => recorded.find((r) => (r.context.tasks ?? []).some((t) => t.description.startsWith(name))), 'the task entry', 30_000);
    const recordedTask = entry.context.tasks!.find((t) => t.description.startsWith(name))!;
    assert.equal(recordedTask.status, 'failed');
    assert.ok(recordedTask.started_at, 'start time recorded');
    assert.ok(entry.context.errors?.some((e) => e.error_type === 'task_failed' && /code 4/.test(e.message)));
  });

  test('a rise in error diagnostics is one bounded error record', async () => {
    // Plain text: no language server adds diagnostics of its own to it.
    const uri = vscode.Uri.file(path.join(dir, 'broken.txt'));
    await createFile(uri, 'not really broken\n');
    const collection = vscode.languages.createDiagnosticCollection('nexus-test');
    try {
      const range = new vscode.Range(0, 0, 0, 5);
      collection.set(uri, Array.from({ length: 3 }, (_, i) => new vscode.Diagnostic(range, `problem ${i}`, vscode.DiagnosticSeverity.Error)));
      const entry = await waitFor(() => recorded.find((r) => (r.context.errors ?? []).some((e) => e.error_type === 'diagnostics')), 'the diagnostics record');
      const errors = entry.context.errors!.filter((e) => e.error_type === 'diagnostics');
      assert.equal(errors.length, 1, 'one diagnostics record per entry');
      assert.match(errors[0]!.message, /→ \d+; most in .*broken\.txt \(3\)/);
      const count = (entry.context.custom as Record<string, unknown>).error_diagnostics;
      assert.ok(typeof count === 'number' && count >= 3);
    } finally {
      collection.dispose();
    }
  });
});

suite('Workspace activity capture, as wired by the extension', () => {
  test("a saved file reaches the vscode buffer on disk through the extension's capture", async () => {
    await api();
    // The extension's capture reads this when it schedules a checkpoint: no 5 s wait here.
    const previous = process.env.NEXUS_BUFFER_CAPTURE_COALESCE_MS;
    process.env.NEXUS_BUFFER_CAPTURE_COALESCE_MS = '200';
    const dir = path.join(workspaceFolder(), uniqueName('wired'));
    try {
      fs.mkdirSync(dir, { recursive: true });
      const uri = vscode.Uri.file(path.join(dir, 'wired.txt'));
      await createFile(uri, 'a\n');
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc);
      await editor.edit((e) => e.insert(new vscode.Position(1, 0), 'b\n'));
      await doc.save();
      const needle = JSON.stringify(uri.fsPath);
      await waitFor(() => agentFilesContain(testBufferDir(), 'vscode', needle), 'the vscode buffer to hold the saved file');
      assert.ok(agentFilesContain(testBufferDir(), 'vscode', '"capture": "vscode"') || agentFilesContain(testBufferDir(), 'vscode', '"capture":"vscode"'));
    } finally {
      if (previous === undefined) delete process.env.NEXUS_BUFFER_CAPTURE_COALESCE_MS;
      else process.env.NEXUS_BUFFER_CAPTURE_COALESCE_MS = previous;
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
