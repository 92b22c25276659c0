// The hook bundle, dist/hook-body.js (loaded by dist/hook.js: hookLoader.ts): `push [AGENT]
// --from <source>` as the agents' hooks run it, on the lean path. An agent waits for every hook
// call (Claude Code twice per tool call), so this bundle holds only what one event needs: the
// argument check, the sources' mappings (the registry), a hand-written completion of the entry
// and the shared-journal append
// (core/hookWriter.ts), and, before it, the ingest of what the spool hooks left (core/spool.ts).
// No lock library, no compaction, no other command. What it does not handle
// itself it hands, unchanged, to the full command line (dist/cli-full.js, loaded only then):
// other arguments, an entry the crate's rules refuse (the full command line then gives the exact
// message), and the compaction that comes due once the shared journal outgrows the snapshot.
//
// The guest rules hold on both paths: nothing on stdout, never exit 2, exit 0 only once the
// entry is durably in the journal, one line on stderr and exit 1 otherwise, 5 s at most.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findHookSource } from './agents/registry';
import { ingestSpool } from './core/spool';
import type { HookSource } from './agents/types';
import { agentNameProblem } from './core/agentName';
import { describeFsError, notBufferedMessage } from './core/errors';
import { checkBufferFolder } from './core/folderSafety';
import { appendSharedEntry, completeHookContext, hookEntryLine, LockedError } from './core/hookWriter';
import { nestingProblem } from './core/nesting';
import { resolveBufferDir } from './core/paths';
import { CappedInput, hookInputLimit } from './core/textInput';
import type { SessionContext } from './core/schema';

/** The agent waits for us: give up (exit 1, one line) rather than hang. */
const HOOK_DEADLINE_MS = 5000;
/** Of those, what ingesting the spool may take before our own entry (the rest waits for the next call). */
const SPOOL_BUDGET_MS = 2000;
const SPOOL_MAX_FILES = 500;

/** What dist/cli-full.js offers this entry (src/cliFull.ts). */
interface FullCli {
  main(argv: string[]): void;
  completeContext(input: unknown, defaults: { agentType: string; extractionSource?: string; now?: string }): SessionContext;
  compactSharedJournal(dir: string, agentType: string): Promise<void>;
}

// A computed path: esbuild leaves it alone, so the full CLI stays a bundle of its own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fullCli = (): FullCli => require(path.join(__dirname, 'cli-full.js')) as FullCli;

const oneLine = (text: string) => String(text).replace(/\s*[\r\n]+\s*/g, ' ').trim();

let finished = false;
function die(message: string): void {
  if (finished) return;
  finished = true;
  process.stderr.write(`nexus-buffer: ${oneLine(message) || 'unexpected error'}\n`);
  process.exit(1);
}

/** The one call we handle here: `push [AGENT…] --from SOURCE [--dir DIR] [--type TYPE]`. */
interface HookCall {
  source: HookSource;
  positionals: string[];
  dir?: string;
  type?: string;
}

/**
 * The arguments of a plain hook call, or undefined for anything else (help, another option, a
 * repeated one, a mistake): the full command line parses those, with its messages.
 */
export function parseHookCall(argv: readonly string[]): HookCall | undefined {
  if (argv[0] !== 'push') return undefined;
  const values: Record<string, string> = {};
  const positionals: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return undefined;
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const m = /^--(from|dir|type)(?:=(.*))?$/s.exec(arg);
    if (!m) return undefined;
    const value = m[2] ?? argv[++i];
    if (value === undefined || m[1] in values) return undefined;
    if (m[2] === undefined && value.startsWith('-')) return undefined; // parseArgs' "argument missing"
    values[m[1]] = value;
  }
  if (values.from === undefined) return undefined;
  const source = findHookSource(values.from);
  if (!source) return undefined;
  const type = values.type;
  if (type !== undefined && (!type.trim() || /[\r\n]/.test(type) || type.length > 64)) return undefined;
  if (values.dir !== undefined && !values.dir.trim()) return undefined;
  // push.ts's checks of AGENT; a mistake goes to the full command line for its message.
  const max = source.payloadFrom === 'last-argument' ? 2 : 1;
  if (positionals.length > max || (source.payloadFrom === 'last-argument' && positionals.length === 0)) return undefined;
  return { source, positionals, dir: values.dir, type };
}

/**
 * All of stdin, without Node's stream machinery (net, stream, tty) on the common path, up to
 * the limit of one hook event; past it the rest is read and dropped (the agent writing the event
 * never sees a broken pipe; the deadline bounds it) and the event refused. Invalid UTF-8 is
 * refused too (textInput.ts).
 */
function readStdin(what: string): Promise<string> {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.fstatSync(0);
  } catch {
    return Promise.resolve(''); // no stdin at all
  }
  // A terminal (nothing piped in) reads as empty, like `push --from` in the full CLI.
  if (stat.isCharacterDevice() && process.stdin.isTTY) return Promise.resolve('');
  const input = new CappedInput(hookInputLimit(what));
  return new Promise((resolve, reject) => {
    const done = () => {
      try {
        resolve(input.text(what));
      } catch (error) {
        reject(error);
      }
    };
    const next = () => {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      fs.read(0, chunk, 0, chunk.length, null, (error, bytes) => {
        if (error) {
          if (error.code === 'EOF') return done(); // Windows pipes
          if (error.code === 'EAGAIN') return readStdinStream(input).then(done, reject); // a non-blocking stdin
          return reject(error);
        }
        if (bytes === 0) return done();
        input.add(chunk.subarray(0, bytes));
        next();
      });
    };
    next();
  });
}

async function readStdinStream(input: CappedInput): Promise<void> {
  for await (const chunk of process.stdin) input.add(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
}

/** stdinContext.ts's parseJsonText, with its messages. */
function parseJson(text: string, what: string): unknown {
  const clean = text.replace(/^\uFEFF/, '');
  if (!clean.trim()) throw new Error(`${what}: empty input, expected a JSON object`);
  try {
    return JSON.parse(clean);
  } catch (error) {
    throw new Error(`${what}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

/** The whole hook call; resolves once the entry is durable. */
async function runHookCall(call: HookCall, startedAt: number): Promise<void> {
  const { source } = call;
  const args = [...call.positionals];
  const text = source.payloadFrom === 'last-argument' ? args.pop()! : await readStdin(`${source.id} input`);
  if (args[0] !== undefined) {
    const problem = agentNameProblem(args[0]);
    if (problem) throw new Error(problem);
  }
  const payload = parseJson(text, `${source.id} input`);
  // Before the mapping, which walks the event (a context made from it is checked again).
  const tooDeep = nestingProblem(payload, `${source.id} input`);
  if (tooDeep) throw new Error(tooDeep);
  const now = new Date().toISOString();
  const entry = source.toEntry(payload, now);
  const agent = args[0] === undefined || args[0] === source.agent ? entry.agent : args[0];
  const problem = agentNameProblem(agent);
  if (problem) throw new Error(problem);
  const defaults = { agentType: agent, extractionSource: 'native', now };
  // Our own mappings build the entry, so the crate's rules pass; otherwise the full CLI says why not.
  const context = completeHookContext(entry.context, defaults) ?? fullCli().completeContext(entry.context, defaults);
  const line = hookEntryLine(context, call.type ?? entry.contextType, new Date().toISOString());
  const dir = resolveBufferDir(call.dir);
  // Someone else's folder: refused (one line, exit 1, nothing written); ours open to others:
  // made owner-only, and said once on stderr (the agent shows a hook's stderr to its user only).
  await checkBufferFolder(dir, (message) => process.stderr.write(`nexus-buffer: warning: ${oneLine(message)}\n`));
  // The payloads the spool hooks left (Claude Code's tool calls) go in first, so the buffer
  // keeps the order of events and is complete once a turn's Stop or a SessionEnd is in. A
  // failure there must not cost this event: it stays spooled for the next ingest.
  const spooled = await ingestSpool(dir, {
    findSource: findHookSource,
    complete: (input, defaults) => fullCli().completeContext(input, defaults),
    deadlineAt: Math.min(startedAt + SPOOL_BUDGET_MS, startedAt + HOOK_DEADLINE_MS - 1000),
    maxFiles: SPOOL_MAX_FILES,
  }).catch(() => undefined);
  let compactionDue: boolean;
  try {
    ({ compactionDue } = await appendSharedEntry(dir, agent, line, { startedAt: now, deadlineAt: startedAt + HOOK_DEADLINE_MS - 250, folderChecked: true }));
  } catch (error) {
    if (error instanceof LockedError) throw new Error(`${agent}: another process keeps the buffer locked (${error.message}); try again`, { cause: error });
    throw new Error(notBufferedMessage(describeFsError(error, `Cannot write the ${agent} buffer in ${dir}`)), { cause: error });
  }
  // The entry is durable. Merging the shared journal into the snapshot is the core's work, as
  // after any shared append; rare (once per MB of events), and a failure there loses nothing.
  const due = new Set([...(compactionDue ? [agent] : []), ...(spooled?.compactionDue ?? [])]);
  for (const one of due) await fullCli().compactSharedJournal(dir, one).catch(() => undefined);
}

/** Runs this process as the hook; returns false when the call is not one for the lean path. */
export function runHookProcess(argv: string[]): boolean {
  const call = parseHookCall(argv);
  if (!call) return false;
  const startedAt = Date.now();
  // An agent may stop a hook it no longer waits for: Claude Code sends SIGTERM to its `async`
  // hooks still running when a turn ends, and Ctrl-C reaches every process of the terminal.
  // Dying then would lose the event half-written; the entry is finished instead (the deadline
  // below still bounds it), then the process exits as it would have.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => undefined);
  // Never a stack trace, and never exit 2 from a crash.
  process.on('uncaughtException', (error) => die(error?.message ?? String(error)));
  process.on('unhandledRejection', (reason) => die((reason as Error)?.message ?? String(reason)));
  // unref: the timer never keeps the process alive by itself.
  setTimeout(() => die(`gave up after ${HOOK_DEADLINE_MS} ms (buffer folder locked or slow disk); event not buffered`), HOOK_DEADLINE_MS).unref();
  runHookCall(call, startedAt).then(
    () => {
      finished = true;
      // Nothing is left to wait for (the stdin read, if any, has ended): exit now rather than
      // after Node tears the event loop down.
      process.exit(0);
    },
    (error: unknown) => die((error as Error)?.message ?? String(error)),
  );
  return true;
}

/** The command line's process (dist/cli.js, dist/hook.js): a hook on the lean path, or else the full command line. */
export function runAsScript(argv: string[]): void {
  if (!runHookProcess(argv)) fullCli().main(argv);
}

// dist/hook.js (src/hookLoader.ts) loads this bundle and calls runAsScript; run directly too.
if (require.main === module) runAsScript(process.argv.slice(2));
