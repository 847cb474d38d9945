// Attachment ciphertext layout (ENC-ATTACH-001..004). A file is a 20-byte
// header followed by AES-256-GCM chunks of 64 KiB plaintext; each chunk's
// nonce and AD bind its index and whether it is the last one, and the key is
// derived per file from the random file id in the header.
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { concatBytes, u32be, u64be, utf8 } from "../encoding/bytes.js";

/** Plaintext bytes per chunk (ENC-ATTACH-002). */
export const ATTACHMENT_CHUNK_SIZE = 64 * 1024;
/** AES-GCM tag length. */
export const ATTACHMENT_TAG_SIZE = 16;
/** Header: u32be(version = 1) || file_id(16) (ENC-ATTACH-001). */
export const ATTACHMENT_HEADER_SIZE = 20;
/** The attachment format version. */
export const ATTACHMENT_VERSION = 1;
/** Largest plaintext accepted: 2^32 chunks would exhaust the index space long before; 64 GiB is the policy cap. */
export const MAX_ATTACHMENT_SIZE = 64 * 1024 * 1024 * 1024;

const FILE_KEY_INFO = utf8("kabar-v1 attachment");

/** What the end-to-end message carries about an attachment (ENC-ATTACH-004). */
export interface AttachmentPointer {
  /** The 32-byte file key. */
  readonly key: Uint8Array;
  /** Plaintext size in bytes. */
  readonly size: number;
  /** SHA-256 over the whole ciphertext, header included. */
  readonly digest: Uint8Array;
}

/** ENC-ATTACH-001: K_file = HKDF-SHA256(salt = file_id, ikm = key, info = "kabar-v1 attachment", 32). */
export function attachmentFileKey(provider: CryptoProvider, key: Uint8Array, fileId: Uint8Array): Uint8Array {
  return provider.hkdfSha256(key, fileId, FILE_KEY_INFO, 32);
}

/** The 20-byte header for a file id. */
export function attachmentHeader(fileId: Uint8Array): Uint8Array {
  return concatBytes(u32be(ATTACHMENT_VERSION), fileId);
}

/** ENC-ATTACH-003: nonce = u32be(last ? 1 : 0) || u64be(index). */
export function chunkNonce(index: number, last: boolean): Uint8Array {
  return concatBytes(u32be(last ? 1 : 0), u64be(index));
}

/** ENC-ATTACH-003: AD = header || u64be(index) || u8(last ? 1 : 0). */
export function chunkAssociatedData(header: Uint8Array, index: number, last: boolean): Uint8Array {
  return concatBytes(header, u64be(index), Uint8Array.of(last ? 1 : 0));
}

/** Number of chunks for a plaintext size: at least one (an empty file is one empty last chunk). */
export function chunkCount(size: number): number {
  return Math.max(1, Math.ceil(size / ATTACHMENT_CHUNK_SIZE));
}

/** Total ciphertext length for a plaintext size. */
export function ciphertextSize(size: number): number {
  return ATTACHMENT_HEADER_SIZE + size + chunkCount(size) * ATTACHMENT_TAG_SIZE;
}
