// A crypto mutant: the reference encryption cases of @kabar/crypto with some
// case kinds replaced by an implementation that breaks exactly one
// behaviour.
import type { CryptoCaseHandler, CryptoProvider } from "@kabar/crypto";
import { inProcessCryptoTarget } from "../../crypto/crypto-targets.js";
import { defineMutant } from "../../registry/mutant-registry.js";

/**
 * Registers crypto mutant `id` (ids start with `crypto.`), which replaces the
 * case kinds in `overrides` and/or runs every case on the primitives
 * `wrapProvider` returns (a CryptoProvider wrapper that changes one
 * primitive behaviour, for example one HKDF info string).
 */
export function cryptoMutant(
  id: string,
  breaks: readonly string[],
  description: string,
  overrides: Readonly<Record<string, CryptoCaseHandler>>,
  wrapProvider?: (provider: CryptoProvider) => CryptoProvider,
): void {
  defineMutant({ id, breaks: [...breaks], target: "crypto", description, create: async () => inProcessCryptoTarget(`crypto mutant ${id}`, overrides, wrapProvider) });
}
