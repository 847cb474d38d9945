// Prekey creation and verification (ENC-X3DH-001). Signatures cover the key
// id, the key type tag and the key, so a signed X25519 key can never be
// presented as a KEM key or the other way round.
import { KemPreKey, OneTimePreKey, SignedPreKey } from "@kabar/protocol";
import type { CryptoProvider, KemKeyPair, KeyPair } from "../provider/crypto-provider.js";
import { concatBytes, u32be, utf8 } from "../encoding/bytes.js";
import { ErrorCode, fail } from "../errors.js";
import type { DeviceKeys } from "../identity/account-identity.js";
import { KeyTag } from "../identity/key-tags.js";

const SIGNED_PREKEY_CONTEXT = utf8("kabar-v1 signed-prekey");
const KEM_PREKEY_CONTEXT = utf8("kabar-v1 kem-prekey");

/** The private half of a signed or one-time X25519 prekey. */
export interface PreKeyRecord {
  /** The prekey id. */
  readonly id: number;
  /** The X25519 key pair. */
  readonly keyPair: KeyPair;
}

/** The private half of a KEM prekey. */
export interface KemPreKeyRecord {
  /** The prekey id. */
  readonly id: number;
  /** The ML-KEM-768 key pair. */
  readonly keyPair: KemKeyPair;
  /** True for the last-resort key. */
  readonly lastResort: boolean;
}

/** The bytes a signed prekey signature covers (ENC-X3DH-001). */
export function signedPreKeySignedBytes(id: number, publicKey: Uint8Array): Uint8Array {
  return concatBytes(SIGNED_PREKEY_CONTEXT, u32be(id), Uint8Array.of(KeyTag.X25519), publicKey);
}

/** The bytes a KEM prekey signature covers (ENC-X3DH-001). */
export function kemPreKeySignedBytes(id: number, publicKey: Uint8Array): Uint8Array {
  return concatBytes(KEM_PREKEY_CONTEXT, u32be(id), Uint8Array.of(KeyTag.ML_KEM_768), publicKey);
}

/** Creates a signed X25519 prekey. */
export function createSignedPreKey(provider: CryptoProvider, device: DeviceKeys, id: number): {
  /** The private key pair the device keeps to answer session setups. */
  record: PreKeyRecord;
  /** The public part the device uploads with UploadPreKeysRequest. */
  published: SignedPreKey;
} {
  const keyPair = provider.x25519GenerateKeyPair();
  const signature = provider.ed25519Sign(device.signing, signedPreKeySignedBytes(id, keyPair.publicKey));
  return { record: { id, keyPair }, published: { id, publicKey: keyPair.publicKey, signature } };
}

/** Creates a signed ML-KEM-768 prekey. */
export function createKemPreKey(provider: CryptoProvider, device: DeviceKeys, id: number, lastResort = false): {
  /** The private key pair the device keeps to answer session setups. */
  record: KemPreKeyRecord;
  /** The public part the device uploads with UploadPreKeysRequest. */
  published: KemPreKey;
} {
  const keyPair = provider.mlKemGenerateKeyPair();
  const signature = provider.ed25519Sign(device.signing, kemPreKeySignedBytes(id, keyPair.publicKey));
  return { record: { id, keyPair, lastResort }, published: { id, publicKey: keyPair.publicKey, signature, lastResort } };
}

/** Creates a one-time X25519 prekey (unsigned; its use is bound by the key agreement). */
export function createOneTimePreKey(provider: CryptoProvider, id: number): {
  /** The private key pair the device keeps to answer session setups. */
  record: PreKeyRecord;
  /** The public part the device uploads with UploadPreKeysRequest. */
  published: OneTimePreKey;
} {
  const keyPair = provider.x25519GenerateKeyPair();
  return { record: { id, keyPair }, published: { id, publicKey: keyPair.publicKey } };
}

/** ENC-X3DH-001: verifies a signed prekey under the device signing key; throws KEY_INVALID or SIGNATURE_INVALID. */
export function verifySignedPreKey(provider: CryptoProvider, signingKey: Uint8Array, preKey: SignedPreKey | undefined): SignedPreKey {
  if (preKey === undefined || preKey.publicKey.length !== 32) return fail(ErrorCode.KEY_INVALID, "signed prekey must be a 32-byte X25519 key", "ENC-X3DH-001");
  if (!provider.ed25519Verify(signingKey, signedPreKeySignedBytes(preKey.id, preKey.publicKey), preKey.signature)) {
    fail(ErrorCode.SIGNATURE_INVALID, "signed prekey signature invalid", "ENC-X3DH-001");
  }
  return preKey;
}

/** ENC-X3DH-001: verifies a KEM prekey under the device signing key; throws KEY_INVALID or SIGNATURE_INVALID. */
export function verifyKemPreKey(provider: CryptoProvider, signingKey: Uint8Array, preKey: KemPreKey | undefined): KemPreKey {
  if (preKey === undefined || preKey.publicKey.length !== 1184) return fail(ErrorCode.KEY_INVALID, "KEM prekey must be a 1184-byte ML-KEM-768 key", "ENC-X3DH-001");
  if (!provider.ed25519Verify(signingKey, kemPreKeySignedBytes(preKey.id, preKey.publicKey), preKey.signature)) {
    fail(ErrorCode.SIGNATURE_INVALID, "KEM prekey signature invalid", "ENC-X3DH-001");
  }
  return preKey;
}
