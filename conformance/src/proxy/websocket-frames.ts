// Splits a WebSocket byte stream (RFC 6455, section 5.2) into whole frames
// without unmasking or interpreting payloads: the fault proxy only needs to
// know where each frame starts and ends, and whether it is a data frame it
// may drop, delay or duplicate.

/** One frame as it travelled, with the header fields the proxy needs. */
export interface RawFrame {
  /** The complete frame bytes: header, mask key and payload. */
  readonly bytes: Uint8Array;
  /** The opcode: 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
  readonly opcode: number;
  /** The FIN bit: the last frame of a message. */
  readonly fin: boolean;
}

/** Incremental frame splitter for one direction of one connection. */
export class WebSocketFrameSplitter {
  #buffer: Uint8Array = new Uint8Array(0);

  /** Feeds bytes; returns every frame completed by them. Throws RangeError on a length no implementation may send (> 2^53). */
  push(chunk: Uint8Array): RawFrame[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const frames: RawFrame[] = [];
    let pos = 0;
    for (;;) {
      const size = frameSize(joined, pos);
      if (size === undefined || joined.length - pos < size) break;
      frames.push({ bytes: joined.slice(pos, pos + size), opcode: joined[pos]! & 0x0f, fin: (joined[pos]! & 0x80) !== 0 });
      pos += size;
    }
    this.#buffer = joined.slice(pos);
    return frames;
  }
}

/** The total size of the frame starting at `pos`, or undefined while its header is incomplete. */
function frameSize(buf: Uint8Array, pos: number): number | undefined {
  if (buf.length - pos < 2) return undefined;
  const masked = (buf[pos + 1]! & 0x80) !== 0;
  const short = buf[pos + 1]! & 0x7f;
  let header = 2;
  let length = short;
  if (short === 126) {
    if (buf.length - pos < 4) return undefined;
    length = (buf[pos + 2]! << 8) | buf[pos + 3]!;
    header = 4;
  } else if (short === 127) {
    if (buf.length - pos < 10) return undefined;
    const view = new DataView(buf.buffer, buf.byteOffset + pos + 2, 8);
    const big = view.getBigUint64(0, false);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`WebSocket frame length ${big} is out of range`);
    length = Number(big);
    header = 10;
  }
  return header + (masked ? 4 : 0) + length;
}

/** Builds one unfragmented frame; `mask` (4 bytes) masks it as a client must. For tests and probes. */
export function buildWebSocketFrame(opcode: number, payload: Uint8Array, mask?: Uint8Array): Uint8Array {
  const lengthBytes = payload.length < 126 ? [payload.length] : payload.length < 65_536 ? [126, payload.length >> 8, payload.length & 0xff] : [127, ...bigEndian64(payload.length)];
  const header = [0x80 | opcode, (mask !== undefined ? 0x80 : 0) | lengthBytes[0]!, ...lengthBytes.slice(1)];
  const body = mask !== undefined ? payload.map((b, i) => b ^ mask[i % 4]!) : payload;
  return Uint8Array.from([...header, ...(mask ?? []), ...body]);
}

function bigEndian64(n: number): number[] {
  const out = new Array<number>(8).fill(0);
  let v = BigInt(n);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
