// The kit must catch every mutant: run the codec suite against the
// reference decoder (everything it covers passes) and against each codec
// mutant (each rule the mutant breaks fails), then the adapter-contract
// properties against the fake client adapter and each contract mutant.
// Prints the kill matrix.
import { describe, expect, it } from "vitest";
import "../src/suites/all.js";
import { mutantRegistry } from "../src/registry/mutant-registry.js";
import { propertyRegistry } from "../src/registry/property-registry.js";
import type { ConformanceReport } from "../src/report/report-types.js";
import { loadCatalogue } from "../src/rules/catalogue.js";
import { runConformance } from "../src/runner/run-conformance.js";
import { clientAdapterProvider } from "../src/targets/client-provider.js";
import { mutantCodecProvider, referenceCodecProvider } from "../src/targets/codec-providers.js";
import type { TargetMode, TargetProvider } from "../src/targets/target-types.js";
import { fakeAdapterCommand } from "./support.js";

const catalogue = loadCatalogue();
const SEED = Number(process.env.FC_SEED ?? 20261126);

function coveredRules(mode: TargetMode): string[] {
  return [...new Set(propertyRegistry.list(mode).flatMap((p) => p.rules))];
}

async function runAgainst(provider: TargetProvider, rules: readonly string[], numRuns: number): Promise<ConformanceReport> {
  try {
    return await runConformance({ provider, catalogue, seed: SEED, numRuns, ruleGlobs: rules });
  } finally {
    await provider.close();
  }
}

function printMatrix(title: string, rows: { name: string; report: ConformanceReport }[], rules: readonly string[]): void {
  const short = (v: string) => ({ PASS: ".", FAIL: "F", "NON-STRICT": "N", ERROR: "E", INFO: "i" })[v] ?? "?";
  const header = `${"".padEnd(34)} ${rules.map((r) => r.replace(/^[A-Z]+-/, "").padEnd(11)).join(" ")}`;
  const lines = rows.map(({ name, report }) => `${name.padEnd(34)} ${rules.map((id) => short(report.rules.find((r) => r.id === id)?.verdict ?? "-").padEnd(11)).join(" ")}`);
  console.log(`${title} (seed ${SEED}; . pass, F FAIL, N NON-STRICT, E ERROR)\n${header}\n${lines.join("\n")}`);
}

const killed = (report: ConformanceReport, id: string) => ["FAIL", "NON-STRICT"].includes(report.rules.find((r) => r.id === id)?.verdict ?? "");

describe("kill matrix", () => {
  it("codec: the reference passes every covered WIRE rule and every codec mutant is caught", async () => {
    const rules = coveredRules("codec");
    const rows = [{ name: "reference", report: await runAgainst(referenceCodecProvider(), rules, 60) }];
    for (const mutant of mutantRegistry.list("codec")) rows.push({ name: mutant.id, report: await runAgainst(await mutantCodecProvider(mutant.id), rules, 60) });
    printMatrix("codec kill matrix", rows, rules);
    expect(rows[0]!.report.rules.filter((r) => r.verdict !== "PASS").map((r) => `${r.id}: ${r.verdict} ${r.properties.map((p) => p.message).join(" ")}`)).toEqual([]);
    const survivors = mutantRegistry.list("codec").flatMap((m, i) => m.breaks.filter((id) => !killed(rows[i + 1]!.report, id)).map((id) => `${m.id} survived ${id}`));
    expect(survivors).toEqual([]);
  });

  it("client: the fake adapter passes the contract properties and every contract mutant is caught", async () => {
    // The adapter-contract properties only: the fake adapter implements no
    // protocol. The client-behaviour suite has its own kill matrix
    // (client-kill-matrix.test.ts) against the reference client adapter.
    const rules = [...new Set(propertyRegistry.list("client").filter((p) => p.id.startsWith("conf.")).flatMap((p) => p.rules))];
    const rows = [{ name: "fake-client", report: await runAgainst(await clientAdapterProvider({ command: await fakeAdapterCommand() }), rules, 10) }];
    // Two mutants at a time: adapters mostly wait on pipes, not on the CPU.
    const mutants = mutantRegistry.list("client").filter((m) => m.id.startsWith("contract."));
    const reports: ConformanceReport[] = new Array(mutants.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < mutants.length) {
        const index = next++;
        const mutant = mutants[index]!;
        const timeoutMs = mutant.id === "contract.hang-on-unsupported" ? 1_000 : undefined;
        const provider = await clientAdapterProvider({ command: await fakeAdapterCommand(mutant.id.replace(/^contract\./, "")), ...(timeoutMs ? { timeoutMs } : {}) });
        reports[index] = await runAgainst(provider, rules, 10);
      }
    };
    await Promise.all([worker(), worker()]);
    mutants.forEach((mutant, i) => rows.push({ name: mutant.id, report: reports[i]! }));
    printMatrix("adapter-contract kill matrix", rows, rules);
    expect(rows[0]!.report.rules.filter((r) => r.verdict !== "PASS").map((r) => `${r.id}: ${r.verdict}`)).toEqual([]);
    const survivors = mutants.flatMap((m, i) => m.breaks.filter((id) => !killed(rows[i + 1]!.report, id)).map((id) => `${m.id} survived ${id}`));
    expect(survivors).toEqual([]);
  }, 120_000);
});
