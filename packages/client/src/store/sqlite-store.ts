// ClientStore on SQLite (better-sqlite3). One file per device; WAL mode so a
// crash loses at most the statement in flight, and every method is one
// statement or one transaction.
import Database from "better-sqlite3";
import type { ConversationRecord, MessageRecord } from "../conversation/conversation-model.js";
import { ErrorCode, fail } from "../util/errors.js";
import type { ChainKey, ChainRole, ClientStore, OutboxEntry, SeenDeviceListRecord, StoredChain, SyncCursor } from "./client-store.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sync_state (id INTEGER PRIMARY KEY CHECK (id = 1), seq TEXT NOT NULL, inbox_seq TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (peer TEXT PRIMARY KEY, state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS chains (role TEXT NOT NULL, conversation_id TEXT NOT NULL, sender TEXT NOT NULL, distribution_id TEXT NOT NULL,
  chain BLOB NOT NULL, PRIMARY KEY (role, conversation_id, sender, distribution_id));
CREATE TABLE IF NOT EXISTS device_lists (account TEXT PRIMARY KEY, version TEXT NOT NULL, signed BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (conversation_id TEXT NOT NULL, message_id TEXT NOT NULL, seq INTEGER NOT NULL, record TEXT NOT NULL,
  PRIMARY KEY (conversation_id, message_id));
CREATE INDEX IF NOT EXISTS messages_by_seq ON messages (conversation_id, seq);
CREATE TABLE IF NOT EXISTS outbox (position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, request BLOB NOT NULL, attempts INTEGER NOT NULL);
`;

const bytes = (value: Buffer | Uint8Array): Uint8Array => new Uint8Array(value);

/** A {@link ClientStore} in a SQLite file (or `:memory:`). */
export class SqliteClientStore implements ClientStore {
  private readonly db: Database.Database;

  /** Opens (and creates when missing) the database at `path`. */
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
  }

  async getValue(key: string): Promise<Uint8Array | undefined> {
    const row = this.db.prepare("SELECT value FROM kv WHERE key = ?").get(key) as { value: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.value);
  }

  async setValue(key: string, value: Uint8Array | undefined): Promise<void> {
    if (value === undefined) this.db.prepare("DELETE FROM kv WHERE key = ?").run(key);
    else this.db.prepare("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  async loadSyncState(): Promise<SyncCursor> {
    const row = this.db.prepare("SELECT seq, inbox_seq FROM sync_state WHERE id = 1").get() as { seq: string; inbox_seq: string } | undefined;
    return row === undefined ? { seq: 0n, inboxSeq: 0n } : { seq: BigInt(row.seq), inboxSeq: BigInt(row.inbox_seq) };
  }

  async saveSyncState(state: Partial<SyncCursor>): Promise<void> {
    // One synchronous transaction: the log and the inbox save their cursors
    // concurrently, and a read-then-write across an await would lose one.
    this.db.transaction(() => {
      this.db.prepare("INSERT OR IGNORE INTO sync_state (id, seq, inbox_seq) VALUES (1, '0', '0')").run();
      if (state.seq !== undefined) this.db.prepare("UPDATE sync_state SET seq = ? WHERE id = 1").run(state.seq.toString());
      if (state.inboxSeq !== undefined) this.db.prepare("UPDATE sync_state SET inbox_seq = ? WHERE id = 1").run(state.inboxSeq.toString());
    })();
  }

  async loadSession(peer: string): Promise<Uint8Array | undefined> {
    const row = this.db.prepare("SELECT state FROM sessions WHERE peer = ?").get(peer) as { state: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.state);
  }

  async storeSession(peer: string, session: Uint8Array): Promise<void> {
    this.db.prepare("INSERT INTO sessions (peer, state) VALUES (?, ?) ON CONFLICT(peer) DO UPDATE SET state = excluded.state").run(peer, session);
  }

  async deleteSession(peer: string): Promise<void> {
    this.db.prepare("DELETE FROM sessions WHERE peer = ?").run(peer);
  }

  async loadChain(key: ChainKey): Promise<Uint8Array | undefined> {
    const row = this.db.prepare("SELECT chain FROM chains WHERE role = ? AND conversation_id = ? AND sender = ? AND distribution_id = ?")
      .get(key.role, key.conversationId, key.sender, key.distributionId) as { chain: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.chain);
  }

  async storeChain(key: ChainKey, chain: Uint8Array | undefined): Promise<void> {
    if (chain === undefined) {
      this.db.prepare("DELETE FROM chains WHERE role = ? AND conversation_id = ? AND sender = ? AND distribution_id = ?")
        .run(key.role, key.conversationId, key.sender, key.distributionId);
      return;
    }
    this.db.prepare(`INSERT INTO chains (role, conversation_id, sender, distribution_id, chain) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(role, conversation_id, sender, distribution_id) DO UPDATE SET chain = excluded.chain`)
      .run(key.role, key.conversationId, key.sender, key.distributionId, chain);
  }

  async listChains(role: ChainRole, conversationId?: string): Promise<StoredChain[]> {
    const rows = (conversationId === undefined
      ? this.db.prepare("SELECT * FROM chains WHERE role = ?").all(role)
      : this.db.prepare("SELECT * FROM chains WHERE role = ? AND conversation_id = ?").all(role, conversationId)) as
      { role: ChainRole; conversation_id: string; sender: string; distribution_id: string; chain: Buffer }[];
    return rows
      .map((row) => ({ key: { role: row.role, conversationId: row.conversation_id, sender: row.sender, distributionId: row.distribution_id }, chain: bytes(row.chain) }))
      .sort((a, b) => `${a.key.role}|${a.key.conversationId}|${a.key.sender}|${a.key.distributionId}`.localeCompare(`${b.key.role}|${b.key.conversationId}|${b.key.sender}|${b.key.distributionId}`));
  }

  async loadDeviceList(account: string): Promise<SeenDeviceListRecord | undefined> {
    const row = this.db.prepare("SELECT version, signed FROM device_lists WHERE account = ?").get(account) as { version: string; signed: Buffer } | undefined;
    return row === undefined ? undefined : { version: BigInt(row.version), signed: bytes(row.signed) };
  }

  async storeDeviceList(account: string, list: SeenDeviceListRecord): Promise<void> {
    this.db.transaction(() => {
      const row = this.db.prepare("SELECT version FROM device_lists WHERE account = ?").get(account) as { version: string } | undefined;
      // CLIENT-TRUST-003: a device-list version never goes backwards.
      if (row !== undefined && list.version < BigInt(row.version)) fail(ErrorCode.DEVICE_LIST_STALE, "device list version went backwards", "CLIENT-TRUST-003");
      this.db.prepare("INSERT INTO device_lists (account, version, signed) VALUES (?, ?, ?) ON CONFLICT(account) DO UPDATE SET version = excluded.version, signed = excluded.signed")
        .run(account, list.version.toString(), list.signed);
    })();
  }

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    const row = this.db.prepare("SELECT record FROM conversations WHERE id = ?").get(id) as { record: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.record) as ConversationRecord);
  }

  async putConversation(conversation: ConversationRecord): Promise<void> {
    this.db.prepare("INSERT INTO conversations (id, record) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record").run(conversation.id, JSON.stringify(conversation));
  }

  async listConversations(): Promise<ConversationRecord[]> {
    const rows = this.db.prepare("SELECT record FROM conversations ORDER BY id").all() as { record: string }[];
    return rows.map((row) => JSON.parse(row.record) as ConversationRecord);
  }

  async getMessage(conversationId: string, messageId: string): Promise<MessageRecord | undefined> {
    const row = this.db.prepare("SELECT record FROM messages WHERE conversation_id = ? AND message_id = ?").get(conversationId, messageId) as { record: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.record) as MessageRecord);
  }

  async putMessage(message: MessageRecord): Promise<void> {
    this.db.prepare(`INSERT INTO messages (conversation_id, message_id, seq, record) VALUES (?, ?, ?, ?)
      ON CONFLICT(conversation_id, message_id) DO UPDATE SET seq = excluded.seq, record = excluded.record`)
      .run(message.conversationId, message.messageId, message.seq, JSON.stringify(message));
  }

  async listMessages(conversationId: string): Promise<MessageRecord[]> {
    const rows = this.db.prepare("SELECT record FROM messages WHERE conversation_id = ? AND seq > 0 ORDER BY seq").all(conversationId) as { record: string }[];
    return rows.map((row) => JSON.parse(row.record) as MessageRecord);
  }

  async enqueueOutbox(entry: OutboxEntry): Promise<void> {
    this.db.prepare("INSERT OR IGNORE INTO outbox (id, kind, request, attempts) VALUES (?, ?, ?, ?)").run(entry.id, entry.kind, entry.request, entry.attempts);
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    const rows = this.db.prepare("SELECT id, kind, request, attempts FROM outbox ORDER BY position").all() as { id: string; kind: OutboxEntry["kind"]; request: Buffer; attempts: number }[];
    return rows.map((row) => ({ id: row.id, kind: row.kind, request: bytes(row.request), attempts: row.attempts }));
  }

  async updateOutbox(entry: OutboxEntry): Promise<void> {
    this.db.prepare("UPDATE outbox SET kind = ?, request = ?, attempts = ? WHERE id = ?").run(entry.kind, entry.request, entry.attempts, entry.id);
  }

  async removeOutbox(id: string): Promise<void> {
    this.db.prepare("DELETE FROM outbox WHERE id = ?").run(id);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
