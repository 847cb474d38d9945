// The adversary's frame codec: what it unmasks and re-encodes must be
// exactly what a WebSocket peer sends and reads, in both directions and at
// every length form (7-bit, 16-bit and 64-bit lengths).
import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame, type Frame } from "@kabar/protocol";
import { framePayload, wsFrameOf } from "../src/adversary/adversary.js";
import { buildWebSocketFrame, WebSocketFrameSplitter } from "../src/proxy/websocket-frames.js";

const ping = (n: number): Frame => ({ kind: { $case: "request", value: { requestId: BigInt(n), body: { $case: "sendToDevices", value: { clientMessageId: new Uint8Array(16), accountId: new Uint8Array(32), messages: [{ deviceId: 7, ciphertext: new Uint8Array(n).fill(9) }], deviceListVersion: 1n } } } } });

describe("adversary frames", () => {
  it.each([10, 300, 70_000])("re-encodes a %i-byte ciphertext frame that a peer splits and decodes identically, masked and unmasked", (n) => {
    for (const direction of ["to-server", "to-client"] as const) {
      const bytes = wsFrameOf(ping(n), direction);
      const [raw, ...rest] = new WebSocketFrameSplitter().push(bytes);
      expect(rest).toEqual([]);
      expect(((raw!.bytes[1]! & 0x80) !== 0)).toBe(direction === "to-server");
      expect(encodeFrame(decodeFrame(framePayload(raw!)))).toEqual(encodeFrame(ping(n)));
    }
  });

  it("unmasks what a client masked", () => {
    const payload = encodeFrame(ping(5));
    const [raw] = new WebSocketFrameSplitter().push(buildWebSocketFrame(2, payload, Uint8Array.of(1, 2, 3, 4)));
    expect(framePayload(raw!)).toEqual(payload);
  });
});
