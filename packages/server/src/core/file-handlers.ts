import { createHash } from "node:crypto";
import {
  ErrorCode, RANDOM_ID_BYTES, type CompleteUploadRequest, type CompleteUploadResponse, type CreateUploadRequest,
  type CreateUploadResponse, type DownloadRangeRequest, type DownloadRangeResponse, type GetUploadRequest, type GetUploadResponse,
  type UploadPartRequest, type UploadPartResponse,
} from "@kabar/protocol";
import type { Caller, CoreContext } from "./context.js";
import { fail, invalidField, notFound } from "./fail.js";
import type { Handled } from "./identity-handlers.js";
import type { UploadRecord } from "../store/server-store.js";

function checkId(id: Uint8Array, field: string): void {
  if (id.length !== RANDOM_ID_BYTES) throw invalidField(`${field} must be ${RANDOM_ID_BYTES} bytes`);
}

function missingParts(upload: UploadRecord): number[] {
  const missing: number[] = [];
  for (let index = 0; index < upload.session.partCount; index++) if (!upload.parts.has(index)) missing.push(index);
  return missing;
}

async function ownUpload(ctx: CoreContext, caller: Caller, uploadId: Uint8Array): Promise<UploadRecord> {
  checkId(uploadId, "upload_id");
  const upload = await ctx.store.getUpload(uploadId, caller.accountId);
  // Another account's upload and an expired one look the same (AUTHZ-ACCESS-001).
  if (upload === undefined || Number(upload.session.expiresAtMs) <= ctx.clock.nowMs()) throw notFound("upload");
  return upload;
}

/** CreateUpload: size and quota checked up front (FILES-UPLOAD-001, FILES-UPLOAD-003). */
export async function createUpload(ctx: CoreContext, caller: Caller, request: CreateUploadRequest): Promise<Handled<CreateUploadResponse>> {
  checkId(request.clientRequestId, "client_request_id");
  if (request.digest.length !== 32) throw invalidField("digest must be 32 bytes");
  if (request.conversationId.length !== 0) {
    checkId(request.conversationId, "conversation_id");
    await ctx.store.getConversation(request.conversationId, caller.accountId);
  }
  if (request.size < 1n) throw invalidField("size must be at least 1");
  const maxBytes = BigInt(Math.min(ctx.limits.maxFileBytes, ctx.limits.partSize * ctx.limits.maxParts));
  if (request.size > maxBytes) throw fail(ErrorCode.FILE_TOO_LARGE, `files are at most ${maxBytes} bytes`, "FILES-UPLOAD-001");
  // Expired uploads stop counting against the quota and their client_request_id at once, not at the next collection (FILES-UPLOAD-006).
  await collectExpiredUploads(ctx);
  const upload = await ctx.store.createUpload({
    uploadId: ctx.random.bytes(RANDOM_ID_BYTES), accountId: caller.accountId, clientRequestId: request.clientRequestId,
    conversationId: request.conversationId, size: request.size, digest: request.digest, partSize: ctx.limits.partSize,
    expiresAtMs: ctx.clock.nowMs() + ctx.limits.uploadTtlSeconds * 1000, quotaBytes: BigInt(ctx.limits.accountQuotaBytes),
  });
  return { body: { upload: upload.session } };
}

/** UploadPart: any order; identical repeats succeed, different bytes are PART_CONFLICT (FILES-UPLOAD-002). */
export async function uploadPart(ctx: CoreContext, caller: Caller, request: UploadPartRequest): Promise<Handled<UploadPartResponse>> {
  const upload = await ownUpload(ctx, caller, request.uploadId);
  if (upload.blobId !== undefined) throw notFound("upload");
  const { partSize, partCount } = upload.session;
  if (request.partIndex >= partCount) throw fail(ErrorCode.PART_INDEX_INVALID, `part index must be 0..${partCount - 1}`, "FILES-UPLOAD-002");
  const last = request.partIndex === partCount - 1;
  const expected = last ? Number(upload.size - BigInt(partSize) * BigInt(partCount - 1)) : partSize;
  if (request.data.length !== expected) throw fail(ErrorCode.PART_INDEX_INVALID, `part ${request.partIndex} must be ${expected} bytes`, "FILES-UPLOAD-002");
  const digest = new Uint8Array(createHash("sha256").update(request.data).digest());
  const prior = upload.parts.get(request.partIndex);
  if (prior !== undefined) {
    if (Buffer.compare(prior, digest) !== 0) throw fail(ErrorCode.PART_CONFLICT, "the part was uploaded with other bytes", "FILES-UPLOAD-002");
  } else {
    // File first, row second: a crash in between leaves an orphan file the
    // GC removes, never a recorded part without bytes.
    await ctx.blobs.writePart(request.uploadId, request.partIndex, digest, request.data);
    if (!(await ctx.store.recordPart(request.uploadId, request.partIndex, digest))) {
      throw fail(ErrorCode.PART_CONFLICT, "the part was uploaded with other bytes", "FILES-UPLOAD-002");
    }
  }
  const missing = missingParts(upload).filter((index) => index !== request.partIndex).length;
  return { body: { missingCount: missing } };
}

/** GetUpload: the missing parts, to resume (FILES-UPLOAD-004). */
export async function getUpload(ctx: CoreContext, caller: Caller, request: GetUploadRequest): Promise<Handled<GetUploadResponse>> {
  const upload = await ownUpload(ctx, caller, request.uploadId);
  return { body: { upload: upload.session, missingParts: missingParts(upload) } };
}

/** CompleteUpload: all parts present, size and SHA-256 checked (FILES-UPLOAD-005). */
export async function completeUpload(ctx: CoreContext, caller: Caller, request: CompleteUploadRequest): Promise<Handled<CompleteUploadResponse>> {
  const key = `${Buffer.from(caller.accountId).toString("hex")}:${Buffer.from(request.uploadId).toString("hex")}`;
  // Concurrent retries share one assembly instead of racing on the part files.
  const running = ctx.completing.get(key) as Promise<Handled<CompleteUploadResponse>> | undefined;
  if (running !== undefined) return running;
  const work = completeOnce(ctx, caller, request).finally(() => ctx.completing.delete(key));
  ctx.completing.set(key, work);
  return work;
}

async function completeOnce(ctx: CoreContext, caller: Caller, request: CompleteUploadRequest): Promise<Handled<CompleteUploadResponse>> {
  const upload = await ownUpload(ctx, caller, request.uploadId);
  if (upload.blobId !== undefined) return { body: { blobId: upload.blobId, size: upload.size } };
  if (missingParts(upload).length > 0) throw fail(ErrorCode.UPLOAD_INCOMPLETE, "parts are missing", "FILES-UPLOAD-005");
  const blobId = ctx.random.bytes(RANDOM_ID_BYTES);
  const digests = Array.from({ length: upload.session.partCount }, (_, index) => upload.parts.get(index)!);
  const assembled = await ctx.blobs.assemble(request.uploadId, digests, blobId);
  if (assembled.size !== upload.size || Buffer.compare(assembled.digest, upload.digest) !== 0) {
    await ctx.blobs.deleteBlob(blobId);
    throw fail(ErrorCode.DIGEST_MISMATCH, "the assembled ciphertext does not match the declared size and digest", "FILES-UPLOAD-005");
  }
  const blob = await ctx.store.completeUpload(request.uploadId, blobId);
  // Another node completed it first: keep its blob, drop ours.
  if (Buffer.compare(blob.blobId, blobId) !== 0) await ctx.blobs.deleteBlob(blobId);
  await ctx.blobs.deleteUpload(request.uploadId);
  return { body: { blobId: blob.blobId, size: blob.size } };
}

/** DownloadRange: uploader or current conversation members only (FILES-ACCESS-001). */
export async function downloadRange(ctx: CoreContext, caller: Caller, request: DownloadRangeRequest): Promise<Handled<DownloadRangeResponse>> {
  checkId(request.blobId, "blob_id");
  const blob = await ctx.store.getReadableBlob(request.blobId, caller.accountId);
  if (blob === undefined) throw notFound("blob");
  if (request.length < 1 || request.length > ctx.limits.maxRangeBytes || request.offset + BigInt(request.length) > blob.size) {
    throw fail(ErrorCode.RANGE_INVALID, "the range is empty, too long or outside the blob", "FILES-DOWNLOAD-001");
  }
  const data = await ctx.blobs.readRange(blob.blobId, request.offset, request.length);
  return { body: { data, size: blob.size, digest: blob.digest } };
}

/** Deletes expired uploads and their parts (FILES-UPLOAD-006). */
export async function collectExpiredUploads(ctx: CoreContext): Promise<number> {
  const ids = await ctx.store.deleteExpiredUploads(ctx.clock.nowMs());
  for (const id of ids) await ctx.blobs.deleteUpload(id);
  return ids.length;
}
