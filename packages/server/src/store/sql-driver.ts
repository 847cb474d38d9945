// The small SQL seam both storage backends implement. The domain logic in
// sql-server-store.ts is written once against it, so SQLite and PostgreSQL
// enforce exactly the same invariants (one contract suite covers both).

/** A parameter value: bytes, integers (bigint for 64-bit), strings or null. */
export type SqlValue = Uint8Array | bigint | number | string | null;

/** One result row, by column name. Integers may come back as bigint or number. */
export type SqlRow = Record<string, unknown>;

/** Statements run inside one transaction. SQL uses `?` placeholders. */
export interface SqlTx {
  /** The database behind the transaction, for the few statements written per dialect. */
  readonly dialect: "sqlite" | "postgres";
  /** Runs a statement and returns its rows (also for `... RETURNING`). */
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** Runs a statement and returns how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** A database able to run serializable-enough transactions for the store. */
export interface SqlDriver {
  /** "sqlite" or "postgres": selects the few dialect differences. */
  readonly dialect: "sqlite" | "postgres";
  /**
   * Runs fn in a transaction and resolves only after the commit is durable;
   * if fn throws, its writes are rolled back and the error is rethrown.
   */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /** Counters for operators (commits, grouped transactions, time in commit). */
  stats(): Record<string, number>;
  /** Closes the database after in-flight transactions finish. */
  close(): Promise<void>;
}

/** Reads an integer column as bigint whatever the driver returned. */
export function big(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" || typeof value === "string") return BigInt(value);
  throw new TypeError(`expected an integer column, got ${typeof value}`);
}

/** Reads an integer column as a JavaScript number (for values < 2^53). */
export function num(value: unknown): number {
  return Number(big(value));
}

/** Reads a bytes column as a plain Uint8Array (not a Buffer view). */
export function bytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  throw new TypeError("expected a bytes column");
}
