// kabar-server: starts the reference server. Prints one JSON line per
// event on stdout; the first is {"event":"listening","port":N,"url":...}.
import { parseArgs } from "node:util";
import { jsonLogger, silentLogger } from "./log.js";
import type { ServerLimits } from "./core/limits.js";
import { startServer } from "./transport/start-server.js";

const LIMIT_FLAGS: Record<string, keyof ServerLimits> = {
  "max-frame-bytes": "maxFrameBytes",
  "max-in-flight": "maxInFlight",
  "requests-per-second": "requestsPerSecond",
  "request-burst": "requestBurst",
  "max-message-bytes": "maxMessageBytes",
  "max-difference-limit": "maxDifferenceLimit",
  "max-group-members": "maxGroupMembers",
  "claims-per-minute": "claimsPerMinute",
  "handshake-timeout-ms": "handshakeTimeoutMs",
  "max-buffered-bytes": "maxBufferedBytes",
  "max-connections-per-ip": "maxConnectionsPerIp",
  "part-size": "partSize",
  "max-parts": "maxParts",
  "max-file-bytes": "maxFileBytes",
  "account-quota-bytes": "accountQuotaBytes",
  "upload-ttl-seconds": "uploadTtlSeconds",
};

const USAGE = `usage: kabar-server [--port N] [--host H] [--data DIR] [--store postgres://...] [--sqlite-fsync commit|pipelined] [--quiet] [--log-requests]
  ${Object.keys(LIMIT_FLAGS).map((f) => `--${f} N`).join(" ")}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "7420" },
      host: { type: "string", default: "127.0.0.1" },
      data: { type: "string", default: "kabar-data" },
      store: { type: "string" },
      "sqlite-fsync": { type: "string", default: "commit" },
      quiet: { type: "boolean", default: false },
      "log-requests": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
      ...Object.fromEntries(Object.keys(LIMIT_FLAGS).map((flag) => [flag, { type: "string" as const }])),
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const limits: Partial<Record<keyof ServerLimits, number>> = {};
  for (const [flag, name] of Object.entries(LIMIT_FLAGS)) {
    const raw = (values as Record<string, unknown>)[flag];
    if (typeof raw !== "string") continue;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`--${flag} must be a positive integer`);
    limits[name] = value;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError("--port must be 0..65535");
  const sqliteFsync = values["sqlite-fsync"];
  if (sqliteFsync !== "commit" && sqliteFsync !== "pipelined") throw new RangeError("--sqlite-fsync must be commit or pipelined");
  const logger = jsonLogger();
  const server = await startServer({
    port,
    host: values.host as string,
    dataDir: values.data as string,
    ...(typeof values.store === "string" ? { store: values.store } : {}),
    sqliteFsync,
    limits,
    logger: values.quiet ? silentLogger : logger,
    logRequests: values["log-requests"] === true,
  });
  // Always printed, even with --quiet: other programs read the port from it.
  logger.log("listening", { port: server.port, url: server.url, store: server.store.kind });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.log("signal", { signal });
    void server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(`${JSON.stringify({ event: "fatal", message: error instanceof Error ? error.message : String(error) })}\n`);
  process.exit(1);
});
