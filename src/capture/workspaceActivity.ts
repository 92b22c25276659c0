// Captures this window's own activity into the `vscode` buffer: files created, saved, renamed
// and deleted in the workspace, terminal commands (shell integration) with their exit codes,
// task runs, and changes in the number of error diagnostics. Never file contents; secrets in
// command lines are redacted; paths matching `nexusBuffer.capture.exclude` are skipped.
//
// Cheap by design: nothing listens to typing (no onDidChangeTextDocument); a save costs a map
// lookup and `document.lineCount`; diagnostics are recounted at most every 2 s; no synchronous
// I/O. Events are coalesced into one `checkpoint` entry per few seconds (or per 50 events),
// plus one `session-start` entry when capture starts in this window.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { PartialSessionContext } from '../core/schema';
import { compileExcludes, type PathMatcher } from './excludeGlobs';
import { redactCommandLine } from './redact';

export type CaptureSink = (context: PartialSessionContext, contextType: string) => Promise<unknown>;

export interface CaptureOptions {
  /** Time from the first event to its checkpoint entry; default 5 s or $NEXUS_BUFFER_CAPTURE_COALESCE_MS. */
  coalesceMs?: number;
  /** A checkpoint is written at once when this many events are pending (default 50). */
  maxEventsPerEntry?: number;
  /** Quiet time before error diagnostics are recounted (default 2 s). */
  diagnosticsDelayMs?: number;
}

export const DEFAULT_COALESCE_MS = 5_000;
const DEFAULT_MAX_EVENTS = 50;
const DEFAULT_DIAGNOSTICS_DELAY_MS = 2_000;
const MAX_FILES_PER_ENTRY = 200;
const MAX_COMMANDS_PER_ENTRY = 100;
const MAX_ERRORS_PER_ENTRY = 50;
const MAX_COMMAND_CHARS = 2_000;
const MAX_TRACKED_DOCUMENTS = 5_000;

type FileAction = 'created' | 'modified' | 'deleted';
type FileRecord = { path: string; action: FileAction; lines_added: number | null; lines_removed: number | null; timestamp: string };
type ErrorRecord = { error_type: string; message: string; stack_trace: null; timestamp: string };
type TaskRecord = { description: string; status: 'completed' | 'failed'; started_at: string | null; completed_at: string; subagent: null };

interface Pending {
  events: number;
  files: Map<string, FileRecord>;
  commands: string[];
  errors: ErrorRecord[];
  tasks: TaskRecord[];
  renames: Array<{ from: string; to: string }>;
  /** Set when the count of error diagnostics changed: the new count. */
  errorDiagnostics?: number;
  dropped: number;
}

const emptyPending = (): Pending => ({ events: 0, files: new Map(), commands: [], errors: [], tasks: [], renames: [], dropped: 0 });

/** The part of the git extension's API read here (`vscode.git`, API version 1). */
interface GitApiLike {
  repositories: Array<{ rootUri: vscode.Uri; state: { HEAD?: { name?: string } } }>;
}

export class WorkspaceActivityCapture implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private enabled = false;
  private excluded: PathMatcher = () => false;
  private pending = emptyPending();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private diagnosticsTimer: ReturnType<typeof setTimeout> | undefined;
  private startTimer: ReturnType<typeof setTimeout> | undefined;
  /** Line count of each open document at its last load or save (the baseline of a save's counts). */
  private readonly savedLineCounts = new Map<string, number>();
  private readonly taskStarts = new Map<vscode.TaskExecution, string>();
  private lastErrorDiagnostics: number | undefined;
  private sessionStarted = false;
  /** One per window session (see windowSessionId). */
  private readonly sessionId = windowSessionId();
  private disposed = false;

  constructor(
    private readonly sink: CaptureSink,
    private readonly log: vscode.LogOutputChannel,
    private readonly options: CaptureOptions = {},
  ) {
    this.readSettings();
    const on = <T>(event: vscode.Event<T> | undefined, listener: (e: T) => void): void => {
      // An event missing from an older VS Code is simply not captured.
      if (event) this.subscriptions.push(event((e) => this.guard(() => listener(e))));
    };
    on(vscode.workspace.onDidChangeConfiguration, (e) => {
      if (e.affectsConfiguration('nexusBuffer.capture')) this.readSettings();
    });
    on(vscode.workspace.onDidOpenTextDocument, (doc) => this.rememberLineCount(doc));
    on(vscode.workspace.onDidCloseTextDocument, (doc) => this.savedLineCounts.delete(doc.uri.toString()));
    on(vscode.workspace.onDidSaveTextDocument, (doc) => this.onSaved(doc));
    on(vscode.workspace.onDidCreateFiles, (e) => e.files.forEach((uri) => this.recordFile(uri, 'created', null, null)));
    on(vscode.workspace.onDidDeleteFiles, (e) => e.files.forEach((uri) => this.onDeleted(uri)));
    on(vscode.workspace.onDidRenameFiles, (e) => e.files.forEach(({ oldUri, newUri }) => this.onRenamed(oldUri, newUri)));
    on(vscode.window.onDidEndTerminalShellExecution, (e) =>
      this.recordCommand(e.execution.commandLine.value, e.exitCode, e.terminal.name));
    on(vscode.tasks.onDidStartTaskProcess, (e) => this.taskStarts.set(e.execution, new Date().toISOString()));
    on(vscode.tasks.onDidEndTaskProcess, (e) => this.onTaskEnded(e.execution, e.exitCode));
    on(vscode.languages.onDidChangeDiagnostics, () => this.scheduleDiagnosticsCount());
    for (const doc of vscode.workspace.textDocuments) if (!doc.isDirty) this.rememberLineCount(doc);
    // The session-start entry is written after activation returns, not on its path.
    this.startTimer = setTimeout(() => this.guard(() => this.startSession()), 0);
  }

  /** Whether capture is on (`nexusBuffer.capture.enabled`, applied live). */
  get isEnabled(): boolean {
    return this.enabled;
  }

  /**
   * Records a command that ended in a terminal (what shell integration reports). Public so a
   * test can feed it where shell integration is not available.
   */
  recordCommand(commandLine: string, exitCode: number | undefined, terminalName?: string): void {
    if (!this.enabled) return;
    const command = commandLine.trim();
    if (!command) return;
    const safe = capText(redactCommandLine(command), MAX_COMMAND_CHARS);
    const p = this.pending;
    if (p.commands.length < MAX_COMMANDS_PER_ENTRY) p.commands.push(safe);
    else p.dropped++;
    if (exitCode !== undefined && exitCode !== 0) {
      this.pushError({
        error_type: 'command_failed',
        message: `\`${safe}\` exited with code ${exitCode}${terminalName ? ` (terminal "${terminalName}")` : ''}`,
        stack_trace: null,
        timestamp: new Date().toISOString(),
      });
    }
    this.eventRecorded();
  }

  /** Writes what is pending now (also used by tests instead of waiting for the timer). */
  async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const p = this.pending;
    if (p.events === 0) return;
    this.pending = emptyPending();
    const custom: Record<string, unknown> = { ...this.where(), events: p.events };
    if (p.renames.length > 0) custom.renames = p.renames;
    if (p.errorDiagnostics !== undefined) custom.error_diagnostics = p.errorDiagnostics;
    if (p.dropped > 0) custom.events_left_out = p.dropped;
    const context: PartialSessionContext = {
      session_id: this.sessionId,
      extraction_source: 'native',
      files: [...p.files.values()],
      commands_run: p.commands,
      errors: p.errors,
      tasks: p.tasks,
      custom,
    };
    try {
      await this.sink(context, 'checkpoint');
    } catch (error) {
      this.log.warn(`Could not buffer this window's activity: ${messageOf(error)}`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.startTimer) clearTimeout(this.startTimer);
    if (this.diagnosticsTimer) clearTimeout(this.diagnosticsTimer);
    // Best effort: the buffer may already be shutting down when the window closes.
    void this.flush();
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
  }

  // --- events -------------------------------------------------------------------------------

  private onSaved(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const before = this.savedLineCounts.get(key);
    const now = lineCountOf(doc);
    this.rememberLineCount(doc);
    if (!this.enabled) return;
    // The change in line count since the last load or save: cheap, and what a reader wants to
    // know ("+12 lines"); an edit within lines counts as no lines added or removed.
    const added = before === undefined ? null : Math.max(0, now - before);
    const removed = before === undefined ? null : Math.max(0, before - now);
    this.recordFile(doc.uri, 'modified', added, removed);
  }

  private onDeleted(uri: vscode.Uri): void {
    const before = this.savedLineCounts.get(uri.toString());
    this.savedLineCounts.delete(uri.toString());
    this.recordFile(uri, 'deleted', 0, before ?? null);
  }

  private onRenamed(oldUri: vscode.Uri, newUri: vscode.Uri): void {
    if (!this.enabled) return;
    const from = this.capturedPath(oldUri);
    const to = this.capturedPath(newUri);
    if (from === undefined && to === undefined) return;
    if (from !== undefined) this.recordFile(oldUri, 'deleted', null, null, false);
    if (to !== undefined) this.recordFile(newUri, 'created', null, null, false);
    if (from !== undefined && to !== undefined && this.pending.renames.length < MAX_FILES_PER_ENTRY) {
      this.pending.renames.push({ from, to });
    }
    this.eventRecorded();
  }

  private onTaskEnded(execution: vscode.TaskExecution, exitCode: number | undefined): void {
    const startedAt = this.taskStarts.get(execution) ?? null;
    this.taskStarts.delete(execution);
    if (!this.enabled) return;
    const task = execution.task;
    const description = capText(redactCommandLine(task.source && task.source !== 'Workspace' ? `${task.name} (${task.source})` : task.name), 500);
    const failed = exitCode !== undefined && exitCode !== 0;
    const now = new Date().toISOString();
    if (this.pending.tasks.length < MAX_COMMANDS_PER_ENTRY) {
      this.pending.tasks.push({ description, status: failed ? 'failed' : 'completed', started_at: startedAt, completed_at: now, subagent: null });
    } else {
      this.pending.dropped++;
    }
    if (failed) {
      this.pushError({ error_type: 'task_failed', message: `Task "${description}" exited with code ${exitCode}`, stack_trace: null, timestamp: now });
    }
    this.eventRecorded();
  }

  private scheduleDiagnosticsCount(): void {
    if (!this.enabled || this.diagnosticsTimer || this.disposed) return;
    const delay = this.options.diagnosticsDelayMs ?? DEFAULT_DIAGNOSTICS_DELAY_MS;
    this.diagnosticsTimer = setTimeout(() => {
      this.diagnosticsTimer = undefined;
      this.guard(() => this.countDiagnostics());
    }, delay);
  }

  /** Recounts error diagnostics of captured files; records a change (one record per entry, at most). */
  private countDiagnostics(): void {
    if (!this.enabled) return;
    let total = 0;
    const perFile: Array<[string, number]> = [];
    for (const [uri, diagnostics] of vscode.languages.getDiagnostics()) {
      let errors = 0;
      for (const d of diagnostics) if (d.severity === vscode.DiagnosticSeverity.Error) errors++;
      if (errors === 0) continue;
      const path = this.capturedPath(uri);
      if (path === undefined) continue;
      total += errors;
      perFile.push([vscode.workspace.asRelativePath(uri, true), errors]);
    }
    const previous = this.lastErrorDiagnostics;
    this.lastErrorDiagnostics = total;
    if (total === (previous ?? 0)) return;
    const p = this.pending;
    p.errorDiagnostics = total;
    // Only a rise is an error worth a record; a fall is kept as the new count in `custom`.
    p.errors = p.errors.filter((e) => e.error_type !== 'diagnostics');
    if (total > (previous ?? 0)) {
      const worst = perFile.sort((a, b) => b[1] - a[1]).slice(0, 5).map(([file, n]) => `${file} (${n})`).join(', ');
      p.errors.push({
        error_type: 'diagnostics',
        message: `Error diagnostics in the workspace: ${previous ?? 0} → ${total}${worst ? `; most in ${worst}` : ''}`,
        stack_trace: null,
        timestamp: new Date().toISOString(),
      });
    }
    this.eventRecorded();
  }

  // --- recording ----------------------------------------------------------------------------

  private recordFile(uri: vscode.Uri, action: FileAction, added: number | null, removed: number | null, countEvent = true): void {
    if (!this.enabled) return;
    const path = this.capturedPath(uri);
    if (path === undefined) return;
    const files = this.pending.files;
    const seen = files.get(path);
    const timestamp = new Date().toISOString();
    if (seen) {
      // Several events on one file within one entry: one record, counts summed, and the action
      // that tells the story (created then saved = created; saved then deleted = deleted).
      seen.action = action === 'deleted' ? 'deleted' : seen.action === 'created' ? 'created' : action;
      seen.lines_added = sumNullable(seen.lines_added, added);
      seen.lines_removed = sumNullable(seen.lines_removed, removed);
      seen.timestamp = timestamp;
    } else if (files.size < MAX_FILES_PER_ENTRY) {
      files.set(path, { path, action, lines_added: added, lines_removed: removed, timestamp });
    } else {
      this.pending.dropped++;
    }
    if (countEvent) this.eventRecorded();
  }

  private pushError(error: ErrorRecord): void {
    if (this.pending.errors.length < MAX_ERRORS_PER_ENTRY) this.pending.errors.push(error);
    else this.pending.dropped++;
  }

  private eventRecorded(): void {
    this.pending.events++;
    if (this.pending.events >= (this.options.maxEventsPerEntry ?? DEFAULT_MAX_EVENTS)) {
      void this.flush();
    } else if (!this.flushTimer && !this.disposed) {
      this.flushTimer = setTimeout(() => void this.flush(), this.coalesceMs());
    }
  }

  /**
   * The window is closing: writes what is pending and a `session-end` entry, so the next window
   * knows this session ended cleanly and does not offer its buffer as a crash leftover.
   */
  async endSession(): Promise<void> {
    if (!this.enabled || !this.sessionStarted || this.disposed) return;
    await this.flush();
    await this.sink({ session_id: this.sessionId, extraction_source: 'native', custom: this.where() }, 'session-end')
      .catch((error) => this.log.warn(`Could not buffer the end of this window's session: ${messageOf(error)}`));
  }

  private startSession(): void {
    if (!this.enabled || this.sessionStarted || this.disposed) return;
    this.sessionStarted = true;
    const custom: Record<string, unknown> = {
      ...this.where(),
      app: vscode.env.appName,
      app_host: vscode.env.appHost,
      vscode_version: vscode.version,
    };
    if (vscode.env.remoteName) custom.remote = vscode.env.remoteName;
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length > 1) custom.workspace_folders = folders.map((f) => f.uri.fsPath);
    this.sink({ session_id: this.sessionId, extraction_source: 'native', custom }, 'session-start')
      .catch((error) => this.log.warn(`Could not buffer the start of this window's session: ${messageOf(error)}`));
  }

  // --- helpers ------------------------------------------------------------------------------

  private readSettings(): void {
    const config = vscode.workspace.getConfiguration('nexusBuffer.capture');
    const wasEnabled = this.enabled;
    this.enabled = config.get<boolean>('enabled', true) !== false;
    const exclude = config.get<unknown>('exclude');
    this.excluded = compileExcludes(Array.isArray(exclude) ? exclude : []);
    if (!this.enabled && wasEnabled) {
      // Turned off: what was pending is dropped, not written.
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.pending = emptyPending();
      this.lastErrorDiagnostics = undefined;
      this.log.info('Capture of this window\'s activity is off (nexusBuffer.capture.enabled)');
    } else if (this.enabled && !wasEnabled && this.startTimer !== undefined) {
      this.startSession();
    }
  }

  /** The file's path when it is in the workspace and not excluded; undefined otherwise. */
  private capturedPath(uri: vscode.Uri): string | undefined {
    if (uri.scheme !== 'file' && uri.scheme !== 'vscode-remote') return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return undefined;
    const relative = uri.path.slice(folder.uri.path.replace(/\/$/, '').length).replace(/^\//, '');
    if (relative === '' || this.excluded(relative)) return undefined;
    return uri.fsPath;
  }

  private rememberLineCount(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'vscode-remote') return;
    if (this.savedLineCounts.size >= MAX_TRACKED_DOCUMENTS && !this.savedLineCounts.has(doc.uri.toString())) return;
    this.savedLineCounts.set(doc.uri.toString(), lineCountOf(doc));
  }

  private where(): Record<string, unknown> {
    const out: Record<string, unknown> = { capture: 'vscode' };
    if (vscode.workspace.name) out.workspace = vscode.workspace.name;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder) out.workspace_folder = folder.uri.fsPath;
    const branch = gitBranch(folder?.uri);
    if (branch) out.git_branch = branch;
    return out;
  }

  private coalesceMs(): number {
    if (this.options.coalesceMs !== undefined) return this.options.coalesceMs;
    const fromEnv = Number(process.env.NEXUS_BUFFER_CAPTURE_COALESCE_MS);
    return Number.isFinite(fromEnv) && fromEnv >= 0 && process.env.NEXUS_BUFFER_CAPTURE_COALESCE_MS !== '' ? fromEnv : DEFAULT_COALESCE_MS;
  }

  /** A capture problem is logged, never thrown into VS Code's event loop. */
  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.log.warn(`Activity capture: ${messageOf(error)}`);
    }
  }
}

/** The branch of the repository holding `folder`, when the git extension is active (never activates it). */
function gitBranch(folder: vscode.Uri | undefined): string | undefined {
  try {
    const git = vscode.extensions.getExtension<{ getAPI(version: 1): GitApiLike }>('vscode.git');
    if (!git?.isActive) return undefined;
    const repositories = git.exports.getAPI(1).repositories;
    const repo = (folder && repositories.find((r) => folder.path === r.rootUri.path || folder.path.startsWith(`${r.rootUri.path}/`))) ?? repositories[0];
    return repo?.state.HEAD?.name || undefined;
  } catch {
    return undefined;
  }
}

/** Lines of a document as people count them: a final empty line after a newline is not one. */
function lineCountOf(doc: vscode.TextDocument): number {
  const count = doc.lineCount;
  if (count > 0 && doc.lineAt(count - 1).text === '') return count - 1;
  return count;
}

function sumNullable(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

function capText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [truncated ${text.length - max} more characters]`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let fallbackSessionId: string | undefined;

/**
 * This window's session id: VS Code's, unless telemetry is disabled; then it is the same
 * placeholder in every window ("someValue.sessionId"), and a random id (one per extension host,
 * i.e. per window) stands in for it.
 */
export function windowSessionId(): string {
  const id = vscode.env.sessionId;
  if (id && id !== 'someValue.sessionId') return id;
  return (fallbackSessionId ??= randomUUID());
}
