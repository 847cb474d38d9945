// Runtime of the fused single-pass strict decoders that scripts/generate.mjs
// emits into src/gen/strict-decoders.ts. The generated functions read the
// common cases inline (one-byte tags, varints and lengths); everything rarer
// lands here. Every rule, error code, rule id and check order is the one of
// strict-decode.ts (validateWire), so the fused decoders reject exactly what
// validateWire rejects, with the same code, and decode the rest exactly as
// the generated ts-proto decoders would after validateWire.
import { ErrorCode, type MessageFns } from "../gen/kabar/v1/errors.pb.js";
import type { FieldShape } from "../gen/shapes.js";
import { KabarError } from "../errors.js";
import { validateWire, validateWireRange } from "./strict-decode.js";

const MAX_FIELD_NUMBER = 536_870_911;
/** ts-proto's generated decoders refuse to nest deeper than this. */
const TS_PROTO_RECURSION_LIMIT = 100;

/** A decoder for one message type over `buf[pos, end)` at nesting depth `depth`. */
export type FusedDecoder<T> = (buf: Uint8Array, pos: number, end: number, depth: number) => T;

/**
 * Mutable decoder state: where a slow-path read stopped, the two 32-bit
 * halves of the last 64-bit varint, and the depth limit of the current decode.
 */
export const R = { pos: 0, lo: 0, hi: 0, limit: 32, maxDepth: 32 };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const DEPTH_MARKER = new Error("ts-proto recursion limit");

/** The bigints 0..127, so one-byte 64-bit varints allocate nothing. */
export const SMALL: readonly bigint[] = Array.from({ length: 128 }, (_, i) => BigInt(i));

function fail(code: ErrorCode, rule: string, message: string): never {
  throw new KabarError(code, message, { rule });
}

/** Decodes one whole message of type `name` with its fused decoder. */
export function runFused<T>(name: string, decoder: FusedDecoder<T>, bytes: Uint8Array, maxDepth: number): T {
  R.maxDepth = maxDepth;
  R.limit = maxDepth < TS_PROTO_RECURSION_LIMIT ? maxDepth : TS_PROTO_RECURSION_LIMIT;
  try {
    return decoder(bytes, 0, bytes.length, 1);
  } catch (error) {
    if (error === DEPTH_MARKER) {
      // Deeper than ts-proto's decoders go, yet within maxDepth: report what
      // validateWire + ts-proto did, the first validation failure if any,
      // else the decoder's refusal.
      validateWire(name, bytes, { maxDepth });
      throw new KabarError(ErrorCode.FRAME_TRUNCATED, "generated decoder rejected validated input", {
        cause: new Error("protobuf decode recursion limit exceeded"),
        rule: "WIRE-DECODE-001",
      });
    }
    if (error instanceof KabarError) throw error;
    // The decoders throw nothing else; reaching this is a bug, still
    // reported with a stable code, as the two-pass path did.
    throw new KabarError(ErrorCode.FRAME_TRUNCATED, "strict decoder failed", { cause: error, rule: "WIRE-DECODE-001" });
  }
}

/** Called on entry of a message deeper than R.limit. */
export function depthFail(depth: number): never {
  if (depth > R.maxDepth) fail(ErrorCode.FRAME_NESTING_TOO_DEEP, "WIRE-DECODE-005", `messages nested deeper than ${R.maxDepth}`);
  throw DEPTH_MARKER;
}

/** Rest of a tag whose first byte `first` (already consumed) has the continuation bit. Sets R.pos. */
export function tagSlow(buf: Uint8Array, pos: number, end: number, first: number): number {
  let tag = first & 0x7f;
  let shift = 7;
  let scale = 128;
  for (;;) {
    if (pos >= end) fail(ErrorCode.FRAME_TRUNCATED, "WIRE-DECODE-001", "input ends inside a tag");
    const b = buf[pos++]!;
    if (shift === 28 && b > 0x0f) fail(ErrorCode.FRAME_FIELD_NUMBER_INVALID, "WIRE-DECODE-008", "tag exceeds 32 bits");
    tag += (b & 0x7f) * scale;
    if (b < 0x80) break;
    shift += 7;
    scale *= 128;
  }
  R.pos = pos;
  return tag;
}

/** Reads a varint of at most 10 bytes ending within `end` into R.lo/R.hi (unsigned halves). Sets R.pos. */
export function v64(buf: Uint8Array, pos: number, end: number): void {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) fail(ErrorCode.FRAME_TRUNCATED, "WIRE-DECODE-001", "input ends inside a varint");
    const b = buf[pos++]!;
    const bits = b & 0x7f;
    if (i < 4) lo |= bits << (7 * i);
    else if (i === 4) {
      lo |= (bits & 0x0f) << 28;
      hi = bits >>> 4;
    } else hi |= bits << (7 * i - 32);
    if (b < 0x80) {
      if (i === 9 && b > 1) fail(ErrorCode.FRAME_VARINT_OVERFLOW, "WIRE-DECODE-003", "varint overflows 64 bits");
      R.pos = pos;
      R.lo = lo >>> 0;
      R.hi = hi >>> 0;
      return;
    }
  }
  fail(ErrorCode.FRAME_VARINT_OVERFLOW, "WIRE-DECODE-003", "varint longer than 10 bytes");
}

/** A varint as its low 32 bits, unsigned (uint32, and int32/enum/sint32 after conversion). Sets R.pos. */
export function v32(buf: Uint8Array, pos: number, end: number): number {
  v64(buf, pos, end);
  return R.lo;
}

/** A varint as a bool: any of its 64 bits set. Sets R.pos. */
export function vBool(buf: Uint8Array, pos: number, end: number): boolean {
  v64(buf, pos, end);
  return (R.lo | R.hi) !== 0;
}

/** A varint as an unsigned 64-bit bigint. Sets R.pos. */
export function vU64(buf: Uint8Array, pos: number, end: number): bigint {
  v64(buf, pos, end);
  return R.hi === 0 ? BigInt(R.lo) : R.hi < 0x200000 ? BigInt(R.hi * 4_294_967_296 + R.lo) : (BigInt(R.hi) << 32n) | BigInt(R.lo);
}

/** A varint as a signed 64-bit bigint. Sets R.pos. */
export function vI64(buf: Uint8Array, pos: number, end: number): bigint {
  const u = vU64(buf, pos, end);
  return R.hi >= 0x80000000 ? BigInt.asIntN(64, u) : u;
}

/** A zigzag varint as a signed 64-bit bigint. Sets R.pos. */
export function vS64(buf: Uint8Array, pos: number, end: number): bigint {
  const u = vU64(buf, pos, end);
  return (u >> 1n) ^ -(u & 1n);
}

/** Zigzag-decodes a 32-bit value. */
export function zz32(v: number): number {
  return (v >>> 1) ^ -(v & 1);
}

/** A length prefix: at most 10 bytes, no overflow, not past `end`. Sets R.pos. */
export function len(buf: Uint8Array, pos: number, end: number): number {
  // Fast path: a two-byte length (128..16383); the generated code reads
  // one-byte lengths inline.
  if (end - pos >= 2 && buf[pos]! >= 0x80) {
    const b1 = buf[pos + 1]!;
    if (b1 < 0x80) {
      const n = (buf[pos]! & 0x7f) | (b1 << 7);
      pos += 2;
      if (n > end - pos) outOfBounds(n);
      R.pos = pos;
      return n;
    }
  }
  return lenSlow(buf, pos, end);
}

function lenSlow(buf: Uint8Array, pos: number, end: number): number {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) fail(ErrorCode.FRAME_TRUNCATED, "WIRE-DECODE-001", "input ends inside a length");
    const b = buf[pos++]!;
    if (i < 5) n += (b & 0x7f) * scale;
    else if ((b & 0x7f) !== 0) n = Number.MAX_SAFE_INTEGER;
    scale *= 128;
    if (b < 0x80) {
      if (i === 9 && b > 1) fail(ErrorCode.FRAME_VARINT_OVERFLOW, "WIRE-DECODE-003", "varint overflows 64 bits");
      if (n > end - pos) outOfBounds(n);
      R.pos = pos;
      return n;
    }
  }
  return fail(ErrorCode.FRAME_VARINT_OVERFLOW, "WIRE-DECODE-003", "varint longer than 10 bytes");
}

/** A length that runs past the end of its message. */
export function outOfBounds(n: number): never {
  fail(ErrorCode.FRAME_LENGTH_OUT_OF_BOUNDS, "WIRE-DECODE-004", `length ${n} runs past the end of its message`);
}

/** Fewer than `size` bytes left for a fixed-width value. */
export function fixedTruncated(size: 4 | 8): never {
  fail(ErrorCode.FRAME_TRUNCATED, "WIRE-DECODE-001", `input ends inside a fixed${size * 8}`);
}

/** A packed run of fixed-width values that does not hold whole values. */
export function packedTruncated(field: string): never {
  fail(ErrorCode.FRAME_TRUNCATED, "WIRE-DECODE-001", `packed field ${field} ends inside a value`);
}

/** A second occurrence of a singular field or oneof. */
export function duplicate(name: string): never {
  fail(ErrorCode.FRAME_DUPLICATE_FIELD, "WIRE-DECODE-007", `field ${name} occurs more than once`);
}

/** Decodes `buf[start, end)` as UTF-8, rejecting invalid input. */
export function str(buf: Uint8Array, start: number, end: number, field: string): string {
  const n = end - start;
  if (n <= 24) {
    let s = "";
    let i = start;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c > 0x7f) break;
      s += String.fromCharCode(c);
    }
    if (i === end) return s;
  }
  try {
    return utf8.decode(buf.subarray(start, end));
  } catch {
    return fail(ErrorCode.FRAME_INVALID_UTF8, "WIRE-DECODE-006", `field ${field} is not valid UTF-8`);
  }
}

const view = new DataView(new ArrayBuffer(8));
const scratch = new Uint8Array(view.buffer);

function load(buf: Uint8Array, pos: number, n: number): void {
  for (let i = 0; i < n; i++) scratch[i] = buf[pos + i]!;
}

/** Little-endian 32-bit float at `pos` (bounds already checked). */
export function f32(buf: Uint8Array, pos: number): number {
  load(buf, pos, 4);
  return view.getFloat32(0, true);
}

/** Little-endian 64-bit float at `pos` (bounds already checked). */
export function f64(buf: Uint8Array, pos: number): number {
  load(buf, pos, 8);
  return view.getFloat64(0, true);
}

/** Little-endian unsigned 32-bit integer at `pos` (bounds already checked). */
export function u32(buf: Uint8Array, pos: number): number {
  return (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
}

/** Little-endian unsigned 64-bit integer at `pos` (bounds already checked). */
export function u64(buf: Uint8Array, pos: number): bigint {
  load(buf, pos, 8);
  return view.getBigUint64(0, true);
}

/** Little-endian signed 64-bit integer at `pos` (bounds already checked). */
export function i64(buf: Uint8Array, pos: number): bigint {
  load(buf, pos, 8);
  return view.getBigInt64(0, true);
}

/**
 * Any tag the generated switch did not take: a field number out of range, a
 * known field with a wire type it may not have, or an unknown field, which
 * is skipped (WIRE-DECODE-009) when its wire type is 0, 1, 2 or 5. Returns
 * the position after the field.
 */
export function other(buf: Uint8Array, pos: number, end: number, tag: number, shapes: Readonly<Record<number, FieldShape>>): number {
  const wire = tag % 8;
  const num = Math.floor(tag / 8);
  if (num === 0 || num > MAX_FIELD_NUMBER) fail(ErrorCode.FRAME_FIELD_NUMBER_INVALID, "WIRE-DECODE-008", `field number ${num} is out of range`);
  const shape = shapes[num];
  if (shape !== undefined) {
    // The generated switch takes every wire type the field may have.
    fail(ErrorCode.FRAME_WIRE_TYPE_INVALID, "WIRE-DECODE-002", `field ${shape.n} has wire type ${wire}, expected ${shape.w}`);
  }
  switch (wire) {
    case 0:
      v64(buf, pos, end);
      return R.pos;
    case 1:
      if (end - pos < 8) fixedTruncated(8);
      return pos + 8;
    case 5:
      if (end - pos < 4) fixedTruncated(4);
      return pos + 4;
    case 2: {
      const n = len(buf, pos, end);
      return R.pos + n;
    }
    default:
      return fail(ErrorCode.FRAME_WIRE_TYPE_INVALID, "WIRE-DECODE-002", `wire type ${wire} is not allowed`);
  }
}

/**
 * A message type the generator cannot fuse (for example one with map
 * fields): validateWire's walk over its bytes, then its ts-proto decoder.
 */
export function viaTsProto<T>(name: string, codec: MessageFns<T>, buf: Uint8Array, pos: number, end: number, depth: number): T {
  validateWireRange(name, buf, pos, end, depth, R.maxDepth);
  try {
    return codec.decode(buf.subarray(pos, end));
  } catch (cause) {
    throw new KabarError(ErrorCode.FRAME_TRUNCATED, "generated decoder rejected validated input", { cause, rule: "WIRE-DECODE-001" });
  }
}
