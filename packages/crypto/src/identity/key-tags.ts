// ENC-KEY-001: inside every signature and key derivation a public key is
// prefixed with its one-byte type tag, so a key of one type can never be read
// as another (the PQXDH key-type confusion finding).
import { concatBytes } from "../encoding/bytes.js";

/** One-byte key type tags (ENC-KEY-001). */
export const KeyTag = {
  /** Ed25519 signing key, 32 bytes. */
  ED25519: 0x01,
  /** X25519 Diffie-Hellman key, 32 bytes. */
  X25519: 0x02,
  /** ML-KEM-768 encapsulation key, 1184 bytes. */
  ML_KEM_768: 0x03,
} as const;

/** The length of the key each tag stands for. */
export const KEY_LENGTHS: Readonly<Record<number, number>> = { 0x01: 32, 0x02: 32, 0x03: 1184 };

/** Returns tag || key (ENC-KEY-001). */
export function taggedKey(tag: number, key: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), key);
}
