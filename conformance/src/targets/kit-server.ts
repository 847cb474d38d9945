// The server the kit provides in client mode: the reference server
// (@kabar/server, loaded on demand so the kit runs without it otherwise)
// in this process, on 127.0.0.1, with a fresh temporary SQLite folder and
// request limits high enough for generated tests. Client adapters get its
// URL in every Reset.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConformanceError } from "../errors.js";

/** A server the kit started; `close` stops it and deletes its data. */
export interface KitServer {
  /** The WebSocket URL. */
  readonly url: string;
  /** Stops the server and removes its data folder. */
  close(): Promise<void>;
}

/** Starts the reference server for a client-mode run. */
export async function startKitServer(): Promise<KitServer> {
  let server: typeof import("@kabar/server");
  try {
    server = await import("@kabar/server");
  } catch (error) {
    throw new ConformanceError("HARNESS", `client mode needs the reference server @kabar/server: ${(error as Error).message}`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), "kabar-kit-server-"));
  const running = await server.startServer({
    port: 0, host: "127.0.0.1", dataDir, logger: false, sqliteFsync: "pipelined",
    limits: { requestsPerSecond: 100_000, requestBurst: 100_000, claimsPerMinute: 100_000 },
  });
  return {
    url: running.url,
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
