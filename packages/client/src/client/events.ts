// Typed events a client emits: what a person would see change.
import type { KabarError } from "@kabar/protocol";
import type { ConversationRecord, MessageRecord } from "../conversation/conversation-model.js";
import type { DeviceListChange } from "../identity/device-directory.js";

/** A conversation-level change to one message. */
export interface MessageEvent {
  /** The conversation, hex. */
  readonly conversationId: string;
  /** The message after the change. */
  readonly message: MessageRecord;
}

/** A reaction was added or removed. */
export interface ReactionEvent extends MessageEvent {
  /** The reacting account, hex. */
  readonly account: string;
  /** The emoji. */
  readonly emoji: string;
  /** True when the reaction is now present. */
  readonly present: boolean;
}

/** A delivery or read receipt was applied. */
export interface ReceiptEvent {
  /** The conversation, hex. */
  readonly conversationId: string;
  /** The account that read or received, hex. */
  readonly reader: string;
  /** The acknowledged message ids, hex. */
  readonly messageIds: readonly string[];
  /** True for a read receipt. */
  readonly read: boolean;
}

/** A conversation was created or its membership changed. */
export interface MembershipEvent {
  /** The conversation after the change. */
  readonly conversation: ConversationRecord;
  /** Accounts added, hex. */
  readonly added: readonly string[];
  /** Accounts removed, hex. */
  readonly removed: readonly string[];
  /** The account that made the change, hex. */
  readonly actor: string;
}

/** A device list failed verification and was rejected. */
export interface UntrustedDeviceListEvent {
  /** The account whose list was rejected, hex. */
  readonly accountId: string;
  /** Why. */
  readonly error: KabarError;
}

/** A ciphertext could not be decrypted and was skipped. */
export interface DecryptFailedEvent {
  /** Where it came from. */
  readonly source: "log" | "inbox";
  /** Its log seq or inbox seq. */
  readonly seq: bigint;
  /** Why. */
  readonly error: KabarError;
}

/** History keys were imported. */
export interface HistoryImportedEvent {
  /** How many chains were new or older than the ones held. */
  readonly keys: number;
  /** A handover from another device of the account, or the key backup. */
  readonly source: "handover" | "backup";
}

/** A queued message was rejected for good. */
export interface SendFailedEvent {
  /** The message id, hex. */
  readonly messageId: string;
}

/** Queued sends are waiting for a retry. */
export interface SendStalledEvent {
  /** The error that stopped the last attempt. */
  readonly error: unknown;
  /** Retries so far. */
  readonly attempt: number;
}

/** The connection state changed. */
export interface ConnectionEvent {
  /** True when connected and authenticated. */
  readonly connected: boolean;
}

/** Every event and its payload. */
export interface KabarClientEvents {
  /** A new message (text or document) was applied. */
  message: MessageEvent;
  /** A message's text was replaced. */
  edit: MessageEvent;
  /** A message was deleted for everyone. */
  delete: MessageEvent;
  /** A reaction was added or removed. */
  reaction: ReactionEvent;
  /** A delivery or read receipt was applied. */
  receipt: ReceiptEvent;
  /** A conversation was created or its membership changed. */
  membership: MembershipEvent;
  /**
   * An account's signed device set changed: devices added, removed or
   * re-keyed (CLIENT-TRUST-002). Apps show this to people.
   */
  identityChange: DeviceListChange;
  /** A device list failed verification and was rejected (CLIENT-TRUST-001). */
  untrustedDeviceList: UntrustedDeviceListEvent;
  /** A ciphertext could not be decrypted and was skipped. */
  decryptFailed: DecryptFailedEvent;
  /** History keys were imported (handover or backup). */
  historyImported: HistoryImportedEvent;
  /** A queued message was rejected for good by the server and will not be sent. */
  sendFailed: SendFailedEvent;
  /** Queued sends could not all be sent for a transient reason; they are retried with backoff. */
  sendStalled: SendStalledEvent;
  /** The connection state changed. */
  connection: ConnectionEvent;
  /** Another connection took over this device (TRANSPORT-CONN-003). */
  displaced: Record<string, never>;
}

/** An event name. */
export type KabarClientEventName = keyof KabarClientEvents;

/** A tiny typed emitter; handler errors never break the client's processing. */
export class TypedEmitter {
  private readonly handlers = new Map<string, Set<(payload: never) => void>>();

  /** Subscribes; returns the unsubscribe function. */
  on<E extends KabarClientEventName>(event: E, handler: (payload: KabarClientEvents[E]) => void): () => void {
    let set = this.handlers.get(event);
    if (set === undefined) this.handlers.set(event, (set = new Set()));
    set.add(handler as (payload: never) => void);
    return () => set.delete(handler as (payload: never) => void);
  }

  /** Emits to every subscriber. */
  emit<E extends KabarClientEventName>(event: E, payload: KabarClientEvents[E]): void {
    for (const handler of this.handlers.get(event) ?? []) {
      try {
        (handler as (payload: KabarClientEvents[E]) => void)(payload);
      } catch {
        // An app's handler bug must not stop the sync loop.
      }
    }
  }
}
