// The user-held recovery secret (ENC-BACKUP-001): 32 random bytes shown as
// RFC 4648 base32 (no padding), 52 characters in 13 groups of 4.
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { ErrorCode, fail } from "../errors.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Creates a fresh 32-byte recovery secret. */
export function createRecoverySecret(provider: CryptoProvider): Uint8Array {
  return provider.randomBytes(32);
}

/** Formats a 32-byte secret as 13 space-separated groups of 4 base32 characters. */
export function formatRecoverySecret(secret: Uint8Array): string {
  if (secret.length !== 32) fail(ErrorCode.BACKUP_INVALID, "recovery secret must be 32 bytes", "ENC-BACKUP-001");
  let bits = 0, value = 0, out = "";
  for (const byte of secret) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) { out += ALPHABET[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)!.join(" ");
}

/** Parses a formatted secret; case, spaces and dashes are ignored. Throws BACKUP_INVALID when malformed. */
export function parseRecoverySecret(text: string): Uint8Array {
  const clean = text.toUpperCase().replace(/[\s-]/g, "");
  if (clean.length !== 52) fail(ErrorCode.BACKUP_INVALID, "recovery secret must be 52 base32 characters", "ENC-BACKUP-001");
  const out = new Uint8Array(32);
  let bits = 0, value = 0, index = 0;
  for (const char of clean) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) fail(ErrorCode.BACKUP_INVALID, "recovery secret has a character outside base32", "ENC-BACKUP-001");
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) { out[index++] = (value >>> (bits - 8)) & 0xff; bits -= 8; }
  }
  // The 4 padding bits must be zero, so every secret has exactly one spelling.
  if ((value & ((1 << bits) - 1)) !== 0) fail(ErrorCode.BACKUP_INVALID, "recovery secret padding bits set", "ENC-BACKUP-001");
  return out;
}
