import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  ClientRequest, ErrorCode, Frame, Hello, KabarError, MAX_FRAME_BYTES, MAX_NESTING_DEPTH, MESSAGE_SHAPES,
  decodeFrame, decodeMessage, encodeFrame, errorCodeName, isKabarError,
} from "@kabar/protocol";
import { bytes, lenField, tag, varint, varintField } from "./support/wire-bytes.js";

/** Runs `fn` and returns the KabarError it throws; fails on success or any other exception. */
function rejection(fn: () => unknown): KabarError {
  try {
    fn();
  } catch (error) {
    if (isKabarError(error)) return error;
    throw new Error(`expected a KabarError, got ${String(error)}`);
  }
  throw new Error("expected a rejection, got a decoded value");
}

const expectCode = (fn: () => unknown, code: ErrorCode): void => {
  expect(errorCodeName(rejection(fn).code)).toBe(errorCodeName(code));
};

// A valid frame: request id 7 carrying Hello { versions: [1], client_name: "t" }.
const helloBody = [...lenField(1, [1]), ...lenField(2, [0x74])];
const requestBody = (...extra: number[][]) => [...varintField(1, 7), ...lenField(2, helloBody), ...extra.flat()];
const validFrame = bytes(lenField(1, requestBody()));

describe("malformed frames get a KabarError with a stable code", () => {
  it("accepts the hand-built valid frame", () => {
    const frame = decodeFrame(validFrame);
    expect(frame.kind?.$case).toBe("request");
  });

  it("WIRE-DECODE-001: input ending inside a varint is FRAME_TRUNCATED", () => {
    expectCode(() => decodeFrame(bytes(lenField(1, [...tag(1, 0), 0x80]))), ErrorCode.FRAME_TRUNCATED);
    expectCode(() => decodeFrame(bytes([0x0a])), ErrorCode.FRAME_TRUNCATED);
    expectCode(() => decodeFrame(bytes(lenField(1, [...tag(99, 1), 1, 2, 3]))), ErrorCode.FRAME_TRUNCATED);
  });

  it("WIRE-DECODE-001/004: every strict prefix of a valid frame is rejected or decodes to a shorter valid frame, never another exception", () => {
    const full = encodeFrame(Frame.fromPartial({ kind: { $case: "request", value: ClientRequest.fromPartial({ requestId: 300n, body: { $case: "hello", value: Hello.fromPartial({ versions: [1, 2], clientName: "kabar-test" }) } }) } }));
    let rejected = 0;
    for (let cut = 1; cut < full.length; cut++) {
      try {
        decodeFrame(full.subarray(0, cut));
      } catch (error) {
        expect(isKabarError(error, ErrorCode.FRAME_TRUNCATED, ErrorCode.FRAME_LENGTH_OUT_OF_BOUNDS, ErrorCode.FRAME_UNKNOWN_BODY, ErrorCode.FRAME_FIELD_INVALID)).toBe(true);
        rejected++;
      }
    }
    expect(rejected).toBe(full.length - 1);
  });

  it("WIRE-DECODE-002: a known field with the wrong wire type is FRAME_WIRE_TYPE_INVALID", () => {
    expectCode(() => decodeFrame(bytes(varintField(1, 5))), ErrorCode.FRAME_WIRE_TYPE_INVALID);
    // request_id (varint) sent as fixed32
    expectCode(() => decodeFrame(bytes(lenField(1, [...tag(1, 5), 1, 0, 0, 0]))), ErrorCode.FRAME_WIRE_TYPE_INVALID);
  });

  it("WIRE-DECODE-002: group wire types 3 and 4 and undefined types 6 and 7 are FRAME_WIRE_TYPE_INVALID, also on unknown fields", () => {
    for (const wire of [3, 4, 6, 7]) {
      expectCode(() => decodeFrame(bytes(tag(99, wire))), ErrorCode.FRAME_WIRE_TYPE_INVALID);
    }
  });

  it("WIRE-DECODE-003: a varint over 10 bytes, or a 10-byte varint above 2^64-1, is FRAME_VARINT_OVERFLOW", () => {
    const eleven = [...tag(1, 0), ...Array(10).fill(0xff), 0x01];
    expectCode(() => decodeFrame(bytes(lenField(1, eleven))), ErrorCode.FRAME_VARINT_OVERFLOW);
    const tenTooBig = [...tag(1, 0), ...Array(9).fill(0xff), 0x02];
    expectCode(() => decodeFrame(bytes(lenField(1, tenTooBig))), ErrorCode.FRAME_VARINT_OVERFLOW);
    const lengthOverflow = [...tag(2, 2), ...Array(10).fill(0xff), 0x01];
    expectCode(() => decodeFrame(bytes(lenField(1, lengthOverflow))), ErrorCode.FRAME_VARINT_OVERFLOW);
  });

  it("WIRE-DECODE-004: a length past the end of the buffer is FRAME_LENGTH_OUT_OF_BOUNDS, including 2^32 and 2^63", () => {
    expectCode(() => decodeFrame(bytes([...tag(1, 2), ...varint(10), 0x08])), ErrorCode.FRAME_LENGTH_OUT_OF_BOUNDS);
    expectCode(() => decodeFrame(bytes([...tag(1, 2), ...varint(2n ** 32n)])), ErrorCode.FRAME_LENGTH_OUT_OF_BOUNDS);
    expectCode(() => decodeFrame(bytes([...tag(1, 2), ...varint(2n ** 63n)])), ErrorCode.FRAME_LENGTH_OUT_OF_BOUNDS);
    // Inner length runs past the outer message even though the buffer is longer.
    const inner = [...tag(2, 2), ...varint(5), 0x0a];
    expectCode(() => decodeFrame(bytes(lenField(1, inner), [0, 0, 0, 0, 0, 0])), ErrorCode.FRAME_LENGTH_OUT_OF_BOUNDS);
  });

  it("WIRE-FRAME-002: a frame over the size limit is FRAME_TOO_LARGE before any byte is read", () => {
    const huge = new Uint8Array(MAX_FRAME_BYTES + 1).fill(0xff);
    expectCode(() => decodeFrame(huge), ErrorCode.FRAME_TOO_LARGE);
    expectCode(() => decodeFrame(validFrame, { maxFrameBytes: validFrame.length - 1 }), ErrorCode.FRAME_TOO_LARGE);
    expect(decodeFrame(validFrame, { maxFrameBytes: validFrame.length }).kind?.$case).toBe("request");
    const big = Frame.fromPartial({ kind: { $case: "request", value: ClientRequest.fromPartial({ requestId: 1n, body: { $case: "hello", value: Hello.fromPartial({ clientName: "x".repeat(MAX_FRAME_BYTES) }) } }) } });
    expectCode(() => encodeFrame(big), ErrorCode.FRAME_TOO_LARGE);
  });

  it("WIRE-DECODE-005: nesting past the limit is FRAME_NESTING_TOO_DEEP", () => {
    // Frame > ClientRequest > Hello is three levels deep.
    expectCode(() => decodeFrame(validFrame, { maxDepth: 2 }), ErrorCode.FRAME_NESTING_TOO_DEEP);
    expect(decodeFrame(validFrame, { maxDepth: 3 }).kind?.$case).toBe("request");
  });

  it("WIRE-DECODE-005: the v1 schemas nest well below the limit, so a conforming message is never rejected for depth", () => {
    const depthOf = (name: string, seen: string[]): number => {
      if (seen.includes(name)) throw new Error(`recursive schema through ${name}`);
      const nested = Object.values(MESSAGE_SHAPES[name]!).filter((f) => f.m !== undefined).map((f) => depthOf(f.m!, [...seen, name]));
      return 1 + Math.max(0, ...nested);
    };
    const wireTypes = Object.keys(MESSAGE_SHAPES).filter((n) => n.startsWith("kabar.v1."));
    const deepest = Math.max(...wireTypes.map((n) => depthOf(n, [])));
    // docs/spec/wire.md states this depth; update both together.
    expect(deepest).toBe(6);
    expect(deepest).toBeLessThan(MAX_NESTING_DEPTH / 2);
  });

  it("WIRE-DECODE-006: invalid UTF-8 in a string field is FRAME_INVALID_UTF8", () => {
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      const hello = [...lenField(1, [1]), ...lenField(2, bad)];
      expectCode(() => decodeFrame(bytes(lenField(1, [...varintField(1, 7), ...lenField(2, hello)]))), ErrorCode.FRAME_INVALID_UTF8);
    }
  });

  it("WIRE-DECODE-007: a repeated singular field or a second oneof member is FRAME_DUPLICATE_FIELD", () => {
    expectCode(() => decodeFrame(bytes(lenField(1, requestBody(varintField(1, 8))))), ErrorCode.FRAME_DUPLICATE_FIELD);
    expectCode(() => decodeFrame(bytes(lenField(1, requestBody(lenField(4, []))))), ErrorCode.FRAME_DUPLICATE_FIELD);
    expectCode(() => decodeFrame(bytes(lenField(1, requestBody()), lenField(3, []))), ErrorCode.FRAME_DUPLICATE_FIELD);
  });

  it("WIRE-DECODE-008: field number 0 is FRAME_FIELD_NUMBER_INVALID", () => {
    expectCode(() => decodeFrame(bytes([0x00, 0x01])), ErrorCode.FRAME_FIELD_NUMBER_INVALID);
    expectCode(() => decodeFrame(bytes([0x80, 0x80, 0x80, 0x80, 0x20])), ErrorCode.FRAME_FIELD_NUMBER_INVALID);
  });

  it("WIRE-DECODE-009: unknown fields of every wire type are skipped and the known fields decode unchanged", () => {
    const withUnknown = bytes(lenField(1, requestBody(varintField(90, 5), lenField(91, [1, 2, 3]), [...tag(92, 1), 1, 2, 3, 4, 5, 6, 7, 8], [...tag(93, 5), 1, 2, 3, 4])), lenField(77, [0xff, 0xff]));
    expect(decodeFrame(withUnknown)).toEqual(decodeFrame(validFrame));
  });

  it("WIRE-FRAME-003/004: request id 0 is FRAME_FIELD_INVALID; a request with no known body is FRAME_UNKNOWN_BODY", () => {
    expectCode(() => decodeFrame(bytes(lenField(1, [...varintField(1, 0), ...lenField(2, helloBody)]))), ErrorCode.FRAME_FIELD_INVALID);
    expectCode(() => decodeFrame(bytes(lenField(1, [...varintField(1, 2n ** 53n), ...lenField(2, helloBody)]))), ErrorCode.FRAME_FIELD_INVALID);
    expectCode(() => decodeFrame(bytes(lenField(1, [...varintField(1, 9), ...lenField(200, [])]))), ErrorCode.FRAME_UNKNOWN_BODY);
    expectCode(() => decodeFrame(new Uint8Array(0)), ErrorCode.FRAME_UNKNOWN_BODY);
  });

  it("any byte string, and any mutation of a valid frame, decodes or fails with a KabarError — never another exception", () => {
    const mutated = fc.tuple(fc.array(fc.tuple(fc.nat(validFrame.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(validFrame.length)).map(([edits, cut]) => {
      const copy = validFrame.slice(0, Math.max(1, cut));
      for (const [at, b] of edits) if (at < copy.length) copy[at] = b;
      return copy;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), (input) => {
        try {
          decodeFrame(input);
        } catch (error) {
          expect(isKabarError(error)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("decodeMessage applies the same strict rules to any message type", () => {
    expectCode(() => decodeMessage(Hello, bytes(lenField(2, [0xff]))), ErrorCode.FRAME_INVALID_UTF8);
    expect(decodeMessage(Hello, bytes(lenField(1, [1, 2]))).versions).toEqual([1, 2]);
    // Packed and unpacked encodings of a repeated scalar are both accepted.
    expect(decodeMessage(Hello, bytes(varintField(1, 1), varintField(1, 2))).versions).toEqual([1, 2]);
    expectCode(() => decodeMessage(Hello, bytes(lenField(1, [0x80]))), ErrorCode.FRAME_TRUNCATED);
  });
});
