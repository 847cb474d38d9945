// The sync properties that need log fixtures (a log near 2^63-1, a trimmed
// log) run their fixture part only on targets offering them; the kill
// matrix's reference is a plain process without. Here the reference server
// runs in-process with the fixtures (and no mutation) and must pass those
// rules, so the fixture part is shown to hold on the reference too.
import { describe, expect, it } from "vitest";
import "../src/suites/all.js";
import { startSyncServer } from "../src/mutants/server/sync-mutants.js";
import { loadCatalogue } from "../src/rules/catalogue.js";
import { runConformance } from "../src/runner/run-conformance.js";
import { inProcessServerProvider } from "../src/targets/server-providers.js";

describe("sync log fixtures", () => {
  it("the reference with log fixtures passes SYNC-LOG-003 and SYNC-DIFF-003", async () => {
    const target = await startSyncServer("reference");
    const provider = inProcessServerProvider(target, { replayTarget: "server:sync-fixtures:reference", profiles: ["core"] });
    try {
      const report = await runConformance({ provider, catalogue: loadCatalogue(), seed: Number(process.env.FC_SEED ?? 20261126), ruleGlobs: ["SYNC-LOG-003", "SYNC-DIFF-003"] });
      const verdicts = report.rules.map((r) => `${r.id} ${r.verdict} ${r.properties.map((p) => p.message ?? "").join(" ")}`.trim());
      expect(verdicts).toEqual(["SYNC-LOG-003 PASS", "SYNC-DIFF-003 PASS"]);
    } finally {
      await provider.close();
    }
  }, 60_000);
});
