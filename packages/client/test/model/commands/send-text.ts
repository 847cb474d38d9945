import type fc from "fast-check";
import type { Model } from "../model.js";
import type { World } from "../world.js";
import { clientOf, drained, exists, key, online, sequenced } from "./shared.js";

/** A member device sends a text; offline devices queue it until they reconnect. */
export class SendTextCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly account: number, readonly device: number, readonly text: string) {}

  check(m: Readonly<Model>): boolean {
    return m.members.has(this.account) && exists(m as Model, this.account, this.device);
  }

  async run(m: Model, w: World): Promise<void> {
    const client = clientOf(w, this.account, this.device);
    if (online(m, this.account, this.device)) {
      const id = await client.sendText(w.conversation, this.text);
      await drained(client, w.failures);
      sequenced(m, { kind: "text", id, sender: this.account, text: this.text });
      return;
    }
    try {
      const id = await client.sendText(w.conversation, this.text);
      m.devices.get(key(this.account, this.device))!.queue.push({ event: { kind: "text", id, sender: this.account, text: this.text } });
    } catch {
      // Offline and the send needed the network (a new key distribution): nothing was queued.
    }
  }

  toString(): string {
    return `send(${this.account}:${this.device}, ${JSON.stringify(this.text)})`;
  }
}
