import { ErrorCode, KabarError } from "@kabar/protocol";

/** Builds the typed rejection every server path throws; `rule` names the spec rule enforced. */
export function fail(code: ErrorCode, message: string, rule?: string, retryAfterMs?: number): KabarError {
  return new KabarError(code, message, {
    ...(rule !== undefined ? { rule } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** The generic "does not exist or not yours" rejection (AUTHZ-ACCESS-001). */
export function notFound(what: string): KabarError {
  return fail(ErrorCode.NOT_FOUND, `${what} not found`, "AUTHZ-ACCESS-001");
}

/** A field outside its documented range or length (WIRE-FIELD-001). */
export function invalidField(message: string, rule = "WIRE-FIELD-001"): KabarError {
  return fail(ErrorCode.FRAME_FIELD_INVALID, message, rule);
}
