// The command an agent's hook runs: our bundled CLI under a Node runtime, with a marker at the
// end (a shell comment) by which every installer recognises its own entries, so that uninstall
// removes exactly those and install is idempotent.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { findExecutableOnPath } from '../../integrations/executables';
import type { HookCommandSpec } from '../types';

/** Ends every shell command an installer writes; what uninstall and status look for. */
export const HOOK_MARKER = '# nexus-buffer-hook';

/** The hooks' own bundle, beside the CLI bundle: `push --from` on the lean path, nothing else. */
export const HOOK_ENTRY = 'hook.js';

/**
 * The script a hook command runs, given the CLI bundle (`<root>/dist/cli.js`). For now the CLI
 * bundle itself, which hands hook calls to dist/hook.js; `leanHookEntryPath` can take its place.
 */
export function hookEntryPath(cliPath: string): string {
  return cliPath;
}

/** `<root>/dist/hook.js` for `<root>/dist/cli.js`: the hook entry without the CLI's dispatch. */
export function leanHookEntryPath(cliPath: string): string {
  return path.join(path.dirname(cliPath), HOOK_ENTRY);
}

/** Quotes a word for a POSIX shell (agents run hook commands with a shell). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_/.:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function checkSpec(spec: HookCommandSpec): void {
  if (!spec.node.trim()) throw new Error('No Node runtime given for the hook command');
  if (!path.isAbsolute(spec.cliPath)) throw new Error(`The CLI path must be absolute, got "${spec.cliPath}"`);
}

/** A shell command line, e.g. `'/usr/bin/node' '/x/dist/cli.js' push claude-code --from claude-hook # nexus-buffer-hook`. */
export function buildHookCommand(spec: HookCommandSpec, cliArgs: readonly string[]): string {
  checkSpec(spec);
  const words: string[] = [];
  if (spec.bufferDir) words.push(`NEXUS_BUFFER_DIR=${shellQuote(spec.bufferDir)}`);
  if (spec.useElectronRunAsNode) words.push('ELECTRON_RUN_AS_NODE=1');
  words.push(shellQuote(spec.node), shellQuote(spec.cliPath), ...cliArgs.map(shellQuote), HOOK_MARKER);
  return words.join(' ');
}

/**
 * An argument vector without a shell (Codex's `notify`), e.g. `["env", "NEXUS_BUFFER_DIR=…",
 * "/usr/bin/node", "/x/dist/cli.js", "push", "codex", "--from", "codex-notify"]`. Recognised by
 * the CLI path and `--from` value, as there is no room for a comment.
 */
export function buildHookArgv(spec: HookCommandSpec, cliArgs: readonly string[]): string[] {
  checkSpec(spec);
  const env: string[] = [];
  if (spec.bufferDir) env.push(`NEXUS_BUFFER_DIR=${spec.bufferDir}`);
  if (spec.useElectronRunAsNode) env.push('ELECTRON_RUN_AS_NODE=1');
  return [...(env.length > 0 ? ['env', ...env] : []), spec.node, spec.cliPath, ...cliArgs];
}

/** True for a shell command an installer of ours wrote. */
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
