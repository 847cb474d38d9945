import { ErrorCode, type MessageFns } from "../gen/kabar/v1/errors.pb.js";
import { MESSAGE_CODECS } from "../gen/messages.js";
import { KabarError } from "../errors.js";
import { validateWire, type WireValidationOptions } from "./strict-decode.js";

const NAME_OF_CODEC = new Map<MessageFns<unknown>, string>(
  Object.entries(MESSAGE_CODECS).map(([name, codec]) => [codec, name]),
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
 * Decodes one message strictly: size limit, then {@link validateWire}, then
 * the generated decoder. Every failure is a {@link KabarError} with a stable
 * code; no other exception escapes.
 */
export function decodeMessage<T>(codec: MessageFns<T>, bytes: Uint8Array, options: DecodeOptions = {}): T {
  if (options.maxBytes !== undefined && bytes.length > options.maxBytes) {
    throw new KabarError(ErrorCode.FRAME_TOO_LARGE, `${bytes.length} bytes exceed the limit of ${options.maxBytes}`, {
      rule: "WIRE-FRAME-002",
    });
  }
  validateWire(messageTypeName(codec as MessageFns<unknown>), bytes, options);
  try {
    return codec.decode(bytes);
  } catch (cause) {
    // validateWire accepts only what the generated decoder can read; reaching
    // this is a bug, still reported with a stable code.
    throw new KabarError(ErrorCode.FRAME_TRUNCATED, "generated decoder rejected validated input", { cause, rule: "WIRE-DECODE-001" });
  }
}

/** Encodes one message with its generated codec. */
export function encodeMessage<T>(codec: MessageFns<T>, message: T): Uint8Array {
  return codec.encode(message).finish();
}
