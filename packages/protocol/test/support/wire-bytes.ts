// A tiny hand-rolled protobuf writer for building malformed inputs that no
// well-behaved encoder would produce.

export function varint(value: bigint | number): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

export const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);
export const lenField = (field: number, body: number[]): number[] => [...tag(field, 2), ...varint(body.length), ...body];
export const varintField = (field: number, value: bigint | number): number[] => [...tag(field, 0), ...varint(value)];
export const bytes = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());
