// Key material and signed directory structures for the kit's simulated
// devices, built with node:crypto. The signature contexts follow
// proto/kabar/v1/identity.proto and transport.proto. ML-KEM-768 keys are
// random bytes of the right length: a server only checks their length and
// the device's signature over them.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { DeviceCertificateBody, DeviceListBody, type DeviceCertificate, type KemPreKey, type OneTimePreKey, type SignedDeviceList, type SignedPreKey } from "@kabar/protocol";

const text = new TextEncoder();

/** Signature contexts (domain separation strings) of the protocol. */
export const CONTEXT = {
  auth: text.encode("kabar-v1 auth"),
  deviceList: text.encode("kabar-v1 device-list"),
  deviceCertificate: text.encode("kabar-v1 device-certificate"),
  signedPreKey: text.encode("kabar-v1 signed-prekey"),
  kemPreKey: text.encode("kabar-v1 kem-prekey"),
} as const;

/** Length of an ML-KEM-768 encapsulation key. */
export const KEM_PUBLIC_KEY_BYTES = 1184;

/** An Ed25519 key pair: raw 32-byte public key and the private KeyObject. */
export interface Ed25519Pair {
  readonly publicKey: Uint8Array;
  readonly privateKey: KeyObject;
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const der = key.export({ format: "der", type: "spki" });
  return new Uint8Array(der.subarray(der.length - 32));
}

/** A fresh Ed25519 key pair. */
export function newEd25519(): Ed25519Pair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return { publicKey: rawPublicKey(publicKey), privateKey };
}

/** A fresh X25519 public key (the private half is not needed by the kit). */
export function newX25519Public(): Uint8Array {
  return rawPublicKey(generateKeyPairSync("x25519").publicKey);
}

/** Ed25519 signature by `pair` over the concatenation of `parts`. */
export function signOver(pair: Ed25519Pair, ...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(sign(null, Buffer.concat(parts), pair.privateKey));
}

/** Big-endian u32. */
export function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, false);
  return out;
}

/** `length` random bytes (for opaque ids and stand-in keys). */
export function randomBytesOf(length: number): Uint8Array {
  return new Uint8Array(randomBytes(length));
}

/** One device of a {@link KitAccount}. */
export interface KitDevice {
  readonly deviceId: number;
  readonly signing: Ed25519Pair;
  readonly identityKey: Uint8Array;
  readonly certificate: DeviceCertificate;
}

/** An account the kit plays: identity key, devices, and the device lists it signs. */
export class KitAccount {
  readonly identity: Ed25519Pair = newEd25519();
  readonly accountId: Uint8Array;
  readonly devices = new Map<number, KitDevice>();
  /** Highest device-list version signed so far. */
  version = 0n;

  constructor(deviceIds: readonly number[] = [1]) {
    this.accountId = new Uint8Array(createHash("sha256").update(this.identity.publicKey).digest());
    for (const id of deviceIds) this.addDevice(id);
  }

  /** Makes a device with fresh keys and a certificate signed by the identity key (or by `signer`, to forge one). */
  addDevice(deviceId: number, options: { signer?: Ed25519Pair } = {}): KitDevice {
    const signing = newEd25519();
    const identityKey = newX25519Public();
    const body = DeviceCertificateBody.encode({
      accountId: this.accountId, accountIdentityKey: this.identity.publicKey, deviceId,
      deviceSigningKey: signing.publicKey, deviceIdentityKey: identityKey, issuedAtMs: 1n,
    }).finish();
    const certificate = { body, signature: signOver(options.signer ?? this.identity, CONTEXT.deviceCertificate, body) };
    const device = { deviceId, signing, identityKey, certificate };
    this.devices.set(deviceId, device);
    return device;
  }

  /** A signed device list naming `deviceIds` (default all) at `version` (default the next one), optionally signed by another key. */
  deviceList(options: { deviceIds?: readonly number[]; version?: bigint; signer?: Ed25519Pair } = {}): SignedDeviceList {
    const ids = [...(options.deviceIds ?? [...this.devices.keys()])].sort((a, b) => a - b);
    const version = options.version ?? this.version + 1n;
    if (version > this.version) this.version = version;
    const body = DeviceListBody.encode({ accountId: this.accountId, version, devices: ids.map((id) => this.devices.get(id)!.certificate), issuedAtMs: 1n }).finish();
    return { body, signature: signOver(options.signer ?? this.identity, CONTEXT.deviceList, body) };
  }

  /** The Authenticate signature of `deviceId` over `challenge`. */
  authSignature(challenge: Uint8Array, deviceId: number): Uint8Array {
    return signOver(this.device(deviceId).signing, CONTEXT.auth, challenge, this.accountId, u32be(deviceId));
  }

  /** A signed X25519 prekey of `deviceId`. */
  signedPreKey(deviceId: number, id: number, publicKey: Uint8Array = newX25519Public()): SignedPreKey {
    return { id, publicKey, signature: signOver(this.device(deviceId).signing, CONTEXT.signedPreKey, u32be(id), new Uint8Array([2]), publicKey) };
  }

  /** A signed ML-KEM-768 prekey of `deviceId` (random key bytes). */
  kemPreKey(deviceId: number, id: number, lastResort = false, publicKey: Uint8Array = randomBytesOf(KEM_PUBLIC_KEY_BYTES)): KemPreKey {
    return { id, publicKey, signature: signOver(this.device(deviceId).signing, CONTEXT.kemPreKey, u32be(id), new Uint8Array([3]), publicKey), lastResort };
  }

  /** `count` one-time X25519 prekeys with ids from `from`. */
  oneTimePreKeys(from: number, count: number): OneTimePreKey[] {
    return Array.from({ length: count }, (_, i) => ({ id: from + i, publicKey: newX25519Public() }));
  }

  /** The device `deviceId`; throws when the account has none. */
  device(deviceId: number): KitDevice {
    const device = this.devices.get(deviceId);
    if (device === undefined) throw new Error(`account has no device ${deviceId}`);
    return device;
  }
}
