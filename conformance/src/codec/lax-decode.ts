// What a stock, non-strict protobuf decoder makes of an input: the generated
// ts-proto decoder without the strict pre-check. Used to compare decoded
// values and by mutants that model "a decoder that skips check X".
import { MESSAGE_CODECS, encodeMessage } from "@kabar/protocol";

/** Decodes leniently; `undefined` when even the lenient decoder throws. */
export function laxDecode(typeName: string, payload: Uint8Array): unknown {
  const codec = MESSAGE_CODECS[typeName];
  if (codec === undefined) return undefined;
  try {
    return codec.decode(payload);
  } catch {
    return undefined;
  }
}

/** Re-encodes a lax decode, or returns `undefined`. */
export function laxReencode(typeName: string, payload: Uint8Array): Uint8Array | undefined {
  const value = laxDecode(typeName, payload);
  return value === undefined ? undefined : encodeMessage(MESSAGE_CODECS[typeName]!, value);
}

/** Deep equality of generated values; NaN equals NaN and -0 equals 0, as on the wire after a re-encode. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => valuesEqual(x, b[i]));
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!valuesEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
    return true;
  }
  return false;
}

/** True when both encodings decode (leniently) to equal values. */
export function sameDecodedValue(typeName: string, left: Uint8Array, right: Uint8Array): boolean {
  const a = laxDecode(typeName, left);
  const b = laxDecode(typeName, right);
  return a !== undefined && b !== undefined && valuesEqual(a, b);
}
