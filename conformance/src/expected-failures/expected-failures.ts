// The implementer's expected-failures file, kept in their repository: one
// `RULE-ID  # issue link or reason` per line, `*` and `?` wildcards allowed.
// It is strict in both directions, because lists that are not go stale: a
// listed rule that passes fails the run (XPASS), an entry that matches no
// rule fails the run, and a wildcard covering more than 20 rules is refused.
import { readFileSync } from "node:fs";
import { ConformanceError } from "../errors.js";
import { compileRuleGlob, isWildcard } from "../rules/rule-glob.js";

/** Most rules one wildcard entry may match. */
export const MAX_WILDCARD_MATCHES = 20;

/** One entry of the file. */
export interface ExpectedFailureEntry {
  /** A rule id or glob. */
  readonly pattern: string;
  /** The issue link or reason after `#`. */
  readonly reason: string;
  /** 1-based line number. */
  readonly line: number;
}

/** A parsed expected-failures file. */
export interface ExpectedFailures {
  /** Where it was read from. */
  readonly file: string;
  /** Its entries in file order. */
  readonly entries: readonly ExpectedFailureEntry[];
}

/** An entry resolved against the catalogue. */
export interface ResolvedExpectedFailures {
  /** The entry covering each listed rule id (the first one when several match). */
  readonly byRule: ReadonlyMap<string, ExpectedFailureEntry>;
  /** Entries that match no rule of the catalogue. */
  readonly stale: readonly ExpectedFailureEntry[];
}

const PATTERN = /^[A-Z0-9*?]+(?:-[A-Z0-9*?]+)*$/;

/** Parses the file's text; throws EXPECTED_FAILURES_INVALID naming the line. */
export function parseExpectedFailures(text: string, file = "<expected-failures>"): ExpectedFailures {
  const entries: ExpectedFailureEntry[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const hash = trimmed.indexOf("#");
    const pattern = (hash < 0 ? trimmed : trimmed.slice(0, hash)).trim();
    const reason = hash < 0 ? "" : trimmed.slice(hash + 1).trim();
    if (!PATTERN.test(pattern)) throw new ConformanceError("EXPECTED_FAILURES_INVALID", `${file}:${line}: "${pattern}" is not a rule id or glob`);
    // An entry without a reason is how lists rot: require the issue link.
    if (reason === "") throw new ConformanceError("EXPECTED_FAILURES_INVALID", `${file}:${line}: ${pattern} needs "# issue link or reason"`);
    entries.push({ pattern, reason, line });
  });
  return { file, entries };
}

/** Reads and parses an expected-failures file. */
export function loadExpectedFailures(path: string): ExpectedFailures {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new ConformanceError("EXPECTED_FAILURES_INVALID", `cannot read expected-failures file ${path}`, { cause });
  }
  return parseExpectedFailures(text, path);
}

/** Matches entries against catalogue rule ids; throws EXPECTED_FAILURES_INVALID for an over-broad wildcard. */
export function resolveExpectedFailures(expected: ExpectedFailures, ruleIds: readonly string[]): ResolvedExpectedFailures {
  const byRule = new Map<string, ExpectedFailureEntry>();
  const stale: ExpectedFailureEntry[] = [];
  for (const entry of expected.entries) {
    const glob = compileRuleGlob(entry.pattern);
    const matched = ruleIds.filter((id) => glob.test(id));
    if (isWildcard(entry.pattern) && matched.length > MAX_WILDCARD_MATCHES) {
      throw new ConformanceError("EXPECTED_FAILURES_INVALID", `${expected.file}:${entry.line}: ${entry.pattern} matches ${matched.length} rules, more than ${MAX_WILDCARD_MATCHES}; list them instead`);
    }
    if (matched.length === 0) stale.push(entry);
    for (const id of matched) if (!byRule.has(id)) byRule.set(id, entry);
  }
  return { byRule, stale };
}
