import type fc from "fast-check";
import type { Model } from "../model.js";
import { removeWorldDevice, type World } from "../world.js";
import { allOnline, exists, key } from "./shared.js";

/** An account removes one of its devices (lost or dead); the device is gone for good. */
export class RemoveDeviceCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly account: number, readonly device: number) {}

  check(m: Readonly<Model>): boolean {
    // Device 0 approves links and removals in this suite, so it stays.
    return this.device !== 0 && exists(m as Model, this.account, this.device) && allOnline(m as Model);
  }

  async run(m: Model, w: World): Promise<void> {
    await removeWorldDevice(w, this.account, this.device);
    m.devices.delete(key(this.account, this.device));
  }

  toString(): string {
    return `removeDevice(${this.account}:${this.device})`;
  }
}
