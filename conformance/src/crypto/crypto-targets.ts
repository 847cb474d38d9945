// Crypto targets: the reference encryption cases of @kabar/crypto run
// in-process (optionally with some kinds replaced, for mutants), or an
// adapter's `crypto_case` operation.
import { CRYPTO_CASE_HANDLERS, type CryptoCaseHandler, type CryptoProvider, NodeCryptoProvider } from "@kabar/crypto";
import { isKabarError, type ErrorCode } from "@kabar/protocol";
import { ConformanceError } from "../errors.js";
import type { Transcript } from "../adapter/transcript.js";
import type { AdapterSession } from "../targets/adapter-session.js";
import type { CryptoCaseFields, CryptoCaseOutcome, CryptoTarget } from "../targets/target-types.js";

let provider: CryptoProvider | undefined;

/**
 * The reference cases with `overrides` replacing some kinds and the
 * primitives passed through `wrapProvider`: the reference itself when both
 * are absent, a crypto mutant otherwise.
 */
export function inProcessCryptoTarget(
  name: string,
  overrides: Readonly<Record<string, CryptoCaseHandler>> = {},
  wrapProvider: (provider: CryptoProvider) => CryptoProvider = (p) => p,
): CryptoTarget {
  const handlers: Readonly<Record<string, CryptoCaseHandler>> = { ...CRYPTO_CASE_HANDLERS, ...overrides };
  let wrapped: CryptoProvider | undefined;
  return {
    name,
    async runCase(kind, inputs) {
      const handler = Object.hasOwn(handlers, kind) ? handlers[kind] : undefined;
      if (handler === undefined) return { kind: "unsupported", message: `no case kind ${kind}` };
      try {
        return { kind: "completed", outputs: (await handler(inputs, (wrapped ??= wrapProvider((provider ??= new NodeCryptoProvider()))))) as CryptoCaseFields };
      } catch (error) {
        if (isKabarError(error)) return { kind: "rejected", code: error.code, message: error.message };
        return { kind: "crashed", message: (error as Error)?.message ?? String(error) };
      }
    },
  };
}

/** A crypto target that forwards each case to the adapter of `session`. */
export function adapterCrypto(session: AdapterSession, transcript: Transcript): CryptoTarget {
  return {
    name: `adapter encryption cases (${session.identity.implementation} ${session.identity.version})`,
    async runCase(kind, inputs) {
      const client = await session.client(transcript);
      let result;
      try {
        result = await client.call("cryptoCase", { kind, inputsJson: JSON.stringify(inputs) });
      } catch (error) {
        const message = (error as Error)?.message ?? String(error);
        if (error instanceof ConformanceError && error.code === "ADAPTER_UNSUPPORTED") return { kind: "unsupported", message };
        throw error;
      }
      const outcome = result.outcome;
      if (outcome === undefined) return { kind: "crashed", message: "adapter answered crypto_case with neither outputs_json nor rejected" };
      if (outcome.$case === "rejected") return { kind: "rejected", code: outcome.value as ErrorCode, message: result.rejectionMessage };
      try {
        const outputs = JSON.parse(outcome.value) as unknown;
        if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) return { kind: "crashed", message: "outputs_json is not a JSON object" };
        return { kind: "completed", outputs: outputs as CryptoCaseFields };
      } catch {
        return { kind: "crashed", message: "outputs_json is not JSON" };
      }
    },
  };
}
