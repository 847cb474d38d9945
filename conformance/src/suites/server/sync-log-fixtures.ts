// Log fixtures: the two states of an account log that no client can reach
// over the wire in a test's lifetime, offered by targets that can set them
// up (the kit's in-process servers: see src/mutants/server/sync-mutants.ts).
// A log near seq 2^63-1 (SYNC-LOG-003) would take 2^63 appends; a log whose
// oldest updates are no longer kept (SYNC-DIFF-003) needs the server's
// retention to run, which no request triggers. Properties of those rules
// check what they can against any server and run the part that needs a
// fixture only where the target offers it, saying so in the transcript.
import type { ServerTarget } from "../../targets/target-types.js";

/** Puts an account log into a state the wire cannot reach quickly. */
export interface LogFixtures {
  /**
   * Makes the account's log stand at `seq` as if it had held `seq`
   * updates and every one of them were no longer kept (the log advanced
   * and retention dropped them): the next update gets `seq + 1`.
   */
  fastForward(accountId: Uint8Array, seq: bigint): Promise<void>;
  /** Retention: the account's log no longer keeps the updates with seq <= `upToSeq`. */
  trim(accountId: Uint8Array, upToSeq: bigint): Promise<void>;
}

/** A server target that offers log fixtures. */
export interface FixtureServerTarget extends ServerTarget {
  /** The fixtures, when the target can set them up. */
  readonly logFixtures?: LogFixtures;
}

/** The target's log fixtures, or undefined when it offers none (a server reached by URL, command or adapter). */
export function logFixturesOf(target: ServerTarget): LogFixtures | undefined {
  return (target as FixtureServerTarget).logFixtures;
}
