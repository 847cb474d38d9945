import { ErrorCode } from "@kabar/protocol";
import { fail, notFound } from "../core/fail.js";
import { big, bytes, num, type SqlRow, type SqlTx } from "./sql-driver.js";
import type { BlobRecord, ServerStore, UploadRecord } from "./server-store.js";

type Input<K extends keyof ServerStore> = ServerStore[K] extends (input: infer I, ...rest: never[]) => unknown ? I : never;

async function toUpload(tx: SqlTx, row: SqlRow): Promise<UploadRecord> {
  const uploadId = bytes(row.upload_id);
  const parts = await tx.all("SELECT part_index, part_digest FROM upload_parts WHERE upload_id = ? ORDER BY part_index", [uploadId]);
  return {
    session: { uploadId, partSize: num(row.part_size), partCount: num(row.part_count), expiresAtMs: big(row.expires_at_ms) },
    accountId: bytes(row.account_id),
    conversationId: bytes(row.conversation_id),
    size: big(row.size),
    digest: bytes(row.digest),
    blobId: row.blob_id === null || row.blob_id === undefined ? undefined : bytes(row.blob_id),
    parts: new Map(parts.map((part) => [num(part.part_index), bytes(part.part_digest)])),
  };
}

/** Bytes an account holds: completed blobs plus pending uploads. */
async function usedBytes(tx: SqlTx, accountId: Uint8Array): Promise<bigint> {
  const blobs = await tx.all("SELECT COALESCE(SUM(size), 0) AS n FROM blobs WHERE account_id = ?", [accountId]);
  const pending = await tx.all("SELECT COALESCE(SUM(size), 0) AS n FROM uploads WHERE account_id = ? AND blob_id IS NULL", [accountId]);
  return big(blobs[0]!.n) + big(pending[0]!.n);
}

/** Opens an upload, or returns the one already opened with the same client_request_id. */
export async function createUpload(tx: SqlTx, input: Input<"createUpload">, lock: string): Promise<UploadRecord> {
  const existing = (await tx.all("SELECT * FROM uploads WHERE account_id = ? AND client_request_id = ?", [input.accountId, input.clientRequestId]))[0];
  if (existing !== undefined) return toUpload(tx, existing);
  // Serializes quota checks of one account on PostgreSQL.
  await tx.all(`SELECT seq FROM accounts WHERE account_id = ?${lock}`, [input.accountId]);
  if ((await usedBytes(tx, input.accountId)) + input.size > input.quotaBytes) {
    throw fail(ErrorCode.QUOTA_EXCEEDED, "the upload would exceed the account's storage quota", "FILES-UPLOAD-003");
  }
  const partCount = Number((input.size + BigInt(input.partSize) - 1n) / BigInt(input.partSize));
  await tx.run(
    `INSERT INTO uploads (upload_id, account_id, client_request_id, conversation_id, size, digest, part_size, part_count, expires_at_ms, blob_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
    [input.uploadId, input.accountId, input.clientRequestId, input.conversationId, input.size, input.digest, input.partSize, partCount, input.expiresAtMs],
  );
  const row = (await tx.all("SELECT * FROM uploads WHERE upload_id = ?", [input.uploadId]))[0]!;
  return toUpload(tx, row);
}

/** Reads an upload owned by the account. */
export async function getUpload(tx: SqlTx, uploadId: Uint8Array, accountId: Uint8Array): Promise<UploadRecord | undefined> {
  const row = (await tx.all("SELECT * FROM uploads WHERE upload_id = ? AND account_id = ?", [uploadId, accountId]))[0];
  return row === undefined ? undefined : toUpload(tx, row);
}

/** Records a part's digest; false if the index holds a different part already. */
export async function recordPart(tx: SqlTx, uploadId: Uint8Array, partIndex: number, partDigest: Uint8Array): Promise<boolean> {
  const prior = (await tx.all("SELECT part_digest FROM upload_parts WHERE upload_id = ? AND part_index = ?", [uploadId, partIndex]))[0];
  if (prior !== undefined) return Buffer.compare(bytes(prior.part_digest), partDigest) === 0;
  await tx.run("INSERT INTO upload_parts (upload_id, part_index, part_digest) VALUES (?, ?, ?)", [uploadId, partIndex, partDigest]);
  return true;
}

/** Turns an upload into a blob and forgets its parts. */
export async function completeUpload(tx: SqlTx, uploadId: Uint8Array, blobId: Uint8Array, lock: string): Promise<BlobRecord> {
  // The row lock makes a concurrent completion wait and then see the blob.
  const row = (await tx.all(`SELECT * FROM uploads WHERE upload_id = ?${lock}`, [uploadId]))[0];
  if (row === undefined) throw notFound("upload");
  if (row.blob_id !== null && row.blob_id !== undefined) return (await getBlob(tx, bytes(row.blob_id)))!;
  await tx.run("INSERT INTO blobs (blob_id, account_id, conversation_id, size, digest) VALUES (?, ?, ?, ?, ?)", [
    blobId, bytes(row.account_id), bytes(row.conversation_id), big(row.size), bytes(row.digest),
  ]);
  await tx.run("UPDATE uploads SET blob_id = ? WHERE upload_id = ?", [blobId, uploadId]);
  await tx.run("DELETE FROM upload_parts WHERE upload_id = ?", [uploadId]);
  return (await getBlob(tx, blobId))!;
}

async function getBlob(tx: SqlTx, blobId: Uint8Array): Promise<BlobRecord | undefined> {
  const row = (await tx.all("SELECT * FROM blobs WHERE blob_id = ?", [blobId]))[0];
  if (row === undefined) return undefined;
  return { blobId: bytes(row.blob_id), accountId: bytes(row.account_id), conversationId: bytes(row.conversation_id), size: big(row.size), digest: bytes(row.digest) };
}

/** The blob if the account uploaded it or is a current member of its conversation (FILES-ACCESS-001). */
export async function getReadableBlob(tx: SqlTx, blobId: Uint8Array, accountId: Uint8Array): Promise<BlobRecord | undefined> {
  const blob = await getBlob(tx, blobId);
  if (blob === undefined) return undefined;
  if (Buffer.compare(blob.accountId, accountId) === 0) return blob;
  if (blob.conversationId.length === 0) return undefined;
  const member = await tx.all("SELECT 1 AS one FROM members WHERE conversation_id = ? AND account_id = ?", [blob.conversationId, accountId]);
  return member.length > 0 ? blob : undefined;
}

/** Deletes expired incomplete uploads and returns their ids. */
export async function deleteExpiredUploads(tx: SqlTx, nowMs: number): Promise<Uint8Array[]> {
  const rows = await tx.all("SELECT upload_id FROM uploads WHERE blob_id IS NULL AND expires_at_ms <= ?", [nowMs]);
  const ids = rows.map((row) => bytes(row.upload_id));
  for (const id of ids) {
    await tx.run("DELETE FROM upload_parts WHERE upload_id = ?", [id]);
    await tx.run("DELETE FROM uploads WHERE upload_id = ?", [id]);
  }
  return ids;
}
