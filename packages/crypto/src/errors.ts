// One place that builds KabarErrors so that every message stays free of key
// material: callers pass a fixed description, never interpolated bytes
// (ENC-STATE-003).
import { ErrorCode, KabarError } from "@kabar/protocol";

/** Throws a KabarError carrying the enforced rule id. Messages are fixed text. */
export function fail(code: ErrorCode, message: string, rule?: string): never {
  throw new KabarError(code, message, rule !== undefined ? { rule } : {});
}

/** Checks a byte field's type and exact length at an API boundary. */
export function requireLength(value: unknown, length: number, what: string, code: ErrorCode = ErrorCode.KEY_INVALID, rule?: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    fail(code, `${what} must be ${length} bytes`, rule);
  }
  return value;
}

export { ErrorCode };
