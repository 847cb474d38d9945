// FILES: resumable uploads with parts in any order, completion checks,
// ranges and who may read a blob.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { ConversationKind, ErrorCode } from "@kabar/protocol";
import { defineProperty } from "../../registry/property-registry.js";
import { randomBytesOf } from "../../wire-client/keys.js";
import { check, expectOk, expectRejected, idBytes, inWorld, sameBytes } from "./support.js";

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest());

defineProperty({
  id: "server.files.upload-download",
  rules: ["FILES-UPLOAD-002", "FILES-UPLOAD-004", "FILES-UPLOAD-005", "FILES-DOWNLOAD-001"],
  mode: "server",
  profile: "files",
  description: "Parts uploaded in a random order with repeats (a repeat with other bytes is PART_CONFLICT, a wrong length or index PART_INDEX_INVALID): GetUpload lists exactly the missing parts in order, completing early is UPLOAD_INCOMPLETE, a wrong declared digest is DIGEST_MISMATCH with no blob, and ranges return exactly the bytes uploaded.",
  numRuns: 8,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4000 }), fc.boolean(), fc.nat(1000), fc.array(fc.tuple(fc.nat(100), fc.nat(100)), { minLength: 1, maxLength: 4 }), (fullParts, tail, wrongDigest, seed, ranges) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const fileLimits = world.helloAck!.fileLimits!;
        const partSize = fileLimits.partSize;
        const size = (fullParts - 1) * partSize + tail;
        const data = Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed) & 0xff);
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account], ConversationKind.DIRECT);
        const c = alice.connections[0]!;
        const digest = wrongDigest ? sha256(new Uint8Array([1, 2, 3])) : sha256(data);
        const upload = (await c.call("createUpload", { size: BigInt(size), digest, conversationId, clientRequestId: idBytes(seed, 31) })).upload!;
        const count = upload.partCount;
        check("FILES-UPLOAD-002", count === Math.ceil(size / upload.partSize), `part_count ${count} for ${size} bytes of parts of ${upload.partSize}`);
        const part = (i: number) => data.subarray(i * upload.partSize, Math.min(size, (i + 1) * upload.partSize));
        // A random order with one repeat; the last part held back to test incompleteness.
        const order = Array.from({ length: count }, (_, i) => i).sort((x, y) => ((x * 31 + seed) % 7) - ((y * 31 + seed) % 7));
        const held = order.pop()!;
        const done = new Set<number>();
        for (const i of [...order, ...order.slice(0, 1)]) {
          expectOk<"uploadPart">("FILES-UPLOAD-002", await c.attempt("uploadPart", { uploadId: upload.uploadId, partIndex: i, data: part(i) }), `part ${i} of ${count}`);
          done.add(i);
          const state = await c.call("getUpload", { uploadId: upload.uploadId });
          const missing = Array.from({ length: count }, (_, k) => k).filter((k) => !done.has(k));
          check("FILES-UPLOAD-004", state.missingParts.join(",") === missing.join(","), `after parts {${[...done].join(",")}} GetUpload lists missing [${state.missingParts.join(",")}], expected [${missing.join(",")}]`);
        }
        expectRejected("FILES-UPLOAD-002", await c.attempt("uploadPart", { uploadId: upload.uploadId, partIndex: count, data: part(0) }), ErrorCode.PART_INDEX_INVALID, `part index ${count} of ${count}`);
        // A stored part repeated with other bytes, and a part of the wrong length: rejected, nothing changes.
        const stored = order[0];
        if (stored !== undefined) {
          const other = Uint8Array.from(part(stored), (b, k) => (k === seed % part(stored).length ? b ^ 0x5a : b));
          expectRejected("FILES-UPLOAD-002", await c.attempt("uploadPart", { uploadId: upload.uploadId, partIndex: stored, data: other }), ErrorCode.PART_CONFLICT, `part ${stored} repeated with other bytes`);
        }
        expectRejected("FILES-UPLOAD-002", await c.attempt("uploadPart", { uploadId: upload.uploadId, partIndex: held, data: new Uint8Array(part(held).length + 1) }), ErrorCode.PART_INDEX_INVALID,
          `part ${held} one byte longer than it must be`);
        const unchanged = await c.call("getUpload", { uploadId: upload.uploadId });
        check("FILES-UPLOAD-002", unchanged.missingParts.join(",") === String(held), `after the rejected parts GetUpload lists missing [${unchanged.missingParts.join(",")}], expected [${held}]`);
        expectRejected("FILES-UPLOAD-005", await c.attempt("completeUpload", { uploadId: upload.uploadId }), ErrorCode.UPLOAD_INCOMPLETE, `completing without part ${held}`);
        expectOk<"uploadPart">("FILES-UPLOAD-002", await c.attempt("uploadPart", { uploadId: upload.uploadId, partIndex: held, data: part(held) }), `part ${held}`);
        const whole = await c.call("getUpload", { uploadId: upload.uploadId });
        check("FILES-UPLOAD-004", whole.missingParts.length === 0, `with every part stored GetUpload still lists [${whole.missingParts.join(",")}] as missing`);
        const completed = await c.attempt("completeUpload", { uploadId: upload.uploadId });
        if (wrongDigest) {
          expectRejected("FILES-UPLOAD-005", completed, ErrorCode.DIGEST_MISMATCH, "completing with a declared digest that does not match");
          return;
        }
        const blob = expectOk<"completeUpload">("FILES-UPLOAD-005", completed, "completing a whole upload");
        check("FILES-UPLOAD-005", blob.size === BigInt(size), `the blob has size ${blob.size}, ${size} were uploaded`);
        const again = expectOk<"completeUpload">("FILES-UPLOAD-005", await c.attempt("completeUpload", { uploadId: upload.uploadId }), "completing again");
        check("FILES-UPLOAD-005", sameBytes(again.blobId, blob.blobId), "completing a completed upload returned another blob");
        for (const [a, b] of ranges) {
          const offset = Math.floor((a / 100) * (size - 1));
          const length = Math.max(1, Math.min(fileLimits.maxRangeBytes, Math.floor((b / 100) * (size - offset))));
          const range = expectOk<"downloadRange">("FILES-DOWNLOAD-001", await bob.connections[0]!.attempt("downloadRange", { blobId: blob.blobId, offset: BigInt(offset), length }), `range ${offset}+${length}`);
          check("FILES-DOWNLOAD-001", sameBytes(range.data, data.subarray(offset, offset + length)) && range.size === BigInt(size) && sameBytes(range.digest, digest), `range ${offset}+${length} is not the uploaded bytes, size and digest`);
        }
        expectRejected("FILES-DOWNLOAD-001", await c.attempt("downloadRange", { blobId: blob.blobId, offset: BigInt(size), length: 1 }), ErrorCode.RANGE_INVALID, "a range past the end");
        expectRejected("FILES-DOWNLOAD-001", await c.attempt("downloadRange", { blobId: blob.blobId, offset: 0n, length: 0 }), ErrorCode.RANGE_INVALID, "an empty range");
      }),
    ),
});

defineProperty({
  id: "server.files.access",
  rules: ["FILES-ACCESS-001", "AUTHZ-ACCESS-001"],
  mode: "server",
  profile: "files",
  description: "A blob is readable by its uploader and the conversation's members; an outsider gets the same NOT_FOUND as for a blob that does not exist, and for another account's upload the same as for an unknown upload.",
  numRuns: 6,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 5000 }), (size) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const eve = await world.account();
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account], ConversationKind.DIRECT);
        const data = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
        const c = alice.connections[0]!;
        const upload = (await c.call("createUpload", { size: BigInt(size), digest: sha256(data), conversationId, clientRequestId: idBytes(size, 41) })).upload!;
        const foreignUpload = await eve.connections[0]!.attempt("getUpload", { uploadId: upload.uploadId });
        const unknownUpload = await eve.connections[0]!.attempt("getUpload", { uploadId: randomBytesOf(upload.uploadId.length) });
        const u1 = expectRejected("FILES-ACCESS-001", foreignUpload, ErrorCode.NOT_FOUND, "GetUpload of another account's upload");
        const u2 = expectRejected("AUTHZ-ACCESS-001", unknownUpload, ErrorCode.NOT_FOUND, "GetUpload of an unknown upload");
        check("AUTHZ-ACCESS-001", u1.message === u2.message && u1.rule === u2.rule, `another account's upload ("${u1.message}") and an unknown one ("${u2.message}") are told apart`);
        await c.call("uploadPart", { uploadId: upload.uploadId, partIndex: 0, data });
        const blob = await c.call("completeUpload", { uploadId: upload.uploadId });
        check("FILES-ACCESS-001", (await bob.connections[0]!.attempt("downloadRange", { blobId: blob.blobId, offset: 0n, length: 1 })).ok, "a member cannot read the blob");
        const e1 = expectRejected("FILES-ACCESS-001", await eve.connections[0]!.attempt("downloadRange", { blobId: blob.blobId, offset: 0n, length: 1 }), ErrorCode.NOT_FOUND, "an outsider reading the blob");
        const e2 = expectRejected("FILES-ACCESS-001", await eve.connections[0]!.attempt("downloadRange", { blobId: randomBytesOf(blob.blobId.length), offset: 0n, length: 1 }), ErrorCode.NOT_FOUND, "reading a blob that does not exist");
        check("AUTHZ-ACCESS-001", e1.message === e2.message && e1.rule === e2.rule, `an outsider tells a real blob ("${e1.message}") from a missing one ("${e2.message}")`);
      }),
    ),
});
