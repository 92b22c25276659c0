// The timeline webview: one panel per buffer, reused when asked again. The host side owns the
// model (timelineModel.ts) and answers the webview's requests (what a viewport shows, an entry's
// details); the webview (media/timeline/) only draws. Entries come from the core through the
// BufferHost, never from files; the panel follows the buffer while it is open.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { BufferData } from '../../core/schema';
import { DEFAULT_PROMPT_MAX_CHARACTERS, renderPrompt } from '../../handoff/prompt';
import type { BufferHost } from '../../host/bufferHost';
import { Disposable, toDisposable } from '../../host/disposable';
import { messageOf } from '../../host/notifyOnce';
import { buildTimeline, entryDetails, indexOfEntry, type TimelineModel, viewTimeline, type ViewRequest } from './timelineModel';

export const TIMELINE_VIEW_TYPE = 'nexusBuffer.timeline';
const RELOAD_DELAY_MS = 250;

export interface TimelineFocus {
  /** Show this entry (by id, else by position) and open its details. */
  entryId?: string | null;
  entryIndex?: number;
}

/** What the panel needs from the rest of the extension. */
export interface TimelineActions {
  /** Opens the recovered document of the buffer. */
  openDocument(agentType: string): Thenable<unknown>;
  /** Whether a writer appends to the buffer right now (its newest open session is then in progress). */
  isLive(agentType: string): boolean;
}

type FromWebview =
  | { type: 'ready' }
  | { type: 'view'; seq: number; request: ViewRequest }
  | { type: 'details'; index: number }
  | { type: 'copyFrom'; index: number }
  | { type: 'openDocument' };

export class TimelinePanels extends Disposable {
  private readonly panels = new Map<string, TimelinePanel>();

  constructor(
    private readonly host: BufferHost,
    private readonly extensionUri: vscode.Uri,
    private readonly actions: TimelineActions,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(toDisposable(() => {
      for (const panel of [...this.panels.values()]) panel.dispose();
    }));
  }

  /** Opens (or reveals) the timeline of `agentType`; with `focus`, shows that entry's details. */
  async show(agentType: string, focus?: TimelineFocus): Promise<TimelinePanel> {
    let panel = this.panels.get(agentType);
    if (!panel) {
      panel = new TimelinePanel(agentType, this.host, this.extensionUri, this.actions, this.log);
      this.panels.set(agentType, panel);
      const created = panel;
      created.onDispose(() => {
        if (this.panels.get(agentType) === created) this.panels.delete(agentType);
      });
    } else {
      panel.reveal();
    }
    await panel.loaded;
    if (focus) panel.focusEntry(focus);
    return panel;
  }

  get openAgents(): string[] {
    return [...this.panels.keys()];
  }
}

export class TimelinePanel extends Disposable {
  private readonly panel: vscode.WebviewPanel;
  private model: TimelineModel | undefined;
  private data: BufferData | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ready = false;
  private pendingFocus: TimelineFocus | undefined;
  private readonly disposeListeners: Array<() => void> = [];
  /** Resolves once the first model was built (or failed). */
  readonly loaded: Promise<void>;

  constructor(
    readonly agentType: string,
    private readonly host: BufferHost,
    private readonly extensionUri: vscode.Uri,
    private readonly actions: TimelineActions,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    const media = vscode.Uri.joinPath(extensionUri, 'media', 'timeline');
    this.panel = vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, `Timeline: ${agentType}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: true,
    });
    this.panel.webview.html = this.html(media);
    this.register(this.panel.webview.onDidReceiveMessage((message: FromWebview) => void this.onMessage(message)));
    this.register(this.panel.onDidDispose(() => this.dispose()));
    this.register(host.onDidChange((e) => {
      if (e.agentType === undefined || e.agentType === agentType) this.scheduleReload();
    }));
    this.register(toDisposable(() => clearTimeout(this.timer)));
    this.loaded = this.reload();
  }

  onDispose(listener: () => void): void {
    this.disposeListeners.push(listener);
  }

  reveal(): void {
    this.panel.reveal();
  }

  focusEntry(focus: TimelineFocus): void {
    this.pendingFocus = focus;
    this.flushFocus();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
    for (const listener of this.disposeListeners.splice(0)) listener();
  }

  private scheduleReload(): void {
    if (this.timer || this.isDisposed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
    }, RELOAD_DELAY_MS);
  }

  private async reload(): Promise<void> {
    try {
      const recovered = await this.host.buffer.read(this.agentType);
      if (this.isDisposed) return;
      this.data = recovered?.data;
      this.model = buildTimeline(this.agentType, recovered?.data.entries ?? [], { live: this.actions.isLive(this.agentType) });
      this.postModel();
    } catch (error) {
      this.log.error(`Timeline of ${this.agentType}: reading the buffer failed: ${messageOf(error)}`);
      void this.post({ type: 'error', message: `The ${this.agentType} buffer could not be read: ${messageOf(error)}` });
    }
  }

  private postModel(): void {
    const model = this.model;
    if (!model || !this.ready) return;
    void this.post({
      type: 'model',
      agentType: model.agentType,
      count: model.count,
      startMs: model.startMs,
      endMs: model.endMs,
      lanes: model.lanes,
      sessions: model.sessions,
    });
    this.flushFocus();
  }

  private flushFocus(): void {
    const model = this.model;
    const focus = this.pendingFocus;
    if (!model || !this.ready || !focus) return;
    const index = (focus.entryId ? indexOfEntry(model, focus.entryId) : undefined) ?? focus.entryIndex;
    this.pendingFocus = undefined;
    if (index === undefined || !model.entries[index]) return;
    void this.post({ type: 'focus', index, t: model.times[index], details: entryDetails(model, index) });
  }

  private async onMessage(message: FromWebview): Promise<void> {
    try {
      switch (message.type) {
        case 'ready':
          this.ready = true;
          this.postModel();
          return;
        case 'view':
          if (this.model) void this.post({ type: 'view', seq: message.seq, view: viewTimeline(this.model, message.request) });
          return;
        case 'details':
          if (this.model) void this.post({ type: 'details', details: entryDetails(this.model, message.index) ?? null });
          return;
        case 'copyFrom':
          await this.copyFrom(message.index);
          return;
        case 'openDocument':
          await this.actions.openDocument(this.agentType);
          return;
      }
    } catch (error) {
      this.log.error(`Timeline of ${this.agentType}: ${messageOf(error)}`);
      void vscode.window.showErrorMessage(`Nexus Buffer: ${messageOf(error)}`);
    }
  }

  /** "Copy as Prompt from here": the hand-off brief of this entry and every later one. */
  private async copyFrom(index: number): Promise<void> {
    const model = this.model;
    const data = this.data;
    if (!model || !data || !model.entries[index]) return;
    const from = model.times[index];
    const entries = data.entries.filter((_, i) => model.times[i] >= from);
    const limit = vscode.workspace.getConfiguration('nexusBuffer.prompt').get<number>('maxCharacters', DEFAULT_PROMPT_MAX_CHARACTERS);
    const text = renderPrompt({ ...data, entries }, { maxCharacters: Number.isFinite(limit) && limit >= 200 ? limit : DEFAULT_PROMPT_MAX_CHARACTERS });
    await vscode.env.clipboard.writeText(text);
    this.log.info(`${this.agentType}: copied a ${text.length}-character prompt of the ${entries.length} entries from ${data.entries[index].timestamp}`);
    void this.post({ type: 'copied', entries: entries.length, characters: text.length });
  }

  private post(message: unknown): Thenable<boolean> {
    return this.isDisposed ? Promise.resolve(false) : this.panel.webview.postMessage(message);
  }

  private html(media: vscode.Uri): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'timeline.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'timeline.css'));
    // Strict: nothing remote, no inline script or style; only our two files (the script by nonce).
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    const agent = this.agentType.replace(/[<>&"']/g, '');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Timeline: ${agent}</title>
</head>
<body>
<header class="toolbar" role="toolbar" aria-label="Timeline controls">
  <h1 id="title">Timeline: ${agent}</h1>
  <span id="summary" aria-live="polite"></span>
  <span class="spacer"></span>
  <button id="zoom-in" type="button" title="Zoom in (+)" aria-label="Zoom in">+</button>
  <button id="zoom-out" type="button" title="Zoom out (-)" aria-label="Zoom out">−</button>
  <button id="fit" type="button" title="Show everything (0)">Fit</button>
  <button id="open-document" type="button" title="Open the entries as a document">Document</button>
</header>
<section class="filters" aria-label="Filters">
  <fieldset id="lane-filter"><legend>Kinds</legend></fieldset>
  <fieldset id="session-filter"><legend>Sessions</legend></fieldset>
</section>
<main id="timeline" aria-label="Entries in time. Arrow keys move between entries, Enter opens one, plus and minus zoom, Shift with arrows pans.">
  <div id="axis" aria-hidden="true"></div>
  <div id="sessions" aria-label="Sessions"></div>
  <div id="lanes"></div>
  <div id="empty" hidden>This buffer has no entries yet. They appear here as they are buffered.</div>
</main>
<div id="tooltip" role="tooltip" hidden></div>
<aside id="details" aria-label="Entry details" tabindex="-1" hidden>
  <div class="details-head">
    <h2 id="details-title"></h2>
    <button id="copy-from" type="button">Copy as Prompt from here</button>
    <button id="close-details" type="button" aria-label="Close the details">×</button>
  </div>
  <p id="details-meta"></p>
  <div id="details-body"></div>
</aside>
<div id="status" class="visually-hidden" aria-live="polite"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }
}
