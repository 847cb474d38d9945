// The runner core: selects rules, runs each rule's properties once against
// the target, derives a verdict per rule from its level and profile, applies
// the expected-failures file and returns the JSON report.
import { createHash } from "node:crypto";
import type { ExpectedFailures } from "../expected-failures/expected-failures.js";
import { resolveExpectedFailures } from "../expected-failures/expected-failures.js";
import { propertyRegistry, type PropertyDefinition } from "../registry/property-registry.js";
import type { ConformanceReport, PropertyEvidence, RuleResult, VerdictCounts } from "../report/report-types.js";
import type { RuleCatalogue } from "../rules/catalogue.js";
import type { CatalogueRule, Level } from "../rules/rule.js";
import { matchesAnyGlob } from "../rules/rule-glob.js";
import type { TargetMode, TargetProvider } from "../targets/target-types.js";
import { KIT_NAME, KIT_VERSION, REPORT_VERSION } from "../version.js";
import { checkProperty } from "./check-property.js";
import { deriveSeed, freshSeed } from "./derive-seed.js";
import { VERDICTS, brokenVerdict, isFailing, type Verdict } from "./verdict.js";

/** Options of {@link runConformance}. */
export interface RunConformanceOptions<M extends TargetMode> {
  /** Supplies the implementation under test. */
  readonly provider: TargetProvider<M>;
  /** The rule catalogue. */
  readonly catalogue: RuleCatalogue;
  /** Properties to use; default: every registered property of the provider's mode. */
  readonly properties?: readonly PropertyDefinition[];
  /** Run seed; default fresh. */
  readonly seed?: number;
  /** Runs per property; default each property's own (100). */
  readonly numRuns?: number;
  /** Only rules matching one of these globs; empty means all. */
  readonly ruleGlobs?: readonly string[];
  /** Count NON-STRICT as failure. */
  readonly strict?: boolean;
  /** The implementation's expected failures. */
  readonly expectedFailures?: ExpectedFailures;
  /** Program name used in replay commands. */
  readonly program?: string;
  /** Shrink failures and replay the shrunk case (default true); false gives verdicts only, faster (kill matrices). */
  readonly shrink?: boolean;
  /** Called before the first rule with the number of rules selected. */
  readonly onStart?: (total: number) => void;
  /** Called after each rule, for progress display. */
  readonly onRule?: (result: RuleResult, index: number, total: number) => void;
}

/** Runs the selected rules against the provider's target and returns the report. */
export async function runConformance<M extends TargetMode>(options: RunConformanceOptions<M>): Promise<ConformanceReport> {
  const { provider, catalogue } = options;
  const startedAt = new Date().toISOString();
  const seed = options.seed ?? freshSeed();
  const strict = options.strict ?? false;
  const globs = options.ruleGlobs ?? [];
  const properties = (options.properties ?? propertyRegistry.list(provider.mode)).filter((p) => p.mode === provider.mode);
  const expected = options.expectedFailures !== undefined ? resolveExpectedFailures(options.expectedFailures, catalogue.rules.map((r) => r.id)) : undefined;
  const selected = catalogue.rules.filter((r) => r.withdrawn !== true && matchesAnyGlob(r.id, globs));
  const evidenceCache = new Map<string, Promise<PropertyEvidence>>();
  options.onStart?.(selected.length);

  const results: RuleResult[] = [];
  for (const [index, rule] of selected.entries()) {
    const raw = await judgeRule(rule, properties, provider, evidenceCache, { seed, numRuns: options.numRuns, program: options.program, shrink: options.shrink });
    const entry = expected?.byRule.get(rule.id);
    let result: RuleResult = raw;
    if (entry !== undefined) {
      const listed = { pattern: entry.pattern, reason: entry.reason, line: entry.line };
      if (raw.verdict === "FAIL" || raw.verdict === "NON-STRICT" || raw.verdict === "INFO") result = { ...raw, verdict: "XFAIL", rawVerdict: raw.verdict, expectedFailure: listed };
      else if (raw.verdict === "PASS") result = { ...raw, verdict: "XPASS", rawVerdict: raw.verdict, expectedFailure: listed, note: `listed in ${options.expectedFailures!.file}:${entry.line} but passed: remove the entry` };
      else result = { ...raw, expectedFailure: listed };
    }
    results.push(result);
    options.onRule?.(result, index, selected.length);
  }

  const counts = countVerdicts(results);
  const byLevel = Object.fromEntries((["MUST", "SHOULD", "MAY"] as Level[]).map((level) => [level, countVerdicts(results.filter((r) => r.level === level))])) as Record<Level, VerdictCounts>;
  const failureReasons: string[] = [];
  for (const verdict of VERDICTS) {
    if (counts[verdict] > 0 && isFailing(verdict, strict)) failureReasons.push(`${counts[verdict]} rule(s) ${verdict}`);
  }
  const stale = expected?.stale ?? [];
  if (stale.length > 0) failureReasons.push(`${stale.length} expected-failures entr${stale.length === 1 ? "y matches" : "ies match"} no rule: ${stale.map((s) => s.pattern).join(", ")}`);
  return {
    reportVersion: REPORT_VERSION,
    kit: { name: KIT_NAME, version: KIT_VERSION },
    specVersion: catalogue.specVersion,
    catalogueSha256: createHash("sha256").update(JSON.stringify(catalogue)).digest("hex"),
    mode: provider.mode,
    target: provider.replayTarget,
    implementation: provider.identity,
    profiles: provider.profiles,
    options: { strict, numRuns: options.numRuns ?? null, ruleGlobs: globs, expectedFailuresFile: options.expectedFailures?.file ?? null },
    seed,
    startedAt,
    finishedAt: new Date().toISOString(),
    summary: { total: results.length, counts, byLevel, failed: failureReasons.length > 0, failureReasons, complete: counts["NOT-COVERED"] === 0 },
    staleExpectedFailures: stale.map((s) => ({ pattern: s.pattern, reason: s.reason, line: s.line })),
    rules: results,
  };
}

async function judgeRule<M extends TargetMode>(
  rule: CatalogueRule,
  properties: readonly PropertyDefinition[],
  provider: TargetProvider<M>,
  cache: Map<string, Promise<PropertyEvidence>>,
  settings: { seed: number; numRuns: number | undefined; program: string | undefined; shrink: boolean | undefined },
): Promise<RuleResult> {
  const base = { id: rule.id, level: rule.level, profile: rule.profile, chapter: rule.chapter, anchor: rule.anchor, sentence: rule.sentence };
  if (!provider.profiles.includes(rule.profile)) {
    const declared = provider.identity?.profiles.includes(rule.profile) === true;
    return { ...base, verdict: "SKIP", note: declared ? `profile ${rule.profile} was not selected with --profile` : `profile ${rule.profile} is not declared`, properties: [] };
  }
  const mine = properties.filter((p) => p.rules.includes(rule.id));
  if (mine.length === 0) {
    const elsewhere = [...new Set(propertyRegistry.list().filter((p) => p.rules.includes(rule.id)).map((p) => p.mode))];
    const hint = elsewhere.length > 0 ? ` (checked in ${elsewhere.join(" and ")} mode)` : "";
    return { ...base, verdict: "NOT-COVERED", note: `no ${provider.mode}-mode property of this kit version checks this rule${hint}`, properties: [] };
  }
  const evidence: PropertyEvidence[] = [];
  for (const property of mine) {
    if (!provider.profiles.includes(property.profile)) {
      evidence.push({ property: property.id, status: "skipped", seed: 0, numRuns: 0, durationMs: 0, message: `needs undeclared profile ${property.profile}` });
      continue;
    }
    let pending = cache.get(property.id);
    if (pending === undefined) {
      pending = checkProperty(property as PropertyDefinition<M>, provider, { seed: deriveSeed(settings.seed, property.id), numRuns: settings.numRuns, program: settings.program, ...(settings.shrink !== undefined ? { shrink: settings.shrink } : {}) });
      cache.set(property.id, pending);
    }
    evidence.push(await pending);
  }
  return { ...base, verdict: verdictOf(rule, evidence), ...(evidence.every((e) => e.status === "skipped") ? { note: "every property of this rule needs an undeclared profile" } : {}), properties: evidence };
}

function verdictOf(rule: CatalogueRule, evidence: readonly PropertyEvidence[]): Verdict {
  if (evidence.some((e) => e.status === "failed" && e.chargedRules?.includes(rule.id))) return brokenVerdict(rule.level);
  if (evidence.some((e) => e.status === "error")) return "ERROR";
  if (evidence.every((e) => e.status === "skipped")) return "NOT-COVERED";
  return "PASS";
}

function countVerdicts(results: readonly RuleResult[]): VerdictCounts {
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const r of results) counts[r.verdict]++;
  return counts;
}
