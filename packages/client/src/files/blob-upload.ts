// Resumable upload of a ciphertext in parts (FILES-UPLOAD rules). Parts are
// read from a random-access source on demand, a few in flight at a time, so
// memory stays constant whatever the file size. After a dropped connection
// the upload resumes from the server's list of missing parts (GetUpload).
import { ErrorCode, isKabarError } from "@kabar/protocol";
import type { ReconnectingLink } from "../transport/reconnecting-link.js";

/** Random-access ciphertext to upload. */
export interface UploadSource {
  /** Total size in bytes. */
  readonly size: number;
  /** SHA-256 of the whole ciphertext. */
  readonly digest: Uint8Array;
  /** Reads `length` bytes at `offset`. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Upload options. */
export interface UploadOptions {
  /** Conversation whose members may read the blob; empty for account-only blobs (backups). */
  readonly conversationId: Uint8Array;
  /** Idempotency id of the upload (16 bytes). */
  readonly clientRequestId: Uint8Array;
  /** Parts in flight at once (default 4). */
  readonly parallel?: number;
  /** Most reconnect-and-resume rounds before giving up (default 20). */
  readonly maxResumes?: number;
}

// INTERNAL is included: a server fault on one part (for example a race between
// a part in flight on a dropped connection and its resend) is worth one more round.
const transient = (error: unknown) => !isKabarError(error) || error.code === ErrorCode.UNAVAILABLE || error.code === ErrorCode.RATE_LIMITED
  || error.code === ErrorCode.TOO_MANY_IN_FLIGHT || error.code === ErrorCode.INTERNAL;

/** Uploads a ciphertext and returns the blob id. */
export async function uploadBlob(link: ReconnectingLink, source: UploadSource, options: UploadOptions): Promise<{ blobId: Uint8Array; resumes: number }> {
  const created = await link.request("createUpload", {
    size: BigInt(source.size), digest: source.digest, conversationId: options.conversationId, clientRequestId: options.clientRequestId,
  });
  const upload = created.upload!;
  let missing = Array.from({ length: upload.partCount }, (_, i) => i);
  let resumes = 0;
  for (;;) {
    try {
      await sendParts(link, upload.uploadId, upload.partSize, source, missing, options.parallel ?? 4);
      const done = await link.request("completeUpload", { uploadId: upload.uploadId });
      return { blobId: done.blobId, resumes };
    } catch (error) {
      if (!transient(error) || resumes >= (options.maxResumes ?? 20)) throw error;
      resumes++;
      // CLIENT-FILES-002: resume from what the server says it still misses.
      const state = await link.request("getUpload", { uploadId: upload.uploadId });
      missing = state.missingParts;
    }
  }
}

async function sendParts(link: ReconnectingLink, uploadId: Uint8Array, partSize: number, source: UploadSource, parts: readonly number[], parallel: number): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    // Every worker stops at the first failure anywhere, so a resume never
    // runs beside workers of the previous round (memory and duplicate parts).
    while (next < parts.length && failure === undefined) {
      const index = parts[next++]!;
      const offset = index * partSize;
      const data = await source.read(offset, Math.min(partSize, source.size - offset));
      try {
        // No transparent retry here: a drop surfaces so the caller resumes from GetUpload.
        await link.request("uploadPart", { uploadId, partIndex: index, data }, 0);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, parts.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}
