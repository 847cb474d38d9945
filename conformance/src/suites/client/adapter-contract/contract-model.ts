// The model and real system of the adapter-contract properties: what the kit
// knows the adapter should hold, and the adapter itself.
import type { AdapterDescribeResponse } from "@kabar/protocol";
import type { AdapterClient } from "../../../adapter/adapter-client.js";

/** What the kit expects the adapter to hold. */
export interface ContractModel {
  /** The first Describe answer of this case; later ones must equal it. */
  described: AdapterDescribeResponse | undefined;
  /** Device handles created since the last Reset. */
  liveDevices: string[];
  /** Device handles created before the last Reset; unknown to the adapter now. */
  staleDevices: string[];
}

/** The system under test. */
export interface ContractReal {
  /** The adapter. */
  readonly adapter: AdapterClient;
}

/** A fresh model. */
export function emptyContractModel(): ContractModel {
  return { described: undefined, liveDevices: [], staleDevices: [] };
}
