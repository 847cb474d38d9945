// Streaming attachment encryption and decryption as Node Transforms with
// constant memory: one 64 KiB staging buffer each way (ENC-ATTACH-002..006).
import { Transform, type TransformCallback } from "node:stream";
import type { CryptoProvider, IncrementalHash } from "../provider/crypto-provider.js";
import { bytesEqual } from "../encoding/bytes.js";
import { ErrorCode, fail } from "../errors.js";
import { isKabarError, KabarError } from "@kabar/protocol";
import {
  ATTACHMENT_CHUNK_SIZE, ATTACHMENT_HEADER_SIZE, ATTACHMENT_TAG_SIZE, ATTACHMENT_VERSION, MAX_ATTACHMENT_SIZE,
  attachmentFileKey, attachmentHeader, chunkAssociatedData, chunkCount, chunkNonce, ciphertextSize, type AttachmentPointer,
} from "./attachment-format.js";

const asError = (error: unknown): Error => (isKabarError(error) ? error : new KabarError(ErrorCode.DECRYPT_FAILED, "attachment processing failed"));

/** Options of the attachment streams. */
export interface AttachmentStreamOptions {
  /**
   * Hash the ciphertext on a background thread when the provider can
   * (`sha256Background`): worth it for files of several MiB, where the digest
   * would otherwise halve throughput; small files hash inline.
   */
  readonly backgroundDigest?: boolean;
}

function startHash(provider: CryptoProvider, options: AttachmentStreamOptions): IncrementalHash {
  return options.backgroundDigest === true && provider.sha256Background !== undefined ? provider.sha256Background() : provider.sha256Incremental();
}

/** Feeds the hash; resolves the stream callback once back-pressure (if any) clears. */
function feed(hash: IncrementalHash, bytes: Uint8Array, pending: Promise<void>[]): void {
  const wait = hash.update(bytes);
  if (wait !== undefined) pending.push(wait);
}

function finish(pending: Promise<void>[], callback: TransformCallback): void {
  if (pending.length === 0) callback();
  else Promise.all(pending).then(() => callback(), (error: unknown) => callback(asError(error)));
}

/** Encrypts a plaintext stream; `pointer()` is available after the stream finished. */
export class AttachmentEncryptor extends Transform {
  private readonly staging = Buffer.allocUnsafe(ATTACHMENT_CHUNK_SIZE);
  private filled = 0;
  private index = 0;
  private size = 0;
  private readonly hash: IncrementalHash;
  private readonly header: Uint8Array;
  private readonly fileKey: Uint8Array;
  private readonly pending: Promise<void>[] = [];
  private result: AttachmentPointer | undefined;

  /** `key` defaults to 32 fresh random bytes (ENC-ATTACH-001). */
  constructor(private readonly provider: CryptoProvider, private readonly key: Uint8Array = provider.randomBytes(32), options: AttachmentStreamOptions = {}) {
    super();
    if (key.length !== 32) fail(ErrorCode.KEY_INVALID, "attachment key must be 32 bytes", "ENC-ATTACH-001");
    const fileId = provider.randomBytes(16);
    this.header = attachmentHeader(fileId);
    this.fileKey = attachmentFileKey(provider, key, fileId);
    this.hash = startHash(provider, options);
    this.emitCiphertext(this.header);
  }

  private emitCiphertext(bytes: Uint8Array): void {
    feed(this.hash, bytes, this.pending);
    this.push(bytes);
  }

  private seal(last: boolean): void {
    const plaintext = this.staging.subarray(0, this.filled);
    this.emitCiphertext(this.provider.aeadSeal(this.fileKey, chunkNonce(this.index, last), plaintext, chunkAssociatedData(this.header, this.index, last)));
    this.index++;
    this.filled = 0;
  }

  /** @internal Node stream hook: wipes key material when the stream is destroyed. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.result === undefined) this.hash.abort();
    callback(error);
  }

  /** @internal Node stream hook: processes one input chunk. */
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.pending.length = 0;
      let offset = 0;
      while (offset < chunk.length) {
        // A full staging buffer is sealed only once more data proves it is not the last chunk.
        if (this.filled === ATTACHMENT_CHUNK_SIZE) this.seal(false);
        const take = Math.min(ATTACHMENT_CHUNK_SIZE - this.filled, chunk.length - offset);
        chunk.copy(this.staging, this.filled, offset, offset + take);
        this.filled += take;
        offset += take;
      }
      this.size += chunk.length;
      if (this.size > MAX_ATTACHMENT_SIZE) fail(ErrorCode.KEY_INVALID, "attachment too large", "ENC-ATTACH-002");
      finish(this.pending, callback);
    } catch (error) {
      callback(asError(error));
    }
  }

  /** @internal Node stream hook: finishes the stream (final chunk and checks). */
  override _flush(callback: TransformCallback): void {
    try {
      this.seal(true);
      this.hash.digest().then((digest) => {
        this.result = { key: this.key, size: this.size, digest };
        callback();
      }, (error: unknown) => callback(asError(error)));
    } catch (error) {
      callback(asError(error));
    }
  }

  /** The pointer for the end-to-end message (ENC-ATTACH-004); throws before the stream finished. */
  pointer(): AttachmentPointer {
    if (this.result === undefined) throw new KabarError(ErrorCode.ATTACHMENT_TRUNCATED, "attachment stream not finished");
    return this.result;
  }
}

/**
 * Decrypts a ciphertext stream against its pointer. Every chunk is
 * authenticated before its plaintext is pushed; the whole-file size and digest
 * are checked at the end, and a consumer must discard output when the stream
 * errors (ENC-ATTACH-005, ENC-ATTACH-006).
 */
export class AttachmentDecryptor extends Transform {
  private readonly staging = Buffer.allocUnsafe(ATTACHMENT_CHUNK_SIZE + ATTACHMENT_TAG_SIZE);
  private filled = 0;
  private index = 0;
  private received = 0;
  private readonly chunks: number;
  private readonly expected: number;
  private readonly hash: IncrementalHash;
  private readonly pending: Promise<void>[] = [];
  private header: Uint8Array | undefined;
  private fileKey: Uint8Array | undefined;
  private finished = false;

  constructor(private readonly provider: CryptoProvider, private readonly pointer: AttachmentPointer, options: AttachmentStreamOptions = {}) {
    super();
    if (pointer.key.length !== 32 || pointer.digest.length !== 32) fail(ErrorCode.KEY_INVALID, "attachment key and digest must be 32 bytes", "ENC-ATTACH-004");
    if (!Number.isSafeInteger(pointer.size) || pointer.size < 0 || pointer.size > MAX_ATTACHMENT_SIZE) fail(ErrorCode.ATTACHMENT_MALFORMED, "attachment size out of range", "ENC-ATTACH-004");
    this.chunks = chunkCount(pointer.size);
    this.expected = ciphertextSize(pointer.size);
    this.hash = startHash(provider, options);
  }

  /** @internal Node stream hook: wipes key material when the stream is destroyed. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.finished) this.hash.abort();
    callback(error);
  }

  private need(): number {
    if (this.header === undefined) return ATTACHMENT_HEADER_SIZE;
    const last = this.index === this.chunks - 1;
    return (last ? this.pointer.size - (this.chunks - 1) * ATTACHMENT_CHUNK_SIZE : ATTACHMENT_CHUNK_SIZE) + ATTACHMENT_TAG_SIZE;
  }

  private consume(): void {
    const bytes = this.staging.subarray(0, this.filled);
    if (this.header === undefined) {
      const header = new Uint8Array(bytes);
      if (new DataView(header.buffer).getUint32(0, false) !== ATTACHMENT_VERSION) fail(ErrorCode.CIPHERTEXT_VERSION_UNSUPPORTED, "unsupported attachment version", "ENC-VERSION-001");
      this.header = header;
      this.fileKey = attachmentFileKey(this.provider, this.pointer.key, header.subarray(4));
    } else {
      const last = this.index === this.chunks - 1;
      // ENC-ATTACH-005: a chunk from another position, flag or file fails here.
      const plaintext = this.provider.aeadOpen(this.fileKey!, chunkNonce(this.index, last), bytes, chunkAssociatedData(this.header, this.index, last));
      this.push(plaintext);
      this.index++;
    }
    this.filled = 0;
  }

  /** @internal Node stream hook: processes one input chunk. */
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.received += chunk.length;
      // ENC-ATTACH-005: bytes past the final chunk are an extension.
      if (this.received > this.expected) fail(ErrorCode.ATTACHMENT_MALFORMED, "data after the final chunk", "ENC-ATTACH-005");
      this.pending.length = 0;
      feed(this.hash, chunk, this.pending);
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(this.need() - this.filled, chunk.length - offset);
        chunk.copy(this.staging, this.filled, offset, offset + take);
        this.filled += take;
        offset += take;
        if (this.filled === this.need()) this.consume();
      }
      finish(this.pending, callback);
    } catch (error) {
      callback(asError(error));
    }
  }

  /** @internal Node stream hook: finishes the stream (final chunk and checks). */
  override _flush(callback: TransformCallback): void {
    try {
      if (this.received < this.expected) fail(ErrorCode.ATTACHMENT_TRUNCATED, "attachment ended before its final chunk", "ENC-ATTACH-005");
      this.finished = true;
      this.hash.digest().then((digest) => {
        // ENC-ATTACH-006: the digest commits to the exact ciphertext the sender meant.
        if (!bytesEqual(digest, this.pointer.digest)) callback(new KabarError(ErrorCode.DECRYPT_FAILED, "attachment digest mismatch", { rule: "ENC-ATTACH-006" }));
        else callback();
      }, (error: unknown) => callback(asError(error)));
    } catch (error) {
      callback(asError(error));
    }
  }
}
