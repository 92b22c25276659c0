// Running the command line the hard way, for the reliability tests: as a process (dist/cli.js),
// under strace with a fault injected into chosen system calls, as an unprivileged user (CI runs
// as root, where permissions never refuse anything), or killed at a chosen moment.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

// out/test/unit/support/ when compiled: four levels up to the checkout.
export const ROOT = path.resolve(__dirname, '../../../..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

const made: string[] = [];
after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder, removed after the test file (0755 so an unprivileged user can reach it). */
export function scratch(prefix = 'nexus-hostile-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  made.push(dir);
  return dir;
}

export interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time of the whole process, ms. */
  ms: number;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /**
   * strace fault injection, e.g. `fdatasync:error=EIO` or `rename:error=EIO:when=2`; several
   * joined by spaces become several `-e inject=` options. The traced set is the injected calls.
   */
  inject?: string | string[];
  /** Run as this unprivileged user (root only; see canDropPrivileges). */
  asUser?: string;
  timeoutMs?: number;
}

function cleanEnv(extra: RunOptions['env'] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NEXUS_BUFFER_DIR;
  delete env.NEXUS_BUFFER_DEBUG;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** `strace -f -qq -o /dev/null -e trace=<calls> -e inject=<spec>... --` before a command. */
export function straceArgs(inject: string | string[]): string[] {
  const specs = [inject].flat();
  const calls = [...new Set(specs.map((s) => s.split(':')[0]))];
  return ['-f', '-qq', '-o', '/dev/null', `-e`, `trace=${calls.join(',')}`, ...specs.flatMap((s) => ['-e', `inject=${s}`])];
}

/** The CLI bundle copied where any user can read it (the checkout may sit under /root, mode 0700). */
let publicCli: string | undefined;
function cliFor(asUser: string | undefined): string {
  if (!asUser) return CLI;
  if (!publicCli) {
    const dir = scratch('nexus-cli-copy-');
    for (const name of fs.readdirSync(path.dirname(CLI))) {
      if (name.endsWith('.js')) fs.copyFileSync(path.join(path.dirname(CLI), name), path.join(dir, name));
    }
    publicCli = path.join(dir, path.basename(CLI));
  }
  return publicCli;
}

/** The command line for `node dist/cli.js ...args` with the options applied. */
export function cliCommand(args: string[], opts: RunOptions = {}): { file: string; argv: string[] } {
  let argv = [cliFor(opts.asUser), ...args];
  let file = process.execPath;
  if (opts.inject) {
    argv = [...straceArgs(opts.inject), '--', file, ...argv];
    file = 'strace';
  }
  if (opts.asUser) {
    argv = ['-u', opts.asUser, '--', file, ...argv];
    file = 'runuser';
  }
  return { file, argv };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], opts: RunOptions = {}): Run {
  const { file, argv } = cliCommand(args, opts);
  const started = Date.now();
  const result: SpawnSyncReturns<string> = spawnSync(file, argv, {
    input: opts.input, encoding: 'utf8', env: cleanEnv(opts.env), cwd: opts.cwd ?? os.tmpdir(),
    timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024,
  });
  return { status: result.status, signal: result.signal, stdout: result.stdout ?? '', stderr: result.stderr ?? '', ms: Date.now() - started };
}

/**
 * Starts the CLI and SIGKILLs it once `when` says so (it is given the bytes the process wrote
 * to stderr so far and may look at the folder); resolves with what happened.
 */
export function runCliKilledWhen(args: string[], when: (stderr: string) => boolean, opts: RunOptions & { pollMs?: number } = {}): Promise<Run & { killed: boolean }> {
  const { file, argv } = cliCommand(args, opts);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(file, argv, { env: cleanEnv(opts.env), cwd: opts.cwd ?? os.tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      if (!killed && when(stderr)) {
        killed = true;
        child.kill('SIGKILL');
      }
    }, opts.pollMs ?? 1);
    child.on('exit', (status, signal) => {
      clearInterval(poll);
      resolve({ status, signal, stdout, stderr, ms: Date.now() - started, killed });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

const probe = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** strace is installed and may trace here (ptrace can be forbidden in some sandboxes). */
export const straceWorks = probe('strace', ['-f', '-qq', '-o', '/dev/null', 'true']);

/** Root with runuser and a `nobody` account: the permission cases can be tried for real. */
export const canDropPrivileges = process.getuid?.() === 0 && probe('runuser', ['-u', 'nobody', '--', 'true']);

export const UNPRIVILEGED = 'nobody';

/** Gives a path (and its parents under `upTo`) to the unprivileged user. */
export function giveTo(user: string, file: string): void {
  spawnSync('chown', ['-R', `${user}:`, file], { stdio: 'ignore' });
}

/**
 * For `it(name, { skip: skipWithout(straceWorks, 'strace') }, …)`: skipped on a developer's
 * machine without the tool, but never in CI, where a missing tool must fail the run instead.
 */
export function skipWithout(available: boolean, what: string): false | string {
  if (available) return false;
  if (process.env.CI) throw new Error(`${what} is required in CI (test/harness/setup-tools.sh installs it)`);
  return `${what} is not available here`;
}
