// Documents end to end: a plaintext stream is encrypted with the attachment
// cipher into a temporary file (the upload needs the ciphertext digest up
// front), uploaded in resumable parts, and read back as a decrypting stream.
// Memory stays constant: at most a few parts and one cipher chunk are held
// (CLIENT-FILES-001).
import { createWriteStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AttachmentDecryptor, AttachmentEncryptor, ATTACHMENT_CHUNK_SIZE, type CryptoProvider } from "@kabar/crypto";
import { MAX_RANGE_BYTES, type DocumentPointer } from "@kabar/protocol";
import type { DocumentRecord } from "../conversation/conversation-model.js";
import type { ReconnectingLink } from "../transport/reconnecting-link.js";
import { fromHex } from "../util/bytes.js";
import { downloadBlob } from "./blob-download.js";
import { uploadBlob } from "./blob-upload.js";

/** What describes a document besides its bytes. */
export interface DocumentMeta {
  /** File name as shown to people (no path). */
  readonly fileName: string;
  /** Media type. */
  readonly mediaType: string;
}

/** Encrypts and uploads a plaintext stream; returns the pointer to send. */
export async function uploadDocument(
  provider: CryptoProvider, link: ReconnectingLink, conversationId: Uint8Array, clientRequestId: Uint8Array,
  plaintext: Readable | AsyncIterable<Uint8Array>, meta: DocumentMeta,
): Promise<{ pointer: DocumentPointer; resumes: number }> {
  const dir = await mkdtemp(join(tmpdir(), "kabar-doc-"));
  const path = join(dir, "ciphertext");
  try {
    const encryptor = new AttachmentEncryptor(provider);
    // Byte-mode with a small high-water mark: an object-mode wrapper would
    // buffer 16 chunks of whatever size the caller produces.
    const source = plaintext instanceof Readable ? plaintext : Readable.from(plaintext, { objectMode: false, highWaterMark: 64 * 1024 });
    await pipeline(source, encryptor, createWriteStream(path));
    const sealed = encryptor.pointer();
    const file = await open(path, "r");
    try {
      const { size } = await file.stat();
      const { blobId, resumes } = await uploadBlob(link, {
        size, digest: sealed.digest,
        read: async (offset, length) => {
          const buffer = Buffer.allocUnsafe(length);
          const { bytesRead } = await file.read(buffer, 0, length, offset);
          return new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead);
        },
      }, { conversationId, clientRequestId });
      return {
        resumes,
        pointer: {
          blobId, key: sealed.key, digest: sealed.digest, size: BigInt(sealed.size), chunkSize: ATTACHMENT_CHUNK_SIZE,
          mediaType: meta.mediaType, fileName: meta.fileName, ciphertextSize: BigInt(size),
        },
      };
    } finally {
      await file.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A stream of a document's plaintext. Each chunk is authenticated before it
 * is released and the whole-file digest is checked at the end; the stream
 * errors (and the consumer must discard what it got) on any mismatch.
 */
export function openDocument(provider: CryptoProvider, link: ReconnectingLink, document: DocumentRecord, rangeBytes = MAX_RANGE_BYTES): Readable {
  const decryptor = new AttachmentDecryptor(provider, { key: fromHex(document.key), digest: fromHex(document.digest), size: document.size });
  const source = Readable.from(downloadBlob(link, fromHex(document.blobId), document.ciphertextSize, rangeBytes), { objectMode: false });
  source.on("error", (error) => decryptor.destroy(error));
  return source.pipe(decryptor);
}
