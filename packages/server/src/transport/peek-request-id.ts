import { MAX_REQUEST_ID } from "@kabar/protocol";

// When a frame fails strict decoding, the error can still be answered on
// the request it belongs to if the request id is readable: field 1
// (request, length-delimited) whose first field is 1 (request_id, varint).
// This best-effort reader never throws.

function readVarint(bytes: Uint8Array, offset: number): [bigint, number] | undefined {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) return undefined;
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return [value, offset + i + 1];
  }
  return undefined;
}

/** The request id of a malformed request frame, when it can be read; else undefined. */
export function peekRequestId(bytes: Uint8Array): bigint | undefined {
  const tag = readVarint(bytes, 0);
  if (tag === undefined || tag[0] !== ((1n << 3n) | 2n)) return undefined;
  const length = readVarint(bytes, tag[1]);
  if (length === undefined) return undefined;
  const innerTag = readVarint(bytes, length[1]);
  if (innerTag === undefined || innerTag[0] !== 1n << 3n) return undefined;
  const id = readVarint(bytes, innerTag[1]);
  if (id === undefined || id[0] < 1n || id[0] > MAX_REQUEST_ID) return undefined;
  return id[0];
}
