// TRANSPORT-AUTH-002: the exact bytes a device signs to prove it speaks for
// (account_id, device_id) on this connection.
import type { CryptoProvider, KeyPair } from "@kabar/crypto";
import { concatBytes, u32be, utf8 } from "../util/bytes.js";

const AUTH_CONTEXT = utf8("kabar-v1 auth");

/** "kabar-v1 auth" || challenge || account_id || u32be(device_id). */
export function authSignedBytes(challenge: Uint8Array, accountId: Uint8Array, deviceId: number): Uint8Array {
  return concatBytes(AUTH_CONTEXT, challenge, accountId, u32be(deviceId));
}

/** Signs a challenge with the device signing key. */
export function signChallenge(provider: CryptoProvider, signing: KeyPair, challenge: Uint8Array, accountId: Uint8Array, deviceId: number): Uint8Array {
  return provider.ed25519Sign(signing, authSignedBytes(challenge, accountId, deviceId));
}
