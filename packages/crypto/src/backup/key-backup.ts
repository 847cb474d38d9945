// Server-stored key backup (ENC-BACKUP-002..005): history keys encrypted under
// a key stretched from the recovery secret. The blob is AES-256-GCM plus an
// HMAC over everything, so it is key-committing: a wrong secret can never
// produce a different valid plaintext.
import type { CryptoProvider, ScryptParams } from "../provider/crypto-provider.js";
import { bytesEqual, compareBytes, concatBytes, u64be, utf8 } from "../encoding/bytes.js";
import { ByteReader, ByteWriter } from "../encoding/binary.js";
import { ErrorCode, fail } from "../errors.js";

/** scrypt cost: 2^15 x 8 x 1 (32 MiB, ~100 ms) (ENC-BACKUP-002). */
export const BACKUP_SCRYPT: ScryptParams = { N: 1 << 15, r: 8, p: 1 };
/** Blob format version. */
export const BACKUP_FORMAT = 1;
/** Most entries in one backup. */
export const MAX_BACKUP_ENTRIES = 100_000;
const MAGIC = utf8("KBK1");
const SCRYPT_SALT = utf8("kabar-v1 backup scrypt");
const ENC_INFO = utf8("kabar-v1 backup encryption");
const MAC_INFO = utf8("kabar-v1 backup mac");

/** Opaque history keys by id. */
export type BackupEntries = ReadonlyMap<string, Uint8Array>;

/** ENC-BACKUP-002: master = scrypt(secret, "kabar-v1 backup scrypt" || account_id, N=2^15, r=8, p=1, 32). */
export function backupMasterKey(provider: CryptoProvider, secret: Uint8Array, accountId: Uint8Array, params: ScryptParams = BACKUP_SCRYPT): Uint8Array {
  if (secret.length !== 32) fail(ErrorCode.BACKUP_INVALID, "recovery secret must be 32 bytes", "ENC-BACKUP-001");
  return provider.scrypt(secret, concatBytes(SCRYPT_SALT, accountId), params, 32);
}

function subkeys(provider: CryptoProvider, master: Uint8Array, salt: Uint8Array): { enc: Uint8Array; mac: Uint8Array } {
  return { enc: provider.hkdfSha256(master, salt, ENC_INFO, 32), mac: provider.hkdfSha256(master, salt, MAC_INFO, 32) };
}

function encodeEntries(entries: BackupEntries): Uint8Array {
  const text = new TextEncoder();
  const sorted = [...entries].map(([id, value]) => [text.encode(id), value] as const).sort((a, b) => compareBytes(a[0], b[0]));
  const w = new ByteWriter().u32(sorted.length);
  for (const [id, value] of sorted) w.u16(id.length).bytes(id).varBytes(value);
  return w.finish();
}

function decodeEntries(bytes: Uint8Array): Map<string, Uint8Array> {
  const r = new ByteReader(bytes, ErrorCode.BACKUP_INVALID);
  const count = r.u32();
  if (count > MAX_BACKUP_ENTRIES) fail(ErrorCode.BACKUP_INVALID, "too many backup entries", "ENC-BACKUP-003");
  const out = new Map<string, Uint8Array>();
  const text = new TextDecoder("utf-8", { fatal: true });
  let previous: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const id = r.bytes(r.u16());
    // Ids are strictly ascending in byte order, so each blob has one encoding and no id repeats.
    if (previous !== undefined && compareBytes(previous, id) >= 0) fail(ErrorCode.BACKUP_INVALID, "backup entries out of order", "ENC-BACKUP-003");
    previous = id;
    let name: string;
    try {
      name = text.decode(id);
    } catch {
      return fail(ErrorCode.BACKUP_INVALID, "backup entry id is not UTF-8", "ENC-BACKUP-004");
    }
    out.set(name, r.varBytes());
  }
  r.end();
  return out;
}

/**
 * ENC-BACKUP-003: blob = "KBK1" || u64be(backup_version) || salt(16) || nonce(12) ||
 * AES-256-GCM(enc, nonce, entries, AD = "KBK1" || account_id || u64be(backup_version)) ||
 * HMAC-SHA256(mac, account_id || everything before the HMAC).
 */
export function sealBackup(provider: CryptoProvider, master: Uint8Array, accountId: Uint8Array, backupVersion: bigint, entries: BackupEntries): Uint8Array {
  const salt = provider.randomBytes(16);
  const nonce = provider.randomBytes(12);
  const { enc, mac } = subkeys(provider, master, salt);
  const version = u64be(backupVersion);
  const sealed = provider.aeadSeal(enc, nonce, encodeEntries(entries), concatBytes(MAGIC, accountId, version));
  const body = concatBytes(MAGIC, version, salt, nonce, sealed);
  return concatBytes(body, provider.hmacSha256(mac, concatBytes(accountId, body)));
}

/** Opens a backup blob; any mismatch (secret, account, version, tamper) is BACKUP_INVALID (ENC-BACKUP-004). */
export function openBackup(provider: CryptoProvider, master: Uint8Array, accountId: Uint8Array, blob: Uint8Array, expectedVersion?: bigint): {
  /** The backup version sealed into the blob (rollback protection). */
  version: bigint;
  /** The history keys, by the names they were sealed under. */
  entries: Map<string, Uint8Array>;
} {
  if (blob.length < 4 + 8 + 16 + 12 + 16 + 32 || !bytesEqual(blob.subarray(0, 4), MAGIC)) fail(ErrorCode.BACKUP_INVALID, "not a key backup", "ENC-BACKUP-003");
  const body = blob.subarray(0, blob.length - 32);
  const salt = blob.subarray(12, 28);
  const { enc, mac } = subkeys(provider, master, salt);
  if (!bytesEqual(provider.hmacSha256(mac, concatBytes(accountId, body)), blob.subarray(blob.length - 32))) {
    fail(ErrorCode.BACKUP_INVALID, "backup does not authenticate", "ENC-BACKUP-004");
  }
  const versionBytes = blob.subarray(4, 12);
  const version = new DataView(versionBytes.buffer, versionBytes.byteOffset, 8).getBigUint64(0, false);
  // ENC-BACKUP-005: a rolled-back backup is refused when the caller knows the version.
  if (expectedVersion !== undefined && version !== expectedVersion) fail(ErrorCode.BACKUP_INVALID, "backup version mismatch", "ENC-BACKUP-005");
  let plaintext: Uint8Array;
  try {
    plaintext = provider.aeadOpen(enc, blob.subarray(28, 40), body.subarray(40), concatBytes(MAGIC, accountId, versionBytes));
  } catch {
    return fail(ErrorCode.BACKUP_INVALID, "backup does not authenticate", "ENC-BACKUP-004");
  }
  return { version, entries: decodeEntries(plaintext) };
}
