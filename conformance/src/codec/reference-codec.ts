// The reference decoder (@kabar/protocol) as a codec target: what every
// other decoder is compared with, and the baseline the codec mutants break.
import { Frame, MESSAGE_CODECS, decodeFrame, decodeMessage, encodeMessage, isKabarError } from "@kabar/protocol";
import type { CodecTarget, DecodeLimits, DecodeOutcome } from "../targets/target-types.js";

/** The fully qualified name of the frame type, whose decode adds the frame checks. */
export const FRAME_TYPE = "kabar.v1.Frame";

/** Decodes with @kabar/protocol and classifies the outcome. */
export function referenceDecode(typeName: string, payload: Uint8Array, limits: DecodeLimits = {}): DecodeOutcome {
  const codec = MESSAGE_CODECS[typeName];
  if (codec === undefined) return { kind: "crashed", message: `unknown message type ${typeName}` };
  try {
    if (typeName === FRAME_TYPE) {
      const frame = decodeFrame(payload, { maxFrameBytes: limits.maxBytes, maxDepth: limits.maxDepth });
      return { kind: "accepted", reencoded: encodeMessage(Frame, frame) };
    }
    const value = decodeMessage(codec, payload, { maxBytes: limits.maxBytes, maxDepth: limits.maxDepth });
    return { kind: "accepted", reencoded: encodeMessage(codec, value) };
  } catch (error) {
    if (isKabarError(error)) return { kind: "rejected", code: error.code };
    return { kind: "crashed", message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

/** The reference decoder as a {@link CodecTarget}. */
export const referenceCodec: CodecTarget = {
  name: "@kabar/protocol reference decoder",
  decode: async (typeName, payload, limits) => referenceDecode(typeName, payload, limits),
};
