// A drop-in replacement for @bufbuild/protobuf's wire BinaryWriter, used by
// the generated ts-proto encoders (scripts/generate.mjs rewrites their
// import). Same public API and the same range checks and error messages, but:
//
// - one growable buffer per writer, borrowed from a one-slot pool at
//   construction and handed back by finish(), so a steady stream of encodes
//   allocates exactly one Uint8Array each: the result;
// - fork() reserves one length byte; join() writes the length there and only
//   shifts the payload (copyWithin) when the length needs more bytes;
// - inline fast paths for small varints, uint64/int64 bigints below 2^53 and
//   short ASCII strings; everything else goes through the same protoInt64 and
//   TextEncoder conversions as the original writer.
import { protoInt64 } from "@bufbuild/protobuf";
import type { WireType } from "@bufbuild/protobuf/wire";

const INITIAL_SIZE = 1024;
const POOL_MAX = 1 << 20;
const TWO_32 = 4_294_967_296;
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
/** Nesting depths for which fork() remembers how many length bytes the last section needed. */
const PREDICT_DEPTH = 16;
const predicted = new Uint8Array(PREDICT_DEPTH).fill(1);

// The pool holds at most one idle buffer. A writer that finds it empty (a
// second writer alive at the same time, or one abandoned by an exception
// mid-encode) just allocates its own.
let pooled: Uint8Array | null = null;

let f64: DataView | undefined;
function scratch(): DataView {
  return (f64 ??= new DataView(new ArrayBuffer(8)));
}


/** The exact checks of the original writer for a value that failed the fast test. */
function assertUInt32(arg: unknown): void {
  let n = arg;
  if (typeof n === "string") n = Number(n);
  else if (typeof n !== "number") throw new Error(`invalid uint32: ${typeof n}`);
  if (!Number.isInteger(n) || (n as number) > 0xffffffff || (n as number) < 0) throw new Error(`invalid uint32: ${String(n)}`);
}

function assertInt32(arg: unknown): void {
  let n = arg;
  if (typeof n === "string") n = Number(n);
  else if (typeof n !== "number") throw new Error(`invalid int32: ${typeof n}`);
  if (!Number.isInteger(n) || (n as number) > 0x7fffffff || (n as number) < -0x80000000) throw new Error(`invalid int32: ${String(n)}`);
}

function assertFloat32(arg: unknown): number {
  let n = arg;
  if (typeof n === "string") {
    n = Number(arg);
    if (Number.isNaN(n) && arg !== "NaN") throw new Error(`invalid float32: ${arg as string}`);
  } else if (typeof n !== "number") throw new Error(`invalid float32: ${typeof n}`);
  if (!Number.isFinite(Math.fround(n as number)) && Number.isFinite(n)) throw new Error(`invalid float32: ${String(n)}`);
  return n as number;
}

function varint32Size(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** Serialises protobuf wire data into one growable buffer. API-compatible with @bufbuild/protobuf's BinaryWriter. */
export class BinaryWriter {
  private buf: Uint8Array;
  private pos = 0;
  /** Per open fork: where its payload starts, and how many length bytes it reserved. */
  private readonly stack: number[] = [];
  private readonly encodeUtf8: ((text: string) => Uint8Array) | undefined;

  constructor(encodeUtf8?: (text: string) => Uint8Array) {
    this.encodeUtf8 = encodeUtf8;
    const take = pooled;
    if (take !== null) {
      pooled = null;
      this.buf = take;
    } else this.buf = new Uint8Array(INITIAL_SIZE);
  }

  private grow(extra: number): void {
    const required = this.pos + extra;
    let size = this.buf.length === 0 ? INITIAL_SIZE : this.buf.length * 2;
    while (size < required) size *= 2;
    const next = new Uint8Array(size);
    if (this.pos > 0) next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Returns all bytes written and resets this writer. */
  finish(): Uint8Array<ArrayBuffer> {
    const buf = this.buf;
    const result = buf.slice(0, this.pos) as Uint8Array<ArrayBuffer>;
    this.pos = 0;
    this.stack.length = 0;
    if (buf.length > 0 && buf.length <= POOL_MAX && (pooled === null || pooled.length < buf.length)) pooled = buf;
    this.buf = EMPTY;
    return result;
  }

  /**
   * Starts a length-delimited section; must be closed with {@link join}.
   * Reserves as many length bytes as the last section at this nesting depth
   * needed (one at first), so encoding a stream of similar messages rarely
   * has to move a payload.
   */
  fork(): this {
    const depth = this.stack.length >> 1;
    const reserve = depth < PREDICT_DEPTH ? predicted[depth]! : 1;
    this.stack.push(this.pos + reserve, reserve);
    if (this.pos + reserve > this.buf.length) this.grow(reserve);
    this.pos += reserve;
    return this;
  }

  /** Closes the last fork: writes its length before its bytes. */
  join(): this {
    const reserved = this.stack.pop();
    const start = this.stack.pop();
    if (start === undefined || reserved === undefined) throw new Error("invalid state, fork stack empty");
    const len = this.pos - start;
    const depth = this.stack.length >> 1;
    const size = len < 0x80 ? 1 : varint32Size(len);
    if (depth < PREDICT_DEPTH) predicted[depth] = size;
    let p = start - reserved;
    if (size !== reserved) {
      // Move the payload so that exactly `size` length bytes precede it.
      if (size > reserved && this.pos + size - reserved > this.buf.length) this.grow(size - reserved);
      this.buf.copyWithin(p + size, start, this.pos);
      this.pos += size - reserved;
    }
    const buf = this.buf;
    let v = len;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
    return this;
  }

  /** Writes a tag (field number and wire type). */
  tag(fieldNo: number, type: WireType): this {
    return this.uint32(((fieldNo << 3) | type) >>> 0);
  }

  /** Writes raw bytes. */
  raw(chunk: Uint8Array): this {
    const len = chunk.length;
    if (this.pos + len > this.buf.length) this.grow(len);
    this.buf.set(chunk, this.pos);
    this.pos += len;
    return this;
  }

  /** Writes an unsigned 32-bit varint. */
  uint32(value: number): this {
    if (value >>> 0 !== value) {
      assertUInt32(value);
      value = +value >>> 0;
    }
    if (this.pos + 5 > this.buf.length) this.grow(5);
    const buf = this.buf;
    let pos = this.pos;
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[pos++] = value;
    this.pos = pos;
    return this;
  }

  /** Writes a signed 32-bit varint (negative values take 10 bytes). */
  int32(value: number): this {
    if ((value | 0) !== value) {
      assertInt32(value);
      value = +value | 0;
    }
    if (value >= 0) return this.uint32(value);
    if (this.pos + 10 > this.buf.length) this.grow(10);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < 9; i++) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>= 7;
    }
    buf[pos++] = 1;
    this.pos = pos;
    return this;
  }

  /** Writes a bool varint. */
  bool(value: boolean): this {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = value ? 1 : 0;
    return this;
  }

  /** Writes length-delimited bytes. */
  bytes(value: Uint8Array): this {
    const len = value.byteLength;
    if (this.pos + len + 5 > this.buf.length) this.grow(len + 5);
    const buf = this.buf;
    let pos = this.pos;
    let v = len;
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    if (len > 0) buf.set(value, pos);
    this.pos = pos + len;
    return this;
  }

  /** Writes a length-delimited UTF-8 string. */
  string(value: string): this {
    if (typeof value !== "string") value = String(value);
    const len = value.length;
    if (this.pos + len * 3 + 5 > this.buf.length) this.grow(len * 3 + 5);
    const buf = this.buf;
    const start = this.pos;
    if (len < 0x80) {
      // Short ASCII strings: one length byte, one byte per character.
      let pos = start + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = value.charCodeAt(i);
        if (c > 0x7f) break;
        buf[pos++] = c;
      }
      if (i === len) {
        buf[start] = len;
        this.pos = pos;
        return this;
      }
    }
    let written: number;
    const guess = varint32Size(len);
    if (this.encodeUtf8 === undefined) {
      written = encoder.encodeInto(value, buf.subarray(start + guess)).written;
    } else {
      const bytes = this.encodeUtf8(value);
      if (start + guess + bytes.length > buf.length) this.grow(guess + bytes.length);
      this.buf.set(bytes, start + guess);
      written = bytes.length;
    }
    const size = varint32Size(written);
    if (size !== guess) this.buf.copyWithin(start + size, start + guess, start + guess + written);
    this.pos = start;
    this.uint32(written);
    this.pos += written;
    return this;
  }

  /** Writes a 32-bit float. */
  float(value: number): this {
    const n = assertFloat32(value);
    const view = scratch();
    view.setFloat32(0, n, true);
    return this.fixedBytes(view, 4);
  }

  /** Writes a 64-bit float. */
  double(value: number): this {
    const view = scratch();
    view.setFloat64(0, value, true);
    return this.fixedBytes(view, 8);
  }

  /** Writes an unsigned fixed 32-bit integer. */
  fixed32(value: number): this {
    assertUInt32(value);
    return this.fixed32Bits(+value);
  }

  /** Writes a signed fixed 32-bit integer. */
  sfixed32(value: number): this {
    assertInt32(value);
    return this.fixed32Bits(+value);
  }

  /** Writes a zigzag-encoded signed 32-bit varint. */
  sint32(value: number): this {
    assertInt32(value);
    value = +value;
    return this.uint32(((value << 1) ^ (value >> 31)) >>> 0);
  }

  /** Writes a signed fixed 64-bit integer. */
  sfixed64(value: string | number | bigint): this {
    const tc = protoInt64.enc(value);
    this.fixed32Bits(tc.lo);
    return this.fixed32Bits(tc.hi);
  }

  /** Writes an unsigned fixed 64-bit integer. */
  fixed64(value: string | number | bigint): this {
    const tc = protoInt64.uEnc(value);
    this.fixed32Bits(tc.lo);
    return this.fixed32Bits(tc.hi);
  }

  /** Writes a signed 64-bit varint. */
  int64(value: string | number | bigint): this {
    if (typeof value === "bigint" && value >= 0n && value <= 0x1fffffffffffffn) return this.smallUint64(Number(value));
    const tc = protoInt64.enc(value);
    return this.varint64(tc.lo, tc.hi);
  }

  /** Writes a zigzag-encoded signed 64-bit varint. */
  sint64(value: string | number | bigint): this {
    const tc = protoInt64.enc(value);
    const sign = tc.hi >> 31;
    const lo = (tc.lo << 1) ^ sign;
    const hi = ((tc.hi << 1) | (tc.lo >>> 31)) ^ sign;
    return this.varint64(lo, hi);
  }

  /** Writes an unsigned 64-bit varint. */
  uint64(value: string | number | bigint): this {
    if (typeof value === "bigint" && value >= 0n && value <= 0x1fffffffffffffn) return this.smallUint64(Number(value));
    const tc = protoInt64.uEnc(value);
    return this.varint64(tc.lo, tc.hi);
  }

  /** A non-negative integer below 2^53 as a varint, without bigint arithmetic. */
  private smallUint64(n: number): this {
    if (n < TWO_32) return this.uint32(n);
    const lo = n >>> 0;
    return this.varint64(lo, (n - lo) / TWO_32);
  }

  private varint64(lo: number, hi: number): this {
    if (this.pos + 10 > this.buf.length) this.grow(10);
    const buf = this.buf;
    let pos = this.pos;
    lo >>>= 0;
    hi >>>= 0;
    while (hi !== 0 || lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
    return this;
  }

  private fixed32Bits(value: number): this {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = value & 0xff;
    buf[pos + 1] = (value >>> 8) & 0xff;
    buf[pos + 2] = (value >>> 16) & 0xff;
    buf[pos + 3] = (value >>> 24) & 0xff;
    this.pos = pos + 4;
    return this;
  }

  private fixedBytes(view: DataView, n: number): this {
    if (this.pos + n > this.buf.length) this.grow(n);
    for (let i = 0; i < n; i++) this.buf[this.pos + i] = view.getUint8(i);
    this.pos += n;
    return this;
  }
}
