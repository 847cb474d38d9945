// The crypto suite must catch every crypto mutant: the reference encryption
// cases (@kabar/crypto in-process) pass every crypto rule, and so does the
// reference client's adapter answering crypto_case over stdio; each crypto
// mutant, run on the rules it breaks only, fails each of them. Prints the
// kill matrix. KABAR_MUTANTS=<glob,glob> runs only the matching mutants.
import { describe, expect, it } from "vitest";
import "../src/suites/all.js";
import { referenceClientAdapterCommand } from "../src/mutants/client/index.js";
import { mutantRegistry } from "../src/registry/mutant-registry.js";
import { propertyRegistry } from "../src/registry/property-registry.js";
import type { ConformanceReport } from "../src/report/report-types.js";
import { loadCatalogue } from "../src/rules/catalogue.js";
import { matchesAnyGlob } from "../src/rules/rule-glob.js";
import { runConformance } from "../src/runner/run-conformance.js";
import { adapterCryptoProvider, mutantCryptoProvider, referenceCryptoProvider } from "../src/targets/crypto-providers.js";
import type { TargetProvider } from "../src/targets/target-types.js";

const catalogue = loadCatalogue();
const SEED = Number(process.env.FC_SEED ?? 20261126);
const ONLY = (process.env.KABAR_MUTANTS ?? "").split(",").filter((g) => g !== "");
const mutants = mutantRegistry.list("crypto").filter((m) => ONLY.length === 0 || matchesAnyGlob(m.id, ONLY));
const allRules = [...new Set(propertyRegistry.list("crypto").flatMap((p) => p.rules))].sort();
const referenceRules = ONLY.length === 0 ? allRules : [...new Set(mutants.flatMap((m) => m.breaks))].sort();

// Mutant runs need verdicts only: no shrinking (KABAR_SHRINK=1 turns it on to debug a survivor).
const SHRINK_MUTANTS = process.env.KABAR_SHRINK === "1";

async function runAgainst(provider: TargetProvider, rules: readonly string[], shrink = true): Promise<ConformanceReport> {
  try {
    return await runConformance({ provider, catalogue, seed: SEED, ruleGlobs: rules, shrink });
  } finally {
    await provider.close();
  }
}

const verdictOf = (report: ConformanceReport, id: string): string => report.rules.find((r) => r.id === id)?.verdict ?? "-";
const killed = (report: ConformanceReport, id: string): boolean => ["FAIL", "NON-STRICT"].includes(verdictOf(report, id));
const notPassing = (report: ConformanceReport): string[] =>
  report.rules.filter((r) => r.verdict !== "PASS").map((r) => `${r.id}: ${r.verdict} ${r.properties.map((p) => `${p.property}: ${p.message ?? ""}`).join(" | ")}`);

describe("crypto kill matrix", () => {
  it("the reference passes every crypto rule (in-process and through the client adapter) and every crypto mutant is caught", async () => {
    const started = Date.now();
    const reference = await runAgainst(referenceCryptoProvider(), referenceRules);
    expect(notPassing(reference)).toEqual([]);
    const rows = [];
    for (const mutant of mutants) rows.push({ id: mutant.id, breaks: mutant.breaks, report: await runAgainst(await mutantCryptoProvider(mutant.id), mutant.breaks, SHRINK_MUTANTS) });
    const rules = [...new Set(mutants.flatMap((m) => m.breaks))].sort();
    const short = (v: string): string => ({ PASS: ".", FAIL: "F", "NON-STRICT": "N", ERROR: "E", INFO: "i", "-": " " })[v] ?? "?";
    const header = `${"".padEnd(44)} ${rules.map((r) => r.replace(/^ENC-/, "").padEnd(13)).join(" ")}`;
    const line = (name: string, report: ConformanceReport, only?: readonly string[]) =>
      `${name.padEnd(44)} ${rules.map((id) => short(only === undefined || only.includes(id) ? verdictOf(report, id) : "-").padEnd(13)).join(" ")}`;
    console.log([`crypto kill matrix (seed ${SEED}; . pass, F FAIL, N NON-STRICT, E ERROR, blank not run) in ${((Date.now() - started) / 1000).toFixed(1)} s`, header, line("reference", reference), ...rows.map((r) => line(r.id, r.report, r.breaks))].join("\n"));
    const survivors = rows.flatMap((r) => r.breaks.filter((id) => !killed(r.report, id)).map((id) => `${r.id} survived ${id}: ${verdictOf(r.report, id)}`));
    expect(survivors).toEqual([]);
  }, 240_000);

  it("the reference client adapter passes every crypto rule through crypto_case", async () => {
    if (ONLY.length > 0) return;
    const report = await runAgainst(await adapterCryptoProvider(referenceClientAdapterCommand()), allRules);
    expect(report.rules.map((r) => r.id).sort()).toEqual(allRules);
    expect(notPassing(report)).toEqual([]);
  }, 240_000);
});
