// A base class for services that own other disposables: whatever a service creates through
// `register` is disposed with it, in reverse order, exactly once.
import type * as vscode from 'vscode';

export abstract class Disposable implements vscode.Disposable {
  private readonly owned: vscode.Disposable[] = [];
  private disposed = false;

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  /** Takes ownership of `item`; disposes it right away when this service is already disposed. */
  protected register<T extends vscode.Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.owned.push(item);
    return item;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Reverse order: later resources may depend on earlier ones (a listener on an emitter).
    for (const item of this.owned.splice(0).reverse()) {
      try {
        item.dispose();
      } catch {
        // One failing dispose must not keep the others alive.
      }
    }
  }
}

/** A disposable that runs a function (clearTimeout, watcher.close, ...). */
export function toDisposable(fn: () => void): vscode.Disposable {
  let done = false;
  return { dispose: () => { if (!done) { done = true; fn(); } } };
}
