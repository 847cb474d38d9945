// In-process server mutants: the reference server (@kabar/server) started
// on a wrapped store, so exactly one behaviour changes. The wrapper sees
// every store call through the server's public storage port (ServerStore);
// the server itself is not modified. @kabar/server is loaded only when a
// mutant is created, so the kit runs without it otherwise.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerStore } from "@kabar/server";
import { ConformanceError } from "../../errors.js";
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

/** Starts the reference server on a store wrapped by `wrapper`, in a fresh temporary data folder. */
export async function startMutantServer(name: string, wrapper: StoreWrapper): Promise<InProcessServerTarget> {
  let server: typeof import("@kabar/server");
  try {
    server = await import("@kabar/server");
  } catch (error) {
    throw new ConformanceError("HARNESS", `server mutants need @kabar/server: ${(error as Error).message}`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), `kabar-mutant-${name.replace(/[^a-z0-9-]/gi, "_")}-`));
  let hooks: MutantHooks = {};
  const start = async () => {
    const store = server.openSqliteStore({ dataDir });
    hooks = {};
    const wrapped = wrapStore(store, wrapper(store, hooks));
    return server.startServer({ port: 0, dataDir, store: wrapped, logger: false });
  };
  let running = await start();
  return {
    get url() {
      return running.url;
    },
    async restart(options = {}) {
      if (options.crash === true) hooks.onCrash?.();
      else await hooks.onStop?.();
      await running.close();
      running = await start();
      return running.url;
    },
    async close() {
      await hooks.onStop?.();
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
