import { ErrorCode } from "../gen/kabar/v1/errors.pb.js";
import { Frame } from "../gen/kabar/v1/frame.pb.js";
import { KabarError } from "../errors.js";
import { MAX_FRAME_BYTES, MAX_NESTING_DEPTH, MAX_REQUEST_ID } from "../limits.js";
import { decodeMessage, encodeMessage } from "./codec.js";

/** Limits applied by {@link decodeFrame} and {@link encodeFrame}. */
export interface FrameLimits {
  /** Largest frame in bytes; defaults to {@link MAX_FRAME_BYTES}. */
  readonly maxFrameBytes?: number;
  /** Deepest nesting; defaults to {@link MAX_NESTING_DEPTH}. */
  readonly maxDepth?: number;
}

/**
 * Decodes one WebSocket binary message into a {@link Frame} (WIRE-FRAME-001).
 * Rejects oversized input before reading it, malformed encodings with the
 * matching FRAME_* code, a frame with no known kind or body with
 * FRAME_UNKNOWN_BODY, and a request id of 0 or above 2^53 - 1 with
 * FRAME_FIELD_INVALID.
 */
export function decodeFrame(bytes: Uint8Array, limits: FrameLimits = {}): Frame {
  const frame = decodeMessage(Frame, bytes, {
    maxBytes: limits.maxFrameBytes ?? MAX_FRAME_BYTES,
    maxDepth: limits.maxDepth ?? MAX_NESTING_DEPTH,
  });
  const kind = frame.kind;
  if (kind === undefined) throw unknownBody("the frame has no kind this version knows");
  switch (kind.$case) {
    case "request":
      checkRequestId(kind.value.requestId);
      if (kind.value.body === undefined) throw unknownBody("the request has no body this version knows");
      break;
    case "response":
      checkRequestId(kind.value.requestId);
      if (kind.value.result === undefined) throw unknownBody("the response has no result this version knows");
      break;
    case "push":
      if (kind.value.body === undefined) throw unknownBody("the push has no body this version knows");
      break;
  }
  return frame;
}

/**
 * Encodes a {@link Frame}; refuses one over the frame limit with
 * FRAME_TOO_LARGE, so a sender never emits what its peer must reject.
 */
export function encodeFrame(frame: Frame, limits: FrameLimits = {}): Uint8Array {
  const bytes = encodeMessage(Frame, frame);
  const max = limits.maxFrameBytes ?? MAX_FRAME_BYTES;
  if (bytes.length > max) {
    throw new KabarError(ErrorCode.FRAME_TOO_LARGE, `frame of ${bytes.length} bytes exceeds ${max}`, { rule: "WIRE-FRAME-002" });
  }
  return bytes;
}

function checkRequestId(id: bigint): void {
  if (id < 1n || id > MAX_REQUEST_ID) {
    throw new KabarError(ErrorCode.FRAME_FIELD_INVALID, "request_id must be in 1..2^53-1", { rule: "WIRE-FRAME-003" });
  }
}

function unknownBody(message: string): KabarError {
  return new KabarError(ErrorCode.FRAME_UNKNOWN_BODY, message, { rule: "WIRE-FRAME-004" });
}
