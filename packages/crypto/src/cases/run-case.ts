// Dispatches an encryption case to its handler.
import { ErrorCode } from "@kabar/protocol";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { NodeCryptoProvider } from "../provider/node-provider.js";
import { fail } from "../errors.js";
import type { CaseFields, CryptoCaseHandler } from "./case-types.js";
import { groupFileBackupCases } from "./group-file-backup-cases.js";
import { identityCases } from "./identity-cases.js";
import { keyAgreementCases } from "./key-agreement-cases.js";
import { ratchetCases } from "./ratchet-cases.js";

/** Every case kind the reference implements, by name. */
export const CRYPTO_CASE_HANDLERS: Readonly<Record<string, CryptoCaseHandler>> = Object.freeze({
  ...identityCases,
  ...keyAgreementCases,
  ...ratchetCases,
  ...groupFileBackupCases,
});

let defaultProvider: CryptoProvider | undefined;

/**
 * Runs the encryption case `kind` on `inputs` with the reference
 * implementation and resolves with its outputs; rejects with the KabarError
 * the rules require for invalid inputs. An unknown kind rejects with
 * `FRAME_FIELD_INVALID`.
 */
export async function runCryptoCase(kind: string, inputs: CaseFields, provider?: CryptoProvider): Promise<CaseFields> {
  const handler = Object.hasOwn(CRYPTO_CASE_HANDLERS, kind) ? CRYPTO_CASE_HANDLERS[kind] : undefined;
  if (handler === undefined) return fail(ErrorCode.FRAME_FIELD_INVALID, "unknown encryption case kind");
  return handler(inputs, provider ?? (defaultProvider ??= new NodeCryptoProvider()));
}
