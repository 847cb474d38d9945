import type {
  AccountUpdate, ChangeMembersResponse, ConversationKind, ConversationUpdate, CreateConversationResponse,
  DeviceCiphertext, InboxEntry, KemPreKey, OneTimePreKey, PreKeyBundle, SendMessageResponse, SendToDevicesResponse,
  SignedPreKey, UploadSession,
} from "@kabar/protocol";

/** A signed device list as stored: the exact bytes published, and its version. */
export interface StoredDeviceList {
  readonly body: Uint8Array;
  readonly signature: Uint8Array;
  readonly version: bigint;
}

/** A device's keys as certified in the account's device list. */
export interface DeviceKeys {
  readonly deviceId: number;
  readonly signingKey: Uint8Array;
  readonly identityKey: Uint8Array;
  /** The serialized DeviceCertificate, verbatim. */
  readonly certificate: Uint8Array;
}

/** A device known to the server, current or removed. */
export interface DeviceRecord extends DeviceKeys {
  /** In the account's current device list. */
  readonly current: boolean;
  readonly inboxSeq: bigint;
  readonly ackedSeq: bigint;
}

/** An account as stored. */
export interface AccountRecord {
  readonly accountId: Uint8Array;
  readonly identityKey: Uint8Array;
  readonly deviceList: StoredDeviceList;
  /** The log's latest sequence number. */
  readonly seq: bigint;
  /** Updates with seq <= oldestSeq are no longer kept. */
  readonly oldestSeq: bigint;
}

/** An update committed to one account's log, to push to its devices. */
export interface LogDelivery {
  readonly accountId: Uint8Array;
  readonly update: AccountUpdate;
}

/** An entry committed to one device's inbox, to push to it. */
export interface InboxDelivery {
  readonly accountId: Uint8Array;
  readonly deviceId: number;
  readonly entry: InboxEntry;
}

/** A committed write and what to push because of it. */
export interface Committed<T> {
  readonly response: T;
  readonly deliveries: readonly LogDelivery[];
}

/** An upload as stored. */
export interface UploadRecord {
  readonly session: UploadSession;
  readonly accountId: Uint8Array;
  readonly conversationId: Uint8Array;
  readonly size: bigint;
  readonly digest: Uint8Array;
  /** Set once completed. */
  readonly blobId: Uint8Array | undefined;
  /** Stored part indexes with the SHA-256 of each part. */
  readonly parts: ReadonlyMap<number, Uint8Array>;
}

/** A completed blob as stored. */
export interface BlobRecord {
  readonly blobId: Uint8Array;
  readonly accountId: Uint8Array;
  readonly conversationId: Uint8Array;
  readonly size: bigint;
  readonly digest: Uint8Array;
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
  publishDeviceList(input: { accountId: Uint8Array; deviceList: StoredDeviceList; devices: readonly DeviceKeys[]; nowMs: number }): Promise<Committed<{ version: bigint; seq: bigint; removedDeviceIds: number[] }>>;

  /** Adds prekeys for a current device; PREKEY_LIMIT when over the stored maximum. */
  uploadPreKeys(input: {
    accountId: Uint8Array; deviceId: number; signedPreKey: SignedPreKey | undefined; kemPreKeys: readonly KemPreKey[];
    oneTimePreKeys: readonly OneTimePreKey[]; lastResortKemPreKey: KemPreKey | undefined; maxStored: number;
  }): Promise<{ oneTimePreKeys: number; kemPreKeys: number }>;
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
  }): Promise<{ response: SendToDevicesResponse; deliveries: readonly InboxDelivery[] }>;

  /** Log updates with seq > afterSeq, at most limit and about maxBytes of ciphertext. */
  readLog(accountId: Uint8Array, afterSeq: bigint, limit: number, maxBytes: number): Promise<{ updates: AccountUpdate[]; seq: bigint; oldestSeq: bigint }>;
  /** Drops log updates with seq <= upToSeq (retention). */
  trimLog(accountId: Uint8Array, upToSeq: bigint): Promise<void>;
  /** Unacknowledged inbox entries after afterSeq. */
  readInbox(accountId: Uint8Array, deviceId: number, afterSeq: bigint, limit: number, maxBytes: number): Promise<{ entries: InboxEntry[]; more: boolean }>;
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

  /** Operational counters of the backing database (for /healthz and benchmarks). */
  stats(): Record<string, number>;
  /** Every row of every table, for tests that prove a rejection changed nothing. */
  snapshot(): Promise<Record<string, unknown[]>>;
  /** Closes the store after in-flight transactions. */
  close(): Promise<void>;
}
