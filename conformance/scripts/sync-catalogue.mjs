#!/usr/bin/env node
// (Re)derives the rule catalogue from docs/spec: id, level, profile, chapter,
// anchor and sentence of every rule line, keeping the hand-maintained
// fields (properties, mutants, specVersion). New rules without a property
// (or, for MUST rules, without a mutant) are added to the backlog so the
// gap is listed and counted; rules gone from the spec leave both files.
//
//   node conformance/scripts/sync-catalogue.mjs           rewrite the files
//   node conformance/scripts/sync-catalogue.mjs --check   exit 1 if they are out of date
//   node conformance/scripts/sync-catalogue.mjs --prune   also drop backlog entries now covered
//
// The parser is the kit's own (src/rules/parse-spec-rules.ts), loaded
// through tsx so there is one definition of the rule-line format.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tsImport } from "tsx/esm/api";

const here = new URL(".", import.meta.url);
const specDir = new URL("../../docs/spec/", here).pathname;
const cataloguePath = new URL("../catalogue/rules.json", here).pathname;
const backlogPath = new URL("../catalogue/backlog.json", here).pathname;
const check = process.argv.includes("--check");
const prune = process.argv.includes("--prune");

const { parseSpecRules } = await tsImport("../src/rules/parse-spec-rules.ts", import.meta.url);
const { rules, problems } = parseSpecRules(specDir);
for (const p of problems) console.error(`docs/spec/${p.chapter}.md:${p.line}: ${p.problem}`);
if (problems.length > 0) process.exit(1);

const old = existsSync(cataloguePath) ? JSON.parse(readFileSync(cataloguePath, "utf8")) : { catalogueVersion: 1, specVersion: "1", rules: [] };
const oldById = new Map(old.rules.map((r) => [r.id, r]));
const next = {
  catalogueVersion: 1,
  specVersion: old.specVersion,
  rules: rules.map((r) => {
    const kept = oldById.get(r.id);
    return { ...r, properties: kept?.properties ?? [], mutants: kept?.mutants ?? [] };
  }),
};

const backlog = existsSync(backlogPath) ? JSON.parse(readFileSync(backlogPath, "utf8")) : { withoutProperty: [], withoutMutant: [] };
const active = next.rules.filter((r) => r.withdrawn !== true);
const activeIds = new Set(active.map((r) => r.id));
const needsProperty = new Set(active.filter((r) => r.properties.length === 0).map((r) => r.id));
const needsMutant = new Set(active.filter((r) => r.level === "MUST" && r.mutants.length === 0).map((r) => r.id));
const order = new Map(next.rules.map((r, i) => [r.id, i]));
const rebuild = (list, needed, label) => {
  const kept = list.filter((id) => activeIds.has(id) && (needed.has(id) || !prune));
  for (const id of list) if (activeIds.has(id) && !needed.has(id)) console.log(`${label}: ${id} is covered now${prune ? ", removed" : "; remove it (or run with --prune)"}`);
  for (const id of needed) if (!kept.includes(id)) {
    kept.push(id);
    console.log(`${label}: added new rule ${id}`);
  }
  return kept.sort((a, b) => order.get(a) - order.get(b));
};
const nextBacklog = {
  note: "Rules without a property, and MUST rules without a mutant. This list may only shrink: catalogue.test.ts fails on entries that are no longer needed.",
  withoutProperty: rebuild(backlog.withoutProperty, needsProperty, "withoutProperty"),
  withoutMutant: rebuild(backlog.withoutMutant, needsMutant, "withoutMutant"),
};

const catalogueText = `${JSON.stringify(next, null, 2)}\n`;
const backlogText = `${JSON.stringify(nextBacklog, null, 2)}\n`;
const changed = [
  [cataloguePath, catalogueText],
  [backlogPath, backlogText],
].filter(([path, text]) => !existsSync(path) || readFileSync(path, "utf8") !== text);
for (const id of oldById.keys()) if (!order.has(id)) console.log(`catalogue: removed ${id} (no longer in docs/spec)`);
if (check) {
  if (changed.length > 0) {
    console.error(`out of date: ${changed.map(([p]) => p).join(", ")}; run node conformance/scripts/sync-catalogue.mjs`);
    process.exit(1);
  }
  console.log(`catalogue up to date: ${next.rules.length} rules`);
} else {
  for (const [path, text] of changed) writeFileSync(path, text);
  console.log(`catalogue: ${next.rules.length} rules; backlog: ${nextBacklog.withoutProperty.length} without property, ${nextBacklog.withoutMutant.length} without mutant`);
}
