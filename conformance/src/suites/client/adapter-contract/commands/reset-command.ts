// Reset: every handle created so far becomes stale (CONF-ADAPTER-007).
import type fc from "fast-check";
import type { ContractModel, ContractReal } from "../contract-model.js";

/** Sends Reset with a seed. */
export class ResetCommand implements fc.AsyncCommand<ContractModel, ContractReal> {
  constructor(readonly seed: number) {}

  check(): boolean {
    return true;
  }

  async run(model: ContractModel, real: ContractReal): Promise<void> {
    // Unseeded (0): the kit's server outlives the reset, and a seeded adapter
    // would register the same identities again. Seeded resets are checked by
    // conf.adapter.seeded-reset-is-deterministic against fresh servers.
    await real.adapter.call("reset", { seed: 0n });
    model.staleDevices = [...model.staleDevices, ...model.liveDevices];
    model.liveDevices = [];
  }

  toString(): string {
    return `reset(seed=${this.seed})`;
  }
}
