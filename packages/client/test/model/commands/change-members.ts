import type fc from "fast-check";
import type { Model } from "../model.js";
import type { World } from "../world.js";
import { allOnline, clientOf } from "./shared.js";

/** The creator (account 0) removes or re-adds another account. */
export class ChangeMembersCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly account: number, readonly add: boolean) {}

  check(m: Readonly<Model>): boolean {
    // Membership changes while a device holds queued sends would make the
    // model's order depend on re-encryption timing; keep them apart.
    return this.account !== 0 && allOnline(m as Model) && m.members.has(this.account) !== this.add
      && (this.add || m.members.size > 2);
  }

  async run(m: Model, w: World): Promise<void> {
    const other = w.accountIds[this.account]!;
    await clientOf(w, 0, 0).changeMembers(w.conversation, this.add ? { add: [other] } : { remove: [other] });
    if (this.add) m.members.add(this.account);
    else m.members.delete(this.account);
  }

  toString(): string {
    return `${this.add ? "add" : "remove"}(${this.account})`;
  }
}
