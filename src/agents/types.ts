// What an agent brings to Nexus Buffer, behind one small interface: each agent is one folder
// (src/agents/<agent>/: hook payload mapping, installer, FORMAT.md of the facts, tests and
// fixtures) exporting an AgentProvider, and src/agents/registry.ts lists them. The CLI and the
// extension iterate the registry; adding an agent is adding a folder and one line there.
//
// Pure Node, no vscode. The hook path (`push --from <source>`) loads only the mappings, so a
// mapping imports nothing heavy (types from core/schema are fine: they are erased).
import type { PartialSessionContext } from '../core/schema';

/** One event of an agent's hooks, mapped to a buffer entry. */
export interface HookEntry {
  /**
   * The buffer it belongs in. Usually the source's agent; a source may route an event
   * elsewhere (VS Code's agent mode sends its events through Claude Code's settings file:
   * they go to `copilot`, never to `claude-code`).
   */
  agent: string;
  context: PartialSessionContext;
  contextType: string;
}

/** A way an agent hands us its events: `nexus-buffer push [AGENT] --from <id>`. */
export interface HookSource {
  /** The `--from` value, e.g. `claude-hook`, `codex-notify`. */
  readonly id: string;
  /** The buffer it fills by default, e.g. `claude-code`. */
  readonly agent: string;
  /** Where the payload arrives: JSON on stdin, or (Codex's notify) the last argument. */
  readonly payloadFrom: 'stdin' | 'last-argument';
  /** One line for `push --help`. */
  readonly summary: string;
  /**
   * Maps one payload to an entry. Throws an Error with a one-line message only when the payload
   * is not the kind of JSON this source receives at all (not an object, no event name);
   * anything else, however unexpected (unknown events, unknown fields), becomes an entry, with
   * what was not understood kept in `custom`.
   */
  toEntry(payload: unknown, now: string): HookEntry;
}

export type HookScope = 'user' | 'project';

/** Where an installer looks: the home folder and, for project scope, the project folder. */
export interface HookPlaces {
  home: string;
  project?: string;
  env?: NodeJS.ProcessEnv;
}

/** How the hook command runs our CLI: which runtime, which bundle, which buffer folder. */
export interface HookCommandSpec {
  /** The Node executable (absolute path, or a name on PATH). */
  node: string;
  /** The bundled CLI, `<extension>/dist/cli.js` (absolute). */
  cliPath: string;
  /** `node` is VS Code's own runtime (Electron): run it as plain Node. */
  useElectronRunAsNode: boolean;
  /** A buffer folder other than the default (the extension's `nexusBuffer.directory`). */
  bufferDir?: string;
}

/** The change to one file, shown to a person before it is made. */
export interface HooksPlan {
  settingsPath: string;
  /** The file's text now; null when it does not exist. */
  before: string | null;
  /** The text it would have after the change (equal to `before` when nothing changes). */
  after: string;
  changed: boolean;
  /** A unified diff of before -> after. */
  diffText: string;
  /** Events whose entry is added or updated (install) or removed (uninstall). */
  events: string[];
  /** What the person should know that is not a change (a setting left as it is, a trust step). */
  notes?: string[];
}

export interface HooksChangeResult extends HooksPlan {
  /** The copy of the previous file, when there was one and it changed. */
  backupPath?: string;
}

/** What is installed for one agent in one scope. */
export interface HooksStatus {
  /** Every hook entry of ours that install would write is there and current. */
  installed: boolean;
  /** Some of our entries are there (an older version, or a partial install). */
  partial: boolean;
  /** The main file looked at. */
  file: string;
  /** The commands of our entries found. */
  commands: string[];
  /** Why the file could not be read, when it could not. */
  problem?: string;
}

/** Adds and removes our hook entries in an agent's configuration, keeping everything else. */
export interface AgentHooksInstaller {
  readonly scopes: readonly HookScope[];
  /** The main configuration file of a scope (where the hooks go). */
  settingsPath(scope: HookScope, places: HookPlaces): string;
  /** The agent looks installed on this machine (its configuration folder or program exists). */
  detect(places: HookPlaces): Promise<boolean>;
  /** The changes install would make (one plan per file); reads, writes nothing. */
  planInstall(scope: HookScope, places: HookPlaces, spec: HookCommandSpec): Promise<HooksPlan[]>;
  /** The changes uninstall would make: exactly our entries removed. */
  planUninstall(scope: HookScope, places: HookPlaces): Promise<HooksPlan[]>;
  status(scope: HookScope, places: HookPlaces, spec?: HookCommandSpec): Promise<HooksStatus>;
}

export interface AgentProvider {
  /** The buffer name, e.g. `claude-code`. */
  readonly id: string;
  readonly displayName: string;
  readonly hookSources: readonly HookSource[];
  /** Absent for an agent whose events arrive through another agent's hooks (Copilot). */
  readonly hooks?: AgentHooksInstaller;
  /** The agent's own session files, for `nexus-buffer import`; absent when it keeps none we read. */
  readonly sessions?: SessionSource;
}

/** One session file an agent keeps of its own (Claude Code's transcript, a Codex rollout, a Gemini chat). */
export interface SessionFileInfo {
  agent: string;
  file: string;
  /** The agent's own session id (from the file's name or its first lines). */
  sessionId: string;
  /** The folder the session ran in, when the file says. */
  project: string | null;
  /** The first thing the person asked, one line, when the file says. */
  firstPrompt: string | null;
  /** RFC 3339: the file's first record's time, else its modification time. */
  startedAt: string;
  /** RFC 3339: the file's modification time. */
  modifiedAt: string;
  bytes: number;
}

/** Where a session file could not be read as it should: the file and the line (1-based). */
export interface SessionProblem {
  file: string;
  line: number;
  message: string;
}

/** One record of a session file, as a buffer entry with an id and a time of its own. */
export interface SessionRecord {
  /** Deterministic, from the agent's own id of the line: `native-<agent>-<id>`. */
  id: string;
  timestamp: string;
  contextType: string;
  context: PartialSessionContext;
}

/** Where a read starts: what an earlier import of the same file consumed. */
export interface SessionReadStart {
  /** Byte offset of the first line not consumed yet (0: the start). */
  offset: number;
  /** Its line number (1-based). */
  line: number;
  /** What the reader keeps between reads (open tool calls, …); undefined at the start. */
  carry?: unknown;
}

export interface SessionReadResult {
  records: SessionRecord[];
  problems: SessionProblem[];
  /** Where the next read starts (a torn or unfinished last line stays unconsumed). */
  next: Required<Pick<SessionReadStart, 'offset' | 'line'>> & { carry?: unknown };
}

/** An agent's own session files: where they are, which there are, what they hold. */
export interface SessionSource {
  /** The folders searched (honouring the agent's environment overrides). */
  roots(places: HookPlaces): string[];
  /** Every session file found, newest first; unreadable ones are skipped. */
  list(places: HookPlaces): Promise<SessionFileInfo[]>;
  /**
   * Reads a session file from `start` (what was consumed before); never throws for what is in
   * the file (a torn tail, NUL bytes, a line that is not JSON, an unknown type: problems with
   * their line number), only when the file cannot be read at all.
   */
  read(file: string, start: SessionReadStart): Promise<SessionReadResult>;
  /** The agent's own retention sweep, where it has one: sessions older than this are deleted. */
  retention?(places: HookPlaces): Promise<RetentionRule | undefined>;
}

/** An agent's sweep of its own session files (Claude Code's `cleanupPeriodDays`, say). */
export interface RetentionRule {
  /** Session files not modified for this long are deleted by the agent. */
  maxAgeMs: number;
  /** The setting and where it is (or its default), for a person. */
  setting: string;
}
