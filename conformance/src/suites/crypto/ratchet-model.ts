// The kit's own model of the double ratchet (docs/spec/encryption.md,
// "Double ratchet", and the ENC-STATE-001 session layout), computed with
// node:crypto only: the ratchet properties build sessions and seal messages
// with it, and recompute what an implementation must output, so no expected
// value comes from the implementation under test.
import { createHmac, createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from "node:crypto";
import { concatBytes, lengthDelimited, varintField } from "../../generators/wire-writer.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const u8 = (b: Buffer | ArrayBuffer): Uint8Array => new Uint8Array(b instanceof ArrayBuffer ? b : b.buffer.slice(b.byteOffset, b.byteOffset + b.length));

/** Highest usable counter (ENC-RATCHET-009). */
export const MAX_COUNTER = 0xfffffffe;
/** MAX_SKIP (ENC-RATCHET-007). */
export const MAX_SKIP = 2000;
/** Skipped keys kept per session (ENC-RATCHET-008). */
export const MAX_SKIPPED = 2000;
/** Receiving chains kept per session (ENC-RATCHET-008). */
export const MAX_CHAINS = 5;

export function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return u8(createHmac("sha256", key).update(data).digest());
}

export function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return u8(hkdfSync("sha256", ikm, salt, info, length));
}

/** A deterministic 32-byte value from a seed and a label (keys of a scenario; distinct even for an all-zero seed). */
export function derive(seed: Uint8Array, label: string): Uint8Array {
  return hmac(seed, utf8(`kabar-kit ratchet ${label}`));
}

const PKCS8_X25519 = Uint8Array.from(Buffer.from("302e020100300506032b656e04220420", "hex"));
const SPKI_X25519 = Uint8Array.from(Buffer.from("302a300506032b656e032100", "hex"));
const x25519Private = (priv: Uint8Array) => createPrivateKey({ key: Buffer.from(concatBytes(PKCS8_X25519, priv)), format: "der", type: "pkcs8" });

/** The X25519 public key of a private scalar. */
export function x25519Public(priv: Uint8Array): Uint8Array {
  const der = createPublicKey(x25519Private(priv)).export({ format: "der", type: "spki" });
  return u8(der).slice(SPKI_X25519.length);
}

/** DH(a, B). */
export function x25519(priv: Uint8Array, pub: Uint8Array): Uint8Array {
  const publicKey = createPublicKey({ key: Buffer.from(concatBytes(SPKI_X25519, pub)), format: "der", type: "spki" });
  return u8(diffieHellman({ privateKey: x25519Private(priv), publicKey }));
}

/** KDF_RK(rk, dh) = HKDF(rk, dh, "kabar-v1 ratchet root", 64) split 32/32. */
export function kdfRk(rootKey: Uint8Array, dh: Uint8Array): { rootKey: Uint8Array; chainKey: Uint8Array } {
  const out = hkdf(rootKey, dh, utf8("kabar-v1 ratchet root"), 64);
  return { rootKey: out.slice(0, 32), chainKey: out.slice(32) };
}

/** ENC-RATCHET-002: message key, next chain key, AEAD key and nonce. */
export function chainStep(chainKey: Uint8Array): { messageKey: Uint8Array; nextChainKey: Uint8Array; aeadKey: Uint8Array; nonce: Uint8Array } {
  const messageKey = hmac(chainKey, Uint8Array.of(1));
  const keys = hkdf(new Uint8Array(32), messageKey, utf8("kabar-v1 ratchet message-keys"), 44);
  return { messageKey, nextChainKey: hmac(chainKey, Uint8Array.of(2)), aeadKey: keys.slice(0, 32), nonce: keys.slice(32) };
}

/** The chain key `steps` steps after `chainKey`, and the message keys passed on the way. */
export function advance(chainKey: Uint8Array, steps: number): { chainKey: Uint8Array; messageKeys: Uint8Array[] } {
  const messageKeys: Uint8Array[] = [];
  let ck = chainKey;
  for (let i = 0; i < steps; i++) {
    messageKeys.push(hmac(ck, Uint8Array.of(1)));
    ck = hmac(ck, Uint8Array.of(2));
  }
  return { chainKey: ck, messageKeys };
}

/** AEAD key and nonce of a message key. */
export function messageKeys(messageKey: Uint8Array): { aeadKey: Uint8Array; nonce: Uint8Array } {
  const keys = hkdf(new Uint8Array(32), messageKey, utf8("kabar-v1 ratchet message-keys"), 44);
  return { aeadKey: keys.slice(0, 32), nonce: keys.slice(32) };
}

/** The fields of a ratchet message. */
export interface KitHeader {
  readonly version: number;
  readonly ratchetKey: Uint8Array;
  readonly counter: number;
  readonly previousCounter: number;
}

/** ENC-RATCHET-003: the 45-byte canonical header. */
export function canonicalHeader(h: KitHeader): Uint8Array {
  const out = new Uint8Array(45);
  const view = new DataView(out.buffer);
  view.setUint32(0, h.version >>> 0);
  out[4] = 0x02;
  out.set(h.ratchetKey.subarray(0, 32), 5);
  view.setUint32(37, h.counter >>> 0);
  view.setUint32(41, h.previousCounter >>> 0);
  return out;
}

export function aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(ad);
  return concatBytes(u8(cipher.update(plaintext)), u8(cipher.final()), u8(cipher.getAuthTag()));
}

/** AES-256-GCM open; undefined when the tag does not verify. */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | undefined {
  if (sealed.length < 16) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonce);
    decipher.setAAD(ad);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return concatBytes(u8(decipher.update(sealed.subarray(0, sealed.length - 16))), u8(decipher.final()));
  } catch {
    return undefined;
  }
}

/** One encoded protobuf field of a RatchetMessage. */
export type WireField = Uint8Array;

/** The RatchetMessage fields in canonical order (zero values omitted, as proto3 does). */
export function ratchetFields(h: KitHeader, ciphertext: Uint8Array): WireField[] {
  return [
    ...(h.version !== 0 ? [varintField(1, h.version)] : []),
    ...(h.ratchetKey.length !== 0 ? [lengthDelimited(2, h.ratchetKey)] : []),
    ...(h.counter !== 0 ? [varintField(3, h.counter)] : []),
    ...(h.previousCounter !== 0 ? [varintField(4, h.previousCounter)] : []),
    ...(ciphertext.length !== 0 ? [lengthDelimited(5, ciphertext)] : []),
  ];
}

/** PairwiseMessage{ratchet = fields}. */
export function pairwiseOf(fields: readonly WireField[]): Uint8Array {
  return lengthDelimited(2, concatBytes(...fields));
}

/** A ratchet message sealed with `messageKey` under session AD `ad`: PairwiseMessage bytes. */
export function sealMessage(ad: Uint8Array, messageKey: Uint8Array, h: KitHeader, plaintext: Uint8Array): { wire: Uint8Array; ciphertext: Uint8Array } {
  const { aeadKey, nonce } = messageKeys(messageKey);
  const ciphertext = aeadSeal(aeadKey, nonce, plaintext, concatBytes(ad, canonicalHeader(h)));
  return { wire: pairwiseOf(ratchetFields(h, ciphertext)), ciphertext };
}

// ---------------------------------------------------------------- state layout

/** A session party. */
export interface KitParty {
  readonly accountId: Uint8Array;
  readonly deviceId: number;
  readonly identityKey: Uint8Array;
}

/** A receiving chain. */
export interface KitChain {
  readonly ratchetKey: Uint8Array;
  readonly chainKey: Uint8Array;
  readonly index: number;
}

/** A skipped message key. */
export interface KitSkipped {
  readonly ratchetKey: Uint8Array;
  readonly counter: number;
  readonly messageKey: Uint8Array;
}

/** A session, field by field as ENC-STATE-001 lays it out (no pending prekey: the ratchet cases never need one). */
export interface KitSession {
  readonly stateVersion: number;
  readonly local: KitParty;
  readonly remote: KitParty;
  readonly ad: Uint8Array;
  readonly baseKey: Uint8Array;
  readonly rootKey: Uint8Array;
  readonly ratchetPrivate: Uint8Array;
  readonly ratchetPublic: Uint8Array;
  readonly sendingChainKey: Uint8Array | undefined;
  readonly sendingIndex: number;
  readonly previousCounter: number;
  readonly chains: readonly KitChain[];
  readonly skipped: readonly KitSkipped[];
  /** The raw pending-prekey tail (u8(pending) and what follows). */
  readonly pendingTail: Uint8Array;
}

const u32 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n >>> 0); return b; };
const u16 = (n: number): Uint8Array => Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
const party = (p: KitParty): Uint8Array => concatBytes(p.accountId, u32(p.deviceId), p.identityKey);

/** ENC-STATE-001 serialization. */
export function serializeState(s: KitSession): Uint8Array {
  return concatBytes(
    Uint8Array.of(1, s.stateVersion), party(s.local), party(s.remote), u32(s.ad.length), s.ad, s.baseKey, s.rootKey, s.ratchetPrivate, s.ratchetPublic,
    s.sendingChainKey === undefined ? Uint8Array.of(0) : concatBytes(Uint8Array.of(1), s.sendingChainKey),
    u32(s.sendingIndex), u32(s.previousCounter), Uint8Array.of(s.chains.length),
    ...s.chains.map((c) => concatBytes(c.ratchetKey, c.chainKey, u32(c.index))),
    u16(s.skipped.length), ...s.skipped.map((k) => concatBytes(k.ratchetKey, u32(k.counter), k.messageKey)),
    s.pendingTail,
  );
}

/** Parses an ENC-STATE-001 session; throws an Error saying what is wrong. */
export function parseState(bytes: Uint8Array): KitSession {
  let at = 0;
  const take = (n: number): Uint8Array => {
    if (at + n > bytes.length) throw new Error(`serialized session truncated at byte ${at} (wanted ${n} more)`);
    const out = bytes.slice(at, at + n);
    at += n;
    return out;
  };
  const r8 = () => take(1)[0]!;
  const r16 = () => { const b = take(2); return (b[0]! << 8) | b[1]!; };
  const r32 = () => new DataView(take(4).buffer).getUint32(0);
  const rParty = (): KitParty => ({ accountId: take(32), deviceId: r32(), identityKey: take(32) });
  if (r8() !== 1) throw new Error("serialized session format byte is not 1");
  const stateVersion = r8();
  const local = rParty();
  const remote = rParty();
  const ad = take(r32());
  const baseKey = take(32);
  const rootKey = take(32);
  const ratchetPrivate = take(32);
  const ratchetPublic = take(32);
  const sendingChainKey = r8() === 1 ? take(32) : undefined;
  const sendingIndex = r32();
  const previousCounter = r32();
  const chains: KitChain[] = [];
  for (let n = r8(), i = 0; i < n; i++) chains.push({ ratchetKey: take(32), chainKey: take(32), index: r32() });
  const skipped: KitSkipped[] = [];
  for (let n = r16(), i = 0; i < n; i++) skipped.push({ ratchetKey: take(32), counter: r32(), messageKey: take(32) });
  const pendingTail = bytes.slice(at);
  return { stateVersion, local, remote, ad, baseKey, rootKey, ratchetPrivate, ratchetPublic, sendingChainKey, sendingIndex, previousCounter, chains, skipped, pendingTail };
}

/** Byte equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** True when `needle` occurs in `haystack`. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.length)) >= 0;
}

// ---------------------------------------------------------------- scenarios

/** Beyond this many steps the kit does not derive a key (the message must be rejected before its key matters). */
const MAX_KIT_STEPS = 2100;

/** Options of {@link buildSession}. */
export interface SessionShape {
  /** Receiving chains: next counter of each (oldest first). */
  readonly chainIndexes: readonly number[];
  /** Skipped keys: [chain number, counter] (chain number may exceed the chains: a retired chain). */
  readonly skipped?: readonly (readonly [number, number])[];
  readonly sendingIndex: number;
  readonly previousCounter: number;
  /** Whether the session has a sending chain (false: a responder before its first reply). */
  readonly sending?: boolean;
}

/** The private ratchet key of the remote party for chain `i` of a scenario (its public key names the chain). */
export const remoteRatchetPrivate = (seed: Uint8Array, i: number): Uint8Array => derive(seed, `remote ratchet ${i}`);

/**
 * A mid-conversation session derived from `seed`: receiving chain `i` is
 * named by the public key of remoteRatchetPrivate(seed, i) and holds chain
 * key derive(seed, "chain i") at its next counter; skipped key (i, c) holds
 * message key derive(seed, "skipped i c").
 */
export function buildSession(seed: Uint8Array, shape: SessionShape): KitSession {
  const chains = shape.chainIndexes.map((index, i) => ({ ratchetKey: x25519Public(remoteRatchetPrivate(seed, i)), chainKey: derive(seed, `chain ${i}`), index }));
  const skipped = (shape.skipped ?? []).map(([chain, counter]) => ({
    ratchetKey: x25519Public(remoteRatchetPrivate(seed, chain)),
    counter,
    messageKey: derive(seed, `skipped ${chain} ${counter}`),
  }));
  const ratchetPrivate = derive(seed, "local ratchet");
  return {
    stateVersion: 1,
    local: { accountId: derive(seed, "local account"), deviceId: 1 + (derive(seed, "local device")[0]! % 100), identityKey: derive(seed, "local identity") },
    remote: { accountId: derive(seed, "remote account"), deviceId: 1 + (derive(seed, "remote device")[0]! % 100), identityKey: derive(seed, "remote identity") },
    ad: concatBytes(u32(1), derive(seed, "ad a"), derive(seed, "ad b"), derive(seed, "ad c"), derive(seed, "ad d"), derive(seed, "ad e").slice(0, 10)),
    baseKey: derive(seed, "base key"),
    rootKey: derive(seed, "root key"),
    ratchetPrivate,
    ratchetPublic: x25519Public(ratchetPrivate),
    sendingChainKey: shape.sending === false ? undefined : derive(seed, "sending chain"),
    sendingIndex: shape.sendingIndex,
    previousCounter: shape.previousCounter,
    chains,
    skipped,
    pendingTail: Uint8Array.of(0),
  };
}

/**
 * A message on chain `chain` of a buildSession scenario, sealed by the kit
 * with the key the session must use: the skipped key when the session holds
 * one for (chain, counter), else the chain's key at `counter` when the chain
 * is held and counter >= its next counter, else an unrelated key.
 */
export function chainMessage(seed: Uint8Array, session: KitSession, chain: number, counter: number, previousCounter: number, plaintext: Uint8Array): { wire: Uint8Array; ciphertext: Uint8Array; header: KitHeader; messageKey: Uint8Array; chainKey: Uint8Array | undefined } {
  const ratchetKey = x25519Public(remoteRatchetPrivate(seed, chain));
  const skipped = session.skipped.find((k) => k.counter === counter && sameBytes(k.ratchetKey, ratchetKey));
  const held = session.chains.find((c) => sameBytes(c.ratchetKey, ratchetKey));
  let messageKey: Uint8Array;
  let chainKey: Uint8Array | undefined;
  if (skipped !== undefined) messageKey = skipped.messageKey;
  else if (held !== undefined && counter >= held.index && counter - held.index <= MAX_KIT_STEPS) {
    chainKey = advance(held.chainKey, counter - held.index).chainKey;
    messageKey = hmac(chainKey, Uint8Array.of(1));
  } else messageKey = derive(seed, `unknown ${chain} ${counter}`);
  const header: KitHeader = { version: 1, ratchetKey, counter, previousCounter };
  return { ...sealMessage(session.ad, messageKey, header, plaintext), header, messageKey, chainKey };
}

/**
 * A message under a new remote ratchet key `remotePrivate` to a session in
 * state `session` (its current root key and ratchet key pair): the DH step
 * of ENC-RATCHET-001 as the sender computes it.
 */
export function newChainMessage(session: KitSession, remotePrivate: Uint8Array, counter: number, previousCounter: number, plaintext: Uint8Array): {
  wire: Uint8Array; ciphertext: Uint8Array; header: KitHeader; received: { rootKey: Uint8Array; chainKey: Uint8Array }; messageKey: Uint8Array; messageKeys: Uint8Array[]; nextChainKey: Uint8Array;
} {
  const received = kdfRk(session.rootKey, x25519(remotePrivate, session.ratchetPublic));
  const skipped = counter <= MAX_KIT_STEPS ? advance(received.chainKey, counter) : { chainKey: hmac(received.chainKey, utf8("unrelated")), messageKeys: [] };
  const messageKey = hmac(skipped.chainKey, Uint8Array.of(1));
  const header: KitHeader = { version: 1, ratchetKey: x25519Public(remotePrivate), counter, previousCounter };
  return { ...sealMessage(session.ad, messageKey, header, plaintext), header, received, messageKey, messageKeys: skipped.messageKeys, nextChainKey: hmac(skipped.chainKey, Uint8Array.of(2)) };
}
