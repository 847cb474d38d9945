// The kit's own model of the sender-key, attachment and backup formulas of
// docs/spec/encryption.md, written from the rules with node:crypto only, so
// the properties compare an implementation with the spec and not with the
// reference.
import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, hkdfSync, scryptSync, sign, verify, type KeyObject } from "node:crypto";

const utf8 = (text: string): Buffer => Buffer.from(text, "utf8");
const cat = (...parts: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
export const u8 = (v: number): Uint8Array => Uint8Array.of(v & 0xff);
export const u16be = (v: number): Uint8Array => Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
export const u32be = (v: number): Uint8Array => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return new Uint8Array(b); };
export const u64be = (v: bigint | number): Uint8Array => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(v)); return new Uint8Array(b); };
export const concat = cat;
export const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest());
export const hmac = (key: Uint8Array, data: Uint8Array): Uint8Array => new Uint8Array(createHmac("sha256", key).update(data).digest());
/** HKDF(salt, ikm, info, L) in the spec's argument order. */
export const hkdf = (salt: Uint8Array, ikm: Uint8Array, info: string, length: number): Uint8Array => new Uint8Array(hkdfSync("sha256", ikm, salt, utf8(info), length));

/** AEAD(k, n, p, ad): AES-256-GCM, ciphertext || 16-byte tag. */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-256-gcm", key, nonce);
  c.setAAD(ad);
  return cat(c.update(plaintext), c.final(), c.getAuthTag());
}

/** AEAD open, or undefined when it does not authenticate. */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | undefined {
  if (sealed.length < 16) return undefined;
  try {
    const d = createDecipheriv("aes-256-gcm", key, nonce);
    d.setAAD(ad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return cat(d.update(sealed.subarray(0, sealed.length - 16)), d.final());
  } catch {
    return undefined;
  }
}

// ---- Ed25519 ----

const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");
const edPrivate = (seed: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
/** The Ed25519 public key of a 32-byte seed. */
export const edPublic = (seed: Uint8Array): Uint8Array => new Uint8Array(createPublicKey(edPrivate(seed)).export({ format: "der", type: "spki" }).subarray(12));
/** Pure Ed25519 signature (deterministic). */
export const edSign = (seed: Uint8Array, message: Uint8Array): Uint8Array => new Uint8Array(sign(null, message, edPrivate(seed)));
/** Pure Ed25519 verification; false for malformed keys. */
export function edVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(null, message, createPublicKey({ key: Buffer.concat([SPKI_ED25519, publicKey]), format: "der", type: "spki" }), signature);
  } catch {
    return false;
  }
}

// ---- Sender keys (ENC-SENDERKEY-001/002, ENC-STATE-002) ----

/** A sender-key chain as ENC-STATE-002 lays it out. */
export interface ModelChain {
  readonly conversationId: Uint8Array;
  readonly distributionId: Uint8Array;
  readonly accountId: Uint8Array;
  readonly deviceId: number;
  readonly chainKey: Uint8Array;
  readonly iteration: number;
  readonly signingPublic: Uint8Array;
  readonly signingPrivate: Uint8Array | undefined;
  readonly skipped: readonly { readonly iteration: number; readonly messageKey: Uint8Array }[];
}

/** ENC-STATE-002 format 1. */
export function encodeChain(c: ModelChain): Uint8Array {
  return cat(
    u8(1), c.conversationId, c.distributionId, c.accountId, u32be(c.deviceId), c.chainKey, u32be(c.iteration), c.signingPublic,
    ...(c.signingPrivate === undefined ? [u8(0)] : [u8(1), c.signingPrivate]),
    u16be(c.skipped.length), ...c.skipped.flatMap((s) => [u32be(s.iteration), s.messageKey]),
  );
}

/** Parses ENC-STATE-002 format 1 strictly; a string says what is wrong. */
export function decodeChain(bytes: Uint8Array): ModelChain | string {
  const b = Buffer.from(bytes);
  let o = 0;
  const need = (n: number): boolean => o + n <= b.length;
  const take = (n: number): Uint8Array => { const out = new Uint8Array(b.subarray(o, o + n)); o += n; return out; };
  if (!need(1 + 16 + 16 + 32 + 4 + 32 + 4 + 32 + 1)) return `chain of ${b.length} bytes is shorter than the fixed part`;
  if (b[0] !== 1) return `format byte ${b[0]}`;
  o = 1;
  const conversationId = take(16), distributionId = take(16), accountId = take(32);
  const deviceId = b.readUInt32BE(o); o += 4;
  const chainKey = take(32);
  const iteration = b.readUInt32BE(o); o += 4;
  const signingPublic = take(32);
  const flag = b[o++]!;
  if (flag > 1) return `has_private byte ${flag}`;
  if (flag === 1 && !need(32)) return "truncated private key";
  const signingPrivate = flag === 1 ? take(32) : undefined;
  if (!need(2)) return "truncated skipped count";
  const count = b.readUInt16BE(o); o += 2;
  if (!need(count * 36)) return "truncated skipped keys";
  const skipped = [];
  for (let i = 0; i < count; i++) { const it = b.readUInt32BE(o); o += 4; skipped.push({ iteration: it, messageKey: take(32) }); }
  if (o !== b.length) return `${b.length - o} trailing bytes`;
  return { conversationId, distributionId, accountId, deviceId, chainKey, iteration, signingPublic, signingPrivate, skipped };
}

/** ENC-RATCHET-002 chain step. */
export const chainStep = (ck: Uint8Array): { messageKey: Uint8Array; chainKey: Uint8Array } => ({ messageKey: hmac(ck, u8(1)), chainKey: hmac(ck, u8(2)) });
/** ENC-SENDERKEY-001: AEAD key and nonce of a sender-key message key. */
export function senderMessageKeys(messageKey: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const out = hkdf(new Uint8Array(32), messageKey, "kabar-v1 sender-key message-keys", 44);
  return { key: out.subarray(0, 32), nonce: out.subarray(32) };
}
/** ENC-SENDERKEY-002: the 76-byte canonical header. */
export const senderHeader = (c: ModelChain, iteration: number): Uint8Array =>
  cat(u32be(1), c.conversationId, c.distributionId, c.accountId, u32be(c.deviceId), u32be(iteration));
/** ENC-SENDERKEY-002: the signed bytes. */
export const senderSigned = (header: Uint8Array, ciphertext: Uint8Array): Uint8Array => cat(utf8("kabar-v1 sender-key"), header, ciphertext);

/** The chain key at `iteration` (>= c.iteration) by stepping. */
export function chainKeyAt(c: ModelChain, iteration: number): Uint8Array {
  if (iteration < c.iteration) throw new Error("chainKeyAt below the chain");
  // Chain keys from c.iteration on, cached per chain object (properties ask for many iterations of one chain).
  let keys = chainKeys.get(c);
  if (keys === undefined || !eq(keys[0]!, c.chainKey)) chainKeys.set(c, (keys = [c.chainKey]));
  while (keys.length <= iteration - c.iteration) keys.push(hmac(keys[keys.length - 1]!, u8(2)));
  return keys[iteration - c.iteration]!;
}
const chainKeys = new WeakMap<ModelChain, Uint8Array[]>();
const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/** A message of chain `c` (which must hold the signing seed) at `iteration` with the message key `messageKey`. */
export interface ModelMessage { readonly distribution_id: string; readonly iteration: number; readonly ciphertext: string; readonly signature: string }
const hx = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Encrypts and signs `plaintext` as message `iteration` of `c`, whose chain key at that iteration is derived by stepping. */
export function senderMessage(c: ModelChain, signingSeed: Uint8Array, iteration: number, plaintext: Uint8Array): ModelMessage {
  const { key, nonce } = senderMessageKeys(chainStep(chainKeyAt(c, iteration)).messageKey);
  const header = senderHeader(c, iteration);
  const ciphertext = aeadSeal(key, nonce, plaintext, header);
  return { distribution_id: hx(c.distributionId), iteration, ciphertext: hx(ciphertext), signature: hx(edSign(signingSeed, senderSigned(header, ciphertext))) };
}

/** A message with an arbitrary (already AEAD-sealed or garbage) ciphertext, validly signed. */
export function signedMessage(c: ModelChain, signingSeed: Uint8Array, iteration: number, ciphertext: Uint8Array, distributionId: Uint8Array = c.distributionId): ModelMessage {
  return { distribution_id: hx(distributionId), iteration, ciphertext: hx(ciphertext), signature: hx(edSign(signingSeed, senderSigned(senderHeader(c, iteration), ciphertext))) };
}

// ---- Attachments (ENC-ATTACH-001..004) ----

export const CHUNK = 65_536;

/** The whole attachment ciphertext for `key`, `fileId` and `plaintext`. */
export function attachmentCiphertext(key: Uint8Array, fileId: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const header = cat(u32be(1), fileId);
  const fileKey = hkdf(fileId, key, "kabar-v1 attachment", 32);
  const chunks = Math.max(1, Math.ceil(plaintext.length / CHUNK));
  const parts: Uint8Array[] = [header];
  for (let i = 0; i < chunks; i++) {
    const last = i === chunks - 1 ? 1 : 0;
    parts.push(aeadSeal(fileKey, cat(u32be(last), u64be(i)), plaintext.subarray(i * CHUNK, Math.min(plaintext.length, (i + 1) * CHUNK)), cat(header, u64be(i), u8(last))));
  }
  return cat(...parts);
}

// ---- Key backup (ENC-BACKUP-001..003) ----

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 of 32 bytes, 52 characters, no padding. */
export function base32(bytes: Uint8Array): string {
  let bits = "";
  for (const b of bytes) bits += b.toString(2).padStart(8, "0");
  bits = bits.padEnd(Math.ceil(bits.length / 5) * 5, "0");
  let out = "";
  for (let i = 0; i < bits.length; i += 5) out += BASE32[parseInt(bits.slice(i, i + 5), 2)];
  return out;
}

/** ENC-BACKUP-001 display form: 13 groups of 4, separated by single spaces. */
export const recoveryText = (secret: Uint8Array): string => base32(secret).match(/.{4}/g)!.join(" ");

/** ENC-BACKUP-002 master key (about 0.1 s). */
export const backupMaster = (secret: Uint8Array, accountId: Uint8Array): Uint8Array =>
  new Uint8Array(scryptSync(secret, cat(utf8("kabar-v1 backup scrypt"), accountId), 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }));

/** ENC-BACKUP-003 entries encoding, entries taken in the order given (the caller sorts). */
export const encodeEntries = (entries: readonly { readonly id: Uint8Array; readonly value: Uint8Array }[]): Uint8Array =>
  cat(u32be(entries.length), ...entries.flatMap((e) => [u16be(e.id.length), e.id, u32be(e.value.length), e.value]));

/** Entries sorted by the UTF-8 bytes of their ids. */
export const sortEntries = (entries: readonly { readonly id: string; readonly value: Uint8Array }[]): { id: Uint8Array; value: Uint8Array; name: string }[] =>
  entries.map((e) => ({ id: new Uint8Array(utf8(e.id)), value: e.value, name: e.id })).sort((a, b) => Buffer.compare(a.id, b.id));

/** The parts of an ENC-BACKUP-003 blob. */
export interface BlobParts { readonly magic?: Uint8Array; readonly version: bigint; readonly salt: Uint8Array; readonly nonce: Uint8Array }

/** ENC-BACKUP-003 blob over raw `entries` bytes; `sealed` replaces the AEAD output when given (a blob whose AEAD fails but whose HMAC holds). */
export function backupBlob(master: Uint8Array, accountId: Uint8Array, parts: BlobParts, entries: Uint8Array, sealed?: Uint8Array): Uint8Array {
  const magic = parts.magic ?? utf8("KBK1");
  const enc = hkdf(parts.salt, master, "kabar-v1 backup encryption", 32);
  const mac = hkdf(parts.salt, master, "kabar-v1 backup mac", 32);
  const version = u64be(parts.version);
  const aead = sealed ?? aeadSeal(enc, parts.nonce, entries, cat(utf8("KBK1"), accountId, version));
  const body = cat(magic, version, parts.salt, parts.nonce, aead);
  return cat(body, hmac(mac, cat(accountId, body)));
}
