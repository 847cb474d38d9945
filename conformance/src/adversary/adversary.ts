// An adversarial server for client mode: a man-in-the-middle between a
// client (through its adapter) and the reference server, built on the fault
// proxy. It unmasks each WebSocket data frame, decodes the Kabar Frame in it
// (@kabar/protocol), lets a script observe it and rewrite, hold back, replay
// or drop it, and re-encodes what the script returns. Everything it does is
// a deterministic function of the script (driven by fast-check values), so
// counterexamples shrink and replay.
import { decodeFrame, encodeFrame, type Frame } from "@kabar/protocol";
import { startFaultProxy, type FaultAction, type FaultProxy, type ProxyDirection } from "../proxy/fault-proxy.js";
import { buildWebSocketFrame, type RawFrame } from "../proxy/websocket-frames.js";

/** One decoded Kabar frame on its way through the adversary. */
export interface AdversaryEvent {
  /** Which connection (0, 1, ... in accept order). */
  readonly connection: number;
  /** Which way it travels. */
  readonly direction: ProxyDirection;
  /** The account the connection authenticated as (lower-case hex), once known. */
  readonly account: string | undefined;
  /** The device the connection authenticated as, once known. */
  readonly device: number | undefined;
  /** The frame. */
  readonly frame: Frame;
}

/**
 * What the adversary does: for each decoded frame, return the frames to
 * forward in its place (none drops it, several inject), or undefined to
 * forward it unchanged. Frames that do not decode are forwarded unchanged.
 */
export type AdversaryScript = (event: AdversaryEvent) => readonly Frame[] | undefined;

/** A running adversary. */
export interface Adversary {
  /** The ws:// URL to give the client instead of the server's. */
  readonly url: string;
  /** Replaces the script for frames from now on. */
  setScript(script: AdversaryScript): void;
  /** Cuts every connection (clients reconnect). */
  disconnectAll(): void;
  /** Stops it. */
  close(): Promise<void>;
}

const CLIENT_MASK = Uint8Array.of(0x6b, 0x61, 0x62, 0x72);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** The (unmasked) payload of one complete WebSocket frame. */
export function framePayload(frame: RawFrame): Uint8Array {
  const bytes = frame.bytes;
  const masked = (bytes[1]! & 0x80) !== 0;
  const short = bytes[1]! & 0x7f;
  let offset = short === 126 ? 4 : short === 127 ? 10 : 2;
  let mask: Uint8Array | undefined;
  if (masked) {
    mask = bytes.subarray(offset, offset + 4);
    offset += 4;
  }
  const payload = bytes.slice(offset);
  if (mask !== undefined) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  return payload;
}

/** Encodes a Kabar frame as one binary WebSocket frame, masked when it goes to the server. */
export function wsFrameOf(frame: Frame, direction: ProxyDirection): Uint8Array {
  const payload = encodeFrame(frame);
  if (direction === "to-client") return buildWebSocketFrame(2, payload);
  // Masked as a client must (RFC 6455, 5.3), built directly: frames can be large.
  const lengthBytes = payload.length < 126 ? [payload.length] : payload.length < 65_536 ? [126, payload.length >> 8, payload.length & 0xff] : [127, 0, 0, 0, 0, (payload.length >>> 24) & 0xff, (payload.length >>> 16) & 0xff, (payload.length >>> 8) & 0xff, payload.length & 0xff];
  const out = new Uint8Array(2 + lengthBytes.length - 1 + 4 + payload.length);
  out[0] = 0x82;
  out[1] = 0x80 | lengthBytes[0]!;
  out.set(lengthBytes.slice(1), 2);
  const maskAt = 1 + lengthBytes.length;
  out.set(CLIENT_MASK, maskAt);
  for (let i = 0; i < payload.length; i++) out[maskAt + 4 + i] = payload[i]! ^ CLIENT_MASK[i % 4]!;
  return out;
}

/** Starts an adversary in front of `upstream` (the reference server's ws:// URL). */
export async function startAdversary(upstream: string, script: AdversaryScript): Promise<Adversary> {
  let current = script;
  const identities = new Map<number, { account: string; device: number }>();
  const proxy: FaultProxy = await startFaultProxy(upstream, ({ connection, direction, frame: raw }): FaultAction => {
    let frame: Frame;
    try {
      frame = decodeFrame(framePayload(raw));
    } catch {
      return { kind: "pass" };
    }
    const kind = frame.kind;
    if (direction === "to-server" && kind?.$case === "request" && kind.value.body?.$case === "authenticate") {
      identities.set(connection, { account: hex(kind.value.body.value.accountId), device: kind.value.body.value.deviceId });
    }
    const who = identities.get(connection);
    const replaced = current({ connection, direction, account: who?.account, device: who?.device, frame });
    if (replaced === undefined) return { kind: "pass" };
    return { kind: "replace", frames: replaced.map((f) => wsFrameOf(f, direction)) };
  });
  return {
    url: proxy.url,
    setScript: (next) => {
      current = next;
    },
    disconnectAll: () => proxy.disconnectAll(),
    close: () => proxy.close(),
  };
}

/** The account update a to-client frame carries as a push, if any. */
export function pushedUpdate(frame: Frame) {
  const kind = frame.kind;
  if (kind?.$case !== "push" || kind.value.body?.$case !== "update") return undefined;
  return kind.value.body.value.update;
}

/** The script that changes nothing. */
export const honest: AdversaryScript = () => undefined;
