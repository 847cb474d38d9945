// Runs the README example against the reference server so it never rots.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { startServer } from "@kabar/server";
import { main } from "../examples/two-accounts.js";

it("the two-accounts example exchanges a message and a document", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kabar-example-"));
  const server = await startServer({ port: 0, dataDir: dir, logger: false });
  try {
    expect(await main(server.url)).toEqual({ text: "Hello Bob!", document: "The quarterly report.\n" });
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
