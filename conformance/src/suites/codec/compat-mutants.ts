// A codec mutant for WIRE-COMPAT-001: the reference decoder, but generated
// from a schema in which one field was renumbered, as an incompatible
// schema change would leave an implementation.
import { referenceDecode } from "../../codec/reference-codec.js";
import { defineMutant } from "../../registry/mutant-registry.js";

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** Rewrites the top-level occurrences of field `from` to field `to` (well-formed input only). */
function renumber(bytes: Uint8Array, from: number, to: number): Uint8Array {
  const out: number[] = [];
  let pos = 0;
  const read = (): number => {
    let value = 0;
    for (let shift = 1; ; shift *= 128) {
      if (pos >= bytes.length) throw new RangeError("truncated varint");
      const b = bytes[pos++]!;
      value += (b & 0x7f) * shift;
      if (b < 0x80) return value;
    }
  };
  while (pos < bytes.length) {
    const start = pos;
    const tag = read();
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    const tagEnd = pos;
    if (wire === 0) read();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = read();
      pos += length;
    }
    out.push(...(number === from ? varint(to * 8 + wire) : bytes.subarray(start, tagEnd)), ...bytes.subarray(tagEnd, pos));
  }
  return Uint8Array.from(out);
}

defineMutant({
  id: "codec.renumbered-field",
  breaks: ["WIRE-COMPAT-001"],
  target: "codec",
  description: "Built from a schema in which SendMessageRequest.ciphertext was renumbered from 3 to 7: it reads the field but writes it under number 7.",
  create: () => ({
    name: "codec.renumbered-field",
    decode: async (typeName, payload, limits = {}) => {
      const outcome = referenceDecode(typeName, payload, limits);
      if (outcome.kind !== "accepted" || typeName !== "kabar.v1.SendMessageRequest") return outcome;
      return { kind: "accepted", reencoded: renumber(outcome.reencoded, 3, 7) };
    },
  }),
});
