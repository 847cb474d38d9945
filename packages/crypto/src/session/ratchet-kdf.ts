// Double-ratchet key schedule and the canonical header layout
// (ENC-RATCHET-001..003).
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { utf8 } from "../encoding/bytes.js";
import { KeyTag } from "../identity/key-tags.js";

const ROOT_INFO = utf8("kabar-v1 ratchet root");
const MESSAGE_INFO = utf8("kabar-v1 ratchet message-keys");
const MESSAGE_KEY_SEED = Uint8Array.of(0x01);
const CHAIN_KEY_SEED = Uint8Array.of(0x02);
const ZERO_SALT = new Uint8Array(32);
/** Length of the canonical ratchet header (ENC-RATCHET-003). */
export const RATCHET_HEADER_LENGTH = 45;

/** ENC-RATCHET-001: (root key, chain key) = HKDF(salt = root key, ikm = DH output, info, 64). */
export function kdfRoot(provider: CryptoProvider, rootKey: Uint8Array, dhOutput: Uint8Array): { rootKey: Uint8Array; chainKey: Uint8Array } {
  const out = provider.hkdfSha256(dhOutput, rootKey, ROOT_INFO, 64);
  return { rootKey: out.slice(0, 32), chainKey: out.slice(32) };
}

/** ENC-RATCHET-002: message key = HMAC(ck, 0x01), next chain key = HMAC(ck, 0x02). */
export function chainStep(provider: CryptoProvider, chainKey: Uint8Array): { messageKey: Uint8Array; chainKey: Uint8Array } {
  return { messageKey: provider.hmacSha256(chainKey, MESSAGE_KEY_SEED), chainKey: provider.hmacSha256(chainKey, CHAIN_KEY_SEED) };
}

/** ENC-RATCHET-002: AES key (32) || nonce (12) = HKDF(salt = 0^32, ikm = message key, info, 44). */
export function messageCipherKeys(provider: CryptoProvider, messageKey: Uint8Array, info: Uint8Array = MESSAGE_INFO): { key: Uint8Array; nonce: Uint8Array } {
  const out = provider.hkdfSha256(messageKey, ZERO_SALT, info, 44);
  return { key: out.subarray(0, 32), nonce: out.subarray(32, 44) };
}

/** The fields of a ratchet header. */
export interface RatchetHeader {
  /** Ciphertext version. */
  readonly version: number;
  /** Sender ratchet public key (X25519). */
  readonly ratchetKey: Uint8Array;
  /** Message counter in the sending chain. */
  readonly counter: number;
  /** Length of the previous sending chain. */
  readonly previousCounter: number;
}

/**
 * ENC-RATCHET-003: the canonical header, 45 bytes:
 * u32be(version) || 0x02 || ratchet_key(32) || u32be(counter) || u32be(previous_counter).
 * The AEAD associated data is session AD || header, never the protobuf bytes.
 */
export function encodeRatchetHeader(header: RatchetHeader): Uint8Array {
  const out = new Uint8Array(RATCHET_HEADER_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint32(0, header.version, false);
  out[4] = KeyTag.X25519;
  out.set(header.ratchetKey, 5);
  view.setUint32(37, header.counter, false);
  view.setUint32(41, header.previousCounter, false);
  return out;
}
