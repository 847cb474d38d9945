// The Python starter adapter completes the kit's handshake (Describe and
// Reset over big-endian frames) and answers everything else UNSUPPORTED,
// which the kit counts as FAIL because it declares core.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import "../src/suites/all.js";
import { isConformanceError } from "../src/errors.js";
import { loadCatalogue } from "../src/rules/catalogue.js";
import { runConformance } from "../src/runner/run-conformance.js";
import { clientAdapterProvider } from "../src/targets/client-provider.js";
import { PYTHON } from "./support.js";

const script = fileURLToPath(new URL("../adapters/python-starter/kabar_adapter.py", import.meta.url));

describe.skipIf(PYTHON === undefined)("python starter adapter", () => {
  it("passes the handshake, declares core, and is reported as the template it is", async () => {
    const provider = await clientAdapterProvider({ command: `${PYTHON} "${script}"` });
    try {
      expect(provider.identity).toEqual({ implementation: "python-starter", version: "0.0.0", specVersion: "1", kind: "client", profiles: ["core"], contractVersion: 1 });
      const target = await provider.acquire(new (await import("../src/adapter/transcript.js")).Transcript());
      await expect(target.adapter.call("createAccount", { label: "alice" })).rejects.toSatisfy((e: unknown) => isConformanceError(e, "ADAPTER_UNSUPPORTED"));
      const report = await runConformance({ provider, catalogue: loadCatalogue(), seed: 11, numRuns: 5, ruleGlobs: ["CONF-*"] });
      const verdict = (id: string) => report.rules.find((r) => r.id === id)?.verdict;
      for (const id of ["CONF-ADAPTER-001", "CONF-ADAPTER-003", "CONF-ADAPTER-004", "CONF-ADAPTER-005", "CONF-ADAPTER-006"]) expect(verdict(id), id).toBe("PASS");
      for (const id of ["CONF-ADAPTER-007", "CONF-HANDLE-001", "CONF-DIGEST-001"]) expect(verdict(id), id).toBe("FAIL");
      expect(report.summary.failed).toBe(true);
    } finally {
      await provider.close();
    }
  });
});

it.runIf(PYTHON === undefined)("SKIP: python starter adapter (no python3 found)", () => {
  console.log("SKIP: python3 is not installed; the starter-adapter handshake test did not run");
});
