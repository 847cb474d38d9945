// @kabar/protocol: the public surface. Everything exported is listed here.
export { KabarError, isKabarError, errorCodeName, type KabarErrorOptions } from "./errors.js";
export * from "./limits.js";
export { validateWire, type WireValidationOptions } from "./wire/strict-decode.js";
export { decodeMessage, encodeMessage, messageTypeName, type DecodeOptions } from "./wire/codec.js";
export { decodeFrame, encodeFrame, type FrameLimits } from "./wire/frame.js";
export { MESSAGE_SHAPES, type FieldShape } from "./gen/shapes.js";
export type { MessageFns } from "./gen/kabar/v1/errors.pb.js";
// Every generated message codec and enum, listed explicitly in gen/messages.ts.
export * from "./gen/messages.js";
