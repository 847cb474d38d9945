// In-process server mutants: the reference server (@kabar/server) with
// exactly one behaviour changed. A mutant changes it through one of the
// server's public seams, never by editing the server:
// - a store wrapper: every store call through the storage port (ServerStore);
// - options passed to startServer (limits, logger, request logging);
// - a wrapper of the request layer (RunningServer.core.handle), which sees
//   each request with its connection's session and may change the answer;
// - a frame middleman: a relay in front of the server (the kit's fault
//   proxy) that drops, rewrites or cuts WebSocket frames.
// @kabar/server is loaded only when a mutant is created, so the kit runs
// without it otherwise. The server's log lines are kept (ServerTarget.logs).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClientRequest } from "@kabar/protocol";
import type { Clock, HandleResult, Logger, ServerCore, ServerLimits, ServerStore, Session } from "@kabar/server";
import { ConformanceError } from "../../errors.js";
import { startFaultProxy, type FaultPolicy, type FaultProxy } from "../../proxy/fault-proxy.js";
import type { ServerTarget } from "../../targets/target-types.js";

/** A server target the kit started in-process; close stops it and deletes its data. */
export interface InProcessServerTarget extends ServerTarget {
  /** Stops the server and removes its data folder. */
  close(): Promise<void>;
}

/** What a store wrapper gets besides the store. */
export interface MutantHooks {
  /** Called when the kit kills the server (restart with crash), before the store closes. */
  onCrash?: () => void;
  /** Called before a graceful stop, to flush what the mutant holds back. */
  onStop?: () => Promise<void>;
}

/** Overrides some store methods; the rest pass through unchanged. */
export type StoreOverrides = Partial<Record<keyof ServerStore, (...args: never[]) => unknown>>;

/** Builds the overrides for one store instance (a new one after each restart). */
export type StoreWrapper = (store: ServerStore, hooks: MutantHooks) => StoreOverrides;

/** The request layer's entry point: one request on one connection's session. */
export type HandleFn = (session: Session, request: ClientRequest) => Promise<HandleResult>;

/** Replaces the request layer's handler of one server instance (a new one after each restart); `logger`, `store` and `core` are that instance's. */
export type HandleWrapper = (handle: HandleFn, context: { readonly logger: Logger; readonly store: ServerStore; readonly core: ServerCore }) => HandleFn;

/** What else a mutant changes besides (or instead of) the store. */
export interface MutantServerOptions {
  /** Limits passed to startServer. */
  readonly limits?: Partial<ServerLimits>;
  /** A clock instead of the system clock (kept across restarts). */
  readonly clock?: Clock;
  /** How often expired uploads are collected, in ms. */
  readonly gcIntervalMs?: number;
  /** Log one line per request (the server's debug level). */
  readonly logRequests?: boolean;
  /** Wraps the request layer. */
  readonly handle?: HandleWrapper;
  /** A frame middleman in front of the server, with this policy for every WebSocket data frame. */
  readonly middleman?: FaultPolicy;
}

/** Most log lines kept; older ones are dropped. */
const MAX_LOG_LINES = 20_000;

function wrapStore(store: ServerStore, overrides: StoreOverrides): ServerStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const override = (overrides as Record<PropertyKey, unknown>)[property];
      if (override !== undefined) return override;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Starts the reference server on a store wrapped by `wrapper` (default: unchanged), with `options`, in a fresh temporary data folder. */
export async function startMutantServer(name: string, wrapper: StoreWrapper = () => ({}), options: MutantServerOptions = {}): Promise<InProcessServerTarget> {
  let server: typeof import("@kabar/server");
  try {
    server = await import("@kabar/server");
  } catch (error) {
    throw new ConformanceError("HARNESS", `server mutants need @kabar/server: ${(error as Error).message}`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), `kabar-mutant-${name.replace(/[^a-z0-9-]/gi, "_")}-`));
  const lines: string[] = [];
  const logger = server.jsonLogger((line) => {
    lines.push(line);
    if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
  });
  let hooks: MutantHooks = {};
  let proxy: FaultProxy | undefined;
  const start = async () => {
    const store = server.openSqliteStore({ dataDir });
    hooks = {};
    const wrapped = wrapStore(store, wrapper(store, hooks));
    const running = await server.startServer({
      port: 0, dataDir, store: wrapped, logger,
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      ...(options.gcIntervalMs !== undefined ? { gcIntervalMs: options.gcIntervalMs } : {}),
      ...(options.logRequests === true ? { logRequests: true } : {}),
    });
    if (options.handle !== undefined) {
      const core = running.core;
      const original: HandleFn = core.handle.bind(core);
      // An own property shadows the class method the connections call.
      (core as { handle: HandleFn }).handle = options.handle(original, { logger, store: running.store, core });
    }
    if (options.middleman !== undefined) proxy = await startFaultProxy(running.url, options.middleman);
    return running;
  };
  const stop = async () => {
    await proxy?.close();
    proxy = undefined;
    await running.close();
  };
  let running = await start();
  return {
    get url() {
      return proxy?.url ?? running.url;
    },
    async restart(restartOptions = {}) {
      if (restartOptions.crash === true) hooks.onCrash?.();
      else await hooks.onStop?.();
      await stop();
      running = await start();
      return proxy?.url ?? running.url;
    },
    logs() {
      return [...lines];
    },
    async close() {
      await hooks.onStop?.();
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
