// Every error the client raises is a KabarError with a stable code; the
// message is fixed text and never carries key material or content.
import { ErrorCode, KabarError, ProtocolError } from "@kabar/protocol";

/** Throws a KabarError with a fixed message and, when given, the enforced rule id. */
export function fail(code: ErrorCode, message: string, rule?: string): never {
  throw new KabarError(code, message, rule !== undefined ? { rule } : {});
}

/** Turns a ProtocolError from the wire into a KabarError. */
export function fromProtocolError(error: ProtocolError): KabarError {
  return new KabarError(error.code, error.message || "server rejected the request", {
    ...(error.rule ? { rule: error.rule } : {}),
    ...(error.retryAfterMs ? { retryAfterMs: error.retryAfterMs } : {}),
    cause: error,
  });
}

export { ErrorCode, KabarError };
