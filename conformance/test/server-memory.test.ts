// FILES-UPLOAD-007 on the reference server, started by the kit (--cmd) so the
// property can measure its memory, with the default upload_ttl_seconds: the
// property moves a 256 MiB file, which the kill matrix's 3-second uploads do
// not allow. There is no server mutant for this SHOULD rule (a mutant runs
// in-process, where the kit cannot tell its memory from its own).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import "../src/suites/all.js";
import { loadCatalogue } from "../src/rules/catalogue.js";
import { runConformance } from "../src/runner/run-conformance.js";
import { commandServerProvider } from "../src/targets/server-providers.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "kabar-server-memory-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe.runIf(process.platform === "linux")("server memory (FILES-UPLOAD-007)", () => {
  it("the reference server streams a 256 MiB file", async () => {
    const cli = join(repoRoot, "packages/server/src/cli.ts");
    const provider = await commandServerProvider({
      command: `"${process.execPath}" --conditions=@kabar/source --import tsx "${cli}" --port 0 --quiet --data "${dataDir}"`,
      profiles: ["core", "files"],
    });
    try {
      const report = await runConformance({ provider, catalogue: loadCatalogue(), seed: Number(process.env.FC_SEED ?? 20261126), ruleGlobs: ["FILES-UPLOAD-007"], shrink: false });
      const rule = report.rules.find((r) => r.id === "FILES-UPLOAD-007");
      expect(`${rule?.verdict} ${rule?.properties.map((p) => p.message ?? "").join(" | ")}`).toBe("PASS ");
    } finally {
      await provider.close();
    }
  }, 120_000);
});
