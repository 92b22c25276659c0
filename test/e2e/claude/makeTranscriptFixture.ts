// Makes the real Claude Code transcript that src/agents/claude-code/test/fixtures/ keeps: the
// real `claude -p` (test/harness/setup-agents.sh) against the scripted local Messages API of the
// e2e stage, in a temporary home, with no hooks. The session runs Bash (one that succeeds, one
// that fails), Write, Edit, a subagent with a Bash of its own and a final answer; a second run
// resumes it with `/compact`. The transcript (`<home>/.claude/projects/<cwd>/<id>.jsonl`) is
// copied out with the temporary paths replaced by stable ones, so the fixture does not change
// from run to run but for ids and times.
//
//   npx tsc -p tsconfig.json && node out/test/e2e/claude/makeTranscriptFixture.js [OUT_DIR]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { marker, scriptedResponder, startFakeMessagesApi } from './fakeMessagesApi';
import { ensureClaudeCode, runClaude } from './runClaude';

const FIXTURE_CWD = '/home/dev/shop';

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..', '..', '..', 'src', 'agents', 'claude-code', 'test', 'fixtures', 'sessions'));
  const claude = ensureClaudeCode({ quiet: true });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-transcript-'));
  const home = path.join(root, 'home');
  const cwd = path.join(root, 'shop');
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(cwd, { recursive: true });
  const notes = path.join(cwd, 'notes.txt');
  const api = await startFakeMessagesApi(scriptedResponder({
    conversations: {
      main: [
        { text: 'I will check the build first.', toolCalls: [{ name: 'Bash', input: { command: 'echo build-ok', description: 'Check the build' } }] },
        { toolCalls: [{ name: 'Bash', input: { command: 'echo missing-config >&2; exit 3', description: 'Run the failing step' } }] },
        { text: 'Decision: keep the notes in notes.txt rather than the README, because the README is generated.', toolCalls: [{ name: 'Write', input: { file_path: notes, content: 'alpha\nbeta\n' } }] },
        { toolCalls: [{ name: 'Edit', input: { file_path: notes, old_string: 'beta', new_string: 'gamma' } }] },
        {
          toolCalls: [{
            name: 'Agent',
            input: { description: 'Check the notes', prompt: `${marker('sub')} Check notes.txt.`, subagent_type: 'general-purpose', run_in_background: false },
          }],
        },
        { text: 'All steps done: the build works, the failing step needs its config, notes.txt is written.' },
      ],
      sub: [
        { toolCalls: [{ name: 'Bash', input: { command: 'cat notes.txt', description: 'Read the notes' } }] },
        { text: 'notes.txt holds alpha and gamma.' },
      ],
    },
    compactSummary: 'The build works; the failing step needs its config file; notes.txt holds alpha and gamma.',
  }));
  try {
    const first = await runClaude({ claude: claude.bin, apiUrl: api.url, home, cwd, prompt: `${marker('main')} Check the build and write the notes.`, timeoutMs: 150_000 });
    if (first.exitCode !== 0) throw new Error(`claude exited ${first.exitCode ?? first.signal}: ${first.stderr.slice(-2000)}`);
    const session = String(first.result?.session_id);
    const compact = await runClaude({ claude: claude.bin, apiUrl: api.url, home, cwd, prompt: '/compact', resume: session, timeoutMs: 150_000 });
    if (compact.exitCode !== 0) throw new Error(`claude /compact exited ${compact.exitCode ?? compact.signal}: ${compact.stderr.slice(-2000)}`);
    const projects = path.join(home, '.claude', 'projects');
    const folder = fs.readdirSync(projects).find((name) => fs.existsSync(path.join(projects, name, `${session}.jsonl`)));
    if (!folder) throw new Error(`no ${session}.jsonl under ${projects}`);
    const stable = (text: string) => text.split(cwd).join(FIXTURE_CWD).split(home).join('/home/dev').split(root).join('/tmp/fixture');
    fs.mkdirSync(outDir, { recursive: true });
    const out = path.join(outDir, 'real-session.jsonl');
    fs.writeFileSync(out, stable(fs.readFileSync(path.join(projects, folder, `${session}.jsonl`), 'utf8')));
    fs.writeFileSync(path.join(outDir, 'real-session.meta.json'), `${JSON.stringify({ sessionId: session, claudeCodeVersion: claude.version, cwd: FIXTURE_CWD }, null, 2)}\n`);
    process.stdout.write(`${out}\n`);
  } finally {
    await api.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
