import type fc from "fast-check";
import { visibleTargets, type Model } from "../model.js";
import type { World } from "../world.js";
import { clientOf, drained, online, sequenced } from "./shared.js";

/** An online device deletes one of its account's messages for everyone. */
export class DeleteMessageCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly account: number, readonly device: number, readonly pick: number) {}

  check(m: Readonly<Model>): boolean {
    return m.members.has(this.account) && online(m as Model, this.account, this.device) && visibleTargets(m as Model, this.account, true).length > 0;
  }

  async run(m: Model, w: World): Promise<void> {
    const targets = visibleTargets(m, this.account, true);
    const target = targets[this.pick % targets.length]!;
    const client = clientOf(w, this.account, this.device);
    await client.deleteMessage(w.conversation, target);
    await drained(client, w.failures);
    sequenced(m, { kind: "delete", target, sender: this.account });
  }

  toString(): string {
    return `delete(${this.account}:${this.device}, #${this.pick})`;
  }
}
