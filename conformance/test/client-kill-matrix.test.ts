// The client-behaviour suite must catch every client mutant: the reference
// client adapter (packages/client/adapter, against the reference server the
// kit starts) passes every client-behaviour rule, and each mutant of it,
// run on the rules it breaks only, fails each of them. Prints the kill
// matrix. The adapter-contract suite has its own matrix in kill-matrix.test.ts.
import { describe, expect, it } from "vitest";
import "../src/suites/all.js";
import { CLIENT_MUTANTS, referenceClientAdapterCommand } from "../src/mutants/client/index.js";
import { mutantRegistry } from "../src/registry/mutant-registry.js";
import { propertyRegistry } from "../src/registry/property-registry.js";
import type { ConformanceReport } from "../src/report/report-types.js";
import { loadCatalogue } from "../src/rules/catalogue.js";
import { matchesAnyGlob } from "../src/rules/rule-glob.js";
import { runConformance } from "../src/runner/run-conformance.js";
import { clientAdapterProvider } from "../src/targets/client-provider.js";

const catalogue = loadCatalogue();
const SEED = Number(process.env.FC_SEED ?? 20261126);
const behaviour = propertyRegistry.list("client").filter((p) => p.id.startsWith("client."));
const behaviourRules = [...new Set(behaviour.flatMap((p) => p.rules))];

// KABAR_MUTANTS=<glob,glob> runs only the matching mutants, and the reference
// only on the rules they break (for working on one area).
const ONLY = (process.env.KABAR_MUTANTS ?? "").split(",").filter((g) => g !== "");
const SELECTED = CLIENT_MUTANTS.filter((m) => ONLY.length === 0 || matchesAnyGlob(`client.${m.flag}`, ONLY));

async function run(mutant: string | undefined, rules: readonly string[]): Promise<ConformanceReport> {
  const provider = await clientAdapterProvider({ command: referenceClientAdapterCommand(mutant) });
  try {
    // Mutant runs need verdicts only: no shrinking (KABAR_SHRINK=1 turns it on to debug a survivor).
    return await runConformance({ provider, catalogue, seed: SEED, properties: behaviour, ruleGlobs: rules, shrink: mutant === undefined || process.env.KABAR_SHRINK === "1" });
  } finally {
    await provider.close();
  }
}

const verdictOf = (report: ConformanceReport, id: string): string => report.rules.find((r) => r.id === id)?.verdict ?? "-";
const killed = (report: ConformanceReport, id: string): boolean => ["FAIL", "NON-STRICT"].includes(verdictOf(report, id));

describe("client kill matrix", () => {
  it("the reference client adapter passes every client-behaviour rule and each client mutant fails the rules it breaks", async () => {
    const started = Date.now();
    const jobs: { name: string; mutant: string | undefined; rules: readonly string[] }[] = [
      { name: "reference", mutant: undefined, rules: ONLY.length === 0 ? behaviourRules : [...new Set(SELECTED.flatMap((m) => m.breaks))] },
      ...SELECTED.map((m) => ({ name: `client.${m.flag}`, mutant: m.flag, rules: m.breaks })),
    ];
    // Two at a time: the adapters and the in-process server mostly wait on sockets.
    const reports: ConformanceReport[] = new Array(jobs.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const index = next++;
        reports[index] = await run(jobs[index]!.mutant, jobs[index]!.rules);
      }
    };
    await Promise.all([worker(), worker()]);

    const short = (v: string): string => ({ PASS: ".", FAIL: "F", "NON-STRICT": "N", ERROR: "E", INFO: "i", "-": "-" })[v] ?? "?";
    const header = `${"".padEnd(30)} ${behaviourRules.map((r) => r.replace(/^(CLIENT|ENC)-/, "").padEnd(11)).join(" ")}`;
    const lines = jobs.map((job, i) => `${job.name.padEnd(30)} ${behaviourRules.map((id) => short(verdictOf(reports[i]!, id)).padEnd(11)).join(" ")}`);
    console.log(`client kill matrix (seed ${SEED}; . pass, F FAIL, N NON-STRICT, E ERROR, - not run) in ${((Date.now() - started) / 1000).toFixed(1)} s\n${header}\n${lines.join("\n")}`);

    const reference = reports[0]!;
    expect(reference.rules.filter((r) => r.verdict !== "PASS").map((r) => `${r.id}: ${r.verdict} ${r.properties.map((p) => p.message ?? "").join(" ")}`)).toEqual([]);
    const survivors = jobs.slice(1).flatMap((job, i) => job.rules.filter((id) => !killed(reports[i + 1]!, id)).map((id) => `${job.name} survived ${id}`));
    expect(survivors).toEqual([]);
    // Every registered client mutant of the reference adapter is in the matrix.
    if (ONLY.length === 0) expect(mutantRegistry.list("client").filter((m) => m.id.startsWith("client.")).map((m) => m.id).sort()).toEqual(jobs.slice(1).map((j) => j.name).sort());
  }, 300_000);
});
