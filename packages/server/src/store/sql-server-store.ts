import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as files from "./sql-files.js";
import * as identity from "./sql-identity.js";
import * as conversations from "./sql-conversations.js";
import * as sync from "./sql-sync.js";
import { PostgresDriver, type PostgresDriverOptions } from "./postgres-driver.js";
import { schemaSql, TABLE_NAMES } from "./schema.js";
import { SqliteDriver, type SqliteFsyncMode } from "./sqlite-driver.js";
import type { SqlDriver } from "./sql-driver.js";
import type { ServerStore } from "./server-store.js";

/**
 * The ServerStore over any SqlDriver. Row locks are only meaningful on
 * PostgreSQL; SQLite runs one writer at a time, which already serializes.
 */
class SqlServerStore implements ServerStore {
  readonly kind: "sqlite" | "postgres";
  private readonly forUpdate: string;
  private readonly forShare: string;

  constructor(private readonly driver: SqlDriver) {
    this.kind = driver.dialect;
    this.forUpdate = driver.dialect === "postgres" ? " FOR UPDATE" : "";
    this.forShare = driver.dialect === "postgres" ? " FOR SHARE" : "";
  }

  createAccount: ServerStore["createAccount"] = (input) => this.driver.transaction((tx) => identity.createAccount(tx, input));
  getAccount: ServerStore["getAccount"] = (id) => this.driver.transaction((tx) => identity.getAccount(tx, id));
  listDevices: ServerStore["listDevices"] = (id) => this.driver.transaction((tx) => identity.listDevices(tx, id));
  publishDeviceList: ServerStore["publishDeviceList"] = (input) =>
    this.driver.transaction((tx) => identity.publishDeviceList(tx, input, this.forUpdate));
  uploadPreKeys: ServerStore["uploadPreKeys"] = (input) => this.driver.transaction((tx) => identity.uploadPreKeys(tx, input, this.forUpdate));
  claimPreKeys: ServerStore["claimPreKeys"] = (id, devices) => this.driver.transaction((tx) => identity.claimPreKeys(tx, id, devices, this.forUpdate));
  createConversation: ServerStore["createConversation"] = (input) => this.driver.transaction((tx) => conversations.createConversation(tx, input));
  changeMembers: ServerStore["changeMembers"] = (input) => this.driver.transaction((tx) => conversations.changeMembers(tx, input, this.forUpdate));
  getConversation: ServerStore["getConversation"] = (id, caller) => this.driver.transaction((tx) => conversations.getConversation(tx, id, caller));
  sendMessage: ServerStore["sendMessage"] = (input) => this.driver.transaction((tx) => conversations.sendMessage(tx, input, this.forShare));
  sendToDevices: ServerStore["sendToDevices"] = (input) => this.driver.transaction((tx) => sync.sendToDevices(tx, input, this.forShare));
  readLog: ServerStore["readLog"] = (id, after, limit, maxBytes) => this.driver.transaction((tx) => sync.readLog(tx, id, after, limit, maxBytes));
  trimLog: ServerStore["trimLog"] = (id, upTo) => this.driver.transaction((tx) => sync.trimLog(tx, id, upTo));
  readInbox: ServerStore["readInbox"] = (id, device, after, limit, maxBytes) =>
    this.driver.transaction((tx) => sync.readInbox(tx, id, device, after, limit, maxBytes));
  ackInbox: ServerStore["ackInbox"] = (id, device, upTo) => this.driver.transaction((tx) => sync.ackInbox(tx, id, device, upTo, this.forUpdate));
  createUpload: ServerStore["createUpload"] = (input) => this.driver.transaction((tx) => files.createUpload(tx, input, this.forUpdate));
  getUpload: ServerStore["getUpload"] = (id, account) => this.driver.transaction((tx) => files.getUpload(tx, id, account));
  recordPart: ServerStore["recordPart"] = (id, index, digest) => this.driver.transaction((tx) => files.recordPart(tx, id, index, digest));
  completeUpload: ServerStore["completeUpload"] = (id, blobId) => this.driver.transaction((tx) => files.completeUpload(tx, id, blobId, this.forUpdate));
  getReadableBlob: ServerStore["getReadableBlob"] = (id, account) => this.driver.transaction((tx) => files.getReadableBlob(tx, id, account));
  deleteExpiredUploads: ServerStore["deleteExpiredUploads"] = (now) => this.driver.transaction((tx) => files.deleteExpiredUploads(tx, now));

  snapshot(): Promise<Record<string, unknown[]>> {
    return this.driver.transaction(async (tx) => {
      const out: Record<string, unknown[]> = {};
      for (const table of TABLE_NAMES) {
        const rows = await tx.all(`SELECT * FROM ${table}`);
        out[table] = rows
          .map((row) => JSON.stringify(row, (_key, value: unknown) => normalize(value)))
          .sort();
      }
      return out;
    });
  }

  stats(): Record<string, number> {
    return this.driver.stats();
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}

function normalize(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return String(value);
  if (value !== null && typeof value === "object" && (value as { type?: unknown }).type === "Buffer") {
    return Buffer.from((value as { data: number[] }).data).toString("hex");
  }
  return value;
}

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** The data folder; the database is `kabar.db` inside it. Use ":memory:" for a throwaway store. */
  readonly dataDir: string;
  /** When commits reach the disk; see {@link SqliteFsyncMode}. Default "commit". */
  readonly fsync?: SqliteFsyncMode;
  /** Commits between checkpoints in "pipelined" mode (tests use small values). */
  readonly checkpointEvery?: number;
}

/** Opens (and creates) the embedded SQLite store. */
export function openSqliteStore(options: SqliteStoreOptions): ServerStore {
  let path = ":memory:";
  if (options.dataDir !== ":memory:") {
    mkdirSync(options.dataDir, { recursive: true });
    path = join(options.dataDir, "kabar.db");
  }
  const driver = new SqliteDriver(path, {
    ...(options.fsync !== undefined ? { fsync: options.fsync } : {}),
    ...(options.checkpointEvery !== undefined ? { checkpointEvery: options.checkpointEvery } : {}),
  });
  driver.exec(schemaSql("sqlite"));
  return new SqlServerStore(driver);
}

/** Options of {@link openPostgresStore}. */
export type PostgresStoreOptions = PostgresDriverOptions;

/** Opens the PostgreSQL store, creating its schema and tables when missing. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<ServerStore> {
  const driver = new PostgresDriver(options);
  try {
    await driver.exec(`CREATE SCHEMA IF NOT EXISTS ${driver.schema}`);
    await driver.exec(schemaSql("postgres"));
  } catch (error) {
    await driver.close();
    throw error;
  }
  return new SqlServerStore(driver);
}
