// The storage port for pairwise sessions and sender-key chains. The protocol
// code never holds on to stored objects: it loads, computes a new state and
// stores it, so a crash between the two leaves the old state intact.
import { deserializeSessionRecord, serializeSessionRecord, type SessionRecord } from "../session/session-record.js";
import { deserializeSenderKeyChain, serializeSenderKeyChain, type SenderAddress, type SenderKeyChain } from "../senderkey/sender-key-state.js";

/** A peer device. */
export interface PeerAddress {
  /** Account id, 32 bytes. */
  readonly accountId: Uint8Array;
  /** Device id. */
  readonly deviceId: number;
}

/** Persistent storage of secret session state (sessions and sender-key chains). */
export interface SessionStore {
  /** The session record (current and previous sessions) with a peer device, if any. */
  loadSessionRecord(peer: PeerAddress): Promise<SessionRecord | undefined>;
  /** Replaces the session record with a peer device. */
  storeSessionRecord(peer: PeerAddress, record: SessionRecord): Promise<void>;
  /** A sender-key chain by conversation, sender and distribution id. */
  loadSenderKey(conversationId: Uint8Array, sender: SenderAddress, distributionId: Uint8Array): Promise<SenderKeyChain | undefined>;
  /** Replaces a sender-key chain. */
  storeSenderKey(chain: SenderKeyChain): Promise<void>;
  /** Deletes every chain of a conversation (for example on leaving it). */
  deleteSenderKeys(conversationId: Uint8Array): Promise<void>;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const peerKey = (peer: PeerAddress): string => `${hex(peer.accountId)}:${peer.deviceId}`;
const chainKey = (conversationId: Uint8Array, sender: SenderAddress, distributionId: Uint8Array): string =>
  `${hex(conversationId)}/${peerKey(sender)}/${hex(distributionId)}`;

/**
 * In-memory {@link SessionStore}. It keeps serialized bytes, not objects, so
 * every load is an independent copy exactly as a database would return it.
 */
export class InMemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Uint8Array>();
  private readonly senderKeys = new Map<string, Uint8Array>();

  async loadSessionRecord(peer: PeerAddress): Promise<SessionRecord | undefined> {
    const bytes = this.sessions.get(peerKey(peer));
    return bytes === undefined ? undefined : deserializeSessionRecord(bytes);
  }

  async storeSessionRecord(peer: PeerAddress, record: SessionRecord): Promise<void> {
    this.sessions.set(peerKey(peer), serializeSessionRecord(record));
  }

  async loadSenderKey(conversationId: Uint8Array, sender: SenderAddress, distributionId: Uint8Array): Promise<SenderKeyChain | undefined> {
    const bytes = this.senderKeys.get(chainKey(conversationId, sender, distributionId));
    return bytes === undefined ? undefined : deserializeSenderKeyChain(bytes);
  }

  async storeSenderKey(chain: SenderKeyChain): Promise<void> {
    this.senderKeys.set(chainKey(chain.conversationId, chain.sender, chain.distributionId), serializeSenderKeyChain(chain));
  }

  async deleteSenderKeys(conversationId: Uint8Array): Promise<void> {
    const prefix = `${hex(conversationId)}/`;
    for (const key of [...this.senderKeys.keys()]) if (key.startsWith(prefix)) this.senderKeys.delete(key);
  }
}
