import type fc from "fast-check";
import { visibleTargets, type Model } from "../model.js";
import type { World } from "../world.js";
import { clientOf, drained, online, sequenced } from "./shared.js";

/** An online device edits one of its account's messages. */
export class EditTextCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly account: number, readonly device: number, readonly pick: number, readonly text: string) {}

  check(m: Readonly<Model>): boolean {
    return m.members.has(this.account) && online(m as Model, this.account, this.device) && visibleTargets(m as Model, this.account, true).length > 0;
  }

  async run(m: Model, w: World): Promise<void> {
    const targets = visibleTargets(m, this.account, true);
    const target = targets[this.pick % targets.length]!;
    const client = clientOf(w, this.account, this.device);
    await client.editText(w.conversation, target, this.text);
    await drained(client, w.failures);
    sequenced(m, { kind: "edit", target, sender: this.account, text: this.text });
  }

  toString(): string {
    return `edit(${this.account}:${this.device}, #${this.pick}, ${JSON.stringify(this.text)})`;
  }
}
