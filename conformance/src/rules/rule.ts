// The vocabulary of the rule catalogue: requirement levels, profiles and one
// catalogue entry per spec rule.

/** RFC 2119 level of a rule: the strongest requirement word in its sentence. */
export type Level = "MUST" | "SHOULD" | "MAY";

/** Every profile, in the order the spec lists them. */
export const PROFILES = ["core", "groups", "files", "history", "payments"] as const;

/** An optional part of the protocol an implementation declares. */
export type Profile = (typeof PROFILES)[number];

/** Narrows a string to a {@link Profile}. */
export function isProfile(value: string): value is Profile {
  return (PROFILES as readonly string[]).includes(value);
}

/** The shape of a rule id: `WIRE-DECODE-006`, `SYNC-SEND-002`. */
export const RULE_ID_PATTERN = /^[A-Z]+(?:-[A-Z0-9]+)*-\d{3}$/;

/** One rule as the spec states it. */
export interface SpecRule {
  /** Stable id, for example `WIRE-DECODE-006`. */
  readonly id: string;
  /** Requirement level. */
  readonly level: Level;
  /** The profile the rule belongs to. */
  readonly profile: Profile;
  /** Spec chapter file name without `.md`, for example `wire`. */
  readonly chapter: string;
  /** Repository-relative anchor, `docs/spec/<chapter>.md#<lower-cased id>`. */
  readonly anchor: string;
  /** The normative sentence, as written. */
  readonly sentence: string;
  /** True when the spec marks the rule withdrawn: kept for old reports, never checked. */
  readonly withdrawn?: boolean;
}

/** One catalogue entry: the spec rule plus the hand-maintained coverage fields. */
export interface CatalogueRule extends SpecRule {
  /** Ids of the registered properties that check the rule. */
  readonly properties: readonly string[];
  /** Ids of the registered mutants that break the rule. */
  readonly mutants: readonly string[];
}

/** The anchor of a rule in the repository. */
export function ruleAnchor(chapter: string, id: string): string {
  return `docs/spec/${chapter}.md#${id.toLowerCase()}`;
}
