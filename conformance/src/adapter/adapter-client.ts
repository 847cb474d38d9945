// The typed face of an adapter: one method per operation of the adapter
// contract, result checked against the request. UNSUPPORTED becomes an
// ADAPTER_UNSUPPORTED ConformanceError (a failure of the rule being checked:
// properties only run for declared profiles); any other AdapterError is an
// AdapterRefusal a property may expect, and fails the rule if it does not.
import { AdapterErrorKind, type AdapterRequest, type AdapterResponse, type ErrorCode, errorCodeName } from "@kabar/protocol";
import { ConformanceError } from "../errors.js";
import type { AdapterProcess } from "./adapter-process.js";

/** Any operation of the adapter contract. */
export type AdapterOp = NonNullable<AdapterRequest["op"]>;
/** The name of an operation, for example `sendText`. */
export type AdapterOpName = AdapterOp["$case"];
/** The request message of operation `K`. */
export type AdapterOpInput<K extends AdapterOpName> = Extract<AdapterOp, { $case: K }>["value"];
type AdapterResult = NonNullable<AdapterResponse["result"]>;
/** The result message of operation `K`. */
export type AdapterOpOutput<K extends AdapterOpName> = Extract<AdapterResult, { $case: K }>["value"];

const REFUSAL_BRAND = "KabarAdapterRefusal";

/** The adapter did not perform an operation and said why (any AdapterError kind but UNSUPPORTED). */
export class AdapterRefusal extends Error {
  /** The operation refused. */
  readonly op: AdapterOpName;
  /** The adapter's classification. */
  readonly kind: AdapterErrorKind;
  /** The protocol error the implementation saw, for OPERATION_FAILED. */
  readonly code: ErrorCode;
  /** Brand checked by {@link isAdapterRefusal}. */
  readonly adapterRefusalBrand = REFUSAL_BRAND;

  constructor(op: AdapterOpName, kind: AdapterErrorKind, code: ErrorCode, message: string) {
    super(`adapter refused ${op}: ${AdapterErrorKind[kind] ?? kind}${code !== 0 ? ` (${errorCodeName(code)})` : ""}: ${message}`);
    this.name = "AdapterRefusal";
    this.op = op;
    this.kind = kind;
    this.code = code;
  }
}

/** Narrows to an {@link AdapterRefusal}. */
export function isAdapterRefusal(value: unknown): value is AdapterRefusal {
  return typeof value === "object" && value !== null && (value as Partial<AdapterRefusal>).adapterRefusalBrand === REFUSAL_BRAND;
}

/** Typed calls into a running adapter. */
export class AdapterClient {
  readonly #process: AdapterProcess;

  constructor(process: AdapterProcess) {
    this.#process = process;
  }

  /** The underlying process. */
  get process(): AdapterProcess {
    return this.#process;
  }

  /**
   * Performs operation `op` and returns its result. Missing fields of
   * `input` take their protobuf defaults.
   */
  async call<K extends AdapterOpName>(op: K, input: Partial<AdapterOpInput<K>> = {}): Promise<AdapterOpOutput<K>> {
    const response = await this.#process.request({ $case: op, value: input } as unknown as AdapterOp);
    const result = response.result;
    if (result === undefined) throw new ConformanceError("ADAPTER_PROTOCOL", `adapter answered ${op} with no result`);
    if (result.$case === "error") {
      const { kind, message, code } = result.value;
      if (kind === AdapterErrorKind.UNSUPPORTED) {
        throw new ConformanceError("ADAPTER_UNSUPPORTED", `adapter answered UNSUPPORTED to ${op}, an operation of a declared profile${message ? `: ${message}` : ""}`);
      }
      throw new AdapterRefusal(op, kind, code, message);
    }
    if (result.$case !== op) throw new ConformanceError("ADAPTER_PROTOCOL", `adapter answered ${op} with a ${result.$case} result`);
    return result.value as AdapterOpOutput<K>;
  }
}
