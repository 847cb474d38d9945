// The conversation state every device converges to. Records are plain JSON
// (ids as lower-case hex, sequence numbers as numbers) so every store keeps
// them the same way.

/** A conversation as a device sees it. */
export interface ConversationRecord {
  /** Conversation id, hex. */
  readonly id: string;
  /** Direct or group. */
  readonly kind: "direct" | "group";
  /** Current member account ids, hex, sorted. */
  readonly members: readonly string[];
  /** Membership epoch from the server's ConversationUpdate. */
  readonly epoch: number;
  /** Sequence number (in this account's log) of the latest membership update. */
  readonly membershipSeq: number;
  /** True once this account was removed or left. */
  readonly left: boolean;
  /** Read markers: reader account id (hex) -> the latest message read, by log seq. */
  readonly readMarkers: Readonly<Record<string, ReadMarker>>;
}

/** The latest message one account has read in a conversation. */
export interface ReadMarker {
  /** The message id, hex. */
  readonly messageId: string;
  /** Its log seq on this account (seqs are per account; compare message ids across accounts). */
  readonly seq: number;
}

/** A document attached to a message. */
export interface DocumentRecord {
  /** Blob id, hex. */
  readonly blobId: string;
  /** Attachment key, hex. */
  readonly key: string;
  /** SHA-256 of the ciphertext, hex. */
  readonly digest: string;
  /** Plaintext size. */
  readonly size: number;
  /** Ciphertext size. */
  readonly ciphertextSize: number;
  /** Media type. */
  readonly mediaType: string;
  /** File name. */
  readonly fileName: string;
}

/** One reaction state, last writer (by log seq) wins. */
export interface ReactionState {
  /** The reacting account, hex. */
  readonly account: string;
  /** The emoji. */
  readonly emoji: string;
  /** True when present after the latest change. */
  readonly present: boolean;
  /** Log seq of the latest change. */
  readonly seq: number;
}

/** A message as shown to people. */
export interface MessageRecord {
  /** Conversation id, hex. */
  readonly conversationId: string;
  /** Message id (the sender's client message id), hex. */
  readonly messageId: string;
  /** Log seq of the message itself; 0 while only edits or reactions to it are known. */
  readonly seq: number;
  /** Sending account, hex. */
  readonly sender: string;
  /** Sending device. */
  readonly senderDevice: number;
  /** The sender's clock, display only (CLIENT-ORDER-001). */
  readonly sentAtMs: number;
  /** Current text (after edits), or undefined for documents and deleted messages. */
  readonly text: string | undefined;
  /** Reply target, hex, or empty. */
  readonly replyTo: string;
  /** A document, when the message carries one. */
  readonly document: DocumentRecord | undefined;
  /** Log seq of the latest applied edit, 0 when never edited. */
  readonly editSeq: number;
  /** Log seq of the delete, 0 when not deleted. */
  readonly deleteSeq: number;
  /** Reactions by `${account}:${emoji}`. */
  readonly reactions: Readonly<Record<string, ReactionState>>;
  /** Accounts (hex) whose read receipt for this message was applied before the message itself could be. */
  readonly pendingReaders?: readonly string[];
}
