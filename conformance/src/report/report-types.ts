// The JSON report: the source of truth every other format is rendered from.
// Versioned by REPORT_VERSION; fields are only added within a version.
import type { TranscriptEntry } from "../adapter/transcript.js";
import type { ImplementationIdentity } from "../adapter/handshake.js";
import type { Level, Profile, SpecRule } from "../rules/rule.js";
import type { TargetMode } from "../targets/target-types.js";
import type { Verdict } from "../runner/verdict.js";

/** What one property run found. */
export interface PropertyEvidence {
  /** Property id. */
  readonly property: string;
  /** passed; failed (charged to `chargedRules`); error (harness fault); skipped (profile not declared). */
  readonly status: "passed" | "failed" | "error" | "skipped";
  /** The property's seed. */
  readonly seed: number;
  /** Runs performed (fast-check numRuns). */
  readonly numRuns: number;
  /** Wall time in milliseconds. */
  readonly durationMs: number;
  /** Rules a failure is charged to. */
  readonly chargedRules?: readonly string[];
  /** What went wrong, one line. */
  readonly message?: string;
  /** fast-check counterexample path. */
  readonly path?: string;
  /** fast-check replay path of a command sequence. */
  readonly replayPath?: string;
  /** The shrunk counterexample, printed. */
  readonly counterexample?: string;
  /** The shrunk command sequence of a model-based property, one command per entry. */
  readonly commands?: readonly string[];
  /** Shrink steps taken. */
  readonly numShrinks?: number;
  /** Whether replaying the shrunk counterexample failed again (false suggests a flaky implementation). */
  readonly reproduced?: boolean;
  /** The exchange of the replayed counterexample. */
  readonly transcript?: readonly TranscriptEntry[];
  /** The replay token. */
  readonly replayToken?: string;
  /** The one-line replay command. */
  readonly replayCommand?: string;
}

/** The verdict on one rule, with its evidence. */
export interface RuleResult extends Pick<SpecRule, "id" | "level" | "profile" | "chapter" | "anchor" | "sentence"> {
  /** The final verdict. */
  readonly verdict: Verdict;
  /** The verdict before the expected-failures file was applied, when it changed it. */
  readonly rawVerdict?: Verdict;
  /** The expected-failures entry that lists the rule. */
  readonly expectedFailure?: { readonly pattern: string; readonly reason: string; readonly line: number };
  /** Why the verdict is what it is, when not obvious (SKIP, NOT-COVERED). */
  readonly note?: string;
  /** Evidence of every property of the rule. */
  readonly properties: readonly PropertyEvidence[];
}

/** Counts per verdict. */
export type VerdictCounts = Readonly<Record<Verdict, number>>;

/** The JSON report. */
export interface ConformanceReport {
  /** Schema version of this document. */
  readonly reportVersion: number;
  /** The kit that produced it. */
  readonly kit: { readonly name: string; readonly version: string };
  /** The spec version of the rule catalogue. */
  readonly specVersion: string;
  /** SHA-256 of the catalogue the run used (its JSON), so a report names the exact rule set. */
  readonly catalogueSha256: string;
  /** What was certified. */
  readonly mode: TargetMode;
  /** How the target was reached (a replay-token target string). */
  readonly target: string;
  /** Identity from the adapter's Describe, when there is an adapter. */
  readonly implementation: ImplementationIdentity | null;
  /** Profiles the run treated as declared. */
  readonly profiles: readonly Profile[];
  /** The run's options. */
  readonly options: {
    readonly strict: boolean;
    readonly numRuns: number | null;
    readonly ruleGlobs: readonly string[];
    readonly expectedFailuresFile: string | null;
  };
  /** The run seed; property seeds derive from it. */
  readonly seed: number;
  /** ISO timestamps. */
  readonly startedAt: string;
  /** ISO timestamps. */
  readonly finishedAt: string;
  /** Totals and the outcome. */
  readonly summary: {
    readonly total: number;
    readonly counts: VerdictCounts;
    readonly byLevel: Readonly<Record<Level, VerdictCounts>>;
    /** True when the run fails (non-zero exit). */
    readonly failed: boolean;
    /** Why it fails, one line each. */
    readonly failureReasons: readonly string[];
    /** True when no selected rule was NOT-COVERED: the kit checked everything it was asked to. */
    readonly complete: boolean;
  };
  /** Expected-failures entries that matched no rule (they fail the run). */
  readonly staleExpectedFailures: readonly { readonly pattern: string; readonly reason: string; readonly line: number }[];
  /** Per-rule results, in catalogue order. */
  readonly rules: readonly RuleResult[];
}
