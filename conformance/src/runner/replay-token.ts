// Replay tokens: everything needed to re-run one failing case, in one
// copy-pasteable argument: base64url of JSON {rule, property, seed, path,
// replayPath, target}. `kabar-conformance replay <token>` decodes it.
import { ConformanceError } from "../errors.js";

/** The content of a replay token. */
export interface ReplayToken {
  /** The rule the failure was charged to. */
  readonly rule: string;
  /** The property that failed. */
  readonly property: string;
  /** The property's seed. */
  readonly seed: number;
  /** fast-check's counterexample path. */
  readonly path: string;
  /** fast-check's replay path of a command sequence, when model-based. */
  readonly replayPath?: string;
  /**
   * How to reach the target again: `codec:reference`, `codec:mutant:<id>`,
   * `codec:adapter:<command>`, `crypto:reference`, `crypto:mutant:<id>`, `crypto:adapter:<command>`, `client:<command>`, `server:url:<url>`,
   * `server:cmd:<command>` or `server:adapter:<command>`.
   */
  readonly target: string;
}

/** Encodes a token. */
export function encodeReplayToken(token: ReplayToken): string {
  return Buffer.from(JSON.stringify(token), "utf8").toString("base64url");
}

/** Decodes and checks a token; throws REPLAY_TOKEN_INVALID. */
export function decodeReplayToken(text: string): ReplayToken {
  let data: Partial<ReplayToken>;
  try {
    data = JSON.parse(Buffer.from(text.trim(), "base64url").toString("utf8")) as Partial<ReplayToken>;
  } catch (cause) {
    throw new ConformanceError("REPLAY_TOKEN_INVALID", "the replay token is not base64url-encoded JSON", { cause });
  }
  const ok =
    typeof data === "object" && data !== null &&
    typeof data.rule === "string" && typeof data.property === "string" && Number.isInteger(data.seed) &&
    typeof data.path === "string" && typeof data.target === "string" &&
    (data.replayPath === undefined || typeof data.replayPath === "string");
  if (!ok) throw new ConformanceError("REPLAY_TOKEN_INVALID", "the replay token lacks rule, property, seed, path or target");
  return data as ReplayToken;
}

/** The one-line command that replays `token`. */
export function replayCommand(token: ReplayToken, program = "kabar-conformance"): string {
  return `${program} replay ${encodeReplayToken(token)}`;
}
