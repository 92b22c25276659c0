// What a user would otherwise pick for a durable local log, for figure 1's comparison: the same
// entries into SQLite through better-sqlite3 (12: 13 crashes on Node 20), WAL, one transaction
// per group commit, and the same promise as `batched`: an entry's promise resolves only after
// the transaction that holds it committed. With synchronous=FULL a commit fsyncs the WAL
// first, which is that promise; with NORMAL it does not (the WAL is synced at checkpoints only),
// so an acknowledged entry can be lost to a power cut: printed beside it, not the same promise.
//
// It does what a careful user would: one prepared INSERT per entry into the open transaction,
// COMMIT once the batch window (ours, 5 ms) has passed, one promise per transaction shared by
// its entries. It does not validate entries (a user has no crate rules to apply) and keeps none
// in memory. better-sqlite3 is synchronous: the COMMIT and its fsync hold the event loop, as
// they would in the user's process.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import * as path from 'node:path';

export type Synchronous = 'FULL' | 'NORMAL';

/** The part of better-sqlite3's API used here (the package has no types of its own). */
interface Statement {
  run(...params: unknown[]): unknown;
}
interface Database {
  pragma(source: string): unknown;
  exec(source: string): unknown;
  prepare(source: string): Statement;
  close(): void;
}
type DatabaseConstructor = new (file: string) => Database;

let loaded: { Database: DatabaseConstructor; version: string } | { unavailable: string } | undefined;

/** better-sqlite3, or why it cannot be loaded (not installed, its native module not built). */
export function loadSqlite(): { Database: DatabaseConstructor; version: string } | { unavailable: string } {
  if (loaded) return loaded;
  try {
    const require = createRequire(__filename);
    const Database = require('better-sqlite3') as DatabaseConstructor;
    const version = (require('better-sqlite3/package.json') as { version: string }).version;
    // The native module loads on first use: open one database to know that it works.
    new Database(':memory:').close();
    loaded = { Database, version };
  } catch (error) {
    loaded = { unavailable: `better-sqlite3 cannot be loaded: ${(error as Error).message.split('\n')[0]}` };
  }
  return loaded;
}

interface Transaction {
  durable: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** A log of entries in one SQLite file, group-committed. */
export class SqliteLog {
  readonly file: string;
  private readonly db: Database;
  private readonly insert: Statement;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  private open: Transaction | undefined;

  constructor(dir: string, synchronous: Synchronous, private readonly batchWindowMs = 5) {
    const sqlite = loadSqlite();
    if ('unavailable' in sqlite) throw new Error(sqlite.unavailable);
    this.file = path.join(dir, 'log.sqlite');
    this.db = new sqlite.Database(this.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.exec('CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, timestamp TEXT NOT NULL, context_type TEXT NOT NULL, context TEXT NOT NULL)');
    this.insert = this.db.prepare('INSERT INTO entries (id, timestamp, context_type, context) VALUES (?, ?, ?, ?)');
    this.begin = this.db.prepare('BEGIN');
    this.commit = this.db.prepare('COMMIT');
    this.rollback = this.db.prepare('ROLLBACK');
  }

  /** Resolves once the transaction holding the entry committed. */
  append(context: object, contextType: string): Promise<void> {
    let tx = this.open;
    if (!tx) {
      this.begin.run();
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const durable = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      tx = this.open = { durable, resolve, reject };
      setTimeout(() => this.commitOpen(), this.batchWindowMs);
    }
    this.insert.run(randomUUID(), new Date().toISOString(), contextType, JSON.stringify(context));
    return tx.durable;
  }

  private commitOpen(): void {
    const tx = this.open;
    if (!tx) return;
    this.open = undefined;
    try {
      this.commit.run();
    } catch (error) {
      try {
        this.rollback.run();
      } catch {
        // The transaction is gone already.
      }
      tx.reject(error);
      return;
    }
    tx.resolve();
  }

  /** Commits what is open and closes the database. */
  close(): void {
    this.commitOpen();
    this.db.close();
  }
}
