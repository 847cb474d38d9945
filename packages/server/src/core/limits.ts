import {
  DEFAULT_DIFFERENCE_LIMIT, MAX_DIFFERENCE_LIMIT, MAX_FRAME_BYTES, MAX_GROUP_MEMBERS, MAX_IN_FLIGHT, MAX_MESSAGE_BYTES, MAX_PART_BYTES,
  MAX_PARTS, MAX_RANGE_BYTES, MAX_STORED_PREKEYS,
} from "@kabar/protocol";

/** Every limit the server enforces; each defaults to the protocol maximum or a sane operating value. */
export interface ServerLimits {
  /** Largest WebSocket frame accepted, in bytes; larger messages are refused before buffering (WIRE-FRAME-002). Default 1 MiB, the protocol maximum. */
  readonly maxFrameBytes: number;
  /** Requests one connection may have unanswered at once; more are rejected with TOO_MANY_IN_FLIGHT (TRANSPORT-CONN-001). Default 64. */
  readonly maxInFlight: number;
  /** Sustained requests per second per connection (token bucket rate); above it requests get RATE_LIMITED with a retry delay. Default 1000. */
  readonly requestsPerSecond: number;
  /** Token bucket size: requests one connection may send in a burst before the rate applies. Default 2000. */
  readonly requestBurst: number;
  /** Largest SendMessage ciphertext, in bytes; larger ones get MESSAGE_TOO_LARGE. Default 64 KiB. */
  readonly maxMessageBytes: number;
  /** Updates returned by GetDifference when the request gives limit 0. Default 100. */
  readonly defaultDifferenceLimit: number;
  /** Highest GetDifference limit accepted (SYNC-DIFF-002); responses are also cut to fit one frame. Default 1000. */
  readonly maxDifferenceLimit: number;
  /** Most accounts in one conversation, creator included (SYNC-CONV-001). Default 1000. */
  readonly maxGroupMembers: number;
  /** Most unclaimed one-time (and, separately, KEM) prekeys stored per device; uploads beyond get PREKEY_LIMIT. Default 1000. */
  readonly maxStoredPreKeys: number;
  /** Prekey bundles one account may claim per minute (token bucket, burst of the same size). Default 600. */
  readonly claimsPerMinute: number;
  /** Milliseconds after HelloAck within which Authenticate must use its challenge; later gets CHALLENGE_INVALID. Default 60 s. */
  readonly challengeTtlMs: number;
  /** Milliseconds after connecting by which Hello and Authenticate must have succeeded; else the connection closes with 4408 (TRANSPORT-CONN-005). Default 10 s. */
  readonly handshakeTimeoutMs: number;
  /** Open connections allowed from one remote address (flood and slowloris bound, TRANSPORT-CONN-008); more are closed with 1013. Default 1024. */
  readonly maxConnectionsPerIp: number;
  /** Bytes queued on a socket above which live pushes are dropped and the client told once with UpdatesTooLong (TRANSPORT-CONN-004). Default 4 MiB. */
  readonly maxBufferedBytes: number;
  /** Upload part size in bytes, advertised in HelloAck; every part but the last has exactly this size. Default 512 KiB. */
  readonly partSize: number;
  /** Most parts in one upload. Default 4000. */
  readonly maxParts: number;
  /** Largest file one upload may declare, in bytes. Default `partSize` x 4000 (about 2 GiB). */
  readonly maxFileBytes: number;
  /** Most bytes one DownloadRange returns. Default 512 KiB. */
  readonly maxRangeBytes: number;
  /** Total declared bytes of an account's blobs and open uploads; CreateUpload beyond it gets QUOTA_EXCEEDED. Default 8 GiB. */
  readonly accountQuotaBytes: number;
  /** Seconds an incomplete upload is kept after creation before it and its parts are deleted. Default 24 h. */
  readonly uploadTtlSeconds: number;
  /** Milliseconds a payment waits for the merchant's pre-checkout answer before failing with PRECHECKOUT_TIMEOUT (PAY-PRECHECKOUT-001). Default 10 s. */
  readonly precheckoutTimeoutMs: number;
}

/** The defaults: protocol maxima for wire limits, operating values for rates, quotas and timeouts. */
export const DEFAULT_LIMITS: ServerLimits = {
  maxFrameBytes: MAX_FRAME_BYTES,
  maxInFlight: MAX_IN_FLIGHT,
  requestsPerSecond: 1000,
  requestBurst: 2000,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  defaultDifferenceLimit: DEFAULT_DIFFERENCE_LIMIT,
  maxDifferenceLimit: MAX_DIFFERENCE_LIMIT,
  maxGroupMembers: MAX_GROUP_MEMBERS,
  maxStoredPreKeys: MAX_STORED_PREKEYS,
  claimsPerMinute: 600,
  challengeTtlMs: 60_000,
  handshakeTimeoutMs: 10_000,
  maxConnectionsPerIp: 1024,
  maxBufferedBytes: 4 * 1_048_576,
  partSize: MAX_PART_BYTES,
  maxParts: 4_000,
  maxFileBytes: MAX_PART_BYTES * 4_000,
  maxRangeBytes: MAX_RANGE_BYTES,
  accountQuotaBytes: 8 * 1024 * 1024 * 1024,
  uploadTtlSeconds: 24 * 3600,
  precheckoutTimeoutMs: 10_000,
};

/** {@link DEFAULT_LIMITS} with the given values replacing their defaults; no validation beyond the type. */
export function resolveLimits(overrides: Partial<ServerLimits> = {}): ServerLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
