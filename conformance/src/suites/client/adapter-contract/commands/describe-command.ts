// Describe again: the answer must not change within a process (CONF-ADAPTER-005).
import type fc from "fast-check";
import { ADAPTER_CONTRACT_VERSION } from "../../../../version.js";
import { RuleViolation } from "../../../../registry/rule-violation.js";
import type { ContractModel, ContractReal } from "../contract-model.js";

/** Sends Describe and compares the answer with the first one. */
export class DescribeCommand implements fc.AsyncCommand<ContractModel, ContractReal> {
  check(): boolean {
    return true;
  }

  async run(model: ContractModel, real: ContractReal): Promise<void> {
    const answer = await real.adapter.call("describe", { contractVersion: ADAPTER_CONTRACT_VERSION });
    if (model.described === undefined) model.described = answer;
    else if (JSON.stringify(answer) !== JSON.stringify(model.described)) {
      throw new RuleViolation("CONF-ADAPTER-005", `a repeated Describe got a different answer: ${JSON.stringify(answer)} after ${JSON.stringify(model.described)}`);
    }
  }

  toString(): string {
    return "describe()";
  }
}
