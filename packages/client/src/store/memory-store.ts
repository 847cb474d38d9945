// In-memory ClientStore. Values are copied in and out so callers never share
// mutable state with the store, exactly as with a database.
import type { ConversationRecord, MessageRecord } from "../conversation/conversation-model.js";
import { ErrorCode, fail } from "../util/errors.js";
import type { ChainKey, ChainRole, ClientStore, OutboxEntry, SeenDeviceListRecord, StoredChain, SyncCursor } from "./client-store.js";

const copy = <T>(value: T): T => structuredClone(value);
const chainId = (key: ChainKey): string => `${key.role}|${key.conversationId}|${key.sender}|${key.distributionId}`;

/** A {@link ClientStore} in process memory; state dies with the process. */
export class MemoryClientStore implements ClientStore {
  private readonly values = new Map<string, Uint8Array>();
  private cursor: SyncCursor = { seq: 0n, inboxSeq: 0n };
  private readonly sessions = new Map<string, Uint8Array>();
  private readonly chains = new Map<string, { key: ChainKey; chain: Uint8Array }>();
  private readonly deviceLists = new Map<string, SeenDeviceListRecord>();
  private readonly conversations = new Map<string, ConversationRecord>();
  private readonly messages = new Map<string, MessageRecord>();
  private outbox: OutboxEntry[] = [];

  async getValue(key: string): Promise<Uint8Array | undefined> {
    const value = this.values.get(key);
    return value === undefined ? undefined : copy(value);
  }

  async setValue(key: string, value: Uint8Array | undefined): Promise<void> {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, copy(value));
  }

  async loadSyncState(): Promise<SyncCursor> {
    return { ...this.cursor };
  }

  async saveSyncState(state: Partial<SyncCursor>): Promise<void> {
    this.cursor = { ...this.cursor, ...state };
  }

  async loadSession(peer: string): Promise<Uint8Array | undefined> {
    const value = this.sessions.get(peer);
    return value === undefined ? undefined : copy(value);
  }

  async storeSession(peer: string, session: Uint8Array): Promise<void> {
    this.sessions.set(peer, copy(session));
  }

  async deleteSession(peer: string): Promise<void> {
    this.sessions.delete(peer);
  }

  async loadChain(key: ChainKey): Promise<Uint8Array | undefined> {
    const entry = this.chains.get(chainId(key));
    return entry === undefined ? undefined : copy(entry.chain);
  }

  async storeChain(key: ChainKey, chain: Uint8Array | undefined): Promise<void> {
    if (chain === undefined) this.chains.delete(chainId(key));
    else this.chains.set(chainId(key), { key: { ...key }, chain: copy(chain) });
  }

  async listChains(role: ChainRole, conversationId?: string): Promise<StoredChain[]> {
    return [...this.chains.values()]
      .filter((entry) => entry.key.role === role && (conversationId === undefined || entry.key.conversationId === conversationId))
      .sort((a, b) => chainId(a.key).localeCompare(chainId(b.key)))
      .map((entry) => copy(entry));
  }

  async loadDeviceList(account: string): Promise<SeenDeviceListRecord | undefined> {
    const value = this.deviceLists.get(account);
    return value === undefined ? undefined : copy(value);
  }

  async storeDeviceList(account: string, list: SeenDeviceListRecord): Promise<void> {
    const current = this.deviceLists.get(account);
    // CLIENT-TRUST-003: a device-list version never goes backwards.
    if (current !== undefined && list.version < current.version) fail(ErrorCode.DEVICE_LIST_STALE, "device list version went backwards", "CLIENT-TRUST-003");
    this.deviceLists.set(account, copy(list));
  }

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    const value = this.conversations.get(id);
    return value === undefined ? undefined : copy(value);
  }

  async putConversation(conversation: ConversationRecord): Promise<void> {
    this.conversations.set(conversation.id, copy(conversation));
  }

  async listConversations(): Promise<ConversationRecord[]> {
    return [...this.conversations.values()].sort((a, b) => a.id.localeCompare(b.id)).map(copy);
  }

  async getMessage(conversationId: string, messageId: string): Promise<MessageRecord | undefined> {
    const value = this.messages.get(`${conversationId}/${messageId}`);
    return value === undefined ? undefined : copy(value);
  }

  async putMessage(message: MessageRecord): Promise<void> {
    this.messages.set(`${message.conversationId}/${message.messageId}`, copy(message));
  }

  async listMessages(conversationId: string): Promise<MessageRecord[]> {
    return [...this.messages.values()]
      .filter((m) => m.conversationId === conversationId && m.seq > 0)
      .sort((a, b) => a.seq - b.seq)
      .map(copy);
  }

  async enqueueOutbox(entry: OutboxEntry): Promise<void> {
    if (this.outbox.some((e) => e.id === entry.id)) return;
    this.outbox.push(copy(entry));
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    return this.outbox.map(copy);
  }

  async updateOutbox(entry: OutboxEntry): Promise<void> {
    this.outbox = this.outbox.map((e) => (e.id === entry.id ? copy(entry) : e));
  }

  async removeOutbox(id: string): Promise<void> {
    this.outbox = this.outbox.filter((e) => e.id !== id);
  }

  async close(): Promise<void> {}
}
