// @kabar/protocol: the public surface. Everything exported is listed here.
export { KabarError, isKabarError, errorCodeName, type KabarErrorOptions } from "./errors.js";
export {
  PROTOCOL_VERSION, SUPPORTED_VERSIONS, MAX_FRAME_BYTES, MAX_NESTING_DEPTH, MAX_REQUEST_ID, MAX_SEQUENCE,
  MAX_MESSAGE_BYTES, MAX_DEVICE_MESSAGE_BYTES, MAX_DEVICES_PER_ACCOUNT, MAX_GROUP_MEMBERS, MAX_IN_FLIGHT,
  DEFAULT_DIFFERENCE_LIMIT, MAX_DIFFERENCE_LIMIT, MAX_INBOX_FETCH, MAX_PREKEYS_PER_UPLOAD, MAX_STORED_PREKEYS,
  MAX_PART_BYTES, MIN_PART_BYTES, MAX_PARTS, MAX_FILE_BYTES, MAX_RANGE_BYTES, ACCOUNT_ID_BYTES, RANDOM_ID_BYTES,
  CHALLENGE_BYTES,
} from "./limits.js";
export { validateWire, type WireValidationOptions } from "./wire/strict-decode.js";
export { decodeMessage, encodeMessage, messageTypeName, type DecodeOptions } from "./wire/codec.js";
export { decodeFrame, encodeFrame, type FrameLimits } from "./wire/frame.js";
export { MESSAGE_SHAPES, type FieldShape } from "./gen/shapes.js";
export type { MessageFns } from "./gen/kabar/v1/errors.pb.js";
// Every generated message codec and enum, listed explicitly in gen/messages.ts.
export * from "./gen/messages.js";
