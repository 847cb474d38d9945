import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/** Where blob bytes live: parts while uploading, one file per completed blob. */
export interface BlobFiles {
  /**
   * Durably stores one part under its index and digest, so two concurrent
   * uploads of different bytes for one index never overwrite each other;
   * the store records which digest won.
   */
  writePart(uploadId: Uint8Array, partIndex: number, partDigest: Uint8Array, data: Uint8Array): Promise<void>;
  /** Streams the recorded parts, in index order, into the blob file, returning its size and SHA-256; never holds the whole file in memory. */
  assemble(uploadId: Uint8Array, partDigests: readonly Uint8Array[], blobId: Uint8Array): Promise<{
    /** Bytes written to the blob file: the sum of the part sizes. */
    size: bigint;
    /** SHA-256 of the blob file's bytes, for comparison with the upload's declared digest. */
    digest: Uint8Array;
  }>;
  /** Reads a byte range of a blob. */
  readRange(blobId: Uint8Array, offset: bigint, length: number): Promise<Uint8Array>;
  /** Deletes an upload's parts. */
  deleteUpload(uploadId: Uint8Array): Promise<void>;
  /** Deletes an assembled blob file (after a failed digest check). */
  deleteBlob(blobId: Uint8Array): Promise<void>;
}

const hex = (id: Uint8Array): string => Buffer.from(id).toString("hex");

/** Blob files in a directory: `uploads/<upload>/<part>` and `blobs/<blob>`. */
export function directoryBlobFiles(root: string): BlobFiles {
  const uploadDir = (id: Uint8Array): string => join(root, "uploads", hex(id));
  const blobPath = (id: Uint8Array): string => join(root, "blobs", hex(id));
  const partPath = (id: Uint8Array, index: number, digest: Uint8Array): string => join(uploadDir(id), `${index}.${hex(digest)}`);
  return {
    async writePart(uploadId, partIndex, partDigest, data) {
      await mkdir(uploadDir(uploadId), { recursive: true });
      const final = partPath(uploadId, partIndex, partDigest);
      // A temp name of its own per write: a resent part can arrive while the
      // first copy is still being written (reconnect during an upload);
      // both then finish, and either rename leaves the same bytes.
      const temp = `${final}.${randomBytes(8).toString("hex")}.tmp`;
      try {
        const handle = await open(temp, "w");
        try {
          await handle.writeFile(data);
          await handle.sync();
        } finally {
          await handle.close();
        }
        // The rename makes a part appear whole or not at all after a crash.
        await rename(temp, final);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
    async assemble(uploadId, partDigests, blobId) {
      await mkdir(join(root, "blobs"), { recursive: true });
      const target = blobPath(blobId);
      const hash = createHash("sha256");
      let size = 0n;
      const out = createWriteStream(`${target}.tmp`);
      for (let index = 0; index < partDigests.length; index++) {
        // FILES-UPLOAD-007: one part at a time; memory stays at one part whatever the file size.
        const part = await readFile(partPath(uploadId, index, partDigests[index]!));
        hash.update(part);
        size += BigInt(part.length);
        if (!out.write(part)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      }
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      const handle = await open(`${target}.tmp`, "r+");
      await handle.sync();
      await handle.close();
      await rename(`${target}.tmp`, target);
      return { size, digest: new Uint8Array(hash.digest()) };
    },
    async readRange(blobId, offset, length) {
      const handle = await open(blobPath(blobId), "r");
      try {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, Number(offset));
        return new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead);
      } finally {
        await handle.close();
      }
    },
    async deleteUpload(uploadId) {
      await rm(uploadDir(uploadId), { recursive: true, force: true });
    },
    async deleteBlob(blobId) {
      await rm(blobPath(blobId), { force: true });
    },
  };
}
