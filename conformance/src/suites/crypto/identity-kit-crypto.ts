// The kit's own cryptography for the identity properties: expected values
// computed from the spec's formulas with node:crypto, never with the
// implementation under test, and the signed identity messages built from the
// spec's byte layouts.
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, sign, type KeyObject } from "node:crypto";
import { DeviceCertificate, DeviceCertificateBody, DeviceListBody, SignedDeviceList } from "@kabar/protocol";

const ED25519_PKCS8 = Buffer.from("302e020100300506032b657004220420", "hex");
const X25519_PKCS8 = Buffer.from("302e020100300506032b656e04220420", "hex");
const X25519_SPKI = Buffer.from("302a300506032b656e032100", "hex");

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const concat = (...parts: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.length))));
export const u32be = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n >>> 0, false); return b; };
export const u64be = (n: bigint): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, n, false); return b; };
export const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest());
export const sha512 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha512").update(data).digest());
export const hmacSha256 = (key: Uint8Array, data: Uint8Array): Uint8Array => new Uint8Array(createHmac("sha256", key).update(data).digest());
export const hkdfSha256 = (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array => new Uint8Array(hkdfSync("sha256", ikm, salt, info, length));

/** An Ed25519 key from a 32-byte seed (RFC 8032). */
export interface Ed25519Key { readonly seed: Uint8Array; readonly publicKey: Uint8Array; readonly key: KeyObject }
export function ed25519FromSeed(seed: Uint8Array): Ed25519Key {
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, seed]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return { seed, key, publicKey: new Uint8Array(spki.subarray(spki.length - 32)) };
}
export const ed25519Sign = (key: Ed25519Key, message: Uint8Array): Uint8Array => new Uint8Array(sign(null, message, key.key));

/** X25519 public key of a 32-byte private scalar. */
export function x25519Public(privateKey: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8, privateKey]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - 32));
}
/** X25519(privateKey, publicKey), or undefined when the result is all zero (OpenSSL refuses it). */
export function x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined {
  try {
    const shared = new Uint8Array(diffieHellman({
      privateKey: createPrivateKey({ key: Buffer.concat([X25519_PKCS8, privateKey]), format: "der", type: "pkcs8" }),
      publicKey: createPublicKey({ key: Buffer.concat([X25519_SPKI, publicKey]), format: "der", type: "spki" }),
    }));
    return shared.every((b) => b === 0) ? undefined : shared;
  } catch {
    return undefined;
  }
}

/**
 * Public keys whose X25519 result is all zero for every private key: the
 * low-order points of Curve25519 (RFC 7748 section 7, Wycheproof
 * "ZeroSharedSecret"), canonical and non-canonical encodings.
 */
export const LOW_ORDER_POINTS: readonly string[] = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000080",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
];

/** The fields of a DeviceCertificateBody the properties vary. */
export interface CertificateSpec {
  readonly accountId: Uint8Array;
  readonly accountIdentityKey: Uint8Array;
  readonly deviceId: number;
  readonly deviceSigningKey: Uint8Array;
  readonly deviceIdentityKey: Uint8Array;
  readonly issuedAtMs?: bigint;
}

export const certificateBody = (spec: CertificateSpec): Uint8Array =>
  DeviceCertificateBody.encode(DeviceCertificateBody.fromPartial({ ...spec, issuedAtMs: spec.issuedAtMs ?? 0n })).finish();

/** A DeviceCertificate over `body`: Ed25519 by the account key over "kabar-v1 device-certificate" || body (ENC-ID-002). */
export function signedCertificate(account: Ed25519Key, body: Uint8Array, context = "kabar-v1 device-certificate"): DeviceCertificate {
  return DeviceCertificate.fromPartial({ body, signature: ed25519Sign(account, concat(utf8(context), body)) });
}
export const certificateBytes = (certificate: DeviceCertificate): Uint8Array => DeviceCertificate.encode(certificate).finish();

/** A DeviceListBody. */
export const deviceListBody = (accountId: Uint8Array, version: bigint, devices: readonly DeviceCertificate[], issuedAtMs = 0n): Uint8Array =>
  DeviceListBody.encode(DeviceListBody.fromPartial({ accountId, version, devices: [...devices], issuedAtMs })).finish();

/** A SignedDeviceList over `body`: Ed25519 by the account key over "kabar-v1 device-list" || body (ENC-ID-003). */
export function signedDeviceList(account: Ed25519Key, body: Uint8Array, context = "kabar-v1 device-list"): Uint8Array {
  return SignedDeviceList.encode(SignedDeviceList.fromPartial({ body, signature: ed25519Sign(account, concat(utf8(context), body)) })).finish();
}

/** ENC-ID-005: the 30-digit fingerprint of one identity key. */
export function fingerprint(identityKey: Uint8Array): string {
  const tagged = concat(Uint8Array.of(0x01), identityKey);
  let hash = sha512(concat(utf8("kabar-v1 safety-number"), u32be(1), tagged));
  for (let i = 0; i < 5199; i++) hash = new Uint8Array(createHash("sha512").update(hash).update(tagged).digest());
  let digits = "";
  for (let group = 0; group < 6; group++) {
    let value = 0n;
    for (let i = 0; i < 5; i++) value = value * 256n + BigInt(hash[group * 5 + i]!);
    digits += (value % 100000n).toString().padStart(5, "0");
  }
  return digits;
}

/** ENC-VECTOR-001: the first `total` bytes of the test RNG stream block(i) = HMAC(seed, "kabar-v1 test-rng" || u64be(i)). */
export function testRngStream(seed: Uint8Array, total: number): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let i = 0n; BigInt(blocks.length * 32) < BigInt(total); i++) blocks.push(hmacSha256(seed, concat(utf8("kabar-v1 test-rng"), u64be(i))));
  return concat(...blocks).subarray(0, total);
}
