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
}
