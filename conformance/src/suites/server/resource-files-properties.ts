// FILES: what CreateUpload accepts (FILES-UPLOAD-001), the account quota
// over blobs and pending uploads (FILES-UPLOAD-003), and the expiry of
// uploads not completed in time (FILES-UPLOAD-006).
import { createHash } from "node:crypto";
import fc from "fast-check";
import { ErrorCode, type FileLimits } from "@kabar/protocol";
import { ConformanceError } from "../../errors.js";
import { defineProperty } from "../../registry/property-registry.js";
import type { WireConnection } from "../../wire-client/wire-connection.js";
import { check, expectOk, expectRejected, idBytes, inWorld, sameBytes } from "./support.js";

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest());

/** The largest size CreateUpload must accept: max_file_bytes, and at most part_size * max_parts. */
const maxUpload = (limits: FileLimits): bigint => {
  const byParts = BigInt(limits.partSize) * BigInt(limits.maxParts);
  return limits.maxFileBytes < byParts ? limits.maxFileBytes : byParts;
};

const create = (c: WireConnection, size: bigint, n: number, salt: number) =>
  c.attempt("createUpload", { size, digest: sha256(new Uint8Array([n & 0xff])), conversationId: new Uint8Array(0), clientRequestId: idBytes(n, salt) });

defineProperty({
  id: "server.files.create-checks",
  rules: ["FILES-UPLOAD-001"],
  mode: "server",
  profile: "files",
  description: "CreateUpload of size 0 is FRAME_FIELD_INVALID and above the advertised maximum FILE_TOO_LARGE, neither storing anything under its client_request_id; creating again with a client_request_id returns the same upload.",
  numRuns: 8,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.bigInt({ min: 1n, max: 1n << 40n }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 3 }), (over, size, repeats) =>
      inWorld(target, transcript, async (world) => {
        const c = (await world.account()).connections[0]!;
        const limits = world.helloAck!.fileLimits!;
        const max = maxUpload(limits);
        expectRejected("FILES-UPLOAD-001", await create(c, 0n, 1, 51), ErrorCode.FRAME_FIELD_INVALID, "CreateUpload of size 0");
        expectRejected("FILES-UPLOAD-001", await create(c, max + over, 2, 51), ErrorCode.FILE_TOO_LARGE, `CreateUpload of ${max} + ${over} bytes (maximum ${max})`);
        // The rejected requests' ids are free: a valid request under each opens an upload of its own size.
        for (const n of [1, 2]) {
          const fresh = expectOk<"createUpload">("FILES-UPLOAD-001", await create(c, BigInt(size), n, 51), `CreateUpload of ${size} bytes reusing a rejected request's client_request_id`).upload!;
          const parts = Math.ceil(size / fresh.partSize);
          check("FILES-UPLOAD-001", fresh.partCount === parts, `the upload opened under a rejected request's id has ${fresh.partCount} parts; ${size} bytes need ${parts}: the rejected request was stored`);
        }
        const first = expectOk<"createUpload">("FILES-UPLOAD-001", await create(c, BigInt(size), 3, 51), `CreateUpload of ${size} bytes`).upload!;
        for (let r = 0; r < repeats; r++) {
          const again = expectOk<"createUpload">("FILES-UPLOAD-001", await create(c, BigInt(size), 3, 51), "CreateUpload repeated with the same client_request_id").upload!;
          check("FILES-UPLOAD-001", sameBytes(again.uploadId, first.uploadId) && again.partCount === first.partCount, "creating again with the same client_request_id opened another upload");
        }
      }),
    ),
});

/** Opens pending uploads of `total` bytes in pieces of at most `max`; returns how many. */
async function fill(c: WireConnection, total: bigint, max: bigint, salt: number, rule: string): Promise<number> {
  let n = 0;
  for (let left = total; left > 0n; n++) {
    if (n > 10_000) throw new ConformanceError("HARNESS", `the quota needs more than 10,000 maximal uploads to fill (quota ${total}, maximum upload ${max})`);
    const size = left < max ? left : max;
    expectOk<"createUpload">(rule, await create(c, size, n, salt), `a pending upload of ${size} bytes with ${left} bytes of quota left`);
    left -= size;
  }
  return n;
}

defineProperty({
  id: "server.files.quota",
  rules: ["FILES-UPLOAD-003"],
  mode: "server",
  profile: "files",
  description: "A completed blob plus pending uploads fill account_quota_bytes exactly and are accepted; any further upload is QUOTA_EXCEEDED and stores nothing, so completed blobs and pending uploads both count.",
  numRuns: 4,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3_000 }), fc.bigInt({ min: 1n, max: 1n << 20n }), (blobSize, excess) =>
      inWorld(target, transcript, async (world) => {
        const c = (await world.account()).connections[0]!;
        const limits = world.helloAck!.fileLimits!;
        const quota = limits.accountQuotaBytes;
        const max = maxUpload(limits);
        // One small completed blob.
        const data = Uint8Array.from({ length: blobSize }, (_, i) => (i * 13) & 0xff);
        const upload = (await c.call("createUpload", { size: BigInt(blobSize), digest: sha256(data), conversationId: new Uint8Array(0), clientRequestId: idBytes(0, 52) })).upload!;
        for (let i = 0; i < upload.partCount; i++) await c.call("uploadPart", { uploadId: upload.uploadId, partIndex: i, data: data.subarray(i * upload.partSize, (i + 1) * upload.partSize) });
        await c.call("completeUpload", { uploadId: upload.uploadId });
        // Pending uploads for the rest of the quota.
        const pending = await fill(c, quota - BigInt(blobSize), max, 53, "FILES-UPLOAD-003");
        const extra = excess < max ? excess : max;
        expectRejected("FILES-UPLOAD-003", await create(c, extra, pending + 1, 53), ErrorCode.QUOTA_EXCEEDED,
          `an upload of ${extra} bytes with a ${blobSize}-byte blob and ${pending} pending uploads filling the quota of ${quota}`);
        expectRejected("FILES-UPLOAD-003", await create(c, 1n, pending + 2, 53), ErrorCode.QUOTA_EXCEEDED, "an upload of 1 byte onto a full quota (the rejected upload was counted?)");
      }),
    ),
});

/** Longest upload_ttl_seconds the property waits out. */
const MAX_TTL_SECONDS = 5;

defineProperty({
  id: "server.files.upload-expiry",
  rules: ["FILES-UPLOAD-006"],
  mode: "server",
  profile: "files",
  description: `Uploads left incomplete for upload_ttl_seconds after their creation are NOT_FOUND for GetUpload, UploadPart and CompleteUpload and no longer count against the quota. Needs a server advertising upload_ttl_seconds of at most ${MAX_TTL_SECONDS} (for the reference: kabar-server --upload-ttl-seconds 3); waits it out once.`,
  numRuns: 1,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constant(2_000), (size) =>
      inWorld(target, transcript, async (world) => {
        const c = (await world.account()).connections[0]!;
        const limits = world.helloAck!.fileLimits!;
        const ttl = limits.uploadTtlSeconds;
        if (ttl > MAX_TTL_SECONDS) {
          throw new ConformanceError("HARNESS", `FILES-UPLOAD-006 needs a server with upload_ttl_seconds of at most ${MAX_TTL_SECONDS} to wait out; this one advertises ${ttl}`);
        }
        const quota = limits.accountQuotaBytes;
        const max = maxUpload(limits);
        const data = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
        const upload = (await c.call("createUpload", { size: BigInt(size), digest: sha256(data), conversationId: new Uint8Array(0), clientRequestId: idBytes(0, 54) })).upload!;
        await c.call("uploadPart", { uploadId: upload.uploadId, partIndex: 0, data: data.subarray(0, upload.partSize) });
        // The rest of the quota in pending uploads.
        const pending = await fill(c, quota - BigInt(size), max, 55, "FILES-UPLOAD-006");
        expectRejected("FILES-UPLOAD-003", await create(c, 1n, pending + 1, 55), ErrorCode.QUOTA_EXCEEDED, "an upload onto a full quota");
        // Every one of them was created before now: after upload_ttl_seconds (and a second) all have expired.
        await new Promise((done) => setTimeout(done, ttl * 1000 + 1_000));
        expectRejected("FILES-UPLOAD-006", await c.attempt("getUpload", { uploadId: upload.uploadId }), ErrorCode.NOT_FOUND, "GetUpload of an expired upload");
        expectRejected("FILES-UPLOAD-006", await c.attempt("uploadPart", { uploadId: upload.uploadId, partIndex: 0, data: data.subarray(0, upload.partSize) }), ErrorCode.NOT_FOUND, "UploadPart to an expired upload");
        expectRejected("FILES-UPLOAD-006", await c.attempt("completeUpload", { uploadId: upload.uploadId }), ErrorCode.NOT_FOUND, "CompleteUpload of an expired upload");
        // Expired uploads no longer count: the whole quota is free again.
        await fill(c, quota, max, 56, "FILES-UPLOAD-006");
      }),
    ),
});
