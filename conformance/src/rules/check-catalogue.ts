// Cross-checks spec, catalogue, property and mutant registries and backlog.
// Every inconsistency is one readable line; an empty list means consistent.
// Stale backlog entries are errors too, like protobuf's strict failure
// lists, so the backlog can only shrink as coverage grows.
import type { CatalogueBacklog, RuleCatalogue } from "./catalogue.js";
import type { SpecRuleProblem } from "./parse-spec-rules.js";
import type { SpecRule } from "./rule.js";

/** What {@link checkCatalogue} compares. */
export interface CatalogueCheckInput {
  /** Rules parsed from docs/spec. */
  readonly specRules: readonly SpecRule[];
  /** Malformed rule lines found while parsing. */
  readonly specProblems: readonly SpecRuleProblem[];
  /** The catalogue file. */
  readonly catalogue: RuleCatalogue;
  /** Registered properties: id and the rules each checks. */
  readonly properties: readonly { readonly id: string; readonly rules: readonly string[] }[];
  /** Registered mutants: id and the rules each breaks. */
  readonly mutants: readonly { readonly id: string; readonly breaks: readonly string[] }[];
  /** The coverage backlog. */
  readonly backlog: CatalogueBacklog;
}

const SYNC_HINT = "run `node conformance/scripts/sync-catalogue.mjs`";

/** Returns every inconsistency between spec, catalogue, registries and backlog. */
export function checkCatalogue(input: CatalogueCheckInput): string[] {
  const problems: string[] = input.specProblems.map((p) => `docs/spec/${p.chapter}.md:${p.line}: ${p.problem}`);
  const spec = new Map(input.specRules.map((r) => [r.id, r]));
  const catalogue = new Map(input.catalogue.rules.map((r) => [r.id, r]));

  for (const rule of input.specRules) {
    const entry = catalogue.get(rule.id);
    if (entry === undefined) {
      problems.push(`${rule.id} (${rule.anchor}) is in the spec but not in the catalogue; ${SYNC_HINT}`);
      continue;
    }
    for (const key of ["level", "profile", "chapter", "anchor", "sentence"] as const) {
      if (entry[key] !== rule[key]) problems.push(`${rule.id}: catalogue ${key} differs from the spec; ${SYNC_HINT}`);
    }
    if ((entry.withdrawn ?? false) !== (rule.withdrawn ?? false)) problems.push(`${rule.id}: withdrawn flag differs from the spec; ${SYNC_HINT}`);
  }
  for (const entry of input.catalogue.rules) {
    if (!spec.has(entry.id)) problems.push(`${entry.id} is in the catalogue but no longer in docs/spec; ${SYNC_HINT}`);
  }

  crossCheck(problems, catalogue, "property", input.properties.map((p) => ({ id: p.id, rules: p.rules })), (r) => r.properties);
  crossCheck(problems, catalogue, "mutant", input.mutants.map((m) => ({ id: m.id, rules: m.breaks })), (r) => r.mutants);

  const withoutProperty = new Set(input.backlog.withoutProperty);
  const withoutMutant = new Set(input.backlog.withoutMutant);
  for (const entry of input.catalogue.rules) {
    if (entry.withdrawn === true) continue;
    const needsProperty = entry.properties.length === 0;
    if (needsProperty && !withoutProperty.has(entry.id)) problems.push(`${entry.id} has no property and is not in backlog.json withoutProperty`);
    if (!needsProperty && withoutProperty.has(entry.id)) problems.push(`${entry.id} now has a property: remove it from backlog.json withoutProperty`);
    const needsMutant = entry.level === "MUST" && entry.mutants.length === 0;
    if (needsMutant && !withoutMutant.has(entry.id)) problems.push(`MUST rule ${entry.id} has no mutant and is not in backlog.json withoutMutant`);
    if (!needsMutant && withoutMutant.has(entry.id)) problems.push(`${entry.id} needs no mutant entry any more: remove it from backlog.json withoutMutant`);
  }
  for (const id of [...withoutProperty, ...withoutMutant]) {
    const entry = catalogue.get(id);
    if (entry === undefined || entry.withdrawn === true) problems.push(`backlog.json names ${id}, which is not an active catalogue rule: remove it`);
  }
  return problems;
}

function crossCheck(
  problems: string[],
  catalogue: ReadonlyMap<string, { readonly properties: readonly string[]; readonly mutants: readonly string[]; readonly withdrawn?: boolean }>,
  kind: "property" | "mutant",
  registered: readonly { id: string; rules: readonly string[] }[],
  listed: (rule: { readonly properties: readonly string[]; readonly mutants: readonly string[] }) => readonly string[],
): void {
  const byId = new Map(registered.map((r) => [r.id, r]));
  for (const item of registered) {
    if (item.rules.length === 0) problems.push(`${kind} ${item.id} names no rule`);
    for (const ruleId of item.rules) {
      const entry = catalogue.get(ruleId);
      if (entry === undefined) problems.push(`${kind} ${item.id} names unknown rule ${ruleId}`);
      else if (entry.withdrawn === true) problems.push(`${kind} ${item.id} names withdrawn rule ${ruleId}`);
      else if (!listed(entry).includes(item.id)) problems.push(`${ruleId}: catalogue does not list ${kind} ${item.id}, which is registered for it`);
    }
  }
  for (const [ruleId, entry] of catalogue) {
    for (const id of listed(entry)) {
      const item = byId.get(id);
      if (item === undefined) problems.push(`${ruleId}: catalogue lists ${kind} ${id}, which is not registered`);
      else if (!item.rules.includes(ruleId)) problems.push(`${ruleId}: catalogue lists ${kind} ${id}, which does not name this rule`);
    }
  }
}
