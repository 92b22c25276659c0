// Reads the `nexusBuffer.*` settings this host uses and turns them into buffer-core options.
// Every key read here is contributed in package.json (an integration test compares them).
import * as vscode from 'vscode';
import type { BufferOptions, Durability } from '../core/types';

export const SECTION = 'nexusBuffer';

export type RecoverOnStartup = 'prompt' | 'open' | 'off';
/** auto: once the person has said yes to mirroring (or imported sessions) once. */
export type MirrorAgentSessions = 'auto' | 'on' | 'off';

export interface HostSettings {
  /** "" = the crate's default folder (or $NEXUS_BUFFER_DIR). Machine scope. */
  directory: string;
  flushIntervalSeconds: number;
  maxEntriesBeforeFlush: number;
  recoverOnStartup: RecoverOnStartup;
  durability: Durability;
  maxEntryBytes: number;
  maxBufferEntries: number;
  maxBufferBytes: number;
  mirrorAgentSessions: MirrorAgentSessions;
}

/** The keys (relative to `nexusBuffer.`) read by this module. */
export const HOST_SETTING_KEYS = [
  'directory',
  'flushIntervalSeconds',
  'maxEntriesBeforeFlush',
  'recoverOnStartup',
  'durability',
  'maxEntryBytes',
  'maxBufferEntries',
  'maxBufferBytes',
  'mirrorAgentSessions',
] as const satisfies readonly (keyof HostSettings)[];

const DEFAULTS: HostSettings = {
  directory: '',
  flushIntervalSeconds: 10,
  maxEntriesBeforeFlush: 10,
  recoverOnStartup: 'prompt',
  durability: 'batched',
  maxEntryBytes: 5 * 1024 * 1024,
  maxBufferEntries: 20000,
  maxBufferBytes: 100 * 1024 * 1024,
  mirrorAgentSessions: 'auto',
};

const oneOf = <T extends string>(value: unknown, allowed: readonly T[], fallback: T): T =>
  typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;

/** A finite number at least `min`, else the fallback (a hand-edited settings.json may hold anything). */
const numberAtLeast = (value: unknown, min: number, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= min ? value : fallback;

export function readSettings(config: vscode.WorkspaceConfiguration = vscode.workspace.getConfiguration(SECTION)): HostSettings {
  const directory = config.get<unknown>('directory');
  return {
    directory: typeof directory === 'string' ? directory.trim() : DEFAULTS.directory,
    flushIntervalSeconds: numberAtLeast(config.get('flushIntervalSeconds'), 0, DEFAULTS.flushIntervalSeconds),
    maxEntriesBeforeFlush: Math.floor(numberAtLeast(config.get('maxEntriesBeforeFlush'), 1, DEFAULTS.maxEntriesBeforeFlush)),
    recoverOnStartup: oneOf(config.get('recoverOnStartup'), ['prompt', 'open', 'off'], DEFAULTS.recoverOnStartup),
    durability: oneOf(config.get('durability'), ['batched', 'always', 'off'], DEFAULTS.durability),
    maxEntryBytes: numberAtLeast(config.get('maxEntryBytes'), 1024, DEFAULTS.maxEntryBytes),
    maxBufferEntries: Math.floor(numberAtLeast(config.get('maxBufferEntries'), 10, DEFAULTS.maxBufferEntries)),
    maxBufferBytes: numberAtLeast(config.get('maxBufferBytes'), 1024 * 1024, DEFAULTS.maxBufferBytes),
    mirrorAgentSessions: oneOf(config.get('mirrorAgentSessions'), ['auto', 'on', 'off'], DEFAULTS.mirrorAgentSessions),
  };
}

/** Options for `configure()`: everything but the folder, which needs a new buffer instance. */
export function tuningOptions(settings: HostSettings): Omit<BufferOptions, 'dir' | 'writerId'> {
  return {
    flushIntervalMs: Math.round(settings.flushIntervalSeconds * 1000),
    maxEntries: settings.maxEntriesBeforeFlush,
    durability: settings.durability,
    maxEntryBytes: settings.maxEntryBytes,
    maxBufferEntries: settings.maxBufferEntries,
    maxBufferBytes: settings.maxBufferBytes,
  };
}
