import type {
  AccountUpdate, ChangeMembersResponse, ConversationKind, ConversationUpdate, CreateConversationResponse,
  DeviceCiphertext, InboxEntry, KemPreKey, OneTimePreKey, PreKeyBundle, SendMessageResponse, SendToDevicesResponse,
  SignedPreKey, UploadSession,
} from "@kabar/protocol";

/** A signed device list as stored: the exact bytes published, and its version. */
export interface StoredDeviceList {
  /** The serialized DeviceList exactly as the client signed it; served back byte for byte so signatures keep verifying. */
  readonly body: Uint8Array;
  /** The account identity key's Ed25519 signature over `body`. */
  readonly signature: Uint8Array;
  /** The list's version, copied out of `body`; each published list must have a greater one. */
  readonly version: bigint;
}

/** A device's keys as certified in the account's device list. */
export interface DeviceKeys {
  /** The device's id within its account; never reused for other keys once certified. */
  readonly deviceId: number;
  /** The device's Ed25519 public key; it signs Authenticate challenges and prekeys. */
  readonly signingKey: Uint8Array;
  /** The device's X25519 identity public key used by key agreement. */
  readonly identityKey: Uint8Array;
  /** The serialized DeviceCertificate, verbatim. */
  readonly certificate: Uint8Array;
}

/** A device known to the server, current or removed. */
export interface DeviceRecord extends DeviceKeys {
  /** In the account's current device list. */
  readonly current: boolean;
  /** The last inbox sequence number allocated to this device (0 before its first entry); entries are numbered without gaps (SYNC-INBOX-001). */
  readonly inboxSeq: bigint;
  /** The highest inbox sequence number the device acknowledged; entries up to it are deleted. */
  readonly ackedSeq: bigint;
}

/** An account as stored. */
export interface AccountRecord {
  /** The 32-byte account id (derived from the identity key by the client, opaque to the server). */
  readonly accountId: Uint8Array;
  /** The account's Ed25519 identity public key; it signs every device list. */
  readonly identityKey: Uint8Array;
  /** The latest published signed device list. */
  readonly deviceList: StoredDeviceList;
  /** The log's latest sequence number. */
  readonly seq: bigint;
  /** Updates with seq <= oldestSeq are no longer kept. */
  readonly oldestSeq: bigint;
}

/** An update committed to one account's log, to push to its devices. */
export interface LogDelivery {
  /** The 32-byte id of the account whose log gained the update. */
  readonly accountId: Uint8Array;
  /** The committed update with its sequence number in that log. */
  readonly update: AccountUpdate;
}

/** An entry committed to one device's inbox, to push to it. */
export interface InboxDelivery {
  /** The 32-byte id of the recipient account. */
  readonly accountId: Uint8Array;
  /** The recipient device within that account. */
  readonly deviceId: number;
  /** The committed entry with its sequence number in that device's inbox. */
  readonly entry: InboxEntry;
}

/** A committed write and what to push because of it. */
export interface Committed<T> {
  /** What the request is answered with; for an idempotent replay, the first response again. */
  readonly response: T;
  /** The log updates this transaction appended, one per account, to push after the response; empty for a replay. */
  readonly deliveries: readonly LogDelivery[];
}

/**
 * A commit made by another process sharing the database, as announced to
 * the others: just enough to find what to push. The listener reads the
 * update or entry itself from the store.
 */
export type RemoteCommit =
  | {
    /** An account's log gained an update. */
    readonly kind: "update";
    /** The 32-byte id of that account. */
    readonly accountId: Uint8Array;
    /** The update's sequence number in the account's log. */
    readonly seq: bigint;
  }
  | {
    /** A device's inbox gained an entry. */
    readonly kind: "inbox";
    /** The 32-byte id of the recipient account. */
    readonly accountId: Uint8Array;
    /** The recipient device. */
    readonly deviceId: number;
    /** The entry's sequence number in that device's inbox. */
    readonly inboxSeq: bigint;
  }
  | {
    /** A device authenticated a connection on another gateway; an older connection of it here is displaced (TRANSPORT-CONN-003). */
    readonly kind: "deviceConnected";
    /** The 32-byte id of the device's account. */
    readonly accountId: Uint8Array;
    /** The device. */
    readonly deviceId: number;
    /** Database-wide increasing number of the announcement ({@link ServerStore.announceConnection}): the connection with the higher one is the newer. */
    readonly order: bigint;
  }
  | {
    /** A published device list dropped devices; their open connections must end (SERVER-DEVICES-005). */
    readonly kind: "devicesRemoved";
    /** The 32-byte id of the account. */
    readonly accountId: Uint8Array;
    /** The removed device ids. */
    readonly deviceIds: readonly number[];
  };

/** An upload as stored. */
export interface UploadRecord {
  /** The upload as the client sees it: id, part size, part count, expiry and received parts. */
  readonly session: UploadSession;
  /** The 32-byte id of the uploading account; only it may add parts or complete the upload. */
  readonly accountId: Uint8Array;
  /** The conversation whose current members may read the finished blob. */
  readonly conversationId: Uint8Array;
  /** The declared total size in bytes (of ciphertext); counted against the account's quota while open. */
  readonly size: bigint;
  /** The declared SHA-256 of the whole ciphertext, checked when the upload completes. */
  readonly digest: Uint8Array;
  /** Set once completed. */
  readonly blobId: Uint8Array | undefined;
  /** Stored part indexes with the SHA-256 of each part. */
  readonly parts: ReadonlyMap<number, Uint8Array>;
}

/** A completed blob as stored. */
export interface BlobRecord {
  /** The blob's random id, handed to the uploader by CompleteUpload. */
  readonly blobId: Uint8Array;
  /** The 32-byte id of the account that uploaded it; its quota is charged. */
  readonly accountId: Uint8Array;
  /** The conversation whose current members may download it (AUTHZ). */
  readonly conversationId: Uint8Array;
  /** The blob's size in bytes. */
  readonly size: bigint;
  /** The SHA-256 of the blob's bytes, verified when it was assembled. */
  readonly digest: Uint8Array;
}

/** An invoice registered by its merchant (PAY-INVOICE-001). */
export interface InvoiceRecord {
  /** The merchant's 16-byte invoice id. */
  readonly invoiceId: Uint8Array;
  /** The 32-byte account that published it. */
  readonly merchant: Uint8Array;
  /** The serialized Invoice exactly as published. */
  readonly invoice: Uint8Array;
  /** Sum of the invoice's lines, in minor units. */
  readonly totalAmount: bigint;
  /** ISO 4217 code. */
  readonly currency: string;
  /** The provider that charges it. */
  readonly providerId: string;
  /** After this time (ms since the epoch) it can no longer be paid. */
  readonly expiresAtMs: bigint;
  /** True once a payment of it completed. */
  readonly paid: boolean;
}

/** What {@link ServerStore.beginPayment} found for a payer's idempotency key. */
export type PaymentClaim =
  | {
    /** The key was new: a pending payment is now recorded and the caller may charge. */
    readonly kind: "new";
  }
  | {
    /** A payment with this key is pending (in progress elsewhere, or interrupted by a crash). */
    readonly kind: "pending";
  }
  | {
    /** A payment with this key completed: its receipt, to return again without charging (PAY-IDEMPOTENCY-001). */
    readonly kind: "paid";
    /** The serialized PaymentReceipt stored when the payment completed. */
    readonly receipt: Uint8Array;
  };

/** A pre-checkout query's state (PAY-PRECHECKOUT-001). */
export interface PreCheckoutRecord {
  /** The merchant's answer: undefined while unanswered. */
  readonly answer: {
    /** True when the merchant confirmed the order. */
    readonly ok: boolean;
    /** The merchant's reason when it declined, shown to the payer. */
    readonly errorMessage: string;
  } | undefined;
}

/**
 * The storage port of the server. Every method is one atomic transaction
 * that either commits entirely (and resolves only after the commit is
 * durable) or throws a KabarError and leaves every table as it was.
 * Invariants needing atomicity (sequence allocation, idempotency, one-time
 * prekey hand-out, membership checks) live behind this port; stateless
 * validation (lengths, signatures) is done by the caller before.
 */
export interface ServerStore {
  /** "sqlite" or "postgres". */
  readonly kind: "sqlite" | "postgres";

  /** Creates an account with its first device; ACCOUNT_EXISTS when taken. */
  createAccount(input: { accountId: Uint8Array; identityKey: Uint8Array; deviceList: StoredDeviceList; device: DeviceKeys; nowMs: number }): Promise<void>;
  /** The account, or undefined. */
  getAccount(accountId: Uint8Array): Promise<AccountRecord | undefined>;
  /** Every device the account ever had, in device id order. */
  listDevices(accountId: Uint8Array): Promise<DeviceRecord[]>;
  /**
   * Replaces the device list when its version is greater than the stored
   * one (else DEVICE_LIST_STALE), refusing a reused device id with other
   * keys or a removed id coming back (CERTIFICATE_INVALID). Appends a
   * DeviceListChanged update to the account's log and to the log of every
   * account sharing a conversation with it.
   */
  publishDeviceList(input: { accountId: Uint8Array; deviceList: StoredDeviceList; devices: readonly DeviceKeys[]; nowMs: number }): Promise<Committed<{
    /** The version now stored. */
    version: bigint;
    /** The DeviceListChanged update's sequence number in the publisher's own log. */
    seq: bigint;
    /** Devices of the previous list missing from the new one; their sessions must end. */
    removedDeviceIds: number[];
  }>>;

  /** Adds prekeys for a current device; PREKEY_LIMIT when over the stored maximum. */
  uploadPreKeys(input: {
    accountId: Uint8Array; deviceId: number; signedPreKey: SignedPreKey | undefined; kemPreKeys: readonly KemPreKey[];
    oneTimePreKeys: readonly OneTimePreKey[]; lastResortKemPreKey: KemPreKey | undefined; maxStored: number;
  }): Promise<{
    /** Unclaimed one-time prekeys the device now has stored. */
    oneTimePreKeys: number;
    /** Unclaimed one-time KEM prekeys (last-resort key excluded) the device now has stored. */
    kemPreKeys: number;
  }>;
  /**
   * Claims one bundle per listed current device (all current devices when
   * empty), removing each handed-out one-time key in the same transaction
   * (SERVER-PREKEY-001). NOT_FOUND when a listed device is not current.
   */
  claimPreKeys(accountId: Uint8Array, deviceIds: readonly number[]): Promise<PreKeyBundle[]>;

  /** Creates a conversation, or replays the first response for the same id and members. */
  createConversation(input: { conversationId: Uint8Array; kind: ConversationKind; creator: Uint8Array; members: readonly Uint8Array[]; nowMs: number }): Promise<Committed<CreateConversationResponse>>;
  /** Adds and removes group members (rules in conversations.proto), idempotent by client_request_id. */
  changeMembers(input: {
    conversationId: Uint8Array; actor: Uint8Array; add: readonly Uint8Array[]; remove: readonly Uint8Array[];
    clientRequestId: Uint8Array; requestDigest: Uint8Array; maxMembers: number; nowMs: number;
  }): Promise<Committed<ChangeMembersResponse>>;
  /** The latest membership; NOT_FOUND unless the caller is a member. */
  getConversation(conversationId: Uint8Array, caller: Uint8Array): Promise<ConversationUpdate>;

  /** Stores a message once and appends it to every member's log, idempotently. */
  sendMessage(input: {
    conversationId: Uint8Array; sender: Uint8Array; senderDeviceId: number; clientMessageId: Uint8Array;
    ciphertext: Uint8Array; epoch: bigint; nowMs: number;
  }): Promise<Committed<SendMessageResponse>>;
  /** Stores one ciphertext per recipient device atomically, idempotently. */
  sendToDevices(input: {
    sender: Uint8Array; senderDeviceId: number; clientMessageId: Uint8Array; recipient: Uint8Array;
    messages: readonly DeviceCiphertext[]; deviceListVersion: bigint; requestDigest: Uint8Array; nowMs: number;
  }): Promise<{
    /** The answer (server time of the first send, also for a replay). */
    response: SendToDevicesResponse;
    /** One entry per recipient device to push after the response; empty for a replay. */
    deliveries: readonly InboxDelivery[];
  }>;

  /** Log updates with seq > afterSeq, at most limit and about maxBytes of ciphertext. */
  readLog(accountId: Uint8Array, afterSeq: bigint, limit: number, maxBytes: number): Promise<{
    /** The updates in increasing seq order; fewer than `limit` when the log ends or `maxBytes` was reached (at least one if any is readable), empty when afterSeq is before oldestSeq. */
    updates: AccountUpdate[];
    /** The log's latest sequence number at read time. */
    seq: bigint;
    /** Updates with seq <= oldestSeq were trimmed and can no longer be read. */
    oldestSeq: bigint;
  }>;
  /** Drops log updates with seq <= upToSeq (retention). */
  trimLog(accountId: Uint8Array, upToSeq: bigint): Promise<void>;
  /** Unacknowledged inbox entries after afterSeq. */
  readInbox(accountId: Uint8Array, deviceId: number, afterSeq: bigint, limit: number, maxBytes: number): Promise<{
    /** Entries in increasing inbox seq order. */
    entries: InboxEntry[];
    /** True when further entries exist beyond the returned ones (the count or byte bound was hit). */
    more: boolean;
  }>;
  /** Deletes inbox entries up to upToSeq; ACK_INVALID above the inbox's latest seq. */
  ackInbox(accountId: Uint8Array, deviceId: number, upToSeq: bigint): Promise<bigint>;

  /** Opens an upload or returns the one with the same client_request_id; QUOTA_EXCEEDED over quota. */
  createUpload(input: {
    uploadId: Uint8Array; accountId: Uint8Array; clientRequestId: Uint8Array; conversationId: Uint8Array;
    size: bigint; digest: Uint8Array; partSize: number; expiresAtMs: number; quotaBytes: bigint;
  }): Promise<UploadRecord>;
  /** The upload if the account owns it. */
  getUpload(uploadId: Uint8Array, accountId: Uint8Array): Promise<UploadRecord | undefined>;
  /** Records a stored part; false when the same index already has another digest. */
  recordPart(uploadId: Uint8Array, partIndex: number, partDigest: Uint8Array): Promise<boolean>;
  /** Marks an upload complete as a blob. */
  completeUpload(uploadId: Uint8Array, blobId: Uint8Array): Promise<BlobRecord>;
  /** The blob when the account may read it: the uploader or a current member of its conversation. */
  getReadableBlob(blobId: Uint8Array, accountId: Uint8Array): Promise<BlobRecord | undefined>;
  /** Deletes incomplete uploads that expired; returns their ids. */
  deleteExpiredUploads(nowMs: number): Promise<Uint8Array[]>;

  /** Registers an invoice; the same id with the same merchant and bytes replays, else IDEMPOTENCY_CONFLICT (PAY-INVOICE-002). */
  publishInvoice(input: { invoiceId: Uint8Array; merchant: Uint8Array; invoice: Uint8Array; totalAmount: bigint; currency: string; providerId: string; expiresAtMs: bigint }): Promise<void>;
  /** The invoice, or undefined. */
  getInvoice(invoiceId: Uint8Array): Promise<InvoiceRecord | undefined>;
  /**
   * Claims a payer's idempotency key for paying an invoice: the key's
   * stored payment when there is one (IDEMPOTENCY_CONFLICT when it was for
   * other parameters), else INVOICE_UNAVAILABLE when the invoice is
   * unknown, expired, paid or being paid by another payment, else records
   * a pending payment.
   */
  beginPayment(input: { payer: Uint8Array; idempotencyKey: Uint8Array; requestDigest: Uint8Array; invoiceId: Uint8Array; nowMs: number }): Promise<PaymentClaim>;
  /** Completes a pending payment with its receipt and marks the invoice paid; returns the stored receipt (the first one if it had completed already). Deletes the payment's pre-checkout query. */
  finishPayment(input: { payer: Uint8Array; idempotencyKey: Uint8Array; receipt: Uint8Array; queryId: Uint8Array | undefined }): Promise<Uint8Array>;
  /** Forgets a pending payment that failed (nothing was charged) and its pre-checkout query, so nothing of it stays stored. */
  abortPayment(input: { payer: Uint8Array; idempotencyKey: Uint8Array; queryId: Uint8Array | undefined }): Promise<void>;
  /** Records a pre-checkout query sent to the merchant. */
  createPreCheckout(input: { queryId: Uint8Array; invoiceId: Uint8Array; payer: Uint8Array; merchant: Uint8Array; deadlineMs: number }): Promise<void>;
  /** Stores the merchant's answer: NOT_FOUND unless the query exists and is the merchant's, PRECHECKOUT_TIMEOUT after its deadline; a repeated answer keeps the first. */
  answerPreCheckout(input: { queryId: Uint8Array; merchant: Uint8Array; ok: boolean; errorMessage: string; nowMs: number }): Promise<void>;
  /** A query's state, or undefined when it no longer exists. */
  getPreCheckout(queryId: Uint8Array): Promise<PreCheckoutRecord | undefined>;

  /**
   * Reports commits of other processes sharing this database, in commit
   * order, so a gateway can push them to its own connections (SYNC-PUSH-001
   * across gateways). Absent when the store cannot see other writers
   * (SQLite) or announcing is off. Announcements are hints: one lost while
   * the listening connection reconnects is simply not pushed. Resolves
   * once listening; the returned function stops.
   */
  watchRemoteCommits?(listener: (commit: RemoteCommit) => void): Promise<() => Promise<void>>;
  /**
   * Tells the other processes that a device just authenticated a connection
   * here (a "deviceConnected" {@link RemoteCommit} for them), so they
   * displace an older connection of the same device (TRANSPORT-CONN-003
   * across gateways). Resolves with the announcement's database-wide
   * increasing number, which orders connections made at nearly the same
   * time on different gateways. Present exactly when watchRemoteCommits is.
   */
  announceConnection?(accountId: Uint8Array, deviceId: number): Promise<bigint>;

  /** Operational counters of the backing database (for /healthz and benchmarks). */
  stats(): Record<string, number>;
  /** Every row of every table, for tests that prove a rejection changed nothing. */
  snapshot(): Promise<Record<string, unknown[]>>;
  /** Closes the store after in-flight transactions. */
  close(): Promise<void>;
}
