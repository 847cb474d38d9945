// Device linking (ENC-ID-006): a new device proves it holds both of its keys
// by signing its identity DH key together with a fresh nonce; the approving
// device checks that before issuing a certificate.
import { LinkingPayload } from "@kabar/protocol";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { concatBytes, utf8 } from "../encoding/bytes.js";
import { ErrorCode, fail } from "../errors.js";
import type { DeviceKeys } from "./account-identity.js";
import { KeyTag } from "./key-tags.js";

const LINKING_CONTEXT = utf8("kabar-v1 linking");

const signedBytes = (nonce: Uint8Array, identityKey: Uint8Array): Uint8Array =>
  concatBytes(LINKING_CONTEXT, nonce, Uint8Array.of(KeyTag.X25519), identityKey);

/** Creates the payload a new device shows to an existing one (ENC-ID-006). */
export function createLinkingPayload(provider: CryptoProvider, device: Pick<DeviceKeys, "signing" | "identity">): LinkingPayload {
  const nonce = provider.randomBytes(16);
  return {
    deviceSigningKey: device.signing.publicKey, deviceIdentityKey: device.identity.publicKey, nonce,
    signature: provider.ed25519Sign(device.signing, signedBytes(nonce, device.identity.publicKey)),
  };
}

/** Verifies a linking payload: field lengths (KEY_INVALID) and the proof of possession (SIGNATURE_INVALID) (ENC-ID-006). */
export function verifyLinkingPayload(provider: CryptoProvider, payload: LinkingPayload): LinkingPayload {
  if (payload.deviceSigningKey.length !== 32 || payload.deviceIdentityKey.length !== 32 || payload.nonce.length !== 16) {
    fail(ErrorCode.KEY_INVALID, "linking payload field lengths", "ENC-ID-006");
  }
  if (!provider.ed25519Verify(payload.deviceSigningKey, signedBytes(payload.nonce, payload.deviceIdentityKey), payload.signature)) {
    fail(ErrorCode.SIGNATURE_INVALID, "linking payload signature invalid", "ENC-ID-006");
  }
  return payload;
}
