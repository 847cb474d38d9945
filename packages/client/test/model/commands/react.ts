import type fc from "fast-check";
import { visibleTargets, type Model } from "../model.js";
import type { World } from "../world.js";
import { clientOf, drained, online, sequenced } from "./shared.js";

/** An online device adds or removes a reaction on a visible message. */
export class ReactCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly account: number, readonly device: number, readonly pick: number, readonly emoji: string, readonly remove: boolean) {}

  check(m: Readonly<Model>): boolean {
    return m.members.has(this.account) && online(m as Model, this.account, this.device) && visibleTargets(m as Model, this.account, false).length > 0;
  }

  async run(m: Model, w: World): Promise<void> {
    const targets = visibleTargets(m, this.account, false);
    const target = targets[this.pick % targets.length]!;
    const client = clientOf(w, this.account, this.device);
    await client.react(w.conversation, target, this.emoji, this.remove);
    await drained(client, w.failures);
    sequenced(m, { kind: "react", target, sender: this.account, emoji: this.emoji, remove: this.remove });
  }

  toString(): string {
    return `react(${this.account}:${this.device}, #${this.pick}, ${this.emoji}${this.remove ? ", remove" : ""})`;
  }
}
