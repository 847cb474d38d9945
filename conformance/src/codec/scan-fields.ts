// Visits every field occurrence of a well-formed encoding, descending into
// embedded messages by the shape table. Only for input the reference already
// accepted: it does no bounds checking of its own.
import { MESSAGE_SHAPES, type FieldShape } from "@kabar/protocol";

/** One visited field occurrence. */
export interface ScannedField {
  /** Type of the message holding it. */
  readonly typeName: string;
  /** Field number. */
  readonly number: number;
  /** Wire type on the wire. */
  readonly wire: number;
  /** Its declared shape; undefined for an unknown field. */
  readonly shape: FieldShape | undefined;
}

/** Calls `visit` for every field occurrence in `bytes`, depth first. */
export function scanFields(typeName: string, bytes: Uint8Array, visit: (field: ScannedField) => void): void {
  const shapes = MESSAGE_SHAPES[typeName] ?? {};
  let pos = 0;
  const readVarint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = bytes[pos++]!;
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return value;
    }
  };
  while (pos < bytes.length) {
    const tagValue = readVarint();
    const number = Number(tagValue >> 3n);
    const wire = Number(tagValue & 7n);
    const shape = shapes[number];
    visit({ typeName, number, wire, shape });
    if (wire === 0) readVarint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = Number(readVarint());
      if (shape?.m !== undefined) scanFields(shape.m, bytes.subarray(pos, pos + length), visit);
      pos += length;
    }
  }
}
