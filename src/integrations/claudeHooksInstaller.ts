// Adds (and removes) the hook entries that make Claude Code buffer its session context through
// the bundled CLI, in a Claude Code settings file (`~/.claude/settings.json` for the user, or a
// project's `.claude/settings.json`). Pure Node, no vscode: the commands in the extension and
// the tests drive it with a path.
//
// Rules it keeps:
// - Never overwrite what it cannot read: a file that does not parse as a JSON object, or whose
//   `hooks` has an unexpected shape, is refused with a clear message and left untouched.
// - Every other setting and hook is kept as it was (same key order, same indentation).
// - Its own entries are recognised by a marker at the end of the command (a shell comment), so
//   uninstall removes exactly those and install is idempotent: a second run changes nothing and
//   writes nothing (no new backup).
// - A change is written atomically (temporary file + rename, fsynced) after a backup copy of the
//   previous file, beside it.
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { findExecutableOnPath } from './executables';

/** The events hooked. PostToolUseFailure is where Claude Code reports failed tool calls (a failed Bash command). */
export const HOOK_EVENTS = [
  'SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure',
  'Stop', 'SubagentStop', 'PreCompact', 'SessionEnd',
] as const;
/** Events whose `matcher` selects tools; "*" matches every tool. The others take no matcher. */
const TOOL_EVENTS = new Set<string>(['PreToolUse', 'PostToolUse', 'PostToolUseFailure']);
/** Seconds Claude Code waits for the hook; buffering takes well under one. */
export const HOOK_TIMEOUT_SECONDS = 5;
/** Ends every command this installer writes; what uninstall looks for. */
export const HOOK_MARKER = '# nexus-buffer-hook';
export const HOOK_ARGS = ['push', 'claude-code', '--from', 'claude-hook'] as const;

export interface HookCommandSpec {
  /** The Node executable (absolute path, or a name on PATH). */
  node: string;
  /** The bundled CLI, `<extension>/dist/cli.js`. */
  cliPath: string;
  /** `node` is VS Code's own runtime (Electron): run it as plain Node. */
  useElectronRunAsNode: boolean;
  /** A buffer folder other than the default (the extension's `nexusBuffer.directory`). */
  bufferDir?: string;
}

export interface HooksPlan {
  settingsPath: string;
  /** The file's text now; null when it does not exist. */
  before: string | null;
  /** The text it would have after the change (equal to `before` when nothing changes). */
  after: string;
  changed: boolean;
  /** A unified diff of before -> after, for a person to read before confirming. */
  diffText: string;
  /** Events whose entry is added or updated (install) or removed (uninstall). */
  events: string[];
}

export interface HooksChangeResult extends HooksPlan {
  /** The copy of the previous file, when there was one and it changed. */
  backupPath?: string;
}

export interface ApplyOptions {
  /**
   * The `before` text the user saw in the plan: when the file changed since, nothing is
   * written (another program edited it; the plan would be stale).
   */
  expectBefore?: string | null;
  /** For tests: the time used in the backup's name. */
  now?: Date;
}

/** `~/.claude/settings.json`. */
export function userSettingsPath(home: string = os.homedir()): string {
  return path.join(home, '.claude', 'settings.json');
}

/** `<folder>/.claude/settings.json`. */
export function projectSettingsPath(folder: string): string {
  return path.join(folder, '.claude', 'settings.json');
}

/** Quotes a word for a POSIX shell (Claude Code runs hook commands with a shell). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_/.:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The hook command line, e.g. `'/usr/bin/node' '/x/dist/cli.js' push claude-code --from claude-hook # nexus-buffer-hook`. */
export function buildHookCommand(spec: HookCommandSpec): string {
  if (!spec.node.trim()) throw new Error('No Node runtime given for the Claude Code hook command');
  if (!path.isAbsolute(spec.cliPath)) throw new Error(`The CLI path must be absolute, got "${spec.cliPath}"`);
  const words: string[] = [];
  if (spec.bufferDir) words.push(`NEXUS_BUFFER_DIR=${shellQuote(spec.bufferDir)}`);
  if (spec.useElectronRunAsNode) words.push('ELECTRON_RUN_AS_NODE=1');
  words.push(shellQuote(spec.node), shellQuote(spec.cliPath), ...HOOK_ARGS, HOOK_MARKER);
  return words.join(' ');
}

/** True for a command this installer wrote. */
export function isOurHookCommand(command: unknown): boolean {
  return typeof command === 'string' && command.trimEnd().endsWith(HOOK_MARKER);
}

/**
 * Picks the runtime for the hook command: a Node on PATH, version 18 or newer (the CLI's
 * bundle targets Node 20 syntax, which 18 runs), else VS Code's own runtime with
 * ELECTRON_RUN_AS_NODE=1 (`execPath` = the extension host's `process.execPath`).
 */
export async function pickNodeRuntime(execPath: string, env: NodeJS.ProcessEnv = process.env): Promise<{ node: string; useElectronRunAsNode: boolean }> {
  const onPath = await findExecutableOnPath('node', env);
  if (onPath && (await nodeMajorVersion(onPath)) >= 18) return { node: onPath, useElectronRunAsNode: false };
  return { node: execPath, useElectronRunAsNode: true };
}

function nodeMajorVersion(node: string): Promise<number> {
  return new Promise((resolve) => {
    execFile(node, ['--version'], { encoding: 'utf8', timeout: 5_000, windowsHide: true }, (_error, stdout) => {
      const match = /^v(\d+)\./.exec(stdout ?? '');
      resolve(match ? Number(match[1]) : 0);
    });
  });
}

/** What `install` would change; reads the file, writes nothing. */
export async function planInstall(settingsPath: string, spec: HookCommandSpec): Promise<HooksPlan> {
  const command = buildHookCommand(spec);
  const current = await readSettings(settingsPath);
  const settings = structuredClone(current.value);
  const hooks = ensureHooksObject(settings);
  const events: string[] = [];
  for (const event of HOOK_EVENTS) {
    if (upsertOurHandler(hooks, event, command)) events.push(event);
  }
  return makePlan(settingsPath, current, settings, events);
}

/** What `uninstall` would change; reads the file, writes nothing. */
export async function planUninstall(settingsPath: string): Promise<HooksPlan> {
  const current = await readSettings(settingsPath);
  const settings = structuredClone(current.value);
  const events: string[] = [];
  const hooks = settings.hooks;
  if (isObject(hooks)) {
    for (const event of Object.keys(hooks)) {
      if (removeOurHandlers(hooks, event)) events.push(event);
    }
    if (events.length > 0 && Object.keys(hooks).length === 0) delete settings.hooks;
  }
  return makePlan(settingsPath, current, settings, events);
}

/** Adds or updates the hook entries; no write (and no backup) when they are already there. */
export async function install(settingsPath: string, spec: HookCommandSpec, options: ApplyOptions = {}): Promise<HooksChangeResult> {
  return apply(await planInstall(settingsPath, spec), options);
}

/** Removes exactly the entries `install` added; everything else stays. */
export async function uninstall(settingsPath: string, options: ApplyOptions = {}): Promise<HooksChangeResult> {
  return apply(await planUninstall(settingsPath), options);
}

/** The commands of this installer's entries in a settings file (to tell if they are stale). */
export async function installedHookCommands(settingsPath: string): Promise<string[]> {
  let current: LoadedSettings;
  try {
    current = await readSettings(settingsPath);
  } catch {
    return [];
  }
  const found: string[] = [];
  const hooks = current.value.hooks;
  if (!isObject(hooks)) return found;
  for (const groups of Object.values(hooks)) {
    if (!Array.isArray(groups)) continue;
    for (const group of groups) {
      if (!isObject(group) || !Array.isArray(group.hooks)) continue;
      for (const handler of group.hooks) {
        if (isObject(handler) && isOurHookCommand(handler.command)) found.push(handler.command as string);
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

interface LoadedSettings {
  /** Null when the file does not exist. */
  text: string | null;
  value: Json;
  indent: string;
  finalNewline: boolean;
}

async function readSettings(settingsPath: string): Promise<LoadedSettings> {
  let text: string;
  try {
    text = await fsp.readFile(settingsPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: null, value: {}, indent: '  ', finalNewline: true };
    throw new Error(`Cannot read ${settingsPath}: ${(error as Error).message}`);
  }
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return { text, value: {}, indent: '  ', finalNewline: true };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new Error(`${settingsPath} is not valid JSON (${(error as Error).message}); fix it first. Nothing was changed.`);
  }
  if (!isObject(value)) {
    throw new Error(`${settingsPath} does not hold a JSON object; fix it first. Nothing was changed.`);
  }
  if (value.hooks !== undefined) {
    if (!isObject(value.hooks)) throw new Error(`"hooks" in ${settingsPath} is not an object; fix it first. Nothing was changed.`);
    for (const [event, groups] of Object.entries(value.hooks)) {
      if (!Array.isArray(groups)) throw new Error(`"hooks.${event}" in ${settingsPath} is not a list; fix it first. Nothing was changed.`);
    }
  }
  const indentMatch = /^[ \t]+(?=")/m.exec(body);
  return { text, value, indent: indentMatch ? indentMatch[0] : '  ', finalNewline: body.endsWith('\n') };
}

function ensureHooksObject(settings: Json): Json {
  if (!isObject(settings.hooks)) settings.hooks = {};
  return settings.hooks as Json;
}

/** Makes `event` hold exactly one handler of ours, with `command`; true when something changed. */
function upsertOurHandler(hooks: Json, event: string, command: string): boolean {
  const wanted = { type: 'command', command, timeout: HOOK_TIMEOUT_SECONDS };
  const groups = (hooks[event] as unknown[] | undefined) ?? [];
  const before = JSON.stringify(groups);
  let kept = false;
  for (let gi = 0; gi < groups.length; gi++) {
    const group = groups[gi];
    if (!isObject(group) || !Array.isArray(group.hooks)) continue;
    const handlers = group.hooks as unknown[];
    let removedHere = false;
    for (let hi = 0; hi < handlers.length; hi++) {
      const handler = handlers[hi];
      if (!isObject(handler) || !isOurHookCommand(handler.command)) continue;
      if (!kept) {
        handlers[hi] = { ...handler, ...wanted };
        kept = true;
      } else {
        handlers.splice(hi--, 1);
        removedHere = true;
      }
    }
    if (removedHere && handlers.length === 0) groups.splice(gi--, 1);
  }
  if (!kept) groups.push(TOOL_EVENTS.has(event) ? { matcher: '*', hooks: [wanted] } : { hooks: [wanted] });
  hooks[event] = groups;
  return JSON.stringify(groups) !== before;
}

/** Removes our handlers from `event` (and the groups and the event they leave empty). */
function removeOurHandlers(hooks: Json, event: string): boolean {
  const groups = hooks[event];
  if (!Array.isArray(groups)) return false;
  let removed = false;
  for (let gi = 0; gi < groups.length; gi++) {
    const group = groups[gi];
    if (!isObject(group) || !Array.isArray(group.hooks)) continue;
    const handlers = group.hooks as unknown[];
    const left = handlers.filter((handler) => !(isObject(handler) && isOurHookCommand(handler.command)));
    if (left.length === handlers.length) continue;
    removed = true;
    if (left.length === 0) groups.splice(gi--, 1);
    else group.hooks = left;
  }
  if (removed && groups.length === 0) delete hooks[event];
  return removed;
}

function makePlan(settingsPath: string, current: LoadedSettings, settings: Json, events: string[]): HooksPlan {
  const changed = events.length > 0;
  const after = changed ? serialize(settings, current) : (current.text ?? serialize(settings, current));
  return {
    settingsPath,
    before: current.text,
    after,
    changed,
    diffText: changed ? unifiedDiff(current.text ?? '', after, settingsPath) : '',
    events,
  };
}

function serialize(settings: Json, like: LoadedSettings): string {
  return JSON.stringify(settings, null, like.indent) + (like.finalNewline ? '\n' : '');
}

async function apply(plan: HooksPlan, options: ApplyOptions): Promise<HooksChangeResult> {
  if (options.expectBefore !== undefined && options.expectBefore !== plan.before) {
    throw new Error(`${plan.settingsPath} changed since the change was shown; run the command again. Nothing was changed.`);
  }
  if (!plan.changed) return plan;
  // Write through a symbolic link (dotfile managers link settings.json) instead of replacing it.
  const target = await realTarget(plan.settingsPath);
  await fsp.mkdir(path.dirname(target), { recursive: true });
  let backupPath: string | undefined;
  let mode = 0o644;
  if (plan.before !== null) {
    mode = (await fsp.stat(target)).mode & 0o777;
    backupPath = await backup(target, options.now ?? new Date());
  }
  await writeAtomic(target, plan.after, mode);
  return { ...plan, backupPath };
}

async function realTarget(settingsPath: string): Promise<string> {
  try {
    return await fsp.realpath(settingsPath);
  } catch {
    return settingsPath;
  }
}

async function backup(file: string, now: Date): Promise<string> {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  for (let attempt = 0; ; attempt++) {
    const candidate = `${file}.nexus-buffer-backup-${stamp}${attempt ? `-${attempt}` : ''}`;
    try {
      await fsp.copyFile(file, candidate, fsp.constants.COPYFILE_EXCL);
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 100) throw error;
    }
  }
}

async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.nexus-buffer-tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const handle = await fsp.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (error) {
    await fsp.rm(tmp, { force: true });
    throw error;
  }
  if (process.platform !== 'win32') {
    try {
      const dir = await fsp.open(path.dirname(file), 'r');
      try { await dir.sync(); } finally { await dir.close(); }
    } catch {
      // Some file systems cannot fsync a folder; the rename is still atomic.
    }
  }
}

/** A small unified diff (line LCS; settings files are small) with 3 lines of context. */
export function unifiedDiff(before: string, after: string, name: string): string {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  const header = [`--- ${name}${before === '' ? ' (new file)' : ''}`, `+++ ${name}`];
  if (a.length * b.length > 4_000_000) {
    return [...header, '@@ whole file @@', ...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)].join('\n') + '\n';
  }
  // lcs[i][j] = length of the LCS of a[i..] and b[j..]
  const lcs: Uint32Array[] = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Array<{ kind: ' ' | '-' | '+'; line: string; ai: number; bi: number }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) { ops.push({ kind: ' ', line: a[i]!, ai: i, bi: j }); i++; j++; }
    else if (j < b.length && (i >= a.length || lcs[i]![j + 1]! > lcs[i + 1]![j]!)) { ops.push({ kind: '+', line: b[j]!, ai: i, bi: j }); j++; }
    else { ops.push({ kind: '-', line: a[i]!, ai: i, bi: j }); i++; }
  }
  const out = [...header];
  const context = 3;
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') { k++; continue; }
    const start = Math.max(0, k - context);
    let end = k;
    // Extend the hunk while changes are within 2*context lines of each other.
    while (end < ops.length) {
      if (ops[end]!.kind !== ' ') { end++; continue; }
      let run = end;
      while (run < ops.length && ops[run]!.kind === ' ') run++;
      if (run < ops.length && run - end <= context * 2) { end = run; continue; }
      end = Math.min(ops.length, end + context);
      break;
    }
    const slice = ops.slice(start, end);
    const aStart = slice[0]!.ai;
    const bStart = slice[0]!.bi;
    const aLen = slice.filter((op) => op.kind !== '+').length;
    const bLen = slice.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${aLen ? aStart + 1 : aStart},${aLen} +${bLen ? bStart + 1 : bStart},${bLen} @@`);
    for (const op of slice) out.push(`${op.kind}${op.line}`);
    k = end;
  }
  return out.join('\n') + '\n';
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
