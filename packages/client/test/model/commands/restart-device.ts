import type fc from "fast-check";
import type { Model } from "../model.js";
import { restartDevice, type World } from "../world.js";
import { online } from "./shared.js";

/** A device's process restarts: it reopens from its store and resyncs. */
export class RestartDeviceCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly account: number, readonly device: number) {}

  check(m: Readonly<Model>): boolean {
    return online(m as Model, this.account, this.device);
  }

  async run(_m: Model, w: World): Promise<void> {
    await restartDevice(w, this.account, this.device);
  }

  toString(): string {
    return `restart(${this.account}:${this.device})`;
  }
}
