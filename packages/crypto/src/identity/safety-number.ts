// Safety numbers (ENC-ID-005): 60 digits two users compare out of band. Each
// half is a slow, iterated hash of one account's identity key, so a grinding
// attacker pays 5200 SHA-512 calls per candidate key.
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { concatBytes, u32be, utf8 } from "../encoding/bytes.js";
import { requireLength } from "../errors.js";
import { KeyTag } from "./key-tags.js";

/** SHA-512 iterations per fingerprint. */
export const SAFETY_NUMBER_ITERATIONS = 5200;
const LABEL = utf8("kabar-v1 safety-number");

/** The 30-digit fingerprint of one account identity key (ENC-ID-005). */
export function fingerprintDigits(provider: CryptoProvider, identityKey: Uint8Array): string {
  requireLength(identityKey, 32, "identity key");
  const tagged = concatBytes(Uint8Array.of(KeyTag.ED25519), identityKey);
  let hash = provider.sha512(concatBytes(LABEL, u32be(1), tagged));
  for (let i = 1; i < SAFETY_NUMBER_ITERATIONS; i++) hash = provider.sha512(concatBytes(hash, tagged));
  let digits = "";
  for (let chunk = 0; chunk < 6; chunk++) {
    // 5 bytes big-endian mod 100000 -> 5 digits; bias is below 2^-23.
    let value = 0;
    for (let i = 0; i < 5; i++) value = value * 256 + hash[chunk * 5 + i]!;
    digits += String(value % 100000).padStart(5, "0");
  }
  return digits;
}

/** The 60-digit safety number of two accounts: both fingerprints, the smaller first (ENC-ID-005). */
export function safetyNumber(provider: CryptoProvider, identityKeyA: Uint8Array, identityKeyB: Uint8Array): string {
  const a = fingerprintDigits(provider, identityKeyA);
  const b = fingerprintDigits(provider, identityKeyB);
  return a < b ? a + b : b + a;
}
