// Verdicts and how a rule's level turns a broken rule into one.
import type { Level } from "../rules/rule.js";

/**
 * The verdict on one rule.
 * - PASS: every property held.
 * - FAIL: a MUST rule is broken.
 * - NON-STRICT: a SHOULD rule is broken; a failure only with --strict.
 * - INFO: a MAY rule's property failed; informational, never a failure.
 * - SKIP: the rule's profile is not declared; nothing ran.
 * - ERROR: the kit itself failed (harness fault), kept apart from FAIL.
 * - NOT-COVERED: no property of this kit version checks the rule in this mode.
 * - XFAIL: broken, and listed in the expected-failures file.
 * - XPASS: listed in the expected-failures file but passed; a failure.
 */
export type Verdict = "PASS" | "FAIL" | "NON-STRICT" | "INFO" | "SKIP" | "ERROR" | "NOT-COVERED" | "XFAIL" | "XPASS";

/** Every verdict, in report order. */
export const VERDICTS: readonly Verdict[] = ["FAIL", "XPASS", "ERROR", "NON-STRICT", "XFAIL", "INFO", "NOT-COVERED", "SKIP", "PASS"];

/** The verdict of a broken rule of `level`. */
export function brokenVerdict(level: Level): Verdict {
  return level === "MUST" ? "FAIL" : level === "SHOULD" ? "NON-STRICT" : "INFO";
}

/** True when `verdict` makes the run fail. */
export function isFailing(verdict: Verdict, strict: boolean): boolean {
  return verdict === "FAIL" || verdict === "ERROR" || verdict === "XPASS" || (strict && verdict === "NON-STRICT");
}
