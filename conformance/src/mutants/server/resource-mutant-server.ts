// In-process server mutants whose broken behaviour sits before the store:
// the reference server (@kabar/server) started on its own store, with its
// request layer (RunningServer.core.handle) wrapped, and optionally a clock
// or limits of the kit's choosing. Like mutant-server.ts, @kabar/server is
// loaded only when a mutant is created.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClientRequest } from "@kabar/protocol";
import type { Clock, HandleResult, ServerCore, ServerLimits, ServerStore, Session } from "@kabar/server";
import { ConformanceError } from "../../errors.js";
import type { InProcessServerTarget } from "./mutant-server.js";

/** The original request handler of the running core. */
export type Handle = (session: Session, request: ClientRequest) => Promise<HandleResult>;

/** What a core wrapper gets: the original handler, the store, the core (limits, clock). */
export interface CoreParts {
  readonly handle: Handle;
  readonly store: ServerStore;
  readonly core: ServerCore;
}

/** Returns the replacement handler; called again after every restart. */
export type CoreWrapper = (parts: CoreParts) => Handle;

export interface CoreMutantOptions {
  /** Replaces the core's request handler. */
  readonly wrap?: CoreWrapper;
  /** A clock instead of the system clock (kept across restarts). */
  readonly clock?: Clock;
  /** Limits overriding the reference defaults. */
  readonly limits?: Partial<ServerLimits>;
  /** How often expired uploads are collected, in ms. */
  readonly gcIntervalMs?: number;
}

/** Starts the reference server with its request handler wrapped, in a fresh temporary data folder. */
export async function startCoreMutantServer(name: string, options: CoreMutantOptions): Promise<InProcessServerTarget> {
  let server: typeof import("@kabar/server");
  try {
    server = await import("@kabar/server");
  } catch (error) {
    throw new ConformanceError("HARNESS", `server mutants need @kabar/server: ${(error as Error).message}`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), `kabar-mutant-${name.replace(/[^a-z0-9-]/gi, "_")}-`));
  const start = async () => {
    const running = await server.startServer({
      port: 0, dataDir, logger: false,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
      ...(options.gcIntervalMs !== undefined ? { gcIntervalMs: options.gcIntervalMs } : {}),
    });
    if (options.wrap !== undefined) {
      const core = running.core;
      const original: Handle = core.handle.bind(core);
      const replaced = options.wrap({ handle: original, store: running.store, core });
      // The transport calls core.handle at each request, so an own property replaces it.
      Object.defineProperty(core, "handle", { value: replaced, configurable: true, writable: true });
    }
    return running;
  };
  let running = await start();
  return {
    get url() {
      return running.url;
    },
    async restart() {
      await running.close();
      running = await start();
      return running.url;
    },
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

type RequestBody = NonNullable<ClientRequest["body"]>;
/** The value of the request body case `C`. */
export type BodyValue<C extends RequestBody["$case"]> = Extract<RequestBody, { $case: C }>["value"];

/** A request's body, narrowed to one case, or undefined. */
export function bodyOf<C extends RequestBody["$case"]>(request: ClientRequest, $case: C): BodyValue<C> | undefined {
  const body: RequestBody | undefined = request.body;
  const value: unknown = body !== undefined && body.$case === $case ? body.value : undefined;
  return value as BodyValue<C> | undefined;
}

/** The error code of a handled result, or undefined on success. */
export function errorCodeOf(result: HandleResult): number | undefined {
  return result.response.result?.$case === "error" ? result.response.result.value.code : undefined;
}
