import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { directoryBlobFiles } from "@kabar/server";
import { randomId } from "./support/keys.js";

const root = mkdtempSync(join(tmpdir(), "kabar-blobfiles-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("directoryBlobFiles", () => {
  it("concurrent writes of the same part (a resend racing the first copy) both succeed and leave one part", async () => {
    const files = directoryBlobFiles(root);
    const uploadId = randomId();
    const data = randomId(256 * 1024);
    const digest = new Uint8Array(createHash("sha256").update(data).digest());
    await Promise.all(Array.from({ length: 4 }, () => files.writePart(uploadId, 9, digest, data)));
    const left = readdirSync(join(root, "uploads", Buffer.from(uploadId).toString("hex")));
    expect(left).toEqual([`9.${Buffer.from(digest).toString("hex")}`]);
  });
});
