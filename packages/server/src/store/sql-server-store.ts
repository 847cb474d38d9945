import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as files from "./sql-files.js";
import * as identity from "./sql-identity.js";
import * as conversations from "./sql-conversations.js";
import * as payments from "./sql-payments.js";
import * as sync from "./sql-sync.js";
import { PostgresDriver, type PostgresStoreOptions } from "./postgres-driver.js";
import { schemaSql, TABLE_NAMES } from "./schema.js";
import { SqliteDriver, type SqliteFsyncMode } from "./sqlite-driver.js";
import { big, type SqlDriver, type SqlTx } from "./sql-driver.js";
import type { InboxDelivery, LogDelivery, RemoteCommit, ServerStore } from "./server-store.js";

/** Largest NOTIFY payload written; PostgreSQL's limit is 8000 bytes. */
const NOTIFY_BYTES = 7000;

const hex = (id: Uint8Array): string => Buffer.from(id).toString("hex");

/**
 * Commit announcements for other gateways: `<origin> <entry>;<entry>...`
 * with entries `u:<account hex>:<seq>`, `i:<account hex>:<device>:<inbox seq>`,
 * `r:<account hex>:<device>,<device>...` and `c:<account hex>:<device>:<order>`.
 * The origin lets a process skip its own commits, which it already pushed.
 */
function parseAnnouncement(payload: string, ownOrigin: string): RemoteCommit[] {
  const space = payload.indexOf(" ");
  if (space < 0 || payload.slice(0, space) === ownOrigin) return [];
  const out: RemoteCommit[] = [];
  for (const entry of payload.slice(space + 1).split(";")) {
    const [kind, account, a, b] = entry.split(":");
    if (account === undefined || !/^[0-9a-f]{64}$/.test(account)) continue;
    const accountId = new Uint8Array(Buffer.from(account, "hex"));
    try {
      if (kind === "u" && a !== undefined) out.push({ kind: "update", accountId, seq: BigInt(a) });
      else if (kind === "i" && a !== undefined && b !== undefined) out.push({ kind: "inbox", accountId, deviceId: Number(a), inboxSeq: BigInt(b) });
      else if (kind === "c" && a !== undefined && b !== undefined) out.push({ kind: "deviceConnected", accountId, deviceId: Number(a), order: BigInt(b) });
      else if (kind === "r" && a !== undefined) out.push({ kind: "devicesRemoved", accountId, deviceIds: a.split(",").map(Number).filter(Number.isSafeInteger) });
    } catch {
      // A malformed entry (not written by this code) is skipped.
    }
  }
  return out;
}

/**
 * The ServerStore over any SqlDriver. Row locks are only meaningful on
 * PostgreSQL; SQLite runs one writer at a time, which already serializes.
 */
class SqlServerStore implements ServerStore {
  readonly kind: "sqlite" | "postgres";
  private readonly forUpdate: string;
  private readonly forShare: string;

  /** The NOTIFY channel when commits are announced to other processes. */
  private readonly channel: string | undefined;
  /** Stops the remote-commit listeners still running (close ends them). */
  private readonly listeners = new Set<() => Promise<void>>();
  /** This process's tag in its announcements. */
  private readonly origin = randomBytes(6).toString("hex");
  readonly watchRemoteCommits?: ServerStore["watchRemoteCommits"];
  readonly announceConnection?: ServerStore["announceConnection"];

  constructor(private readonly driver: SqlDriver, announce?: { channel: string; listen: (channel: string, onPayload: (payload: string) => void) => Promise<() => Promise<void>> }) {
    this.kind = driver.dialect;
    this.forUpdate = driver.dialect === "postgres" ? " FOR UPDATE" : "";
    this.forShare = driver.dialect === "postgres" ? " FOR SHARE" : "";
    this.channel = announce?.channel;
    if (announce !== undefined) {
      this.watchRemoteCommits = async (listener) => {
        const stop = await announce.listen(announce.channel, (payload) => {
          for (const commit of parseAnnouncement(payload, this.origin)) listener(commit);
        });
        this.listeners.add(stop);
        return async () => {
          this.listeners.delete(stop);
          await stop();
        };
      };
      this.announceConnection = (accountId, deviceId) =>
        this.driver.transaction(async (tx) => {
          const rows = await tx.all(
            "SELECT n, pg_notify(?, ? || n::text) AS sent FROM (SELECT nextval('connection_order') AS n) s",
            [announce.channel, `${this.origin} c:${hex(accountId)}:${deviceId}:`],
          );
          return big(rows[0]!.n);
        });
    }
  }

  /**
   * Announces what a transaction committed, inside that transaction:
   * PostgreSQL delivers NOTIFY only on COMMIT, in commit order, and drops it
   * on rollback (or when the driver retries the transaction).
   */
  private async announce(tx: SqlTx, entries: readonly string[]): Promise<void> {
    if (this.channel === undefined || entries.length === 0) return;
    let payload = "";
    for (const entry of entries) {
      if (payload.length > 0 && payload.length + entry.length + 1 > NOTIFY_BYTES) {
        await tx.all("SELECT pg_notify(?, ?)", [this.channel, `${this.origin} ${payload}`]);
        payload = "";
      }
      payload = payload.length > 0 ? `${payload};${entry}` : entry;
    }
    await tx.all("SELECT pg_notify(?, ?)", [this.channel, `${this.origin} ${payload}`]);
  }

  private static logEntries(deliveries: readonly LogDelivery[]): string[] {
    return deliveries.map((d) => `u:${hex(d.accountId)}:${d.update.seq}`);
  }

  private static inboxEntries(deliveries: readonly InboxDelivery[]): string[] {
    return deliveries.map((d) => `i:${hex(d.accountId)}:${d.deviceId}:${d.entry.inboxSeq}`);
  }

  createAccount: ServerStore["createAccount"] = (input) => this.driver.transaction((tx) => identity.createAccount(tx, input));
  getAccount: ServerStore["getAccount"] = (id) => this.driver.transaction((tx) => identity.getAccount(tx, id));
  listDevices: ServerStore["listDevices"] = (id) => this.driver.transaction((tx) => identity.listDevices(tx, id));
  publishDeviceList: ServerStore["publishDeviceList"] = (input) =>
    this.driver.transaction(async (tx) => {
      const committed = await identity.publishDeviceList(tx, input, this.forUpdate);
      const removed = committed.response.removedDeviceIds;
      await this.announce(tx, [
        ...SqlServerStore.logEntries(committed.deliveries),
        ...(removed.length > 0 ? [`r:${hex(input.accountId)}:${removed.join(",")}`] : []),
      ]);
      return committed;
    });
  uploadPreKeys: ServerStore["uploadPreKeys"] = (input) => this.driver.transaction((tx) => identity.uploadPreKeys(tx, input, this.forUpdate));
  claimPreKeys: ServerStore["claimPreKeys"] = (id, devices) => this.driver.transaction((tx) => identity.claimPreKeys(tx, id, devices, this.forUpdate));
  createConversation: ServerStore["createConversation"] = (input) =>
    this.driver.transaction(async (tx) => {
      const committed = await conversations.createConversation(tx, input);
      await this.announce(tx, SqlServerStore.logEntries(committed.deliveries));
      return committed;
    });
  changeMembers: ServerStore["changeMembers"] = (input) =>
    this.driver.transaction(async (tx) => {
      const committed = await conversations.changeMembers(tx, input, this.forUpdate);
      await this.announce(tx, SqlServerStore.logEntries(committed.deliveries));
      return committed;
    });
  getConversation: ServerStore["getConversation"] = (id, caller) => this.driver.transaction((tx) => conversations.getConversation(tx, id, caller));
  sendMessage: ServerStore["sendMessage"] = (input) =>
    this.driver.transaction(async (tx) => {
      const committed = await conversations.sendMessage(tx, input, this.forShare);
      await this.announce(tx, SqlServerStore.logEntries(committed.deliveries));
      return committed;
    });
  sendToDevices: ServerStore["sendToDevices"] = (input) =>
    this.driver.transaction(async (tx) => {
      const committed = await sync.sendToDevices(tx, input, this.forShare);
      await this.announce(tx, SqlServerStore.inboxEntries(committed.deliveries));
      return committed;
    });
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
  publishInvoice: ServerStore["publishInvoice"] = (input) => this.driver.transaction((tx) => payments.publishInvoice(tx, input));
  getInvoice: ServerStore["getInvoice"] = (id) => this.driver.transaction((tx) => payments.getInvoice(tx, id));
  beginPayment: ServerStore["beginPayment"] = (input) => this.driver.transaction((tx) => payments.beginPayment(tx, input, this.forUpdate));
  finishPayment: ServerStore["finishPayment"] = (input) => this.driver.transaction((tx) => payments.finishPayment(tx, input, this.forUpdate));
  abortPayment: ServerStore["abortPayment"] = (input) => this.driver.transaction((tx) => payments.abortPayment(tx, input));
  createPreCheckout: ServerStore["createPreCheckout"] = (input) => this.driver.transaction((tx) => payments.createPreCheckout(tx, input));
  answerPreCheckout: ServerStore["answerPreCheckout"] = (input) => this.driver.transaction((tx) => payments.answerPreCheckout(tx, input, this.forUpdate));
  getPreCheckout: ServerStore["getPreCheckout"] = (id) => this.driver.transaction((tx) => payments.getPreCheckout(tx, id));

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

  async close(): Promise<void> {
    await Promise.allSettled([...this.listeners].map((stop) => stop()));
    this.listeners.clear();
    await this.driver.close();
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

export type { PostgresStoreOptions };

/** Opens the PostgreSQL store, creating its schema and tables when missing. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<ServerStore> {
  const driver = new PostgresDriver(options);
  try {
    await driver.exec(`CREATE SCHEMA IF NOT EXISTS ${driver.schema}`);
    await driver.exec(schemaSql("postgres"));
    // Orders connection announcements across gateways (TRANSPORT-CONN-003).
    await driver.exec("CREATE SEQUENCE IF NOT EXISTS connection_order");
  } catch (error) {
    await driver.close();
    throw error;
  }
  if (options.notifyCommits === false) return new SqlServerStore(driver);
  // One channel per schema: gateways of one deployment share it.
  return new SqlServerStore(driver, { channel: `kabar_${driver.schema}`.slice(0, 63), listen: (channel, onPayload) => driver.listen(channel, onPayload) });
}
