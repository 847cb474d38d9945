import {
  DEFAULT_DIFFERENCE_LIMIT, MAX_DIFFERENCE_LIMIT, MAX_FRAME_BYTES, MAX_GROUP_MEMBERS, MAX_IN_FLIGHT, MAX_MESSAGE_BYTES, MAX_PART_BYTES,
  MAX_PARTS, MAX_RANGE_BYTES, MAX_STORED_PREKEYS,
} from "@kabar/protocol";

/** Every limit the server enforces; each defaults to the protocol maximum or a sane operating value. */
export interface ServerLimits {
  readonly maxFrameBytes: number;
  readonly maxInFlight: number;
  /** Sustained requests per second per connection (token bucket rate). */
  readonly requestsPerSecond: number;
  /** Token bucket size: requests allowed in a burst. */
  readonly requestBurst: number;
  readonly maxMessageBytes: number;
  readonly defaultDifferenceLimit: number;
  readonly maxDifferenceLimit: number;
  readonly maxGroupMembers: number;
  readonly maxStoredPreKeys: number;
  /** Prekey bundles one account may claim per minute. */
  readonly claimsPerMinute: number;
  /** How long a Hello challenge may be answered. */
  readonly challengeTtlMs: number;
  /** Hello and Authenticate must finish within this after connecting. */
  readonly handshakeTimeoutMs: number;
  /** Open connections allowed from one remote address (flood and slowloris bound). */
  readonly maxConnectionsPerIp: number;
  /** Live pushes are dropped (UpdatesTooLong instead) above this many buffered bytes. */
  readonly maxBufferedBytes: number;
  readonly partSize: number;
  readonly maxParts: number;
  readonly maxFileBytes: number;
  readonly maxRangeBytes: number;
  readonly accountQuotaBytes: number;
  readonly uploadTtlSeconds: number;
}

/** The defaults. */
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
};

/** Defaults overridden by the given values. */
export function resolveLimits(overrides: Partial<ServerLimits> = {}): ServerLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
