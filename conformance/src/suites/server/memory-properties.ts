// FILES-UPLOAD-007: a server streams uploads and downloads instead of holding
// whole files. The kit uploads one large generated file (256 MiB, AES-128-CTR
// keystream of a fast-check seed, produced part by part and never held whole)
// and reads it back by ranges, measuring the peak resident memory (VmHWM,
// reset through /proc/<pid>/clear_refs) of the server's process tree. A
// buffering server grows by at least the file size; a streaming one stays near
// its garbage collector's slack. Linux only, and only for a server the kit
// started (--cmd), whose pid it knows.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { ConversationKind } from "@kabar/protocol";
import { ConformanceError } from "../../errors.js";
import { defineProperty } from "../../registry/property-registry.js";
import { WireWorld } from "../../wire-client/wire-world.js";
import { generatedBytes, processTreeMemory, resetPeakMemory } from "../memory/process-memory.js";
import { check, idBytes, sameBytes } from "./support.js";

/** The size of the file moved through the server. */
export const LARGE_FILE_BYTES = 256 * 1024 * 1024;
/** Requests in flight at once. */
const WINDOW = 4;

async function inWindows(count: number, body: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: WINDOW }, async () => {
    while (next < count) await body(next++);
  }));
}

defineProperty({
  id: "server.files.memory-independent-of-size",
  rules: ["FILES-UPLOAD-007"],
  mode: "server",
  profile: "files",
  description: "Uploading a 256 MiB file part by part, completing it and reading it back by ranges grows the peak resident memory of the server's processes by less than half the file size (needs a server the kit starts, on Linux).",
  numRuns: 1,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.noShrink(fc.nat(1_000_000)), async (seed) => {
      const pid = target.pid?.();
      if (pid === undefined) throw new ConformanceError("HARNESS", "FILES-UPLOAD-007 measures the server's memory: start the server with --cmd (the kit needs its process id)");
      if (resetPeakMemory(pid) === undefined) throw new ConformanceError("HARNESS", "FILES-UPLOAD-007 needs Linux /proc (VmHWM, clear_refs) to measure the server's memory");
      // No transcript: it would keep every part.
      const world = new WireWorld(target.url);
      try {
        const alice = await world.account();
        const bob = await world.account();
        const limits = world.helloAck!.fileLimits!;
        const size = LARGE_FILE_BYTES;
        if (BigInt(size) > limits.maxFileBytes) throw new ConformanceError("HARNESS", `FILES-UPLOAD-007 needs max_file_bytes of at least ${size}; the server advertises ${limits.maxFileBytes}`);
        const minTtl = 120;
        if (limits.uploadTtlSeconds < minTtl) throw new ConformanceError("HARNESS", `FILES-UPLOAD-007 uploads ${size} bytes and needs a server with upload_ttl_seconds of at least ${minTtl}; this one advertises ${limits.uploadTtlSeconds}`);
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account], ConversationKind.DIRECT);
        const c = alice.connections[0]!;
        const digestHash = createHash("sha256");
        const partSize = limits.partSize;
        for (let offset = 0; offset < size; offset += 16 * 1024 * 1024) digestHash.update(generatedBytes(seed, offset, Math.min(16 * 1024 * 1024, size - offset)));
        const digest = new Uint8Array(digestHash.digest());
        const before = resetPeakMemory(pid)!;
        transcript.add("note", `server memory before: ${before} bytes resident`);
        const upload = (await c.call("createUpload", { size: BigInt(size), digest, conversationId, clientRequestId: idBytes(seed, 71) })).upload!;
        await inWindows(upload.partCount, async (i) => {
          const start = i * upload.partSize;
          await c.call("uploadPart", { uploadId: upload.uploadId, partIndex: i, data: generatedBytes(seed, start, Math.min(upload.partSize, size - start)) });
        });
        const blob = await c.call("completeUpload", { uploadId: upload.uploadId });
        const rangeBytes = limits.maxRangeBytes;
        const ranges = Math.ceil(size / rangeBytes);
        const pieces = new Map<number, Uint8Array>();
        const readBack = createHash("sha256");
        let hashed = 0;
        await inWindows(ranges, async (i) => {
          const offset = i * rangeBytes;
          const range = await c.call("downloadRange", { blobId: blob.blobId, offset: BigInt(offset), length: Math.min(rangeBytes, size - offset) });
          pieces.set(i, range.data);
          while (pieces.has(hashed)) {
            readBack.update(pieces.get(hashed)!);
            pieces.delete(hashed++);
          }
        });
        check("FILES-UPLOAD-007", sameBytes(new Uint8Array(readBack.digest()), digest), "the file read back by ranges is not the file uploaded");
        const peak = processTreeMemory(pid)!.peak;
        const growth = peak - before;
        transcript.add("note", `server memory: ${before} bytes resident before, peak ${peak} bytes while moving ${size} bytes (part size ${partSize})`);
        check("FILES-UPLOAD-007", growth < size / 2, `moving a ${size / 1048576} MiB file raised the server's peak resident memory by ${(growth / 1048576).toFixed(1)} MiB (from ${(before / 1048576).toFixed(1)} MiB to ${(peak / 1048576).toFixed(1)} MiB), at least half the file size`);
      } finally {
        await world.close();
      }
    }),
});
