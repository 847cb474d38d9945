// The rule catalogue against the spec, the property and mutant registries
// and the backlog. Fails when a spec rule is missing from the catalogue or
// vice versa, when a rule has no property or a MUST rule no mutant without
// a backlog entry, when a property or mutant names an unknown rule, and when
// a backlog entry is no longer needed (the backlog may only shrink).
import { describe, expect, it } from "vitest";
import "../src/suites/all.js";
import { loadBacklog, loadCatalogue } from "../src/rules/catalogue.js";
import { checkCatalogue } from "../src/rules/check-catalogue.js";
import { parseChapterRules, parseSpecRules } from "../src/rules/parse-spec-rules.js";
import { propertyRegistry } from "../src/registry/property-registry.js";
import { mutantRegistry } from "../src/registry/mutant-registry.js";

const specDir = new URL("../../docs/spec/", import.meta.url).pathname;

describe("rule catalogue", () => {
  it("matches docs/spec, the property and mutant registries and the backlog", () => {
    const { rules, problems } = parseSpecRules(specDir);
    const catalogue = loadCatalogue();
    const backlog = loadBacklog();
    const found = checkCatalogue({
      specRules: rules,
      specProblems: problems,
      catalogue,
      properties: propertyRegistry.list(),
      mutants: mutantRegistry.list(),
      backlog,
    });
    const active = catalogue.rules.filter((r) => r.withdrawn !== true);
    console.log(
      `catalogue: ${active.length} rules (${active.filter((r) => r.level === "MUST").length} MUST), ` +
        `${propertyRegistry.list().length} properties, ${mutantRegistry.list().length} mutants; ` +
        `backlog: ${backlog.withoutProperty.length} rules without property, ${backlog.withoutMutant.length} MUST rules without mutant`,
    );
    expect(found, found.join("\n")).toEqual([]);
  });

  it("every registered property and mutant has a unique id and a description", () => {
    for (const item of [...propertyRegistry.list(), ...mutantRegistry.list()]) {
      expect(item.id).toMatch(/^[a-z0-9]+(?:[.-][a-z0-9]+)+$/);
      expect(item.description.length).toBeGreaterThan(10);
    }
  });
});

describe("spec rule lines", () => {
  it("parses the conventions' format and reports near-misses", () => {
    const text = [
      "**WIRE-FRAME-002** (MUST, core): A receiver MUST reject big frames.",
      "- **SYNC-SEND-002** (SHOULD, groups): Listed rules count too.",
      "**WIRE-BAD-001** (MUST core): missing comma",
      "**WIRE-OLD-003** (withdrawn): replaced by WIRE-FRAME-002.",
      "```",
      "**WIRE-FENCED-001** (MUST, core): only an example",
      "```",
      "    **WIRE-INDENTED-001** (MUST, core): an indented example",
      "**WIRE-PROFILE-001** (MUST, chat): unknown profile",
    ].join("\n");
    const { rules, problems } = parseChapterRules("wire", text);
    expect(rules.map((r) => [r.id, r.level, r.profile, r.withdrawn ?? false])).toEqual([
      ["WIRE-FRAME-002", "MUST", "core", false],
      ["SYNC-SEND-002", "SHOULD", "groups", false],
      ["WIRE-OLD-003", "MUST", "core", true],
    ]);
    expect(rules[0]!.anchor).toBe("docs/spec/wire.md#wire-frame-002");
    expect(problems.map((p) => p.line)).toEqual([3, 9]);
  });
});

describe("catalogue checks", () => {
  const rule = (id: string, level: "MUST" | "SHOULD", properties: string[], mutants: string[]) => ({
    id, level, profile: "core" as const, chapter: "wire", anchor: `docs/spec/wire.md#${id.toLowerCase()}`, sentence: "s", properties, mutants,
  });
  const spec = [rule("A-B-001", "MUST", [], []), rule("A-B-002", "SHOULD", [], [])].map(({ properties: _p, mutants: _m, ...r }) => r);

  it("flags missing rules, unknown rule names, unlisted registrations and stale backlog entries", () => {
    const problems = checkCatalogue({
      specRules: spec,
      specProblems: [],
      catalogue: { catalogueVersion: 1, specVersion: "1", rules: [rule("A-B-001", "MUST", ["p.one"], []), rule("A-B-003", "MUST", [], [])] },
      properties: [{ id: "p.one", rules: ["A-B-001"] }, { id: "p.two", rules: ["A-B-009"] }],
      mutants: [],
      backlog: { withoutProperty: ["A-B-001"], withoutMutant: [] },
    });
    expect(problems.some((p) => p.startsWith("A-B-002 (docs/spec/wire.md#a-b-002) is in the spec but not in the catalogue"))).toBe(true);
    expect(problems).toContain("A-B-003 is in the catalogue but no longer in docs/spec; run `node conformance/scripts/sync-catalogue.mjs`");
    expect(problems).toContain("property p.two names unknown rule A-B-009");
    expect(problems).toContain("A-B-001 now has a property: remove it from backlog.json withoutProperty");
    expect(problems).toContain("MUST rule A-B-001 has no mutant and is not in backlog.json withoutMutant");
  });
});
