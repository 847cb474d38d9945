// Account and device key material (ENC-ID-001). The account identity key only
// signs device certificates and device lists; devices hold their own keys.
import type { CryptoProvider, KeyPair } from "../provider/crypto-provider.js";
import { ErrorCode, fail, requireLength } from "../errors.js";

/** An account's long-term Ed25519 identity and its id. */
export interface AccountIdentity {
  /** The Ed25519 identity key pair. */
  readonly keyPair: KeyPair;
  /** SHA-256 of the 32-byte identity public key (ENC-ID-001). */
  readonly accountId: Uint8Array;
}

/** A device's own keys. */
export interface DeviceKeys {
  /** The device number inside its account, 1..2^31-1. */
  readonly deviceId: number;
  /** Ed25519 key pair: signs prekeys and challenges. */
  readonly signing: KeyPair;
  /** X25519 identity key pair used in session setup. */
  readonly identity: KeyPair;
}

/** The highest device id (ENC-ID-002). */
export const MAX_DEVICE_ID = 0x7fffffff;

/** account_id = SHA-256(identity public key), raw 32 bytes, untagged (ENC-ID-001). */
export function accountIdOf(provider: CryptoProvider, identityKey: Uint8Array): Uint8Array {
  requireLength(identityKey, 32, "account identity key");
  return provider.sha256(identityKey);
}

/** Creates a fresh account identity. */
export function createAccountIdentity(provider: CryptoProvider): AccountIdentity {
  const keyPair = provider.ed25519GenerateKeyPair();
  return { keyPair, accountId: accountIdOf(provider, keyPair.publicKey) };
}

/** Checks a device id is in 1..2^31-1. */
export function checkDeviceId(deviceId: number, code: ErrorCode = ErrorCode.CERTIFICATE_INVALID): number {
  if (!Number.isInteger(deviceId) || deviceId < 1 || deviceId > MAX_DEVICE_ID) fail(code, "device id out of range", "ENC-ID-002");
  return deviceId;
}

/** Creates fresh keys for a device. */
export function createDeviceKeys(provider: CryptoProvider, deviceId: number): DeviceKeys {
  checkDeviceId(deviceId, ErrorCode.KEY_INVALID);
  return { deviceId, signing: provider.ed25519GenerateKeyPair(), identity: provider.x25519GenerateKeyPair() };
}
