import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, MAX_PART_BYTES } from "@kabar/protocol";
import { startServer } from "@kabar/server";

describe("configured limits", () => {
  it("TRANSPORT-HELLO-004 refuses to start with a limit above its protocol maximum (it would be advertised)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kabar-max-"));
    try {
      for (const limits of [{ maxFrameBytes: MAX_FRAME_BYTES + 1 }, { maxMessageBytes: MAX_MESSAGE_BYTES * 2 }, { partSize: MAX_PART_BYTES * 2 }]) {
        await expect(startServer({ port: 0, dataDir: dir, logger: false, limits })).rejects.toThrow(RangeError);
      }
      const server = await startServer({ port: 0, dataDir: dir, logger: false, limits: { maxFrameBytes: MAX_FRAME_BYTES, maxMessageBytes: 1000 } });
      await server.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
