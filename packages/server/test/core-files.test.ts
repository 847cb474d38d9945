import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConversationKind, ErrorCode } from "@kabar/protocol";
import { makeHarness, randomId, rejects, TestAccount, type Harness } from "./support/core-harness.js";

const PART = 4096;
const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());

async function open(h: Harness, session: Parameters<Harness["call"]>[0], data: Uint8Array, conversationId: Uint8Array = new Uint8Array(0)) {
  const { upload } = await h.call(session, "createUpload", { size: BigInt(data.length), digest: sha256(data), conversationId, clientRequestId: randomId() });
  return upload!;
}

function part(data: Uint8Array, index: number): Uint8Array {
  return data.subarray(index * PART, Math.min(data.length, (index + 1) * PART));
}

describe("files", () => {
  it("FILES-UPLOAD-002 FILES-UPLOAD-004 FILES-UPLOAD-005 FILES-DOWNLOAD-001 parts in any order, resumable, completed after the digest check", async () => {
    const h = await makeHarness({ limits: { partSize: PART } });
    const s = await h.connect(new TestAccount());
    const data = randomId(PART * 3 + 100);
    const upload = await open(h, s, data);
    expect(upload.partCount).toBe(4);
    await h.call(s, "uploadPart", { uploadId: upload.uploadId, partIndex: 2, data: part(data, 2) });
    await h.call(s, "uploadPart", { uploadId: upload.uploadId, partIndex: 0, data: part(data, 0) });
    expect((await h.call(s, "getUpload", { uploadId: upload.uploadId })).missingParts).toEqual([1, 3]);
    await rejects(h.call(s, "completeUpload", { uploadId: upload.uploadId }), ErrorCode.UPLOAD_INCOMPLETE);
    // Identical repeat succeeds; different bytes conflict.
    await h.call(s, "uploadPart", { uploadId: upload.uploadId, partIndex: 2, data: part(data, 2) });
    const snap = await h.store.snapshot();
    await rejects(h.call(s, "uploadPart", { uploadId: upload.uploadId, partIndex: 2, data: randomId(PART) }), ErrorCode.PART_CONFLICT);
    await rejects(h.call(s, "uploadPart", { uploadId: upload.uploadId, partIndex: 4, data: randomId(PART) }), ErrorCode.PART_INDEX_INVALID);
    await rejects(h.call(s, "uploadPart", { uploadId: upload.uploadId, partIndex: 3, data: randomId(PART) }), ErrorCode.PART_INDEX_INVALID);
    expect(await h.store.snapshot()).toEqual(snap);
    await h.call(s, "uploadPart", { uploadId: upload.uploadId, partIndex: 3, data: part(data, 3) });
    const last = await h.call(s, "uploadPart", { uploadId: upload.uploadId, partIndex: 1, data: part(data, 1) });
    expect(last.missingCount).toBe(0);
    const done = await h.call(s, "completeUpload", { uploadId: upload.uploadId });
    expect(done.size).toBe(BigInt(data.length));
    const range = await h.call(s, "downloadRange", { blobId: done.blobId, offset: 4000n, length: 500 });
    expect(Buffer.from(range.data).equals(Buffer.from(data.subarray(4000, 4500)))).toBe(true);
    expect(Buffer.from(range.digest).equals(Buffer.from(sha256(data)))).toBe(true);
    await rejects(h.call(s, "downloadRange", { blobId: done.blobId, offset: BigInt(data.length - 10), length: 11 }), ErrorCode.RANGE_INVALID);
    await rejects(h.call(s, "downloadRange", { blobId: done.blobId, offset: 0n, length: 0 }), ErrorCode.RANGE_INVALID);
    await h.close();
  });

  it("FILES-UPLOAD-002 concurrent different bytes for one part never corrupt the recorded part", async () => {
    const h = await makeHarness({ limits: { partSize: PART } });
    const s = await h.connect(new TestAccount());
    const data = randomId(PART);
    const upload = await open(h, s, data);
    const results = await Promise.allSettled([
      h.call(s, "uploadPart", { uploadId: upload.uploadId, partIndex: 0, data }),
      h.call(s, "uploadPart", { uploadId: upload.uploadId, partIndex: 0, data: randomId(PART) }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    // Whichever won, completion assembles exactly the recorded bytes: the
    // right ones complete, the wrong ones fail the digest check; never a mix.
    const winner = results[0]!.status === "fulfilled";
    if (winner) await h.call(s, "completeUpload", { uploadId: upload.uploadId });
    else await rejects(h.call(s, "completeUpload", { uploadId: upload.uploadId }), ErrorCode.DIGEST_MISMATCH);
    await h.close();
  });

  it("FILES-UPLOAD-005 a digest mismatch is rejected and no blob is created", async () => {
    const h = await makeHarness({ limits: { partSize: PART } });
    const s = await h.connect(new TestAccount());
    const data = randomId(PART + 1);
    const { upload } = await h.call(s, "createUpload", { size: BigInt(data.length), digest: sha256(randomId(5)), conversationId: new Uint8Array(0), clientRequestId: randomId() });
    await h.call(s, "uploadPart", { uploadId: upload!.uploadId, partIndex: 0, data: part(data, 0) });
    await h.call(s, "uploadPart", { uploadId: upload!.uploadId, partIndex: 1, data: part(data, 1) });
    const snap = await h.store.snapshot();
    await rejects(h.call(s, "completeUpload", { uploadId: upload!.uploadId }), ErrorCode.DIGEST_MISMATCH);
    expect(await h.store.snapshot()).toEqual(snap);
    await h.close();
  });

  it("FILES-ACCESS-001 blobs are readable by the uploader and current conversation members only", async () => {
    const h = await makeHarness({ limits: { partSize: PART } });
    const [a, b, c] = [new TestAccount(), new TestAccount(), new TestAccount()];
    const sa = await h.connect(a);
    const sb = await h.connect(b);
    const sc = await h.connect(c);
    const conversationId = randomId();
    await h.call(sa, "createConversation", { conversationId, kind: ConversationKind.GROUP, memberAccountIds: [b.accountId] });
    const data = randomId(100);
    const upload = await open(h, sa, data, conversationId);
    await h.call(sa, "uploadPart", { uploadId: upload.uploadId, partIndex: 0, data });
    const { blobId } = await h.call(sa, "completeUpload", { uploadId: upload.uploadId });
    await h.call(sb, "downloadRange", { blobId, offset: 0n, length: 100 });
    const e1 = await rejects(h.call(sc, "downloadRange", { blobId, offset: 0n, length: 100 }), ErrorCode.NOT_FOUND);
    const e2 = await rejects(h.call(sc, "downloadRange", { blobId: randomId(), offset: 0n, length: 100 }), ErrorCode.NOT_FOUND);
    expect(e1.error).toEqual(e2.error);
    // Another account cannot touch the upload either.
    await rejects(h.call(sb, "getUpload", { uploadId: upload.uploadId }), ErrorCode.NOT_FOUND);
    await h.call(sb, "changeMembers", { conversationId, addAccountIds: [], removeAccountIds: [b.accountId], clientRequestId: randomId() });
    await rejects(h.call(sb, "downloadRange", { blobId, offset: 0n, length: 100 }), ErrorCode.NOT_FOUND);
    await h.close();
  });

  it("FILES-UPLOAD-001 FILES-UPLOAD-003 size and quota are checked at creation; creation is idempotent", async () => {
    const h = await makeHarness({ limits: { partSize: PART, maxParts: 4, accountQuotaBytes: PART * 5 } });
    const s = await h.connect(new TestAccount());
    await rejects(h.call(s, "createUpload", { size: BigInt(PART * 4 + 1), digest: randomId(32), conversationId: new Uint8Array(0), clientRequestId: randomId() }), ErrorCode.FILE_TOO_LARGE);
    const req = { size: BigInt(PART * 4), digest: randomId(32), conversationId: new Uint8Array(0), clientRequestId: randomId() };
    const first = await h.call(s, "createUpload", req);
    expect(await h.call(s, "createUpload", req)).toEqual(first);
    const snap = await h.store.snapshot();
    await rejects(h.call(s, "createUpload", { ...req, size: BigInt(PART * 2), clientRequestId: randomId() }), ErrorCode.QUOTA_EXCEEDED);
    expect(await h.store.snapshot()).toEqual(snap);
    await h.close();
  });

  it("FILES-UPLOAD-006 expired uploads are collected and no longer count against the quota", async () => {
    const h = await makeHarness({ limits: { partSize: PART, accountQuotaBytes: PART * 2, uploadTtlSeconds: 60 } });
    const s = await h.connect(new TestAccount());
    const data = randomId(PART * 2);
    const upload = await open(h, s, data);
    await h.call(s, "uploadPart", { uploadId: upload.uploadId, partIndex: 0, data: part(data, 0) });
    h.clock.advance(61_000);
    await rejects(h.call(s, "getUpload", { uploadId: upload.uploadId }), ErrorCode.NOT_FOUND);
    expect(await h.core.collectExpiredUploads()).toBe(1);
    expect((await h.store.snapshot()).upload_parts).toEqual([]);
    await open(h, s, data);
    await h.close();
  });
});
