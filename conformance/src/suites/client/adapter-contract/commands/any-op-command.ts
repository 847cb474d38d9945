// Any operation, with handles the adapter never issued: the adapter must
// answer (a result of the same case or an AdapterError of any kind), never
// exit (CONF-ADAPTER-006) or hang (CONF-ADAPTER-004), and keep the framing
// and ids (CONF-ADAPTER-001, CONF-ADAPTER-003).
import type fc from "fast-check";
import type { AdapterOp, AdapterOpName } from "../../../../adapter/adapter-client.js";
import { isConformanceError } from "../../../../errors.js";
import { RuleViolation } from "../../../../registry/rule-violation.js";
import type { ContractModel, ContractReal } from "../contract-model.js";

/** Operations a client adapter may be sent, besides Describe and Reset. */
export const CLIENT_OPS: readonly AdapterOpName[] = [
  "createAccount", "linkDevice", "sendText", "editText", "deleteMessage", "react", "markRead", "sendDocument", "fetchDocument",
  "syncNow", "goOffline", "goOnline", "createConversation", "changeMembers", "getVisibleState", "getStateDigest", "startServer",
  "restartServer", "decode",
];

/** Sends `op` naming the never-issued handle `handle` wherever a handle goes. */
export class AnyOpCommand implements fc.AsyncCommand<ContractModel, ContractReal> {
  constructor(readonly op: AdapterOpName, readonly handle: string) {}

  check(): boolean {
    return true;
  }

  async run(_model: ContractModel, real: ContractReal): Promise<void> {
    const h = this.handle;
    const value = { account: h, device: h, approverDevice: h, conversation: h, message: h, members: [h], text: "x", emoji: "👍", messageType: "kabar.v1.Ping" };
    try {
      const response = await real.adapter.process.request({ $case: this.op, value } as unknown as AdapterOp);
      const got = response.result?.$case;
      if (got !== this.op && got !== "error") throw new RuleViolation("CONF-ADAPTER-003", `${this.op} was answered with ${got ?? "no result"}`);
    } catch (error) {
      if (isConformanceError(error, "ADAPTER_TIMEOUT")) throw new RuleViolation("CONF-ADAPTER-004", `${this}: ${error.message}`);
      if (isConformanceError(error, "ADAPTER_CRASHED")) throw new RuleViolation("CONF-ADAPTER-006", `${this} made the adapter fail: ${error.message}`);
      if (isConformanceError(error, "ADAPTER_PROTOCOL")) {
        const framing = /frame|undecodable/.test(error.message);
        throw new RuleViolation(framing ? "CONF-ADAPTER-001" : "CONF-ADAPTER-003", error.message);
      }
      throw error;
    }
  }

  toString(): string {
    return `${this.op}(handles=${JSON.stringify(this.handle)})`;
  }
}
