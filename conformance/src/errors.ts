// The kit's own typed errors. Harness faults, usage mistakes and adapter
// misbehaviour each have a code so the runner can turn them into the right
// verdict (ERROR versus FAIL) without parsing messages.

/** Why the kit raised a {@link ConformanceError}. */
export type ConformanceErrorCode =
  /** Bad command-line arguments or options. */
  | "USAGE"
  /** The rule catalogue or the spec's rule lines are inconsistent. */
  | "CATALOGUE_INVALID"
  /** The expected-failures file is malformed or over-broad. */
  | "EXPECTED_FAILURES_INVALID"
  /** A replay token could not be parsed. */
  | "REPLAY_TOKEN_INVALID"
  /** The adapter process exited or was killed. */
  | "ADAPTER_CRASHED"
  /** The adapter did not answer a request in time. */
  | "ADAPTER_TIMEOUT"
  /** The adapter broke the framing or answered with the wrong id or result. */
  | "ADAPTER_PROTOCOL"
  /** The adapter answered UNSUPPORTED for an operation of a declared profile. */
  | "ADAPTER_UNSUPPORTED"
  /** The server under test could not be started or restarted. */
  | "SERVER_START_FAILED"
  /** A fault of the kit itself, never charged to the implementation. */
  | "HARNESS";

const BRAND = "KabarConformanceError";

/** The one error type the kit throws for its own, classified failures. */
export class ConformanceError extends Error {
  /** What went wrong, for branching. */
  readonly code: ConformanceErrorCode;
  /** Brand checked by {@link isConformanceError}. */
  readonly conformanceErrorBrand = BRAND;

  constructor(code: ConformanceErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = "ConformanceError";
    this.code = code;
  }
}

/** Narrows to a {@link ConformanceError}, optionally with one of `codes`; checks the shape, not `instanceof`. */
export function isConformanceError(value: unknown, ...codes: readonly ConformanceErrorCode[]): value is ConformanceError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<ConformanceError>;
  if (candidate.conformanceErrorBrand !== BRAND || typeof candidate.code !== "string") return false;
  return codes.length === 0 || codes.includes(candidate.code);
}
