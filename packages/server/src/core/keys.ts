import { ErrorCode } from "@kabar/protocol";
import { fail } from "./fail.js";

/** Lengths of the key types (identity.proto, "Key encodings"). */
export const ED25519_KEY_BYTES = 32;
export const X25519_KEY_BYTES = 32;
export const MLKEM768_KEY_BYTES = 1184;

// The X25519 points of small order (and p, p+1 which reduce to them), in
// little-endian encoding with the unused top bit cleared. A DH with any of
// them yields a predictable shared secret (the non-contributory key problem
// found in Olm), so the server refuses them at upload (SERVER-PREKEY-002).
const LOW_ORDER_POINTS = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map((hex) => Buffer.from(hex, "hex"));

/** True when an X25519 public key is one of the known low-order (or all-zero) encodings. */
export function isLowOrderX25519(key: Uint8Array): boolean {
  const masked = Buffer.from(key);
  masked[31] = masked[31]! & 0x7f;
  return LOW_ORDER_POINTS.some((point) => point.equals(masked));
}

/** Rejects an X25519 key of the wrong length or of low order with KEY_INVALID. */
export function checkX25519(key: Uint8Array, what: string): void {
  if (key.length !== X25519_KEY_BYTES) throw fail(ErrorCode.KEY_INVALID, `${what} must be ${X25519_KEY_BYTES} bytes`, "SERVER-PREKEY-002");
  if (isLowOrderX25519(key)) throw fail(ErrorCode.KEY_INVALID, `${what} is a low-order X25519 point`, "SERVER-PREKEY-002");
}

/** Rejects an Ed25519 key of the wrong length with KEY_INVALID. */
export function checkEd25519(key: Uint8Array, what: string): void {
  if (key.length !== ED25519_KEY_BYTES) throw fail(ErrorCode.KEY_INVALID, `${what} must be ${ED25519_KEY_BYTES} bytes`);
}
