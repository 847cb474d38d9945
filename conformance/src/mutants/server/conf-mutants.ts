// Server mutants of the server-target contract (CONF-SERVER-*): the
// reference server, started in-process on a port the mutant chose, with the
// way it announces its URL broken. One names a port it does not listen on;
// the other answers a restart before its new instance accepts connections.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConformanceError } from "../../errors.js";
import { defineMutant } from "../../registry/mutant-registry.js";
import type { InProcessServerTarget } from "./mutant-server.js";

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function confServer(name: string, broken: "names-wrong-port" | "answers-restart-early"): Promise<InProcessServerTarget> {
  let server: typeof import("@kabar/server");
  try {
    server = await import("@kabar/server");
  } catch (error) {
    throw new ConformanceError("HARNESS", `server mutants need @kabar/server: ${(error as Error).message}`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), `kabar-mutant-${name}-`));
  const logger = server.jsonLogger(() => undefined);
  const port = await freePort();
  const start = () => server.startServer({ port, dataDir, store: server.openSqliteStore({ dataDir }), logger });
  let running = await start();
  // names-wrong-port: the URL it gives names another (free) port than the one it listens on.
  const url = broken === "names-wrong-port" ? `ws://127.0.0.1:${await freePort()}` : running.url;
  let starting: Promise<void> = Promise.resolve();
  return {
    get url() {
      return url;
    },
    async restart() {
      await starting;
      await running.close();
      if (broken !== "answers-restart-early") {
        running = await start();
        return url;
      }
      // answers-restart-early: the URL comes back at once; the new instance listens a moment later.
      starting = new Promise<void>((resolve) => setTimeout(resolve, 400)).then(async () => {
        running = await start();
      });
      return url;
    },
    logs: () => [],
    async close() {
      await starting;
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

defineMutant({
  id: "server.conf-names-wrong-port",
  breaks: ["CONF-SERVER-001"],
  target: "server",
  description: "Announces a URL whose port is not the one the server listens on.",
  create: () => confServer("names-wrong-port", "names-wrong-port"),
});

defineMutant({
  id: "server.conf-answers-restart-early",
  breaks: ["CONF-SERVER-002"],
  target: "server",
  description: "Answers a restart with the URL before the new server instance accepts connections there.",
  create: () => confServer("answers-restart-early", "answers-restart-early"),
});
