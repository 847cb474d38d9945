// Byte-level protobuf writing for generators: enough to build any valid
// encoding and, more importantly, encodings no well-behaved encoder would
// produce (wrong wire types, overlong varints, lying lengths).

/** Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (3, 4, 6, 7 are invalid in Kabar). */
export type WireType = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** The varint encoding of an unsigned value (negative values are taken modulo 2^64). */
export function varint(value: bigint | number): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Uint8Array.from(out);
}

/** A tag: field number and wire type. */
export function tag(field: number | bigint, wire: WireType): Uint8Array {
  return varint(BigInt(field) * 8n + BigInt(wire));
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/** A complete length-delimited field. */
export function lengthDelimited(field: number, body: Uint8Array): Uint8Array {
  return concatBytes(tag(field, 2), varint(body.length), body);
}

/** A complete varint field. */
export function varintField(field: number, value: bigint | number): Uint8Array {
  return concatBytes(tag(field, 0), varint(value));
}

/** Zig-zag encoding of a signed value, for sint32 and sint64. */
export function zigzag(value: bigint, bits: 32 | 64): bigint {
  return BigInt.asUintN(bits, (value << 1n) ^ (value >> BigInt(bits - 1)));
}

/** A well-formed payload (without tag) for wire type 0, 1, 2 or 5, used where only the tag matters. */
export function samplePayload(wire: 0 | 1 | 2 | 5): Uint8Array {
  switch (wire) {
    case 0:
      return Uint8Array.of(1);
    case 1:
      return new Uint8Array(8);
    case 5:
      return new Uint8Array(4);
    case 2:
      return Uint8Array.of(0);
  }
}
