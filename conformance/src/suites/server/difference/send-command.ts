// Appends a message to the log and to the model.
import type fc from "fast-check";
import { check, hex, idBytes } from "../support.js";
import type { DifferenceModel, DifferenceReal } from "./difference-model.js";

/** Sends one message of `length` bytes. */
export class SendCommand implements fc.AsyncCommand<DifferenceModel, DifferenceReal> {
  constructor(readonly length: number) {}
  check(): boolean {
    return true;
  }
  async run(model: DifferenceModel, real: DifferenceReal): Promise<void> {
    const id = idBytes(model.sent++, real.salt);
    const response = await real.connection.call("sendMessage", { conversationId: real.conversationId, clientMessageId: id, ciphertext: new Uint8Array(this.length).fill(0x5a), epoch: 0n });
    check("SYNC-LOG-001", response.seq === model.seq + 1n, `a send after seq ${model.seq} was acknowledged with seq ${response.seq}`);
    model.seq = response.seq;
    model.updates.push({ seq: response.seq, key: hex(id) });
  }
  toString(): string {
    return `send(${this.length} bytes)`;
  }
}
