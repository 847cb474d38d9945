import type fc from "fast-check";
import type { Model } from "../model.js";
import type { World } from "../world.js";

/** The server process restarts on the same data; every client reconnects. */
export class RestartServerCommand implements fc.AsyncCommand<Model, World> {
  check(): boolean {
    return true;
  }

  async run(_m: Model, w: World): Promise<void> {
    await w.server.restart();
  }

  toString(): string {
    return "restartServer()";
  }
}
