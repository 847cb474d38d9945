import { ErrorCode } from "../gen/kabar/v1/errors.pb.js";
import { MESSAGE_SHAPES, type FieldShape } from "../gen/shapes.js";
import { KabarError } from "../errors.js";
import { MAX_NESTING_DEPTH } from "../limits.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const MAX_FIELD_NUMBER = 536_870_911;

/** Options of {@link validateWire}. */
export interface WireValidationOptions {
  /** Deepest nesting of embedded messages accepted; defaults to {@link MAX_NESTING_DEPTH}. */
  readonly maxDepth?: number;
}

function fail(code: ErrorCode, rule: string, message: string): never {
  throw new KabarError(code, message, { rule });
}

/**
 * Checks that `bytes` is a well-formed encoding of the message type
 * `typeName` before any typed decoder touches it: every tag, varint and
 * length is in bounds, every known field has its declared wire type, strings
 * are UTF-8, no known singular field or oneof member repeats, and embedded
 * messages nest no deeper than the limit. Unknown fields are skipped
 * (WIRE-DECODE-009). Throws a {@link KabarError}; never another exception.
 */
export function validateWire(typeName: string, bytes: Uint8Array, options: WireValidationOptions = {}): void {
  const shapes = MESSAGE_SHAPES[typeName];
  if (shapes === undefined) throw new RangeError(`unknown message type ${typeName}`);
  walk(bytes, 0, bytes.length, shapes, 1, options.maxDepth ?? MAX_NESTING_DEPTH);
}

/**
 * {@link validateWire} over `buf[start, end)` as a message nested at `depth`:
 * used by the fused decoders for message types they do not fuse.
 * @internal
 */
export function validateWireRange(typeName: string, buf: Uint8Array, start: number, end: number, depth: number, maxDepth: number): void {
  const shapes = MESSAGE_SHAPES[typeName];
  if (shapes === undefined) throw new RangeError(`unknown message type ${typeName}`);
  walk(buf, start, end, shapes, depth, maxDepth);
}

function walk(
  buf: Uint8Array,
  start: number,
  end: number,
  shapes: Readonly<Record<number, FieldShape>>,
  depth: number,
  maxDepth: number,
): void {
  if (depth > maxDepth) fail(ErrorCode.FRAME_NESTING_TOO_DEEP, "WIRE-DECODE-005", `messages nested deeper than ${maxDepth}`);
  let seen: Set<number | string> | undefined;
  let pos = start;
  while (pos < end) {
    // Tag: a varint of at most 5 bytes holding field number and wire type.
    let tag = 0;
    let shift = 0;
    let scale = 1; // 2 ** shift, kept as a product: Math.pow in this loop was a hot spot
    for (;;) {
      if (pos >= end) fail(ErrorCode.FRAME_TRUNCATED, "WIRE-DECODE-001", "input ends inside a tag");
      const b = buf[pos++]!;
      if (shift === 28 && b > 0x0f) fail(ErrorCode.FRAME_FIELD_NUMBER_INVALID, "WIRE-DECODE-008", "tag exceeds 32 bits");
      tag += (b & 0x7f) * scale;
      if (b < 0x80) break;
      shift += 7;
      scale *= 128;
    }
    const wire = tag % 8;
    const num = Math.floor(tag / 8);
    if (num === 0 || num > MAX_FIELD_NUMBER) fail(ErrorCode.FRAME_FIELD_NUMBER_INVALID, "WIRE-DECODE-008", `field number ${num} is out of range`);
    const shape = shapes[num];
    if (shape !== undefined) {
      const packed = wire === 2 && shape.r === true && shape.w !== 2;
      if (wire !== shape.w && !packed) {
        fail(ErrorCode.FRAME_WIRE_TYPE_INVALID, "WIRE-DECODE-002", `field ${shape.n} has wire type ${wire}, expected ${shape.w}`);
      }
      if (shape.r !== true) {
        const key = shape.o ?? num;
        seen ??= new Set();
        if (seen.has(key)) fail(ErrorCode.FRAME_DUPLICATE_FIELD, "WIRE-DECODE-007", `field ${shape.o ?? shape.n} occurs more than once`);
        seen.add(key);
      }
    }
    switch (wire) {
      case 0:
        pos = skipVarint(buf, pos, end);
        break;
      case 1:
        if (end - pos < 8) fail(ErrorCode.FRAME_TRUNCATED, "WIRE-DECODE-001", "input ends inside a fixed64");
        pos += 8;
        break;
      case 5:
        if (end - pos < 4) fail(ErrorCode.FRAME_TRUNCATED, "WIRE-DECODE-001", "input ends inside a fixed32");
        pos += 4;
        break;
      case 2: {
        const [len, next] = readLength(buf, pos, end);
        const bodyEnd = next + len;
        if (shape !== undefined) checkLengthDelimited(buf, next, bodyEnd, shape, depth, maxDepth);
        pos = bodyEnd;
        break;
      }
      default:
        fail(ErrorCode.FRAME_WIRE_TYPE_INVALID, "WIRE-DECODE-002", `wire type ${wire} is not allowed`);
    }
  }
}

function checkLengthDelimited(
  buf: Uint8Array,
  start: number,
  end: number,
  shape: FieldShape,
  depth: number,
  maxDepth: number,
): void {
  if (shape.m !== undefined) {
    walk(buf, start, end, MESSAGE_SHAPES[shape.m]!, depth + 1, maxDepth);
  } else if (shape.k === "string") {
    try {
      utf8.decode(buf.subarray(start, end));
    } catch {
      fail(ErrorCode.FRAME_INVALID_UTF8, "WIRE-DECODE-006", `field ${shape.n} is not valid UTF-8`);
    }
  } else if (shape.w !== 2) {
    // A packed run of scalars: it must hold whole values.
    let pos = start;
    if (shape.w === 0) while (pos < end) pos = skipVarint(buf, pos, end);
    else if ((end - start) % (shape.w === 1 ? 8 : 4) !== 0) {
      fail(ErrorCode.FRAME_TRUNCATED, "WIRE-DECODE-001", `packed field ${shape.n} ends inside a value`);
    }
  }
}

function skipVarint(buf: Uint8Array, pos: number, end: number): number {
  for (let i = 0; i < 10; i++) {
    if (pos >= end) fail(ErrorCode.FRAME_TRUNCATED, "WIRE-DECODE-001", "input ends inside a varint");
    const b = buf[pos++]!;
    if (b < 0x80) {
      if (i === 9 && b > 1) fail(ErrorCode.FRAME_VARINT_OVERFLOW, "WIRE-DECODE-003", "varint overflows 64 bits");
      return pos;
    }
  }
  return fail(ErrorCode.FRAME_VARINT_OVERFLOW, "WIRE-DECODE-003", "varint longer than 10 bytes");
}

function readLength(buf: Uint8Array, pos: number, end: number): [number, number] {
  let len = 0;
  let scale = 1; // 2 ** (7 * i)
  for (let i = 0; i < 10; i++, scale *= 128) {
    if (pos >= end) fail(ErrorCode.FRAME_TRUNCATED, "WIRE-DECODE-001", "input ends inside a length");
    const b = buf[pos++]!;
    if (i < 5) len += (b & 0x7f) * scale;
    else if ((b & 0x7f) !== 0) len = Number.MAX_SAFE_INTEGER;
    if (b < 0x80) {
      if (i === 9 && b > 1) fail(ErrorCode.FRAME_VARINT_OVERFLOW, "WIRE-DECODE-003", "varint overflows 64 bits");
      if (len > end - pos) fail(ErrorCode.FRAME_LENGTH_OUT_OF_BOUNDS, "WIRE-DECODE-004", `length ${len} runs past the end of its message`);
      return [len, pos];
    }
  }
  return fail(ErrorCode.FRAME_VARINT_OVERFLOW, "WIRE-DECODE-003", "varint longer than 10 bytes");
}
