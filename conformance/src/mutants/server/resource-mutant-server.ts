// In-process server mutants whose broken behaviour sits before the store:
// the reference server started by startMutantServer with its request layer
// (RunningServer.core.handle) wrapped, and optionally a clock or limits of
// the kit's choosing; plus helpers to read requests and results.
import type { ClientRequest } from "@kabar/protocol";
import type { Clock, HandleResult, ServerCore, ServerLimits, ServerStore, Session } from "@kabar/server";
import { startMutantServer, type InProcessServerTarget } from "./mutant-server.js";

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

/** Starts the reference server with its request handler wrapped, in a fresh temporary data folder (through startMutantServer). */
export function startCoreMutantServer(name: string, options: CoreMutantOptions): Promise<InProcessServerTarget> {
  const { wrap } = options;
  return startMutantServer(name, undefined, {
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    ...(options.gcIntervalMs !== undefined ? { gcIntervalMs: options.gcIntervalMs } : {}),
    ...(wrap !== undefined ? { handle: (handle, { store, core }) => wrap({ handle, store, core }) } : {}),
  });
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
