import { createPublicKey, verify, type KeyObject } from "node:crypto";

// The server verifies signatures (it must not accept forged device lists or
// prekeys) but holds no decryption code path for content.

const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const encoder = new TextEncoder();

/** Domain-separation contexts, as documented in identity.proto and transport.proto. */
export const CONTEXT = {
  auth: encoder.encode("kabar-v1 auth"),
  deviceList: encoder.encode("kabar-v1 device-list"),
  deviceCertificate: encoder.encode("kabar-v1 device-certificate"),
  signedPreKey: encoder.encode("kabar-v1 signed-prekey"),
  kemPreKey: encoder.encode("kabar-v1 kem-prekey"),
} as const;

function publicKey(raw: Uint8Array): KeyObject | undefined {
  if (raw.length !== 32) return undefined;
  try {
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
  } catch {
    return undefined;
  }
}

/** True when `signature` is a valid Ed25519 signature by `key` over the concatenated parts. */
export function verifyEd25519(key: Uint8Array, signature: Uint8Array, ...parts: Uint8Array[]): boolean {
  if (signature.length !== 64) return false;
  const object = publicKey(key);
  if (object === undefined) return false;
  try {
    return verify(null, Buffer.concat(parts), object, signature);
  } catch {
    return false;
  }
}

/** Big-endian u32, as used inside signed payloads. */
export function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, false);
  return out;
}
