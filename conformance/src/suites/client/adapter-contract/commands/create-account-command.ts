// CreateAccount: the handles returned must be non-empty (CONF-HANDLE-001).
import type fc from "fast-check";
import { RuleViolation } from "../../../../registry/rule-violation.js";
import type { ContractModel, ContractReal } from "../contract-model.js";

/** Creates an account and records its first device. */
export class CreateAccountCommand implements fc.AsyncCommand<ContractModel, ContractReal> {
  constructor(readonly label: string) {}

  check(): boolean {
    return true;
  }

  async run(model: ContractModel, real: ContractReal): Promise<void> {
    const created = await real.adapter.call("createAccount", { label: this.label });
    if (created.account === "" || created.device === "") throw new RuleViolation("CONF-HANDLE-001", `createAccount returned an empty handle: ${JSON.stringify(created)}`);
    model.liveDevices.push(created.device);
  }

  toString(): string {
    return `createAccount(${JSON.stringify(this.label)})`;
  }
}
