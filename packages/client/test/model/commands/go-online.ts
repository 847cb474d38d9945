import type fc from "fast-check";
import type { Model } from "../model.js";
import type { World } from "../world.js";
import { clientOf, drained, exists, key, online, sequenced } from "./shared.js";

/** An offline device reconnects: resyncs and sends what it queued, in order. */
export class GoOnlineCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly account: number, readonly device: number) {}

  check(m: Readonly<Model>): boolean {
    return exists(m as Model, this.account, this.device) && !online(m as Model, this.account, this.device);
  }

  async run(m: Model, w: World): Promise<void> {
    const client = clientOf(w, this.account, this.device);
    await client.goOnline();
    await drained(client, w.failures);
    const state = m.devices.get(key(this.account, this.device))!;
    for (const queued of state.queue.splice(0)) sequenced(m, queued.event);
    state.online = true;
  }

  toString(): string {
    return `online(${this.account}:${this.device})`;
  }
}
