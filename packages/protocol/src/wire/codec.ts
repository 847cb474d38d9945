import { ErrorCode, type MessageFns } from "../gen/kabar/v1/errors.pb.js";
import { MESSAGE_CODECS } from "../gen/messages.js";
import { STRICT_DECODERS } from "../gen/strict-decoders.js";
import { FAST_ENCODERS } from "../gen/fast-encoders.js";
import { MAX_NESTING_DEPTH } from "../limits.js";
import { KabarError } from "../errors.js";
import type { WireValidationOptions } from "./strict-decode.js";

const NAME_OF_CODEC = new Map<MessageFns<unknown>, string>(
  Object.entries(MESSAGE_CODECS).map(([name, codec]) => [codec, name]),
);

type StrictDecoder = (bytes: Uint8Array, maxDepth: number) => unknown;
const STRICT_OF_CODEC = new Map<MessageFns<unknown>, StrictDecoder>(
  Object.entries(MESSAGE_CODECS).map(([name, codec]) => [codec, STRICT_DECODERS[name]!]),
);

type FastEncoder = (message: unknown) => Uint8Array | undefined;
const FAST_OF_CODEC = new Map<MessageFns<unknown>, FastEncoder>(
  Object.entries(MESSAGE_CODECS).flatMap(([name, codec]) => {
    const fast = FAST_ENCODERS[name];
    return fast === undefined ? [] : [[codec, fast] as const];
  }),
);

/** The fully qualified protobuf name of a generated codec, for example `kabar.v1.Frame`. */
export function messageTypeName(codec: MessageFns<unknown>): string {
  const name = NAME_OF_CODEC.get(codec);
  if (name === undefined) throw new RangeError("not a generated Kabar message codec");
  return name;
}

/** Options of {@link decodeMessage}. */
export interface DecodeOptions extends WireValidationOptions {
  /** Reject input longer than this many bytes with FRAME_TOO_LARGE. */
  readonly maxBytes?: number;
}

/**
 * Decodes one message strictly: size limit, then the message type's fused
 * strict decoder (src/gen/strict-decoders.ts), which in one pass enforces
 * every rule of {@link validateWire} (same codes, same rule ids) and builds
 * the value exactly as the generated ts-proto decoder would. Every failure
 * is a {@link KabarError} with a stable code; no other exception escapes.
 */
export function decodeMessage<T>(codec: MessageFns<T>, bytes: Uint8Array, options: DecodeOptions = {}): T {
  if (options.maxBytes !== undefined && bytes.length > options.maxBytes) {
    throw new KabarError(ErrorCode.FRAME_TOO_LARGE, `${bytes.length} bytes exceed the limit of ${options.maxBytes}`, {
      rule: "WIRE-FRAME-002",
    });
  }
  const strict = STRICT_OF_CODEC.get(codec as MessageFns<unknown>);
  if (strict === undefined) throw new RangeError("not a generated Kabar message codec");
  return strict(bytes, options.maxDepth ?? MAX_NESTING_DEPTH) as T;
}

/**
 * Encodes one message: with the message type's fused encoder
 * (src/gen/fast-encoders.ts) when it covers the value, which writes exactly
 * the bytes of the generated codec into one exactly sized array, else with
 * the generated codec itself (same bytes, or the same error for a value of
 * the wrong type or range).
 */
export function encodeMessage<T>(codec: MessageFns<T>, message: T): Uint8Array {
  const fast = FAST_OF_CODEC.get(codec as MessageFns<unknown>);
  if (fast !== undefined) {
    const bytes = fast(message);
    if (bytes !== undefined) return bytes;
  }
  return codec.encode(message).finish();
}
