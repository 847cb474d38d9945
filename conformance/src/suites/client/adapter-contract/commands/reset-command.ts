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
    await real.adapter.call("reset", { seed: BigInt(this.seed) });
    model.staleDevices = [...model.staleDevices, ...model.liveDevices];
    model.liveDevices = [];
  }

  toString(): string {
    return `reset(seed=${this.seed})`;
  }
}
