// End to end with the real Claude Code, offline (the fake Messages API of the e2e stage), no
// hooks installed: a session runs, `nexus-buffer import --from claude-code` copies its transcript
// into the buffer, the transcript is deleted (as Claude Code's clean-up does), `nexus-buffer
// restore claude-code --session <id>` writes it back, and the real `claude --resume <id> -p …`
// accepts it: it exits 0 and sends the model the earlier conversation. A second restore refuses
// to overwrite the file. Run by test/harness/run-e2e.mjs (node:test).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { marker, scriptedResponder, startFakeMessagesApi, type FakeMessagesApi } from './claude/fakeMessagesApi';
import { ensureClaudeCode, runClaude } from './claude/runClaude';
import { runCli, showBuffer } from './nexusCli';

const TIMEOUT_MS = 200_000;

describe('Claude Code: import a live transcript, lose it, restore it, resume it (offline)', () => {
  let root: string;
  let home: string;
  let cwd: string;
  let bufferDir: string;
  let api: FakeMessagesApi;
  let claude: string;
  const nonce = Math.random().toString(36).slice(2, 10);

  before(async () => {
    claude = ensureClaudeCode({ quiet: true }).bin;
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-e2e-restore-'));
    home = path.join(root, 'home');
    cwd = path.join(root, 'work');
    bufferDir = path.join(root, 'buffers');
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(cwd, { recursive: true });
    api = await startFakeMessagesApi(scriptedResponder({
      conversations: {
        first: [
          { text: 'Checking.', toolCalls: [{ name: 'Bash', input: { command: `echo restore-ok-${nonce}`, description: 'Print a word' } }] },
          { text: `First part done (${nonce}).` },
        ],
        again: [{ text: `Resumed (${nonce}).` }],
      },
    }));
  });

  after(async () => {
    await api?.close();
    if (root && !process.env.NEXUS_E2E_KEEP) fs.rmSync(root, { recursive: true, force: true });
  });

  it('imports the transcript, restores it once deleted, and claude --resume accepts it', { timeout: TIMEOUT_MS }, async () => {
    const env = { ...process.env, HOME: home, NEXUS_BUFFER_DIR: bufferDir, CLAUDE_CONFIG_DIR: '' };
    const run = await runClaude({ claude, apiUrl: api.url, home, cwd, prompt: `${marker('first')} Check it (${nonce}).`, timeoutMs: 150_000 });
    assert.equal(run.exitCode, 0, `claude exited ${run.exitCode ?? run.signal}: ${run.stderr.slice(-2000)}`);
    const session = String(run.result?.session_id);
    const projects = path.join(home, '.claude', 'projects');
    const folder = fs.readdirSync(projects).find((name) => fs.existsSync(path.join(projects, name, `${session}.jsonl`)));
    assert.ok(folder, `no ${session}.jsonl under ${projects}`);
    const original = path.join(projects, folder, `${session}.jsonl`);
    const originalText = fs.readFileSync(original, 'utf8');

    const imported = await runCli(['import', '--from', 'claude-code', '--json'], env);
    assert.equal(imported.code, 0, imported.stderr);
    assert.ok(JSON.parse(imported.stdout).added > 0, imported.stdout);
    const doc = await showBuffer(bufferDir);
    assert.ok(doc.entries.some((e) => e.context.session_id === session && e.context.commands_run.includes(`echo restore-ok-${nonce}`)), 'the Bash command is not in the buffer');

    fs.rmSync(original); // what Claude Code's clean-up of old sessions does
    const restored = await runCli(['restore', 'claude-code', '--session', session, '--json'], env);
    assert.equal(restored.code, 0, restored.stderr);
    const file = JSON.parse(restored.stdout).file as string;
    assert.equal(file, original);
    // Every conversation line (user, assistant, system) is back as it was.
    const conversation = (text: string) => text.split('\n').filter(Boolean).filter((l) => /^(user|assistant|system)$/.test(JSON.parse(l).type));
    const back = conversation(fs.readFileSync(file, 'utf8'));
    const wanted = conversation(originalText);
    assert.equal(back.length, wanted.length);
    back.forEach((line, i) => {
      const a = JSON.parse(line);
      const b = JSON.parse(wanted[i]!);
      assert.deepEqual({ ...a, parentUuid: undefined }, { ...b, parentUuid: undefined }, `line ${i + 1} differs`);
    });

    const requestsBefore = api.requests.length;
    const resumed = await runClaude({ claude, apiUrl: api.url, home, cwd, prompt: `${marker('again')} Go on.`, resume: session, timeoutMs: 150_000 });
    assert.equal(resumed.exitCode, 0, `claude --resume exited ${resumed.exitCode ?? resumed.signal}: ${resumed.stderr.slice(-2000)}`);
    assert.equal(resumed.result?.result, `Resumed (${nonce}).`);
    const sent = api.requests.slice(requestsBefore).filter((r) => r.conversation === 'again').map((r) => r.rawBody).join('\n');
    assert.ok(sent.includes(`restore-ok-${nonce}`), 'the resumed session did not send the model the earlier tool result: the restored file was not read');
    assert.ok(sent.includes(`First part done (${nonce}).`), 'the resumed session did not send the earlier answer');

    const again = await runCli(['restore', 'claude-code', '--session', session], env);
    assert.equal(again.code, 1, 'a second restore must refuse: the file is there');
    assert.match(again.stderr, /never overwritten/);
  });
});
