// The storage port. A client keeps everything it must not lose here: its
// keys, its position in the log and inbox, pairwise sessions and sender-key
// chains (serialized by @kabar/crypto), the device lists it has seen, the
// conversation state people see, and the outbox of unsent requests.
import type { ConversationRecord, MessageRecord } from "../conversation/conversation-model.js";

/** A device's position in its account log and inbox. */
export interface SyncCursor {
  /** Last applied account-log seq. */
  readonly seq: bigint;
  /** Last processed inbox seq. */
  readonly inboxSeq: bigint;
}

/** Which chain a sender-key record is. */
export type ChainRole = "sending" | "receiving" | "history";

/** Addresses one sender-key chain record. */
export interface ChainKey {
  /** Sending: this device's current chain; receiving: a chain that decrypts; history: a chain's first state, for handover and backup. */
  readonly role: ChainRole;
  /** Conversation id, hex. */
  readonly conversationId: string;
  /** `${accountHex}:${deviceId}` of the chain's sender. */
  readonly sender: string;
  /** Distribution id, hex ("" for the sending role: one current chain per conversation). */
  readonly distributionId: string;
}

/** A chain record with its address. */
export interface StoredChain {
  /** Where the chain is kept. */
  readonly key: ChainKey;
  /** The serialized chain (or, for the history role, the serialized distribution). */
  readonly chain: Uint8Array;
}

/** The last device list accepted for an account. */
export interface SeenDeviceListRecord {
  /** Version (never lower than a stored one, CLIENT-TRUST-003). */
  readonly version: bigint;
  /** The serialized SignedDeviceList as received. */
  readonly signed: Uint8Array;
}

/** One unsent request. */
export interface OutboxEntry {
  /** Client message id (hex); retries reuse it (CLIENT-SEND-001). */
  readonly id: string;
  /** What the request is. */
  readonly kind: "message" | "devices";
  /** The serialized SendMessageRequest or SendToDevicesRequest, sent byte-identical on every retry. */
  readonly request: Uint8Array;
  /** Failed attempts so far. */
  readonly attempts: number;
}

/** The client storage port; every method is atomic on its own. */
export interface ClientStore {
  /** A named value (local keys, prekeys, pointers), or undefined. */
  getValue(key: string): Promise<Uint8Array | undefined>;
  /** Sets or (with undefined) deletes a named value. */
  setValue(key: string, value: Uint8Array | undefined): Promise<void>;

  /** The sync cursor; zeros for a fresh device. */
  loadSyncState(): Promise<SyncCursor>;
  /** Replaces parts of the sync cursor. */
  saveSyncState(state: Partial<SyncCursor>): Promise<void>;

  /** A serialized pairwise session by peer (`${accountHex}:${deviceId}`). */
  loadSession(peer: string): Promise<Uint8Array | undefined>;
  /** Replaces a serialized pairwise session. */
  storeSession(peer: string, session: Uint8Array): Promise<void>;
  /** Deletes a session (the peer left the device list). */
  deleteSession(peer: string): Promise<void>;

  /** A serialized sender-key chain. */
  loadChain(key: ChainKey): Promise<Uint8Array | undefined>;
  /** Replaces (or with undefined deletes) a serialized sender-key chain. */
  storeChain(key: ChainKey, chain: Uint8Array | undefined): Promise<void>;
  /** Every chain record of a role, optionally of one conversation. */
  listChains(role: ChainRole, conversationId?: string): Promise<StoredChain[]>;

  /** The device list last accepted for an account (hex). */
  loadDeviceList(account: string): Promise<SeenDeviceListRecord | undefined>;
  /** Stores a device list; rejects a version lower than the stored one with DEVICE_LIST_STALE (CLIENT-TRUST-003). */
  storeDeviceList(account: string, list: SeenDeviceListRecord): Promise<void>;

  /** A conversation by id (hex). */
  getConversation(id: string): Promise<ConversationRecord | undefined>;
  /** Inserts or replaces a conversation. */
  putConversation(conversation: ConversationRecord): Promise<void>;
  /** Every conversation. */
  listConversations(): Promise<ConversationRecord[]>;

  /** A message by conversation and message id. */
  getMessage(conversationId: string, messageId: string): Promise<MessageRecord | undefined>;
  /** Inserts or replaces a message. */
  putMessage(message: MessageRecord): Promise<void>;
  /** A conversation's messages in log order (CLIENT-ORDER-001); records with seq 0 are omitted. */
  listMessages(conversationId: string): Promise<MessageRecord[]>;

  /** Appends to the outbox (FIFO). */
  enqueueOutbox(entry: OutboxEntry): Promise<void>;
  /** The outbox in enqueue order. */
  listOutbox(): Promise<OutboxEntry[]>;
  /** Replaces an entry (same id, same position). */
  updateOutbox(entry: OutboxEntry): Promise<void>;
  /** Removes an entry. */
  removeOutbox(id: string): Promise<void>;

  /** Releases resources. */
  close(): Promise<void>;
}
