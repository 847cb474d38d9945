// A device handle from before the last Reset must be answered with
// UNKNOWN_HANDLE (CONF-ADAPTER-007).
import type fc from "fast-check";
import { AdapterErrorKind } from "@kabar/protocol";
import { isAdapterRefusal } from "../../../../adapter/adapter-client.js";
import { RuleViolation } from "../../../../registry/rule-violation.js";
import type { ContractModel, ContractReal } from "../contract-model.js";

/** Asks for the visible state of a stale device. */
export class UseStaleHandleCommand implements fc.AsyncCommand<ContractModel, ContractReal> {
  constructor(readonly pick: number) {}

  check(model: Readonly<ContractModel>): boolean {
    return model.staleDevices.some((d) => !model.liveDevices.includes(d));
  }

  async run(model: ContractModel, real: ContractReal): Promise<void> {
    const stale = model.staleDevices.filter((d) => !model.liveDevices.includes(d));
    const device = stale[this.pick % stale.length]!;
    try {
      await real.adapter.call("getVisibleState", { device });
    } catch (error) {
      if (isAdapterRefusal(error) && error.kind === AdapterErrorKind.UNKNOWN_HANDLE) return;
      throw error;
    }
    throw new RuleViolation("CONF-ADAPTER-007", `device ${JSON.stringify(device)} from before the last reset is still answered`);
  }

  toString(): string {
    return `useStaleDevice(#${this.pick})`;
  }
}
