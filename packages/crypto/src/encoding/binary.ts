// A minimal length-checked writer/reader for the versioned state layouts
// (ENC-STATE-001). Every read is bounds-checked; a short or trailing input is a
// decode error, never a partial state.
import { ErrorCode, fail } from "../errors.js";

/** Appends fixed-width big-endian fields and length-prefixed byte strings. */
export class ByteWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  /** Appends raw bytes. */
  bytes(value: Uint8Array): this {
    this.chunks.push(value);
    this.length += value.length;
    return this;
  }

  /** Appends one byte. */
  u8(value: number): this {
    return this.bytes(Uint8Array.of(value & 0xff));
  }

  /** Appends a big-endian 16-bit value. */
  u16(value: number): this {
    return this.bytes(Uint8Array.of((value >>> 8) & 0xff, value & 0xff));
  }

  /** Appends a big-endian 32-bit value. */
  u32(value: number): this {
    return this.bytes(Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff));
  }

  /** Appends a u32 length and the bytes. */
  varBytes(value: Uint8Array): this {
    return this.u32(value.length).bytes(value);
  }

  /** Returns everything written, as one array. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

/** Reads what {@link ByteWriter} wrote; throws `code` on any overrun. */
export class ByteReader {
  private offset = 0;

  constructor(private readonly input: Uint8Array, private readonly code: ErrorCode = ErrorCode.KEY_INVALID) {}

  private take(length: number): Uint8Array {
    if (length < 0 || this.offset + length > this.input.length) fail(this.code, "serialized state is truncated", "ENC-STATE-001");
    const out = this.input.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  /** Reads `length` bytes (a copy). */
  bytes(length: number): Uint8Array {
    return this.take(length);
  }

  /** Reads one byte. */
  u8(): number {
    return this.take(1)[0]!;
  }

  /** Reads a big-endian 16-bit value. */
  u16(): number {
    const b = this.take(2);
    return (b[0]! << 8) | b[1]!;
  }

  /** Reads a big-endian 32-bit value. */
  u32(): number {
    const b = this.take(4);
    return ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
  }

  /** Reads a u32 length and that many bytes. */
  varBytes(): Uint8Array {
    return this.take(this.u32());
  }

  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.offset !== this.input.length) fail(this.code, "serialized state has trailing bytes", "ENC-STATE-001");
  }
}
