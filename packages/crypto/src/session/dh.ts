// ENC-KEY-003 at the protocol layer: every X25519 result is checked here too,
// so a provider that returns an all-zero secret instead of throwing can never
// feed a non-contributory value into a key derivation.
import type { CryptoProvider, KeyPair } from "../provider/crypto-provider.js";
import { isAllZero } from "../encoding/bytes.js";
import { ErrorCode, fail } from "../errors.js";

/** X25519 with the all-zero (low-order) check of ENC-KEY-003. */
export function dh(provider: CryptoProvider, keyPair: KeyPair, publicKey: Uint8Array): Uint8Array {
  const shared = provider.x25519(keyPair, publicKey);
  if (isAllZero(shared)) fail(ErrorCode.KEY_INVALID, "X25519 public key is of low order", "ENC-KEY-003");
  return shared;
}
