/**
 * `@kabar/client`: the Kabar reference client SDK. A {@link KabarClient} is
 * one device of one account: it connects, authenticates, keeps its account
 * log and inbox in sync, and sends and receives end-to-end encrypted
 * messages and documents. Storage, sockets, time and randomness sit behind
 * ports; the sync engine and the conversation reducer are pure logic.
 * The normative description is docs/spec/client.md (rule ids CLIENT-*).
 *
 * @packageDocumentation
 */

// The client API
/** The client: register, link, conversations, messages, documents, backup. */
export { KabarClient, type BackupSetup, type ConversationId, type MessageId, type PendingLink } from "./client/kabar-client.js";
/** Options shared by every way of creating a client. */
export type { KabarClientOptions } from "./client/wiring.js";
/** Typed events a client emits. */
export type {
  ConnectionEvent, DecryptFailedEvent, HistoryImportedEvent, KabarClientEventName, KabarClientEvents, MembershipEvent, MessageEvent, ReactionEvent,
  ReceiptEvent, SendFailedEvent, SendStalledEvent, UntrustedDeviceListEvent,
} from "./client/events.js";
/** What an approving device hands back to a new device. */
export type { LinkApproval } from "./client/linking.js";
/** Where a key backup blob is. */
export type { BackupPointer } from "./client/history.js";
/** Document metadata for {@link KabarClient.sendDocument}. */
export type { DocumentMeta } from "./files/documents.js";

// Payments
/** Receipt verification for {@link KabarClient.payInvoice} (PAY-RECEIPT-002). */
export {
  examplePayReceiptKey, invoiceTotal, RECEIPT_SIGNATURE_CONTEXT, ReceiptVerifier, type ExpectedPayment, type PaidInvoice, type PaymentProviderKeys,
} from "./payments/receipts.js";

// Conversation state
/** The records every device converges to. */
export type { ConversationRecord, DocumentRecord, MessageRecord, ReactionState, ReadMarker } from "./conversation/conversation-model.js";
/** The pure conversation reducer. */
export {
  applyContent, applyMembership, type AppliedChange, type ContentOrigin, type ConversationRecords, type MembershipResult,
} from "./conversation/apply-content.js";

// Sync engine (pure logic over ports)
/** The account-log sync engine and the sequence rule. */
export { classify, SyncEngine, type DifferenceSource, type SyncEngineOptions, type UpdateSink } from "./sync/sync-engine.js";
/** The device inbox consumer. */
export { InboxConsumer, type InboxSink, type InboxSource } from "./sync/inbox-consumer.js";
/** The offline send queue. */
export { Outbox, type OutboxRejectionHandler, type OutboxSender } from "./sync/outbox.js";

// Storage port and implementations
/** The storage port. */
export type { ChainKey, ChainRole, ClientStore, OutboxEntry, SeenDeviceListRecord, StoredChain, SyncCursor } from "./store/client-store.js";
/** In-memory store. */
export { MemoryClientStore } from "./store/memory-store.js";
/** SQLite store. */
export { SqliteClientStore } from "./store/sqlite-store.js";

// Transport
/** One protocol connection. */
export {
  Connection, type ConnectionOptions, type DeviceCredentials, type RequestBody, type RequestCase, type RequestsByCase, type ResponseCaseOf,
  type ResultOf, type ResultsByCase, type ResultUnion, type ValueOf,
} from "./transport/connection.js";
/** The auto-reconnecting authenticated connection. */
export { ReconnectingLink, type LinkHandlers, type LinkOptions } from "./transport/reconnecting-link.js";
/** Reconnect backoff with full jitter. */
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./transport/backoff.js";
/** The bytes a device signs to authenticate. */
export { authSignedBytes, signChallenge } from "./transport/auth.js";
/** The socket port and the `ws` implementation. */
export { wsSocketFactory, type Socket, type SocketFactory } from "./transport/socket.js";

// Identity
/** Verified device lists and trust-relevant changes. */
export { DeviceDirectory, type DeviceListChange, type DeviceListSource, type DirectoryObserver } from "./identity/device-directory.js";

// Ports
/** Clock and randomness ports with system defaults. */
export { systemClock, systemRandom, type Clock, type Random, type TimerHandle } from "./util/ports.js";
