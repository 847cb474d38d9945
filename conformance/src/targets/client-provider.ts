// Provider for client mode: a client implementation behind its adapter.
import type { Transcript } from "../adapter/transcript.js";
import { ConformanceError } from "../errors.js";
import type { Profile } from "../rules/rule.js";
import { AdapterSession } from "./adapter-session.js";
import { startKitServer, type KitServer } from "./kit-server.js";
import type { TargetProvider } from "./target-types.js";

/** Options of {@link clientAdapterProvider}. */
export interface ClientAdapterOptions {
  /** The adapter command line. */
  readonly command: string;
  /** Per-request timeout in milliseconds. */
  readonly timeoutMs?: number;
  /** Profiles to certify; must be a subset of what the adapter declares. Default: all it declares. */
  readonly profiles?: readonly Profile[];
  /** The server the client talks to; default: the kit starts the reference server in-process. */
  readonly serverUrl?: string;
}

/** Starts the adapter, checks its Describe answer and cross-checks the requested profiles. */
export async function clientAdapterProvider(options: ClientAdapterOptions): Promise<TargetProvider<"client">> {
  const session = new AdapterSession({ command: options.command, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
  const identity = await session.start();
  if (identity.kind !== "client") {
    await session.close();
    throw new ConformanceError("USAGE", `the adapter describes a ${identity.kind}; use \`kabar-conformance server --adapter\``);
  }
  const undeclared = (options.profiles ?? []).filter((p) => !identity.profiles.includes(p));
  if (undeclared.length > 0) {
    await session.close();
    throw new ConformanceError("USAGE", `--profile ${undeclared.join(",")} is not declared by the adapter (it declares ${identity.profiles.join(",")})`);
  }
  // Started lazily: properties that never connect (the adapter contract) do not need it.
  let server: Promise<KitServer> | undefined;
  const serverUrl = async (): Promise<string> => options.serverUrl ?? (await (server ??= startKitServer())).url;
  return {
    mode: "client",
    replayTarget: `client:${options.command}`,
    identity,
    profiles: options.profiles ?? identity.profiles,
    acquire: async (transcript: Transcript) => ({
      adapter: await session.client(transcript), identity, healthyAdapter: () => session.client(transcript), command: options.command, serverUrl,
      pid: () => session.pid,
    }),
    close: async () => {
      await session.close();
      if (server !== undefined) await (await server).close();
    },
  };
}
