// `replay TOKEN`: re-runs exactly one counterexample (seed, path, replay
// path) of one property against the target the token names and prints what
// happened, with the transcript.
import { ConformanceError } from "../errors.js";
import { propertyRegistry } from "../registry/property-registry.js";
import type { PropertyEvidence } from "../report/report-types.js";
import { checkProperty } from "../runner/check-property.js";
import { decodeReplayToken } from "../runner/replay-token.js";
import type { Profile } from "../rules/rule.js";
import { providerForReplayTarget } from "./make-provider.js";

/** Replays `token`; resolves with the evidence (status "failed" when the failure reproduced). */
export async function replay(token: string, options: { restartCmd?: string; timeoutMs?: number; profiles?: readonly Profile[] } = {}): Promise<PropertyEvidence> {
  const decoded = decodeReplayToken(token);
  const property = propertyRegistry.get(decoded.property);
  if (property === undefined) throw new ConformanceError("REPLAY_TOKEN_INVALID", `this kit version has no property ${decoded.property}`);
  const provider = await providerForReplayTarget(decoded.target, options);
  try {
    if (provider.mode !== property.mode) throw new ConformanceError("REPLAY_TOKEN_INVALID", `property ${property.id} is a ${property.mode} property, the target is ${provider.mode}`);
    return await checkProperty(property, provider, {
      seed: decoded.seed,
      ...(decoded.path !== "" ? { path: decoded.path } : {}),
      ...(decoded.replayPath !== undefined ? { replayPath: decoded.replayPath } : {}),
    });
  } finally {
    await provider.close();
  }
}

/** Human-readable text of a replay result. */
export function formatReplay(token: string, evidence: PropertyEvidence): string {
  const decoded = decodeReplayToken(token);
  const lines = [`replay ${decoded.rule} / ${decoded.property} on ${decoded.target} (seed ${decoded.seed}, path ${decoded.path || "-"}${decoded.replayPath ? `, replayPath ${decoded.replayPath}` : ""})`];
  lines.push(evidence.status === "failed" ? `FAILS: ${evidence.message}` : evidence.status === "passed" ? "passes now: the failure did not reproduce" : `${evidence.status.toUpperCase()}: ${evidence.message ?? ""}`);
  if (evidence.commands) lines.push("commands:", ...evidence.commands.map((c) => `  ${c}`));
  else if (evidence.counterexample) lines.push(`counterexample: ${evidence.counterexample}`);
  for (const entry of evidence.transcript ?? []) lines.push(`${String(entry.atMs).padStart(6)} ms ${entry.channel.padEnd(9)} ${typeof entry.data === "string" ? entry.data.trimEnd() : JSON.stringify(entry.data)}`);
  return `${lines.join("\n")}\n`;
}
