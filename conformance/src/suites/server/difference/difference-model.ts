// The model of one account log for the difference commands: the sequence
// numbers and client message ids the log must hold, in order.
import type { WireConnection } from "../../../wire-client/wire-connection.js";

/** One update the log must hold. */
export interface ModelUpdate {
  readonly seq: bigint;
  /** Hex of the client message id, or the update kind for non-messages. */
  readonly key: string;
}

/** What the kit knows the log holds. */
export interface DifferenceModel {
  updates: ModelUpdate[];
  /** The log's current seq. */
  seq: bigint;
  /** Advertised max_difference_limit. */
  readonly maxLimit: number;
  /** Messages sent so far (for fresh client message ids). */
  sent: number;
}

/** The real side: the sending device's connection and the conversation. */
export interface DifferenceReal {
  readonly connection: WireConnection;
  readonly conversationId: Uint8Array;
  readonly salt: number;
}
