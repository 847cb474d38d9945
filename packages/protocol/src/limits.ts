// Protocol limits (docs/spec/wire.md, "Limits"). Servers may advertise lower
// values in HelloAck; never higher.

/** The protocol version this package speaks. */
export const PROTOCOL_VERSION = 1;
/** Every protocol version this package speaks, highest first. */
export const SUPPORTED_VERSIONS: readonly number[] = [1];

/** Largest serialized Frame, in bytes (WIRE-FRAME-002). */
export const MAX_FRAME_BYTES = 1_048_576;
/** Deepest nesting of embedded messages a decoder accepts (WIRE-DECODE-005). */
export const MAX_NESTING_DEPTH = 32;
/** Largest request id: 2^53 - 1, exact in every language (WIRE-FRAME-003). */
export const MAX_REQUEST_ID = 9_007_199_254_740_991n;
/** Largest sequence number of a log or inbox: 2^63 - 1 (SYNC-LOG-003). */
export const MAX_SEQUENCE = 9_223_372_036_854_775_807n;

/** Largest conversation-message ciphertext, in bytes. */
export const MAX_MESSAGE_BYTES = 65_536;
/** Largest device-to-device ciphertext, in bytes. */
export const MAX_DEVICE_MESSAGE_BYTES = 262_144;
/** Most devices one account may have. */
export const MAX_DEVICES_PER_ACCOUNT = 16;
/** Most members of a group conversation, the creator included. */
export const MAX_GROUP_MEMBERS = 1_000;
/** Most requests in flight on one connection. */
export const MAX_IN_FLIGHT = 64;
/** Updates in a difference when the request asks for 0. */
export const DEFAULT_DIFFERENCE_LIMIT = 100;
/** Most updates one difference response carries. */
export const MAX_DIFFERENCE_LIMIT = 1_000;
/** Most inbox entries one fetch returns. */
export const MAX_INBOX_FETCH = 1_000;
/** Most prekeys of each kind in one upload. */
export const MAX_PREKEYS_PER_UPLOAD = 100;
/** Most one-time prekeys of each kind stored per device. */
export const MAX_STORED_PREKEYS = 1_000;

/** Default and largest upload part size: 512 KiB. */
export const MAX_PART_BYTES = 524_288;
/** Smallest upload part size: 4 KiB. */
export const MIN_PART_BYTES = 4_096;
/** Most parts in one upload. */
export const MAX_PARTS = 8_192;
/** Largest file ciphertext: 8,192 parts of 512 KiB = 4 GiB. */
export const MAX_FILE_BYTES = 4_294_967_296;
/** Largest range one download returns. */
export const MAX_RANGE_BYTES = 524_288;

/** Size of account ids and SHA-256 digests. */
export const ACCOUNT_ID_BYTES = 32;
/** Size of conversation, message, upload, blob and request ids. */
export const RANDOM_ID_BYTES = 16;
/** Size of an authentication challenge. */
export const CHALLENGE_BYTES = 32;
