// Read-only virtual documents of a buffer: `nexus-buffer:/<agent>.md` renders the entries as
// Markdown (the Markdown preview works on it), `nexus-buffer:/<agent>.json` is the raw
// crate-format JSON. Nothing is written to disk; open documents follow changes of the buffer.
import * as vscode from 'vscode';
import { renderBufferJson, renderBufferMarkdown } from '../core/render';
import type { BufferHost } from '../host/bufferHost';
import { Disposable } from '../host/disposable';
import { BUFFER_SCHEME, bufferUri, parseBufferUri } from './bufferUri';

const UPDATE_DELAY_MS = 300;

export class RecoveredDocumentProvider extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly changeEmitter = this.register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changeEmitter.event;
  private readonly dirtyAgents = new Set<string | undefined>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly host: BufferHost) {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(BUFFER_SCHEME, this));
    this.register(host.onDidChange((e) => this.scheduleUpdate(e.agentType)));
    this.register({ dispose: () => clearTimeout(this.timer) });
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const parsed = parseBufferUri(uri);
    if (!parsed) return `Not a Nexus Buffer document: ${uri.toString()}`;
    const loaded = await this.host.buffer.read(parsed.agentType);
    if (token.isCancellationRequested) return '';
    if (!loaded) {
      return parsed.kind === 'json'
        ? 'null\n'
        : `# Nexus Buffer: ${parsed.agentType}\n\n_There is no buffer for this agent in ${this.host.dir}._\n`;
    }
    if (parsed.kind === 'json') return `${renderBufferJson(loaded.data)}\n`;
    let markdown = renderBufferMarkdown(loaded.data);
    if (loaded.problems.length > 0) {
      const list = loaded.problems.map((p) => `- ${p.replace(/\s+/g, ' ')}`).join('\n');
      markdown = `> **Problems found while reading this buffer** (every valid entry was kept):\n\n${list}\n\n${markdown}`;
    }
    return markdown;
  }

  /** Opens the Markdown (or JSON) view of a buffer in an editor, showing the current content. */
  async open(agentType: string, kind: 'md' | 'json' = 'md', options: vscode.TextDocumentShowOptions = {}): Promise<vscode.TextEditor> {
    const uri = bufferUri(agentType, kind);
    const document = await vscode.workspace.openTextDocument(uri);
    await this.bringUpToDate(document);
    return vscode.window.showTextDocument(document, { preview: false, ...options });
  }

  /**
   * Opens the buffer as people read it: the Markdown preview of its document (the preview's
   * "Open Source" button shows the Markdown). Falls back to the source when the built-in
   * Markdown extension is disabled.
   */
  async openRendered(agentType: string, options: vscode.TextDocumentShowOptions = {}): Promise<void> {
    const uri = bufferUri(agentType, 'md');
    const document = await vscode.workspace.openTextDocument(uri);
    await this.bringUpToDate(document);
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri, undefined, { locked: false, preserveFocus: options.preserveFocus });
    } catch {
      await vscode.window.showTextDocument(document, { preview: false, ...options });
    }
  }

  /** A document opened earlier shows the buffer as it was then: refresh it and wait for the update. */
  private async bringUpToDate(document: vscode.TextDocument): Promise<void> {
    const fresh = await this.provideTextDocumentContent(document.uri, new vscode.CancellationTokenSource().token);
    if (document.getText() === fresh) return;
    await new Promise<void>((resolve) => {
      const timeout = setTimeout(finish, 3000);
      const listener = vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === document && document.getText() === fresh) finish();
      });
      function finish(): void {
        clearTimeout(timeout);
        listener.dispose();
        resolve();
      }
      this.changeEmitter.fire(document.uri);
    });
  }

  private scheduleUpdate(agentType: string | undefined): void {
    this.dirtyAgents.add(agentType);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const agents = new Set(this.dirtyAgents);
      this.dirtyAgents.clear();
      for (const document of vscode.workspace.textDocuments) {
        const parsed = parseBufferUri(document.uri);
        if (parsed && (agents.has(undefined) || agents.has(parsed.agentType))) this.changeEmitter.fire(document.uri);
      }
    }, UPDATE_DELAY_MS);
  }
}
