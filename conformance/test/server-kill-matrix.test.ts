// The server suite must catch every server mutant: run it against the
// reference server (a real process, so restart({crash:true}) is a kill -9)
// and require every covered rule to pass, then against each server mutant
// (the reference on a wrapped store, in-process) scoped to the rules the
// mutant breaks, and require those rules to fail. Prints the kill matrix.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import "../src/suites/all.js";
import { mutantRegistry } from "../src/registry/mutant-registry.js";
import { propertyRegistry } from "../src/registry/property-registry.js";
import type { ConformanceReport } from "../src/report/report-types.js";
import { loadCatalogue } from "../src/rules/catalogue.js";
import { matchesAnyGlob } from "../src/rules/rule-glob.js";
import { runConformance } from "../src/runner/run-conformance.js";
import { commandServerProvider, mutantServerProvider } from "../src/targets/server-providers.js";
import type { TargetProvider } from "../src/targets/target-types.js";

const catalogue = loadCatalogue();
const SEED = Number(process.env.FC_SEED ?? 20261126);
const PROFILES = ["core", "groups", "files", "payments"] as const;
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "kabar-server-suite-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// Mutant runs need verdicts only: no shrinking (KABAR_SHRINK=1 turns it on to debug a survivor).
const SHRINK_MUTANTS = process.env.KABAR_SHRINK === "1";

async function runAgainst(provider: TargetProvider, rules: readonly string[], shrink = true): Promise<ConformanceReport> {
  try {
    return await runConformance({ provider, catalogue, seed: SEED, ruleGlobs: rules, shrink });
  } finally {
    await provider.close();
  }
}

// KABAR_MUTANTS=<glob,glob> runs only the matching mutants, and the reference
// only on the rules they break (for working on one area).
const ONLY = (process.env.KABAR_MUTANTS ?? "").split(",").filter((g) => g !== "");
const selected = (id: string) => ONLY.length === 0 || matchesAnyGlob(id, ONLY);

const killed = (report: ConformanceReport, id: string) => ["FAIL", "NON-STRICT"].includes(report.rules.find((r) => r.id === id)?.verdict ?? "");

describe("server kill matrix", () => {
  it("the reference server passes every covered rule and every server mutant is caught", async () => {
    const mutants = mutantRegistry.list("server").filter((m) => selected(m.id));
    // FILES-UPLOAD-007 moves 256 MiB, more than an upload_ttl_seconds of 3 allows: server-memory.test.ts runs it.
    const covered = ONLY.length === 0 ? [...new Set(propertyRegistry.list("server").flatMap((p) => p.rules))].filter((id) => id !== "FILES-UPLOAD-007") : [...new Set(mutants.flatMap((m) => m.breaks))];
    const cli = join(repoRoot, "packages/server/src/cli.ts");
    const reference = await commandServerProvider({
      command: `"${process.execPath}" --conditions=@kabar/source --import tsx "${cli}" --port 0 --quiet --upload-ttl-seconds 3 --data "${dataDir}"`,
      profiles: PROFILES,
    });
    const referenceReport = await runAgainst(reference, covered);
    const notPassing = referenceReport.rules.filter((r) => r.verdict !== "PASS").map((r) => `${r.id}: ${r.verdict} ${r.properties.map((p) => `${p.property}: ${p.message ?? ""}`).join(" | ")}`);

    const rows: { name: string; report: ConformanceReport }[] = [];
    for (const mutant of mutants) rows.push({ name: mutant.id, report: await runAgainst(await mutantServerProvider(mutant.id, PROFILES), mutant.breaks, SHRINK_MUTANTS) });

    const rules = [...new Set(mutants.flatMap((m) => m.breaks))];
    const short = (v: string | undefined) => (v === undefined ? " " : ({ PASS: ".", FAIL: "F", "NON-STRICT": "N", ERROR: "E", INFO: "i" } as Record<string, string>)[v] ?? "?");
    const header = `${"".padEnd(40)} ${rules.map((r) => r.padEnd(18)).join(" ")}`;
    const line = (name: string, report: ConformanceReport, only?: readonly string[]) =>
      `${name.padEnd(40)} ${rules.map((id) => short(only === undefined || only.includes(id) ? report.rules.find((r) => r.id === id)?.verdict : undefined).padEnd(18)).join(" ")}`;
    console.log([`server kill matrix (seed ${SEED}; . pass, F FAIL, E ERROR, blank not run)`, header, line("reference", referenceReport), ...rows.map((r, i) => line(r.name, r.report, mutants[i]!.breaks))].join("\n"));

    expect(notPassing).toEqual([]);
    const survivors = mutants.flatMap((m, i) => m.breaks.filter((id) => !killed(rows[i]!.report, id)).map((id) => `${m.id} survived ${id}: ${rows[i]!.report.rules.find((r) => r.id === id)?.verdict}`));
    expect(survivors).toEqual([]);
  }, 480_000);
});
