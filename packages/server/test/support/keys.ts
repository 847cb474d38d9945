// Test-only key material and signed structures, built with node:crypto.
// This is the client side of the protocol's signatures, kept minimal.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import {
  DeviceCertificate, DeviceCertificateBody, DeviceListBody, type KemPreKey, type OneTimePreKey, type SignedDeviceList, type SignedPreKey,
} from "@kabar/protocol";

const enc = new TextEncoder();

export interface SigningPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: KeyObject;
}

function rawPublic(key: KeyObject): Uint8Array {
  const der = key.export({ format: "der", type: "spki" });
  return new Uint8Array(der.subarray(der.length - 32));
}

export function ed25519(): SigningPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return { publicKey: rawPublic(publicKey), privateKey };
}

export function x25519Public(): Uint8Array {
  return rawPublic(generateKeyPairSync("x25519").publicKey);
}

export function signParts(pair: SigningPair, ...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(sign(null, Buffer.concat(parts), pair.privateKey));
}

export function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

export function randomId(length = 16): Uint8Array {
  return new Uint8Array(randomBytes(length));
}

export interface TestDevice {
  readonly deviceId: number;
  readonly signing: SigningPair;
  readonly identityKey: Uint8Array;
  readonly certificate: DeviceCertificate;
}

/** A test account: identity key, devices, and the signed lists it publishes. */
export class TestAccount {
  readonly identity = ed25519();
  readonly accountId: Uint8Array;
  readonly devices = new Map<number, TestDevice>();
  version = 0n;

  constructor(deviceIds: readonly number[] = [1]) {
    this.accountId = new Uint8Array(createHash("sha256").update(this.identity.publicKey).digest());
    for (const id of deviceIds) this.addDevice(id);
  }

  addDevice(deviceId: number, overrides: Partial<DeviceCertificateBody> = {}): TestDevice {
    const signing = ed25519();
    const identityKey = x25519Public();
    const body = DeviceCertificateBody.encode({
      accountId: this.accountId,
      accountIdentityKey: this.identity.publicKey,
      deviceId,
      deviceSigningKey: signing.publicKey,
      deviceIdentityKey: identityKey,
      issuedAtMs: 1n,
      ...overrides,
    }).finish();
    const certificate = { body, signature: signParts(this.identity, enc.encode("kabar-v1 device-certificate"), body) };
    const device = { deviceId, signing, identityKey, certificate };
    this.devices.set(deviceId, device);
    return device;
  }

  /** Signs a list of the given devices (default: all) with the next version (or a given one). */
  deviceList(options: { deviceIds?: readonly number[]; version?: bigint } = {}): SignedDeviceList {
    const ids = options.deviceIds ?? [...this.devices.keys()].sort((a, b) => a - b);
    const version = options.version ?? this.version + 1n;
    this.version = version > this.version ? version : this.version;
    const body = DeviceListBody.encode({
      accountId: this.accountId,
      version,
      devices: ids.map((id) => this.devices.get(id)!.certificate),
      issuedAtMs: 1n,
    }).finish();
    return { body, signature: signParts(this.identity, enc.encode("kabar-v1 device-list"), body) };
  }

  authSignature(challenge: Uint8Array, deviceId: number): Uint8Array {
    return signParts(this.devices.get(deviceId)!.signing, enc.encode("kabar-v1 auth"), challenge, this.accountId, u32be(deviceId));
  }

  signedPreKey(deviceId: number, id = 1, publicKey = x25519Public()): SignedPreKey {
    const signature = signParts(this.devices.get(deviceId)!.signing, enc.encode("kabar-v1 signed-prekey"), u32be(id), new Uint8Array([2]), publicKey);
    return { id, publicKey, signature };
  }

  kemPreKey(deviceId: number, id: number, lastResort = false, publicKey = randomId(1184)): KemPreKey {
    const signature = signParts(this.devices.get(deviceId)!.signing, enc.encode("kabar-v1 kem-prekey"), u32be(id), new Uint8Array([3]), publicKey);
    return { id, publicKey, signature, lastResort };
  }

  oneTimePreKeys(from: number, count: number): OneTimePreKey[] {
    return Array.from({ length: count }, (_, i) => ({ id: from + i, publicKey: x25519Public() }));
  }
}
