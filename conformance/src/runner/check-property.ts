// Runs one property against a target with fast-check and turns the outcome
// into evidence: seed, path, replay path, the shrunk counterexample (commands
// listed one per line for model-based properties), the transcript of a
// replay of that counterexample, and a replay token.
import fc from "fast-check";
import { Transcript } from "../adapter/transcript.js";
import { isConformanceError } from "../errors.js";
import type { PropertyDefinition } from "../registry/property-registry.js";
import { isRuleViolation } from "../registry/rule-violation.js";
import type { PropertyEvidence } from "../report/report-types.js";
import type { TargetMode, TargetProvider } from "../targets/target-types.js";
import { encodeReplayToken, replayCommand, type ReplayToken } from "./replay-token.js";

/** How to check one property. */
export interface CheckPropertyOptions {
  /** The property's seed. */
  readonly seed: number;
  /** Runs; defaults to the property's own or 100. */
  readonly numRuns?: number;
  /** Replay exactly this counterexample path (no new cases, no shrinking). */
  readonly path?: string;
  /** Replay path for model-based properties. */
  readonly replayPath?: string;
  /** Program name in replay commands. */
  readonly program?: string;
  /** Stop generating new cases after this long (ms); default 60,000. */
  readonly timeLimitMs?: number;
  /**
   * Shrink a failure and replay the shrunk case (default true). False keeps
   * the first failing case as found: verdicts only, for kill-matrix runs
   * where only whether a rule fails matters.
   */
  readonly shrink?: boolean;
}

const REPLAY_PATH = /replayPath="([^"]*)"/;

/** Checks `property` against `provider`'s target. Never throws: harness faults become status "error". */
export async function checkProperty<M extends TargetMode>(
  property: PropertyDefinition<M>,
  provider: TargetProvider<M>,
  options: CheckPropertyOptions,
): Promise<PropertyEvidence> {
  const started = Date.now();
  const transcript = new Transcript();
  const base = { property: property.id, seed: options.seed };
  const numRuns = options.numRuns ?? property.numRuns ?? 100;
  let details: fc.RunDetails<unknown>;
  try {
    const target = await provider.acquire(transcript);
    const build = () => property.run({ target, profiles: provider.profiles, replayPath: options.replayPath, transcript });
    const limit = options.timeLimitMs ?? 60_000;
    if (options.path !== undefined) {
      details = await fc.check(build(), { seed: options.seed, numRuns, path: options.path, endOnFailure: true });
    } else {
      // Find the first failure without shrinking. When the adapter crashed,
      // hung or broke the framing, every shrink step would restart it for
      // the same verdict: keep that case as it is. Otherwise run again from
      // the same seed and let fast-check shrink.
      details = await fc.check(build(), { seed: options.seed, numRuns, endOnFailure: true, interruptAfterTimeLimit: limit });
      if (options.shrink !== false && details.failed && !isConformanceError(details.errorInstance, "ADAPTER_CRASHED", "ADAPTER_TIMEOUT", "ADAPTER_PROTOCOL")) {
        const shrunk = await fc.check(build(), { seed: options.seed, numRuns, interruptAfterTimeLimit: limit });
        if (shrunk.failed) details = shrunk;
      }
    }
  } catch (error) {
    // Acquiring the target failed: an adapter that dies during its
    // handshake is the implementation's failure, anything else the kit's.
    const failed = isConformanceError(error, "ADAPTER_CRASHED", "ADAPTER_TIMEOUT", "ADAPTER_PROTOCOL", "SERVER_START_FAILED");
    return { ...base, status: failed ? "failed" : "error", numRuns: 0, durationMs: Date.now() - started, message: messageOf(error), chargedRules: failed ? property.rules : undefined, transcript: transcript.snapshot() };
  }
  if (!details.failed) {
    return { ...base, status: "passed", numRuns: details.numRuns, durationMs: Date.now() - started, ...(details.interrupted ? { message: `stopped after ${details.numRuns} runs (time limit)` } : {}) };
  }

  const error = details.errorInstance;
  const harness = isConformanceError(error, "HARNESS");
  const charged = isRuleViolation(error) && property.rules.includes(error.rule)
    ? [error.rule, ...(error.alsoRules ?? []).filter((r) => r !== error.rule && property.rules.includes(r))]
    : [...property.rules];
  const printed = details.counterexample === null ? undefined : fc.stringify(details.counterexample);
  const replayPath = printed !== undefined ? REPLAY_PATH.exec(printed)?.[1] : undefined;
  const path = details.counterexamplePath ?? undefined;

  // Replay the shrunk counterexample alone, so the transcript shows exactly
  // the failing case (shrinking ran many others) and flakiness shows up.
  let reproduced: boolean | undefined;
  if (path !== undefined && options.shrink !== false) {
    transcript.clear();
    try {
      const target = await provider.acquire(transcript);
      const again = property.run({ target, profiles: provider.profiles, replayPath: replayPath ?? options.replayPath, transcript });
      reproduced = (await fc.check(again, { seed: options.seed, path, endOnFailure: true })).failed;
    } catch {
      reproduced = false;
    }
  }
  const token: ReplayToken = { rule: charged[0]!, property: property.id, seed: options.seed, path: path ?? "", ...(replayPath !== undefined ? { replayPath } : {}), target: provider.replayTarget };
  return {
    ...base,
    status: harness ? "error" : "failed",
    numRuns: details.numRuns,
    durationMs: Date.now() - started,
    ...(harness ? {} : { chargedRules: charged }),
    message: messageOf(error) + (reproduced === false ? " (the shrunk case did not fail again on replay: nondeterministic implementation?)" : ""),
    ...(path !== undefined ? { path } : {}),
    ...(replayPath !== undefined ? { replayPath } : {}),
    ...(printed !== undefined ? { counterexample: printed } : {}),
    ...(commandsOf(details.counterexample as readonly unknown[] | null) ?? {}),
    numShrinks: details.numShrinks,
    ...(reproduced !== undefined ? { reproduced } : {}),
    transcript: transcript.snapshot(),
    replayToken: encodeReplayToken(token),
    replayCommand: replayCommand(token, options.program),
  };
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0]!;
  return String(error);
}

/** The command list of a model-based counterexample: each command's toString. */
function commandsOf(counterexample: readonly unknown[] | null): { commands: string[] } | undefined {
  for (const value of counterexample ?? []) {
    if (typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && Symbol.iterator in value) {
      // fast-check wraps each command and flags the ones the failing run
      // executed; the rest were generated but never reached.
      const ran = [...(value as Iterable<{ hasRan?: boolean }>)].filter((c) => c.hasRan !== false);
      return { commands: ran.map(String) };
    }
  }
  return undefined;
}
