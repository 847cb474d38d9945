// Writes the properties and mutants fields of catalogue/rules.json from the
// property and mutant registries, so suite authors do not copy ids by hand.
// Run it after registering properties or mutants, then
// `node conformance/scripts/sync-catalogue.mjs --prune` to shrink the backlog:
//
//   node --conditions=@kabar/source --import tsx conformance/scripts/fill-coverage-from-registry.ts
//
// test/catalogue.test.ts checks the result either way.
import { readFileSync, writeFileSync } from "node:fs";
import "../src/suites/all.js";
import { mutantRegistry } from "../src/registry/mutant-registry.js";
import { propertyRegistry } from "../src/registry/property-registry.js";

const path = new URL("../catalogue/rules.json", import.meta.url);
const catalogue = JSON.parse(readFileSync(path, "utf8")) as { rules: { id: string; properties: string[]; mutants: string[] }[] };
let changed = 0;
for (const rule of catalogue.rules) {
  const properties = propertyRegistry.list().filter((p) => p.rules.includes(rule.id)).map((p) => p.id);
  const mutants = mutantRegistry.list().filter((m) => m.breaks.includes(rule.id)).map((m) => m.id);
  if (JSON.stringify([properties, mutants]) !== JSON.stringify([rule.properties, rule.mutants])) changed++;
  rule.properties = properties;
  rule.mutants = mutants;
}
writeFileSync(path, `${JSON.stringify(catalogue, null, 2)}\n`);
console.log(`catalogue: coverage of ${changed} rule(s) updated from ${propertyRegistry.list().length} properties and ${mutantRegistry.list().length} mutants`);
