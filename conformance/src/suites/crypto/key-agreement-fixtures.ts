// What the key-agreement properties build independently of the reference:
// devices with bundles and prekey stores from fast-check seeds, the spec's
// formulas of ENC-X3DH-003..005 on node:crypto and ML-KEM-768, and readers
// of the serialized session (ENC-STATE-001) and session record
// (ENC-X3DH-010) layouts.
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, sign, type KeyObject } from "node:crypto";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import fc from "fast-check";
import { DeviceCertificateBody, DeviceListBody } from "@kabar/protocol";
import type { CryptoCaseFields, CryptoCaseValue } from "../../targets/target-types.js";
import { hex } from "./expect-case.js";

// ---------------------------------------------------------------------------
// Primitives (node:crypto, @noble/post-quantum)

const X25519_PKCS8 = Buffer.from("302e020100300506032b656e04220420", "hex");
const ED25519_PKCS8 = Buffer.from("302e020100300506032b657004220420", "hex");
const X25519_SPKI = Buffer.from("302a300506032b656e032100", "hex");

const privateKey = (prefix: Buffer, raw: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.concat([prefix, raw]), format: "der", type: "pkcs8" });
const rawPublic = (key: KeyObject): Uint8Array => new Uint8Array(createPublicKey(key).export({ format: "der", type: "spki" }).subarray(-32));

/** The X25519 public key of a 32-byte private scalar. */
export const x25519Public = (priv: Uint8Array): Uint8Array => rawPublic(privateKey(X25519_PKCS8, priv));
/** X25519(priv, pub). */
export const x25519 = (priv: Uint8Array, pub: Uint8Array): Uint8Array =>
  new Uint8Array(diffieHellman({ privateKey: privateKey(X25519_PKCS8, priv), publicKey: createPublicKey({ key: Buffer.concat([X25519_SPKI, pub]), format: "der", type: "spki" }) }));
/** The Ed25519 public key of a 32-byte seed. */
export const ed25519Public = (seed: Uint8Array): Uint8Array => rawPublic(privateKey(ED25519_PKCS8, seed));
/** Ed25519 signature of `message` under the key of `seed`. */
export const ed25519Sign = (seed: Uint8Array, message: Uint8Array): Uint8Array => new Uint8Array(sign(null, message, privateKey(ED25519_PKCS8, seed)));
/** SHA-256. */
export const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest());
/** HMAC-SHA256. */
export const hmac = (key: Uint8Array, data: Uint8Array): Uint8Array => new Uint8Array(createHmac("sha256", key).update(data).digest());
/** HKDF-SHA256(salt, ikm, info, length). */
export const hkdf = (salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array => new Uint8Array(hkdfSync("sha256", ikm, salt, info, length));
/** ML-KEM-768 key pair of a 64-byte seed d || z. */
export const kemKeyPair = (seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } => ml_kem768.keygen(seed);
/** ML-KEM-768 encapsulation with message `m`. */
export const kemEncapsulate = (publicKey: Uint8Array, m: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array } => ml_kem768.encapsulate(publicKey, m);

/** Concatenation. */
export const cat = (...parts: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
/** UTF-8. */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
/** Big-endian u32. */
export const u32be = (value: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, value >>> 0, false); return b; };
/** Byte equality. */
export const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

// ---------------------------------------------------------------------------
// Parties

/** A device that publishes a bundle (the responder). */
export interface Responder {
  readonly accountSeed: Uint8Array;
  readonly accountIdentityKey: Uint8Array;
  readonly accountId: Uint8Array;
  readonly deviceId: number;
  readonly signingSeed: Uint8Array;
  readonly identityPrivate: Uint8Array;
  readonly identityKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly signedPreKeyPrivate: Uint8Array;
  readonly signedPreKey: Uint8Array;
  readonly kemPreKeyId: number;
  readonly kemSeed: Uint8Array;
  readonly kemPreKey: Uint8Array;
  readonly kemSecretKey: Uint8Array;
  readonly oneTimePreKeyId: number;
  readonly oneTimePreKeyPrivate: Uint8Array;
  readonly oneTimePreKey: Uint8Array;
  readonly certificateBody: Uint8Array;
  readonly certificateSignature: Uint8Array;
}

/** A device that starts sessions (the initiator). */
export interface Initiator {
  readonly accountId: Uint8Array;
  readonly deviceId: number;
  readonly identityPrivate: Uint8Array;
  readonly identityKey: Uint8Array;
}

// Key material does not shrink: a smaller key explains nothing, and every
// shrink step would redo the (ML-KEM) key generation of a whole case.
const bytes32 = fc.noShrink(fc.uint8Array({ minLength: 32, maxLength: 32 }));
/** 32 random bytes. */
export const arbBytes32 = bytes32;
/** A device id, 1..2^31-1. */
export const arbDeviceId = fc.integer({ min: 1, max: 0x7fffffff });
/** A prekey id (u32). */
export const arbPreKeyId = fc.integer({ min: 0, max: 0xffffffff });

/** The certificate body of a device, ENC-ID-002 (the wire schema, not the reference). */
export function certificateBodyOf(accountIdentityKey: Uint8Array, deviceId: number, signingKey: Uint8Array, identityKey: Uint8Array): Uint8Array {
  return DeviceCertificateBody.encode(DeviceCertificateBody.fromPartial({
    accountId: sha256(accountIdentityKey), accountIdentityKey, deviceId, deviceSigningKey: signingKey, deviceIdentityKey: identityKey, issuedAtMs: 0n,
  })).finish();
}

/** Signs a certificate body with the account key of `accountSeed`. */
export const certify = (accountSeed: Uint8Array, body: Uint8Array): Uint8Array => ed25519Sign(accountSeed, cat(utf8("kabar-v1 device-certificate"), body));

/** A signed device list (ENC-ID-003) of `certificates`, sorted by the caller. */
export function signedDeviceList(accountSeed: Uint8Array, version: bigint, certificates: readonly { body: Uint8Array; signature: Uint8Array }[]): { body: Uint8Array; signature: Uint8Array } {
  const body = DeviceListBody.encode(DeviceListBody.fromPartial({ accountId: sha256(ed25519Public(accountSeed)), version, devices: certificates.map((c) => ({ body: c.body, signature: c.signature })), issuedAtMs: 0n })).finish();
  return { body, signature: ed25519Sign(accountSeed, cat(utf8("kabar-v1 device-list"), body)) };
}

/** The bytes a signed prekey signature covers (ENC-X3DH-001). */
export const signedPreKeyMessage = (id: number, key: Uint8Array): Uint8Array => cat(utf8("kabar-v1 signed-prekey"), u32be(id), Uint8Array.of(0x02), key);
/** The bytes a KEM prekey signature covers (ENC-X3DH-001). */
export const kemPreKeyMessage = (id: number, key: Uint8Array): Uint8Array => cat(utf8("kabar-v1 kem-prekey"), u32be(id), Uint8Array.of(0x03), key);

/** A responder device with its prekeys, from seeds. */
export const arbResponder: fc.Arbitrary<Responder> = fc
  .record({
    accountSeed: bytes32, deviceId: arbDeviceId, signingSeed: bytes32, identityPrivate: bytes32,
    signedPreKeyId: arbPreKeyId, signedPreKeyPrivate: bytes32, kemPreKeyId: arbPreKeyId, kemSeed: fc.noShrink(fc.uint8Array({ minLength: 64, maxLength: 64 })),
    oneTimePreKeyId: arbPreKeyId, oneTimePreKeyPrivate: bytes32,
  })
  .map((s) => {
    const accountIdentityKey = ed25519Public(s.accountSeed);
    const identityKey = x25519Public(s.identityPrivate);
    const kem = kemKeyPair(s.kemSeed);
    const certificateBody = certificateBodyOf(accountIdentityKey, s.deviceId, ed25519Public(s.signingSeed), identityKey);
    return {
      ...s, accountIdentityKey, accountId: sha256(accountIdentityKey), identityKey,
      signedPreKey: x25519Public(s.signedPreKeyPrivate), kemPreKey: kem.publicKey, kemSecretKey: kem.secretKey, oneTimePreKey: x25519Public(s.oneTimePreKeyPrivate),
      certificateBody, certificateSignature: certify(s.accountSeed, certificateBody),
    };
  });

/** An initiator device. */
export const arbInitiator: fc.Arbitrary<Initiator> = fc
  .record({ accountId: bytes32, deviceId: arbDeviceId, identityPrivate: bytes32 })
  .map((s) => ({ ...s, identityKey: x25519Public(s.identityPrivate) }));

/** The randomness of one session start: EK_A, R_A and the ML-KEM message m. */
export interface StartRandomness {
  readonly baseKeyPrivate: Uint8Array;
  readonly ratchetPrivate: Uint8Array;
  readonly kemEncapsulationRandom: Uint8Array;
}

/** Randomness of one session start. */
export const arbStart: fc.Arbitrary<StartRandomness> = fc.record({ baseKeyPrivate: bytes32, ratchetPrivate: bytes32, kemEncapsulationRandom: bytes32 });

/** The bundle part of `x3dh.initiate` inputs, signed correctly. */
export function bundleInputs(r: Responder, withOneTime: boolean): Record<string, CryptoCaseValue> {
  return {
    remoteIdentityKey: hex(r.accountIdentityKey),
    certificateBody: hex(r.certificateBody), certificateSignature: hex(r.certificateSignature),
    signedPreKeyId: r.signedPreKeyId, signedPreKey: hex(r.signedPreKey), signedPreKeySignature: hex(ed25519Sign(r.signingSeed, signedPreKeyMessage(r.signedPreKeyId, r.signedPreKey))),
    kemPreKeyId: r.kemPreKeyId, kemPreKey: hex(r.kemPreKey), kemPreKeySignature: hex(ed25519Sign(r.signingSeed, kemPreKeyMessage(r.kemPreKeyId, r.kemPreKey))),
    ...(withOneTime ? { oneTimePreKeyId: r.oneTimePreKeyId, oneTimePreKey: hex(r.oneTimePreKey) } : {}),
  };
}

/** `x3dh.initiate` inputs for `i` starting a session with `r`. */
export function initiateInputs(i: Initiator, r: Responder, start: StartRandomness, withOneTime: boolean): Record<string, CryptoCaseValue> {
  return {
    localAccountId: hex(i.accountId), localDeviceId: i.deviceId, localIdentityPrivate: hex(i.identityPrivate),
    ...bundleInputs(r, withOneTime),
    baseKeyPrivate: hex(start.baseKeyPrivate), ratchetPrivate: hex(start.ratchetPrivate), kemEncapsulationRandom: hex(start.kemEncapsulationRandom),
  };
}

/** The responder's prekey store, as `x3dh.decrypt` takes it. */
export interface PreKeyStore {
  readonly signedPreKeys: CryptoCaseValue;
  readonly kemPreKeys: CryptoCaseValue;
  readonly oneTimePreKeys: CryptoCaseValue;
  readonly seenBaseKeys: CryptoCaseValue;
}

/** The full prekey store of `r`. */
export const storeOf = (r: Responder): PreKeyStore => ({
  signedPreKeys: [{ id: r.signedPreKeyId, private: hex(r.signedPreKeyPrivate) }],
  kemPreKeys: [{ id: r.kemPreKeyId, seed: hex(r.kemSeed) }],
  oneTimePreKeys: [{ id: r.oneTimePreKeyId, private: hex(r.oneTimePreKeyPrivate) }],
  seenBaseKeys: [],
});

/** The store an `x3dh.decrypt` output describes, the other parts kept. */
export const storeAfter = (before: PreKeyStore, outputs: CryptoCaseFields): PreKeyStore => ({
  ...before, oneTimePreKeys: outputs.oneTimePreKeys ?? null, seenBaseKeys: outputs.seenBaseKeys ?? null,
});

/** A device as a message sender the receiver trusts. */
export interface SenderDevice { readonly accountId: Uint8Array; readonly deviceId: number; readonly identityKey: Uint8Array }

/** `x3dh.decrypt` inputs. */
export function decryptInputs(
  local: { accountId: Uint8Array; deviceId: number; identityPrivate: Uint8Array }, sender: SenderDevice, store: PreKeyStore, record: string, message: string, ratchetPrivate: Uint8Array,
): Record<string, CryptoCaseValue> {
  return {
    localAccountId: hex(local.accountId), localDeviceId: local.deviceId, localIdentityPrivate: hex(local.identityPrivate),
    senderAccountId: hex(sender.accountId), senderDeviceId: sender.deviceId, senderIdentityKey: hex(sender.identityKey),
    ...store, record, message, ratchetPrivate: hex(ratchetPrivate),
  };
}

// ---------------------------------------------------------------------------
// The spec's formulas (ENC-X3DH-003..005, ENC-RATCHET KDF_RK)

/** The expected agreement of `i` starting with `r` (ENC-X3DH-003..005). */
export function expectedAgreement(i: Initiator, r: Responder, start: StartRandomness, withOneTime: boolean): {
  dh1: Uint8Array; dh2: Uint8Array; dh3: Uint8Array; dh4: Uint8Array | undefined; kemCiphertext: Uint8Array; kemSharedSecret: Uint8Array;
  associatedData: Uint8Array; sessionKey: Uint8Array; baseKey: Uint8Array; rootKey: Uint8Array; sendingChainKey: Uint8Array;
} {
  const baseKey = x25519Public(start.baseKeyPrivate);
  const dh1 = x25519(i.identityPrivate, r.signedPreKey);
  const dh2 = x25519(start.baseKeyPrivate, r.identityKey);
  const dh3 = x25519(start.baseKeyPrivate, r.signedPreKey);
  const dh4 = withOneTime ? x25519(start.baseKeyPrivate, r.oneTimePreKey) : undefined;
  const kem = kemEncapsulate(r.kemPreKey, start.kemEncapsulationRandom);
  const party = (accountId: Uint8Array, deviceId: number, identityKey: Uint8Array) => cat(accountId, u32be(deviceId), Uint8Array.of(0x02), identityKey);
  const associatedData = cat(u32be(1), party(i.accountId, i.deviceId, i.identityKey), party(r.accountId, r.deviceId, r.identityKey));
  const transcript = cat(
    utf8("kabar-v1 pqxdh transcript"), Uint8Array.of(0x02), baseKey, Uint8Array.of(0x02), r.signedPreKey, Uint8Array.of(0x03), r.kemPreKey, kem.cipherText,
    ...(withOneTime ? [Uint8Array.of(0x02), r.oneTimePreKey] : []),
  );
  const ikm = cat(new Uint8Array(32).fill(0xff), dh1, dh2, dh3, ...(dh4 !== undefined ? [dh4] : []), kem.sharedSecret);
  const sessionKey = hkdf(new Uint8Array(32), ikm, cat(utf8("kabar-v1 pqxdh"), associatedData, sha256(transcript)), 32);
  const rk = hkdf(sessionKey, x25519(start.ratchetPrivate, r.signedPreKey), utf8("kabar-v1 ratchet root"), 64);
  return { dh1, dh2, dh3, dh4, kemCiphertext: kem.cipherText, kemSharedSecret: kem.sharedSecret, associatedData, sessionKey, baseKey, rootKey: rk.slice(0, 32), sendingChainKey: rk.slice(32) };
}

// ---------------------------------------------------------------------------
// Layouts (ENC-STATE-001, ENC-X3DH-010)

/** Where the fields of a serialized session (format 1) sit. */
export interface SessionLayout {
  /** Offset of base_key. */
  readonly baseKey: number;
  /** Offset of u8(chains). */
  readonly chainCount: number;
  /** Offset of u16be(skipped). */
  readonly skippedCount: number;
  /** Offset of u8(pending). */
  readonly pending: number;
  /** The receiving chains and skipped keys. */
  readonly chains: number;
  readonly skipped: number;
}

/** Reads the layout of ENC-STATE-001; undefined when the bytes do not follow it. */
export function sessionLayout(b: Uint8Array): SessionLayout | undefined {
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  let o = 2 + 68 + 68;
  if (b.length < o + 4) return undefined;
  const adLength = view.getUint32(o, false);
  o += 4 + adLength;
  const baseKey = o;
  o += 32 * 4;
  if (b.length < o + 1) return undefined;
  o += 1 + (b[o] === 1 ? 32 : 0) + 8;
  const chainCount = o;
  if (b.length < o + 1) return undefined;
  const chains = b[o]!;
  o += 1 + chains * 68;
  const skippedCount = o;
  if (b.length < o + 2) return undefined;
  const skipped = view.getUint16(o, false);
  o += 2 + skipped * 68;
  if (b.length < o + 1) return undefined;
  return { baseKey, chainCount, skippedCount, pending: o, chains, skipped };
}

/** The base key of a serialized session. */
export function sessionBaseKey(b: Uint8Array): string | undefined {
  const layout = sessionLayout(b);
  return layout === undefined ? undefined : hex(b.slice(layout.baseKey, layout.baseKey + 32));
}

/** A serialized session record (ENC-X3DH-010), sessions current first. */
export interface RecordLayout { readonly hasCurrent: boolean; readonly sessions: readonly Uint8Array[] }

/** Parses `u8(1) || u8(has_current) || u8(count) || count × (u32be(len) || session)`; undefined when malformed. */
export function parseRecord(b: Uint8Array): RecordLayout | undefined {
  if (b.length < 3 || b[0] !== 1 || (b[1] !== 0 && b[1] !== 1)) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  const sessions: Uint8Array[] = [];
  let o = 3;
  for (let n = 0; n < b[2]!; n++) {
    if (o + 4 > b.length) return undefined;
    const len = view.getUint32(o, false);
    if (o + 4 + len > b.length) return undefined;
    sessions.push(b.slice(o + 4, o + 4 + len));
    o += 4 + len;
  }
  return o === b.length ? { hasCurrent: b[1] === 1, sessions } : undefined;
}

/** A record with `sessions`, the first current when `hasCurrent`. */
export function recordOf(sessions: readonly Uint8Array[], hasCurrent = sessions.length > 0): Uint8Array {
  return cat(Uint8Array.of(1, hasCurrent ? 1 : 0, sessions.length), ...sessions.flatMap((s) => [u32be(s.length), s]));
}

/** The empty record. */
export const EMPTY_RECORD = hex(recordOf([]));
