// Editing an agent's configuration file safely, for every installer:
// - Never overwrite what it cannot read: a file that does not parse as a JSON object, or whose
//   `hooks` has an unexpected shape, is refused with a clear message and left untouched.
// - Every other setting is kept as it was (same key order, same indentation, final newline).
// - A change is shown first (a plan with a unified diff), then written atomically (temporary
//   file + fsync + rename) after a backup copy of the previous file, beside it; a file that
//   changed since the plan was shown is not written.
// - A symbolic link (dotfile managers link settings files) is written through, not replaced.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { randomHex } from '../../core/hostTag';
import type { HooksChangeResult, HooksPlan } from '../types';
import { isObject, type Json } from './payload';

export interface ApplyOptions {
  /**
   * The `before` text the user saw in the plan: when the file changed since, nothing is
   * written (another program edited it; the plan would be stale).
   */
  expectBefore?: string | null;
  /** For tests: the time used in the backup's name. */
  now?: Date;
}

export interface LoadedSettings {
  /** Null when the file does not exist. */
  text: string | null;
  value: Json;
  indent: string;
  finalNewline: boolean;
}

/** Reads a JSON settings file (missing or empty: `{}`); throws a clear Error for anything else unreadable. */
export async function readJsonSettings(settingsPath: string): Promise<LoadedSettings> {
  const text = await readTextOrNull(settingsPath);
  if (text === null) return { text: null, value: {}, indent: '  ', finalNewline: true };
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return { text, value: {}, indent: '  ', finalNewline: true };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new Error(`${settingsPath} is not valid JSON (${(error as Error).message}); fix it first. Nothing was changed.`, { cause: error });
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

/** The file's text, or null when it does not exist. */
export async function readTextOrNull(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** The settings object written back the way the file was written (indentation, final newline). */
export function serializeJsonSettings(settings: Json, like: LoadedSettings): string {
  return JSON.stringify(settings, null, like.indent) + (like.finalNewline ? '\n' : '');
}

/** A plan for a JSON settings file whose new value is `settings` (unchanged when `events` is empty). */
export function jsonPlan(settingsPath: string, current: LoadedSettings, settings: Json, events: string[]): HooksPlan {
  const changed = events.length > 0;
  const after = changed ? serializeJsonSettings(settings, current) : (current.text ?? serializeJsonSettings(settings, current));
  return textPlan(settingsPath, current.text, after, events);
}

/** A plan from a file's text before and after (for files that are not JSON, e.g. TOML). */
export function textPlan(settingsPath: string, before: string | null, after: string, events: string[]): HooksPlan {
  const changed = events.length > 0 && after !== (before ?? '');
  return {
    settingsPath,
    before,
    after: changed ? after : (before ?? after),
    changed,
    diffText: changed ? unifiedDiff(before ?? '', after, settingsPath) : '',
    events: changed ? events : [],
  };
}

/** Writes one plan (backup first); nothing when it changes nothing. */
export async function applyPlan(plan: HooksPlan, options: ApplyOptions = {}): Promise<HooksChangeResult> {
  if (options.expectBefore !== undefined && options.expectBefore !== plan.before) {
    throw new Error(`${plan.settingsPath} changed since the change was shown; run the command again. Nothing was changed.`);
  }
  if (!plan.changed) return plan;
  const current = await readTextOrNull(plan.settingsPath);
  if (current !== plan.before) {
    throw new Error(`${plan.settingsPath} changed since the change was planned; run the command again. Nothing was changed.`);
  }
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

/** Applies several plans (an agent with more than one file): each file as one step, in order. */
export async function applyPlans(plans: readonly HooksPlan[], options: { expectBefore?: ReadonlyArray<string | null>; now?: Date } = {}): Promise<HooksChangeResult[]> {
  // Check every file before writing any, so a stale plan changes nothing at all.
  for (const [i, plan] of plans.entries()) {
    const expected = options.expectBefore?.[i];
    if (expected !== undefined && expected !== plan.before) {
      throw new Error(`${plan.settingsPath} changed since the change was shown; run the command again. Nothing was changed.`);
    }
    if (plan.changed && (await readTextOrNull(plan.settingsPath)) !== plan.before) {
      throw new Error(`${plan.settingsPath} changed since the change was planned; run the command again. Nothing was changed.`);
    }
  }
  const results: HooksChangeResult[] = [];
  for (const plan of plans) results.push(await applyPlan(plan, { now: options.now }));
  return results;
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
  const tmp = `${file}.nexus-buffer-tmp-${process.pid}-${randomHex(8)}`;
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
