// The adapter framing: every message on the adapter's stdin and stdout is a
// 4-byte big-endian unsigned length followed by that many bytes of one
// serialized message (CONF-ADAPTER-001). Big-endian because the spec's
// notation (u32be) is; protobuf's own conformance runner uses little-endian,
// so the byte order is stated, not assumed.
import { ConformanceError } from "../errors.js";

/** Largest adapter frame either side accepts: 16 MiB (CONF-ADAPTER-002). */
export const MAX_ADAPTER_FRAME_BYTES = 16 * 1024 * 1024;

/** Prefixes `payload` with its length as u32be. */
export function encodeLengthPrefixed(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_ADAPTER_FRAME_BYTES) {
    throw new ConformanceError("HARNESS", `adapter frame of ${payload.length} bytes exceeds ${MAX_ADAPTER_FRAME_BYTES}`);
  }
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length, false);
  out.set(payload, 4);
  return out;
}

/** Splits a byte stream into length-prefixed frames, however the stream is chunked. */
export class LengthPrefixedReader {
  readonly #maxBytes: number;
  #buffer: Uint8Array = new Uint8Array(0);

  constructor(maxBytes = MAX_ADAPTER_FRAME_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Feeds a chunk; returns every frame completed by it. Throws ADAPTER_PROTOCOL on an oversized length. */
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const frames: Uint8Array[] = [];
    let pos = 0;
    while (joined.length - pos >= 4) {
      const length = new DataView(joined.buffer, joined.byteOffset + pos, 4).getUint32(0, false);
      // Checked before waiting for the body, so a garbage length (for
      // example text printed to stdout) fails at once instead of hanging.
      if (length > this.#maxBytes) {
        throw new ConformanceError("ADAPTER_PROTOCOL", `adapter announced a frame of ${length} bytes, over the ${this.#maxBytes}-byte limit (stdout must carry only length-prefixed frames)`);
      }
      if (joined.length - pos - 4 < length) break;
      frames.push(joined.slice(pos + 4, pos + 4 + length));
      pos += 4 + length;
    }
    this.#buffer = joined.slice(pos);
    return frames;
  }

  /** Bytes received that do not form a complete frame yet. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }
}
