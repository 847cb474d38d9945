import type fc from "fast-check";
import type { Model } from "../model.js";
import { linkNewDevice, type World } from "../world.js";
import { allOnline, key } from "./shared.js";

/** An account links one more device through its first device, with history handover. */
export class LinkDeviceCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly account: number) {}

  check(m: Readonly<Model>): boolean {
    const count = [...m.devices.keys()].filter((k) => k.startsWith(`${this.account}:`)).length;
    return allOnline(m as Model) && count < 3;
  }

  async run(m: Model, w: World): Promise<void> {
    const index = await linkNewDevice(w, this.account);
    m.devices.set(key(this.account, index), { online: true, queue: [] });
  }

  toString(): string {
    return `link(${this.account})`;
  }
}
