import { closeSync, fsync, openSync } from "node:fs";
import Database from "better-sqlite3";
import type { SqlDriver, SqlRow, SqlTx, SqlValue } from "./sql-driver.js";

interface Job {
  readonly fn: (tx: SqlTx) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * When commits reach the disk.
 * - "commit" (default): synchronous=FULL; COMMIT fsyncs the WAL and blocks
 *   the event loop meanwhile.
 * - "pipelined": synchronous=OFF and the WAL file is fsynced on the libuv
 *   thread pool; the next batches execute and commit while one fsync runs,
 *   and each batch is answered only after an fsync that started after its
 *   COMMIT. Checkpoints are manual and run with synchronous=FULL, so the
 *   database file is synced before the WAL is truncated. Acknowledged still
 *   implies fsynced; the event loop never waits for the disk.
 */
export type SqliteFsyncMode = "commit" | "pipelined";

/** Options of {@link SqliteDriver}. */
export interface SqliteDriverOptions {
  /** Most transactions grouped into one commit. */
  readonly maxBatch?: number;
  /** Default "commit". */
  readonly fsync?: SqliteFsyncMode;
  /** Commits between checkpoints in "pipelined" mode; default 1000. */
  readonly checkpointEvery?: number;
}


/** fsyncs of the WAL allowed to run at once in "pipelined" mode. */
const MAX_SYNCS = 2;

/** Answers one committed batch; with an error, rejects all its callers. */
type Answer = (error?: unknown) => void;

/** The batches one fsync covers, and that fsync's outcome once known. */
interface SyncEntry {
  readonly covered: Answer[];
  done: boolean;
  error: unknown;
}

function toParam(value: SqlValue): unknown {
  // better-sqlite3 binds Buffers as BLOBs; plain Uint8Arrays are rejected.
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}

/**
 * SQLite through better-sqlite3 in WAL mode with synchronous=FULL, so a
 * commit returns only after the WAL is fsynced: an acknowledged send
 * survives a process crash or power cut (SYNC-LOG-002).
 *
 * Group commit: transactions that arrive while one commit is running are
 * executed together in the next commit, each inside its own savepoint, so a
 * failing one rolls back alone. Every caller is answered only after the
 * shared COMMIT returned. One fsync then covers many sends.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite" as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly queue: Job[] = [];
  private draining = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private readonly maxBatch: number;
  private readonly counters = { commits: 0, transactions: 0, commitMs: 0, fsyncs: 0, fsyncMs: 0 };
  private readonly mode: SqliteFsyncMode;
  private walFd: number | undefined;
  /** Committed batches waiting for an fsync that started after their COMMIT. */
  private unsynced: Answer[] = [];
  /** fsyncs running on the thread pool (at most MAX_SYNCS). */
  private readonly syncing = new Set<Promise<void>>();
  /** Batches handed to an fsync, in commit order, until answered. */
  private readonly syncOrder: SyncEntry[] = [];
  /** An fsync failed: later ones no longer vouch for earlier batches. */
  private syncFailed = false;
  private commitsSinceCheckpoint = 0;
  private readonly checkpointEvery: number;

  constructor(private readonly path: string, options: SqliteDriverOptions = {}) {
    this.mode = path === ":memory:" ? "commit" : (options.fsync ?? "commit");
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    if (this.mode === "commit") {
      this.db.pragma("synchronous = FULL");
    } else {
      this.db.pragma("synchronous = OFF");
      this.db.pragma("wal_autocheckpoint = 0");
    }
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    this.maxBatch = options.maxBatch ?? 256;
    this.checkpointEvery = options.checkpointEvery ?? 1000;
  }

  /** Runs DDL outside the queue (schema setup at open). */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error("store closed"));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        // Let the current tick's requests join the first batch.
        this.idle = new Promise<void>((done) => setImmediate(() => void this.drain().finally(done)));
      }
    });
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      if (statement.reader) statement.safeIntegers(true);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private readonly tx: SqlTx = {
    dialect: "sqlite",
    all: async (sql, params = []) => {
      const statement = this.statement(sql);
      const bound = params.map(toParam);
      return statement.reader ? (statement.all(...bound) as SqlRow[]) : (statement.run(...bound), []);
    },
    run: async (sql, params = []) => this.statement(sql).run(...params.map(toParam)).changes,
  };

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const outcomes: Array<{ ok: boolean; value: unknown }> = [];
      try {
        this.db.exec("BEGIN IMMEDIATE");
      } catch (error) {
        for (const job of batch) job.reject(error);
        continue;
      }
      for (const job of batch) {
        this.statement("SAVEPOINT job").run();
        try {
          const value = await job.fn(this.tx);
          this.statement("RELEASE job").run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          this.statement("ROLLBACK TO job").run();
          this.statement("RELEASE job").run();
          outcomes.push({ ok: false, value: error });
        }
      }
      const commitStart = performance.now();
      try {
        this.db.exec("COMMIT");
        this.counters.commits++;
        this.counters.transactions += batch.length;
        this.counters.commitMs += performance.now() - commitStart;
      } catch (error) {
        try {
          this.db.exec("ROLLBACK");
        } catch {
          // Already rolled back by SQLite.
        }
        for (const job of batch) job.reject(error);
        continue;
      }
      const answer: Answer = (error) =>
        batch.forEach((job, index) => {
          const outcome = outcomes[index]!;
          if (error !== undefined) job.reject(error);
          else if (outcome.ok) job.resolve(outcome.value);
          else job.reject(outcome.value);
        });
      if (this.mode === "commit") answer();
      else {
        this.unsynced.push(answer);
        this.startSync();
        if (++this.commitsSinceCheckpoint >= this.checkpointEvery) await this.checkpoint();
      }
      // Let the answers go out and new requests arrive before the next
      // batch: they join it instead of waiting a whole commit longer.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.draining = false;
  }

  /**
   * Starts one fsync covering every commit so far. Up to MAX_SYNCS run at
   * once, so a commit made while an fsync is running gets its own at once
   * instead of waiting for that one to end; beyond that, commits wait and
   * the next fsync to start covers them all. Each batch is answered after
   * an fsync that started after its COMMIT: its own, or a later one that
   * finished first (which covers it too). Batches are answered in commit
   * order, so pushes never overtake each other.
   */
  private startSync(): void {
    if (this.syncing.size >= MAX_SYNCS || this.unsynced.length === 0) return;
    this.walFd ??= openSync(`${this.path}-wal`, "r+");
    const fd = this.walFd;
    const entry: SyncEntry = { covered: this.unsynced, done: false, error: undefined };
    this.unsynced = [];
    this.syncOrder.push(entry);
    const started = performance.now();
    const running = new Promise<void>((resolve) => {
      fsync(fd, (error) => {
        this.counters.fsyncs++;
        this.counters.fsyncMs += performance.now() - started;
        this.syncing.delete(running);
        if (error) {
          // After a failed fsync durability is unknown: unless a later fsync
          // succeeds first, the callers get an error (INTERNAL) and retry
          // with the same ids, which is idempotent.
          if (!entry.done) {
            entry.done = true;
            entry.error = error;
          }
          this.syncFailed = true;
        } else if (!entry.done) {
          entry.done = true;
        }
        // Everything committed before this fsync began is on disk now, so
        // earlier batches still waiting for theirs are answered too. Not
        // when a later fsync already answered this batch (the queue then
        // holds only batches committed after this fsync began), and not
        // once any fsync failed: the kernel may have dropped dirty pages of
        // earlier batches, so from then on each batch waits for its own.
        if (!error && !this.syncFailed && this.syncOrder.includes(entry)) {
          for (const earlier of this.syncOrder) {
            if (!earlier.done) {
              earlier.done = true;
              earlier.error = undefined;
            }
            if (earlier === entry) break;
          }
        }
        while (this.syncOrder[0]?.done === true) {
          const head = this.syncOrder.shift()!;
          for (const answer of head.covered) answer(head.error ?? undefined);
        }
        resolve();
        this.startSync();
      });
    });
    this.syncing.add(running);
  }

  /** Resolves once every commit so far is covered by a finished fsync. */
  private async syncAll(): Promise<void> {
    while (this.syncing.size > 0 || this.unsynced.length > 0) {
      this.startSync();
      await Promise.all([...this.syncing]);
    }
  }

  private async checkpoint(): Promise<void> {
    await this.syncAll();
    this.commitsSinceCheckpoint = 0;
    // FULL for the checkpoint: the database file is fsynced before the WAL
    // is truncated, so nothing acknowledged lives only in a reset WAL.
    this.db.pragma("synchronous = FULL");
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.pragma("synchronous = OFF");
  }

  stats(): Record<string, number> {
    return { ...this.counters, commitMs: Math.round(this.counters.commitMs), fsyncMs: Math.round(this.counters.fsyncMs) };
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await this.idle;
    await this.syncAll();
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.db.close();
  }
}
