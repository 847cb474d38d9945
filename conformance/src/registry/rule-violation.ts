// Thrown inside a property to charge a failure to one specific rule when the
// property checks several; any other failure is charged to all of them.

const BRAND = "KabarRuleViolation";

/** A property found rule `rule` broken. */
export class RuleViolation extends Error {
  /** The rule broken. */
  readonly rule: string;
  /** Brand checked by {@link isRuleViolation}. */
  readonly ruleViolationBrand = BRAND;

  /** Further rules the same finding breaks (rules of other chapters that say the same). */
  readonly alsoRules: readonly string[];

  constructor(rule: string, message: string, alsoRules: readonly string[] = []) {
    super(`${[rule, ...alsoRules].join(", ")}: ${message}`);
    this.name = "RuleViolation";
    this.rule = rule;
    this.alsoRules = alsoRules;
  }
}

/** Narrows to a {@link RuleViolation}. */
export function isRuleViolation(value: unknown): value is RuleViolation {
  return typeof value === "object" && value !== null && (value as Partial<RuleViolation>).ruleViolationBrand === BRAND;
}

/** Throws a {@link RuleViolation} unless `condition` holds. */
export function expectRule(rule: string, condition: boolean, message: string): asserts condition {
  if (!condition) throw new RuleViolation(rule, message);
}
