// The project's own command line as the end-to-end tests use it: the built dist/cli.js, run
// as a person would (`node dist/cli.js …`), never imported.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from './claude/runClaude';

export const cliPath = path.join(projectRoot, 'dist', 'cli.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<CliResult> {
  if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...args], { env, timeout: timeoutMs, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as any).code === 'number' ? (error as any).code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface BufferEntry {
  timestamp: string;
  context_type: string;
  context: {
    session_id: string | null;
    conversation: { role: string; content: string; timestamp: string }[];
    commands_run: string[];
    errors: { error_type: string; message: string; stack_trace: string | null; timestamp: string }[];
    files: { path: string; action: string; lines_added: number | null; lines_removed: number | null; timestamp: string }[];
    subagent_executions: { subagent_type: string; task: string; status: string; started_at: string; completed_at: string | null; result_summary: string | null }[];
    custom: Record<string, any>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface BufferDocument {
  agent_type: string;
  started_at: string;
  last_flush: string | null;
  entries: BufferEntry[];
}

/** `show <agent> --json --dir <dir>`: the crate-format document (journals included). */
export async function showBuffer(dir: string, agent = 'claude-code'): Promise<BufferDocument> {
  const result = await runCli(['show', agent, '--json', '--dir', dir]);
  if (result.code !== 0) throw new Error(`show ${agent} --json exited ${result.code}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as BufferDocument;
}

/**
 * Polls the buffer until `test` holds (never a fixed sleep); after `timeoutMs` throws, saying
 * what the buffer held (`explain`, default: the number of entries).
 */
export async function waitForBuffer(
  dir: string,
  test: (doc: BufferDocument) => boolean,
  timeoutMs = 60_000,
  { agent = 'claude-code', explain }: { agent?: string; explain?: (doc: BufferDocument) => string } = {},
): Promise<BufferDocument> {
  const deadline = Date.now() + timeoutMs;
  let last: BufferDocument | undefined;
  let problem: unknown;
  for (;;) {
    try {
      last = await showBuffer(dir, agent);
      if (test(last)) return last;
    } catch (error) {
      problem = error; // not there yet
    }
    if (Date.now() > deadline) {
      const state = last ? (explain ? explain(last) : `${last.entries.length} entries`) : `no document (${String(problem)})`;
      throw new Error(`the buffer did not reach the expected state within ${timeoutMs} ms; it has ${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
