// Shared by the extension's integration tests (run inside the real extension host).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NexusBufferApi } from '../../src/host/api';

export const EXTENSION_ID = 'nexus-memory.nexus-buffer';

export function extension(): vscode.Extension<NexusBufferApi> {
  const ext = vscode.extensions.getExtension<NexusBufferApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  return ext;
}

export async function api(): Promise<NexusBufferApi> {
  return extension().activate();
}

/** The test buffer folder the harness made (never the user's). */
export function testBufferDir(): string {
  const dir = process.env.NEXUS_TEST_BUFFER_DIR ?? process.env.NEXUS_BUFFER_DIR;
  assert.ok(dir, 'NEXUS_TEST_BUFFER_DIR is not set: run the tests through test/harness');
  return path.resolve(dir);
}

let counter = 0;
/** An agent name no other test uses. */
export function uniqueAgent(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 7)}`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` returns a truthy value; fails with `what` after `timeoutMs` (generous: 2 shared cores). */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 20000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(100);
  }
}

/** Files of one agent in a buffer folder: the snapshot, journals, damaged copies. */
export function agentFiles(dir: string, agent: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((name) => name === `${agent}.json` || name.startsWith(`${agent}.json.`));
}

/** Whether any file of the agent holds `text` (e.g. an entry id). */
export function agentFilesContain(dir: string, agent: string, text: string): boolean {
  return agentFiles(dir, agent).some((name) => {
    const full = path.join(dir, name);
    return fs.statSync(full).isFile() && fs.readFileSync(full, 'utf8').includes(text);
  });
}

/** A nanosecond RFC 3339 timestamp, as the Rust crate writes them, `seconds` after a fixed base. */
export function crateTimestamp(seconds: number, base = Date.UTC(2026, 4, 19, 13, 0, 0)): string {
  return new Date(base + seconds * 1000).toISOString().replace(/Z$/, '275913Z');
}

/** A complete crate-format entry (every key the crate's reader requires). */
export function crateEntry(agent: string, seconds: number, contextType: string, fill: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  const timestamp = crateTimestamp(seconds);
  return {
    timestamp,
    context_type: contextType,
    context: {
      agent_type: agent,
      extraction_started: timestamp,
      extraction_completed: null,
      session_id: 'integration-session',
      conversation: [],
      decisions: [],
      files: [],
      tasks: [],
      insights: [],
      errors: [],
      subagent_executions: [],
      commands_run: [],
      custom: {},
      extraction_source: 'native',
      reliability_score: 1.0,
      ...fill,
    },
  };
}

/** Writes `<dir>/<agent>.json` the way the crate does: pretty, 2 spaces, no trailing newline. */
export function writeCrateBuffer(dir: string, agent: string, entries: Record<string, unknown>[]): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${agent}.json`);
  const doc = { started_at: crateTimestamp(-60), entries, last_flush: crateTimestamp(-30), agent_type: agent };
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

/** Sets a `nexusBuffer.*` user setting; returns a function that puts it back. */
export async function setSetting(key: string, value: unknown): Promise<() => Promise<void>> {
  const config = vscode.workspace.getConfiguration('nexusBuffer');
  const before = config.inspect(key)?.globalValue;
  await config.update(key, value, vscode.ConfigurationTarget.Global);
  return async () => {
    await vscode.workspace.getConfiguration('nexusBuffer').update(key, before, vscode.ConfigurationTarget.Global);
  };
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
