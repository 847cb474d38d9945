import pg from "pg";
import type { SqlDriver, SqlRow, SqlTx, SqlValue } from "./sql-driver.js";

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** A `postgres://user:password@host:port/database` connection string (any form pg accepts). */
  readonly connectionString: string;
  /** The schema holding Kabar's tables, a lower-case SQL identifier; created when missing. Default "kabar". */
  readonly schema?: string;
  /** Most pooled connections, hence most transactions running at once. Default 8. */
  readonly poolSize?: number;
  /**
   * Publish every commit that needs live pushes (an account id with the
   * new log seq, a device's new inbox seq, removed devices) with PostgreSQL
   * NOTIFY, and let {@link ServerStore.watchRemoteCommits} report the commits
   * of other processes, so several gateways can share one database. Costs
   * one `pg_notify` per transaction that fans out and one extra connection
   * per process. Default true.
   */
  readonly notifyCommits?: boolean;
}

// Errors after which re-running the whole transaction is correct: the
// logic re-reads everything, so for example a concurrent insert of the same
// client message id becomes an idempotent replay on the retry.
const RETRYABLE = new Set(["40001", "40P01", "23505"]);

const int8Types = {
  getTypeParser(oid: number, format?: string) {
    // Keep 64-bit integers exact: sequence numbers may exceed 2^53.
    if (oid === 20) return (value: string) => BigInt(value);
    return pg.types.getTypeParser(oid, format as "text");
  },
};

function toPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

function toParam(value: SqlValue): unknown {
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "bigint") return value.toString();
  return value;
}

/**
 * PostgreSQL through a pg pool. Each transaction runs on one pooled
 * connection at READ COMMITTED; the store serializes conflicting writers
 * with row locks (an account's sequence counter row, a device's prekey
 * rows), always taken in increasing key order so they cannot deadlock.
 */
export class PostgresDriver implements SqlDriver {
  readonly dialect = "postgres" as const;
  private readonly pool: pg.Pool;
  readonly schema: string;
  private readonly connectionString: string;

  constructor(options: PostgresStoreOptions) {
    this.connectionString = options.connectionString;
    this.schema = options.schema ?? "kabar";
    if (!/^[a-z_][a-z0-9_]*$/.test(this.schema)) throw new RangeError("schema must be a lower-case SQL identifier");
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 8,
      types: int8Types,
      options: `-c search_path=${this.schema}`,
    });
  }

  /** Runs DDL outside a transaction (schema setup at open). */
  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.pool.connect();
      const tx: SqlTx = {
        dialect: "postgres",
        all: async (sql, params = []) => (await client.query(toPlaceholders(sql), params.map(toParam))).rows as SqlRow[],
        run: async (sql, params = []) => (await client.query(toPlaceholders(sql), params.map(toParam))).rowCount ?? 0,
      };
      try {
        await client.query("BEGIN");
        const value = await fn(tx);
        // SYNC-LOG-002: callers are answered only after COMMIT returned
        // (PostgreSQL's default synchronous_commit=on flushes the WAL).
        await client.query("COMMIT");
        return value;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        const code = (error as { code?: unknown }).code;
        if (typeof code === "string" && RETRYABLE.has(code) && attempt < 4) continue;
        throw error;
      } finally {
        client.release();
      }
    }
  }

  stats(): Record<string, number> {
    return { poolTotal: this.pool.totalCount, poolIdle: this.pool.idleCount, poolWaiting: this.pool.waitingCount };
  }

  /**
   * LISTENs on a channel over a dedicated connection (not from the pool)
   * and calls onPayload with each notification's payload, in commit order.
   * The connection is re-established after errors, waiting 100 ms to 5 s
   * between attempts; notifications sent while it is down are lost (they
   * only trigger live pushes, which are hints). Resolves once listening;
   * the returned function stops.
   */
  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new RangeError("channel must be a lower-case SQL identifier");
    let stopped = false;
    let client: pg.Client | undefined;
    let delayMs = 100;
    const connect = async (): Promise<void> => {
      const next = new pg.Client({ connectionString: this.connectionString });
      next.on("notification", (message) => {
        if (message.channel === channel && message.payload !== undefined) onPayload(message.payload);
      });
      next.on("error", () => undefined);
      next.on("end", () => {
        if (stopped || client !== next) return;
        client = undefined;
        setTimeout(() => void reconnect(), delayMs).unref();
      });
      try {
        await next.connect();
        await next.query(`LISTEN ${channel}`);
      } catch (error) {
        await next.end().catch(() => undefined);
        throw error;
      }
      if (stopped) {
        await next.end().catch(() => undefined);
        return;
      }
      client = next;
      delayMs = 100;
    };
    const reconnect = async (): Promise<void> => {
      if (stopped) return;
      try {
        await connect();
      } catch {
        delayMs = Math.min(delayMs * 2, 5000);
        setTimeout(() => void reconnect(), delayMs).unref();
      }
    };
    await connect();
    return async () => {
      stopped = true;
      const last = client;
      client = undefined;
      await last?.end().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
