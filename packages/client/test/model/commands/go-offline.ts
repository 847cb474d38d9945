import type fc from "fast-check";
import type { Model } from "../model.js";
import type { World } from "../world.js";
import { clientOf, key, online } from "./shared.js";

/** A device loses its connection and stays offline. */
export class GoOfflineCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly account: number, readonly device: number) {}

  check(m: Readonly<Model>): boolean {
    return online(m as Model, this.account, this.device);
  }

  async run(m: Model, w: World): Promise<void> {
    clientOf(w, this.account, this.device).goOffline();
    m.devices.get(key(this.account, this.device))!.online = false;
  }

  toString(): string {
    return `offline(${this.account}:${this.device})`;
  }
}
