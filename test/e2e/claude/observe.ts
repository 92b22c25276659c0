// Observations of the real Claude Code, for keeping shared/notes/claude-code-hooks.md and our
// mapping honest (not a test: it prints what it saw).
//
//   node out/test/e2e/claude/observe.js [--sessions N] [--tool-calls N]
//
// 1. events: a recorder hook (`cat >> file`) on every event Claude Code knows, through a scripted
//    session (Bash ok and failing, Write, Edit, a foreground subagent with its own Bash, /compact
//    on the resumed session): which events fired, with which top-level keys.
// 2. async: our hooks as `hooks install` writes them, but with `"async": true` on every event:
//    which hook runs the debug log reports that never reached the buffer (lost when `-p` ends).
// 3. waits: the wait per tool call (PreToolUse + PostToolUse, from the debug log) for our hooks
//    as installed vs a `cat > /dev/null` hook, p50.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { marker, scriptedResponder, startFakeMessagesApi, type Reply } from './fakeMessagesApi';
import { ensureClaudeCode, hooksRunning, median, projectRoot, runClaude, runSessionWithHooks, writeClaudeSettings } from './runClaude';

const ALL_EVENTS = [
  'SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PostToolBatch',
  'PermissionRequest', 'Notification', 'Stop', 'SubagentStart', 'SubagentStop', 'PreCompact', 'PostCompact', 'SessionEnd',
];
const COMMON = new Set(['session_id', 'transcript_path', 'cwd', 'hook_event_name']);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function scenario(cwd: string): Record<string, Reply[]> {
  const notes = path.join(cwd, 'notes.txt');
  return {
    main: [
      { toolCalls: [{ name: 'Bash', input: { command: 'echo observe-ok', description: 'Print a word' } }] },
      { toolCalls: [{ name: 'Bash', input: { command: 'echo observe-fail >&2; exit 2', description: 'Fail on purpose' } }] },
      { toolCalls: [{ name: 'Write', input: { file_path: notes, content: 'one\ntwo\n' } }] },
      { toolCalls: [{ name: 'Edit', input: { file_path: notes, old_string: 'two', new_string: 'three' } }] },
      { toolCalls: [{ name: 'Agent', input: { description: 'Look', prompt: `${marker('sub')} Look.`, subagent_type: 'general-purpose', run_in_background: false } }] },
      { text: 'Observed.' },
    ],
    sub: [
      { toolCalls: [{ name: 'Bash', input: { command: 'echo observe-sub', description: 'Print a word' } }] },
      { text: 'Sub done.' },
    ],
  };
}

async function observeEvents(claude: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-observe-'));
  const home = path.join(dir, 'home');
  const cwd = path.join(dir, 'work');
  fs.mkdirSync(cwd, { recursive: true });
  const record = path.join(dir, 'payloads.jsonl');
  writeClaudeSettings(home, { hooks: hooksRunning(`cat >> ${record}; echo >> ${record}`, ALL_EVENTS) });
  const api = await startFakeMessagesApi(scriptedResponder({ conversations: scenario(cwd), compactSummary: 'Observed summary.' }));
  try {
    const first = await runClaude({ claude, apiUrl: api.url, home, cwd, prompt: `${marker('main')} Observe.` });
    const second = await runClaude({ claude, apiUrl: api.url, home, cwd, prompt: '/compact', resume: first.result?.session_id });
    console.log(`\n## events fired (exit codes ${first.exitCode}, ${second.exitCode}); keys beyond ${[...COMMON].join(', ')}`);
    const seen = new Map<string, { count: number; keys: Set<string>; variants: Set<string> }>();
    for (const line of fs.readFileSync(record, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const p = JSON.parse(line);
      const event = String(p.hook_event_name);
      const one = seen.get(event) ?? { count: 0, keys: new Set<string>(), variants: new Set<string>() };
      one.count++;
      for (const key of Object.keys(p)) if (!COMMON.has(key)) one.keys.add(key);
      const variant = p.source ?? p.trigger ?? p.reason ?? p.tool_name ?? p.agent_type;
      if (variant !== undefined) one.variants.add(JSON.stringify(variant));
      seen.set(event, one);
    }
    for (const event of ALL_EVENTS) {
      const one = seen.get(event);
      console.log(`- ${event}: ${one ? `${one.count}x [${[...one.variants].join(' ')}] keys: ${[...one.keys].join(', ')}` : 'not fired'}`);
    }
    for (const [event, one] of seen) if (!ALL_EVENTS.includes(event)) console.log(`- ${event} (unknown to us): ${one.count}x keys: ${[...one.keys].join(', ')}`);
    console.log(`(payloads: ${record})`);
  } finally {
    await api.close();
  }
}

/** Our hooks exactly as `hooks install` writes them, read back from a scratch home. */
function installedHooks(bufferDir: string): Record<string, any[]> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-observe-install-'));
  execFileSync(process.execPath, [path.join(projectRoot, 'dist', 'cli.js'), 'hooks', 'install', '--agent', 'claude-code', '--scope', 'user', '--yes', '--dir', bufferDir], {
    env: { ...process.env, HOME: home }, stdio: 'ignore',
  });
  const hooks = JSON.parse(fs.readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8')).hooks;
  fs.rmSync(home, { recursive: true, force: true });
  return hooks;
}

function withAsync(hooks: Record<string, any[]>, async: boolean): Record<string, any[]> {
  const copy = JSON.parse(JSON.stringify(hooks)) as Record<string, any[]>;
  for (const groups of Object.values(copy)) {
    for (const group of groups) {
      for (const hook of group.hooks ?? []) {
        if (async) hook.async = true;
        else delete hook.async;
      }
    }
  }
  return copy;
}

async function observeAsync(claude: string, sessions: number): Promise<void> {
  console.log('\n## every hook of ours async: hook runs Claude Code reports vs entries buffered');
  for (let s = 0; s < sessions; s++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-observe-async-'));
    const home = path.join(dir, 'home');
    const cwd = path.join(dir, 'work');
    const bufferDir = path.join(dir, 'buffers');
    fs.mkdirSync(cwd, { recursive: true });
    writeClaudeSettings(home, { hooks: withAsync(installedHooks(bufferDir), true) });
    const api = await startFakeMessagesApi(scriptedResponder({ conversations: scenario(cwd) }));
    try {
      const run = await runClaude({ claude, apiUrl: api.url, home, cwd, prompt: `${marker('main')} Observe.`, env: { NEXUS_BUFFER_DIR: bufferDir } });
      const doc = JSON.parse(execFileSync(process.execPath, [path.join(projectRoot, 'dist', 'cli.js'), 'show', 'claude-code', '--json', '--dir', bufferDir], { encoding: 'utf8' }));
      const fired = count(run.hookRuns.filter((h) => h.command.includes('# nexus-buffer-hook')).map((h) => h.event));
      const buffered = count(doc.entries.map((e: any) => e.context.custom?.hook_event_name));
      const lost = Object.keys(fired).filter((e) => (buffered[e] ?? 0) < fired[e]).map((e) => `${e} ${fired[e] - (buffered[e] ?? 0)} of ${fired[e]}`);
      const unended = run.asyncHooks.filter((a) => !a.endedAt).map((a) => `${a.event}:${a.matcher ?? ''} (${a.notes.join(' / ') || 'no word of its end'})`);
      console.log(`- session ${s + 1}: exit ${run.exitCode}, ${run.hookRuns.length} hook runs, ${doc.entries.length} entries; lost: ${lost.join(', ') || 'none'}; background hooks not seen ending: ${unended.join(', ') || 'none'}; processes outlived claude by ${run.leftoverMs} ms`);
      console.log(`  last hook runs: ${run.hookRuns.slice(-4).map((h) => `${h.event}:${h.matcher ?? ''}${h.background ? ' (bg)' : ''}`).join(', ')}`);
    } finally {
      await api.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function observeWaits(claude: string, sessions: number, toolCalls: number): Promise<void> {
  console.log(`\n## wait per tool call (PreToolUse + PostToolUse), ${sessions} session(s) x ${toolCalls} Bash calls`);
  const bufferDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-observe-waits-'));
  const installed = installedHooks(bufferDir);
  const setups: { label: string; hooks: Record<string, unknown>; waits: number[]; session: number[] }[] = [
    { label: 'cat > /dev/null (Pre+Post, waited for)', hooks: hooksRunning('cat > /dev/null', ['PreToolUse', 'PostToolUse']), waits: [], session: [] },
    { label: 'ours as `hooks install` writes them', hooks: installed, waits: [], session: [] },
    { label: 'ours, every event waited for', hooks: withAsync(installed, false), waits: [], session: [] },
  ];
  for (let s = 0; s < sessions; s++) {
    for (const setup of setups) {
      const result = await runSessionWithHooks({ claude, hooks: setup.hooks, toolCalls, env: { NEXUS_BUFFER_DIR: bufferDir } });
      setup.waits.push(...result.perToolCallMs);
      setup.session.push(result.run.durationMs / toolCalls);
    }
  }
  for (const setup of setups) {
    console.log(`- ${setup.label}: p50 ${median(setup.waits)} ms per tool call (min ${Math.min(...setup.waits)}, max ${Math.max(...setup.waits)}); session wall time per tool call p50 ${median(setup.session).toFixed(0)} ms`);
  }
  fs.rmSync(bufferDir, { recursive: true, force: true });
}

function count(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

async function main(): Promise<void> {
  const { bin, version } = ensureClaudeCode({ quiet: true });
  console.log(`# Claude Code ${version} (${bin}), ${os.cpus().length} cores`);
  await observeEvents(bin);
  await observeAsync(bin, arg('--sessions', 3));
  await observeWaits(bin, arg('--sessions', 3), arg('--tool-calls', 10));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
