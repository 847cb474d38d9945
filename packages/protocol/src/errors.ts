import { ErrorCode } from "./gen/kabar/v1/errors.pb.js";

/** The options a {@link KabarError} accepts beside its code and message. */
export interface KabarErrorOptions {
  /** The spec rule id the rejection enforces, for example `WIRE-DECODE-003`. */
  readonly rule?: string;
  /** The lower-level error that caused this one, kept for debugging. */
  readonly cause?: unknown;
  /** When set, the earliest retry time in milliseconds. */
  readonly retryAfterMs?: number;
}

const KABAR_ERROR_BRAND = "KabarError";

/**
 * The one error type every Kabar package throws for a protocol-level
 * rejection. It carries a stable {@link ErrorCode}; callers branch on the
 * code, never on the message. Messages never contain key material or
 * message content.
 */
export class KabarError extends Error {
  /** The stable code; see `proto/kabar/v1/errors.proto`. */
  readonly code: ErrorCode;
  /** The spec rule id the rejection enforces, or `undefined`. */
  readonly rule: string | undefined;
  /** When set, the earliest retry time in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** Brand checked by {@link isKabarError}; survives realm and bundle copies. */
  readonly kabarErrorBrand = KABAR_ERROR_BRAND;

  constructor(code: ErrorCode, message: string, options: KabarErrorOptions = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = "KabarError";
    this.code = code;
    this.rule = options.rule;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The code's symbolic name, for example `FRAME_TRUNCATED`. */
  get codeName(): string {
    return errorCodeName(this.code);
  }
}

/**
 * Narrows an unknown thrown value to a {@link KabarError}, optionally with
 * one of the given codes. Checks the shape rather than `instanceof`, so it
 * also recognises errors from another copy of this package.
 */
export function isKabarError(value: unknown, ...codes: readonly ErrorCode[]): value is KabarError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<KabarError>;
  if (candidate.kabarErrorBrand !== KABAR_ERROR_BRAND || typeof candidate.code !== "number") return false;
  return codes.length === 0 || codes.includes(candidate.code);
}

/** The symbolic name of an error code as generated (without the `ERROR_CODE_` prefix of the schema). */
export function errorCodeName(code: ErrorCode): string {
  const name = (ErrorCode as unknown as Record<number, string | undefined>)[code];
  return name === undefined ? `UNKNOWN_${code}` : name;
}
