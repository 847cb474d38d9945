// The reference server (startServer from @kabar/server) over loopback. The
// client side of every socket is wrapped so tests can cut connections (a
// network drop seen from the client) and intercept requests by kind.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeFrame } from "@kabar/protocol";
import { startServer, type RunningServer, type ServerLimits } from "@kabar/server";
import { wsSocketFactory, type Socket, type SocketFactory } from "../../src/transport/socket.js";
import type { TestServer } from "./core-server.js";

// Server faults surface in the test output; everything else stays quiet.
const errorLogger = { log: (event: string, fields?: Record<string, unknown>) => void (event.includes("error") && console.error("server:", event, fields)) };

/** A server this test process can stop and start again on the same port and data. */
interface Running {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const CLI = new URL("../../../server/src/cli.ts", import.meta.url).pathname;

/** Runs `kabar-server` (from source) in a child process, so its memory is not this process's. */
async function spawnServer(dir: string, port: number): Promise<Running> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "--conditions=@kabar/source", CLI, "--port", String(port), "--data", dir, "--quiet",
    "--requests-per-second", "100000", "--request-burst", "100000", "--claims-per-minute", "100000"], { stdio: ["ignore", "pipe", "inherit"] });
  const listening = await new Promise<{ port: number; url: string }>((resolve, reject) => {
    let buffered = "";
    child.once("exit", (code) => reject(new Error(`kabar-server exited with ${code}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split("\n")) {
        if (line.includes('"listening"')) resolve(JSON.parse(line) as { port: number; url: string });
      }
    });
  });
  return {
    url: listening.url, port: listening.port,
    close: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    }),
  };
}

/** Options of {@link startRealServer}. */
export interface RealServerOptions {
  /** Server limits (in-process only). */
  readonly limits?: Partial<ServerLimits>;
  /** Run the server CLI in a child process instead of in this process. */
  readonly childProcess?: boolean;
}

/** Starts the real server on 127.0.0.1 with a fresh data directory. */
export async function startRealServer(options: RealServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "kabar-real-server-"));
  const serverLimits = { requestsPerSecond: 100_000, requestBurst: 100_000, claimsPerMinute: 100_000, ...options.limits };
  const launch = async (port: number): Promise<Running> => options.childProcess
    ? spawnServer(dir, port)
    : startServer({ port, dataDir: dir, logger: errorLogger, limits: serverLimits, sqliteFsync: "pipelined" }) as Promise<RunningServer>;
  let running: Running = await launch(0);
  const port = running.port;
  const sockets = new Set<Socket>();

  const socketFactory: SocketFactory = async (url) => {
    const inner = await wsSocketFactory(url);
    const socket: Socket = {
      send: (bytes) => {
        const body = decodeFrame(bytes).kind;
        const kind = body?.$case === "request" ? (body.value.body?.$case ?? "") : "";
        if (api.onRequest?.(kind) === "drop") {
          inner.close();
          throw new Error("connection dropped by the test");
        }
        inner.send(bytes);
      },
      close: () => inner.close(),
      onMessage: (handler) => inner.onMessage(handler),
      onClose: (handler) => inner.onClose(handler),
    };
    sockets.add(socket);
    inner.onClose(() => sockets.delete(socket));
    return socket;
  };

  const api: TestServer = {
    onRequest: undefined,
    socketFactory,
    get url() {
      return running.url;
    },
    dropAll: () => [...sockets].forEach((s) => s.close()),
    async restart() {
      await running.close();
      running = await launch(port);
    },
    async close() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
    get connectionCount() {
      return sockets.size;
    },
  };
  return api;
}
