import { createServer, type IncomingMessage, type ServerResponse as HttpResponse } from "node:http";
import { join, resolve } from "node:path";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import {
  MAX_DIFFERENCE_LIMIT, MAX_FILE_BYTES, MAX_FRAME_BYTES, MAX_IN_FLIGHT, MAX_MESSAGE_BYTES, MAX_PART_BYTES, MAX_PARTS, MAX_RANGE_BYTES,
} from "@kabar/protocol";
import { resolveLimits, type ServerLimits } from "../core/limits.js";
import type { Clock } from "../core/ports.js";
import type { PaymentProvider } from "../payments/payment-provider.js";
import { ServerCore, type ServerCoreOptions } from "../core/server-core.js";
import { jsonLogger, silentLogger, type Logger } from "../log.js";
import type { ServerStore } from "../store/server-store.js";
import { openPostgresStore, openSqliteStore } from "../store/sql-server-store.js";
import type { SqliteFsyncMode } from "../store/sqlite-driver.js";
import { ConnectionHub } from "./connection-hub.js";
import { RemotePushes } from "./remote-pushes.js";
import { CLOSE_GOING_AWAY, Connection } from "./connection.js";

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** TCP port; 0 picks a free one. Default 7420. */
  readonly port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** Data folder for the SQLite database and blob files. Default ./kabar-data. */
  readonly dataDir?: string;
  /** A ready store, or a postgres:// URL; default SQLite in dataDir. */
  readonly store?: ServerStore | string;
  /** SQLite fsync mode for the embedded store. Default "commit". */
  readonly sqliteFsync?: SqliteFsyncMode;
  /** Limits overriding the defaults. */
  readonly limits?: Partial<ServerLimits>;
  /** Structured log destination; false for none. Default JSON lines on stdout. */
  readonly logger?: Logger | false;
  /**
   * Also log one `request` event per answered request (operation, outcome,
   * error code, milliseconds). Debug level: it costs a log line per
   * message on the hot path. Default false; connection, rejection, error
   * and lifecycle events are always logged.
   */
  readonly logRequests?: boolean;
  /** Clock port (tests). */
  readonly clock?: Clock;
  /** How often expired uploads are collected, in ms. Default 60 s. */
  readonly gcIntervalMs?: number;
  /** Payment providers (profile "payments"); default the test provider "example-pay", [] turns payments off. See {@link ServerCoreOptions.paymentProviders}. */
  readonly paymentProviders?: readonly PaymentProvider[];
}

/** A running server. */
export interface RunningServer {
  /** The WebSocket URL clients connect to, `ws://host:port`. */
  readonly url: string;
  /** The TCP port listened on; the one the OS chose when the options asked for port 0. */
  readonly port: number;
  /** The request layer behind the sockets; tests and embedders may call it directly. */
  readonly core: ServerCore;
  /** The store in use; {@link RunningServer.close} closes it, also when it was passed in. */
  readonly store: ServerStore;
  /** Graceful stop: no new connections, in-flight requests finish, sockets close, the store closes. */
  close(): Promise<void>;
}

/** The limits HelloAck advertises, with the protocol maximum none may exceed (TRANSPORT-HELLO-004, wire chapter). */
const PROTOCOL_MAXIMUMS: readonly (readonly [keyof ServerLimits, number])[] = [
  ["maxFrameBytes", MAX_FRAME_BYTES], ["maxInFlight", MAX_IN_FLIGHT], ["maxMessageBytes", MAX_MESSAGE_BYTES], ["maxDifferenceLimit", MAX_DIFFERENCE_LIMIT],
  ["partSize", MAX_PART_BYTES], ["maxParts", MAX_PARTS], ["maxFileBytes", MAX_FILE_BYTES], ["maxRangeBytes", MAX_RANGE_BYTES],
];

/** Throws RangeError when a configured limit exceeds its protocol maximum: the server would advertise it (TRANSPORT-HELLO-004). */
function checkProtocolMaximums(limits: ServerLimits): void {
  for (const [name, max] of PROTOCOL_MAXIMUMS) {
    if (limits[name] > max) throw new RangeError(`limit ${name} = ${limits[name]} exceeds the protocol maximum ${max}`);
  }
}

/** Starts the Kabar server: WebSocket gateway, health endpoint, store. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  checkProtocolMaximums(resolveLimits(options.limits));
  const dataDir = resolve(options.dataDir ?? "kabar-data");
  const logger = options.logger === false ? silentLogger : (options.logger ?? jsonLogger());
  const store = typeof options.store === "object"
    ? options.store
    : typeof options.store === "string"
      ? await openPostgresStore({ connectionString: options.store })
      : openSqliteStore({ dataDir, ...(options.sqliteFsync !== undefined ? { fsync: options.sqliteFsync } : {}) });
  const core = new ServerCore({
    store,
    blobs: join(dataDir, "blobs"),
    limits: options.limits ?? {},
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.paymentProviders !== undefined ? { paymentProviders: options.paymentProviders } : {}),
    onInternalError: (error) => logger.log("internal.error", { message: error instanceof Error ? error.message : String(error) }),
  });
  const hub = new ConnectionHub();
  // Pre-checkout queries go out while the payment request waits (PAY-PRECHECKOUT-001).
  core.onLivePush = (effects) => hub.deliver(effects);
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  const connections = new Set<Connection>();
  // Several gateways on one PostgreSQL database: push what the others commit.
  let stopWatching: (() => Promise<void>) | undefined;
  if (store.watchRemoteCommits !== undefined) {
    const remote = new RemotePushes(store, hub, core.limits.maxFrameBytes - 4096, track, (error) =>
      logger.log("remote.push.error", { message: error instanceof Error ? error.message : String(error) }));
    stopWatching = await store.watchRemoteCommits((commit) => remote.accept(commit));
    const announce = store.announceConnection?.bind(store);
    if (announce !== undefined) {
      hub.onRegister = (accountId, deviceId) => {
        const order = announce(accountId, deviceId).catch((error: unknown) => {
          logger.log("connection.announce.error", { message: error instanceof Error ? error.message : String(error) });
          return undefined;
        });
        track(order);
        return order;
      };
    }
  }

  const http = createServer((req: IncomingMessage, res: HttpResponse) => {
    // TRANSPORT-HEALTH-001: liveness and counters, never account data.
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" });
      const cpu = process.cpuUsage();
      const usage = process.resourceUsage();
      res.end(JSON.stringify({
        status: "ok", store: store.kind, connections: connections.size, authenticated: hub.size,
        storeStats: store.stats(), cpuUserMicros: cpu.user, cpuSystemMicros: cpu.system, rssBytes: process.memoryUsage.rss(), maxRssBytes: usage.maxRSS * 1024,
      }));
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "not_found" }));
  });
  // maxPayload makes ws refuse an oversized message before buffering it (WIRE-FRAME-002).
  const wss = new WebSocketServer({ server: http, maxPayload: core.limits.maxFrameBytes });
  const perAddress = new Map<string, number>();
  wss.on("connection", (socket, request) => {
    // TRANSPORT-CONN-008: bound connections per remote address.
    const address = request.socket.remoteAddress ?? "unknown";
    const open = (perAddress.get(address) ?? 0) + 1;
    if (open > core.limits.maxConnectionsPerIp || closing !== undefined) {
      logger.log("connection.refused", { reason: closing !== undefined ? "shutting down" : "per-address limit" });
      socket.close(1013, "try again later");
      return;
    }
    perAddress.set(address, open);
    socket.on("close", () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
    const connection = new Connection(socket, {
      core, hub, logger, track, shuttingDown: () => closing !== undefined, logRequests: options.logRequests === true,
    });
    connections.add(connection);
    socket.on("close", () => connections.delete(connection));
  });

  await new Promise<void>((done, fail) => {
    http.once("error", fail);
    http.listen(options.port ?? 7420, options.host ?? "127.0.0.1", () => done());
  });
  const port = (http.address() as AddressInfo).port;
  const host = options.host ?? "127.0.0.1";
  const url = `ws://${host}:${port}`;

  const gc = setInterval(() => {
    void core.collectExpiredUploads()
      .then((n) => n > 0 && logger.log("uploads.collected", { count: n }))
      .catch(() => undefined);
  }, options.gcIntervalMs ?? 60_000);
  gc.unref();

  let closing: Promise<void> | undefined;
  return {
    url, port, core, store,
    // TRANSPORT-CONN-006: stop accepting, finish in-flight, then close.
    close() {
      closing ??= (async () => {
        clearInterval(gc);
        logger.log("shutdown.begin", { inFlight: pending.size });
        http.close();
        wss.close();
        await stopWatching?.();
        await Promise.allSettled([...pending]);
        for (const connection of connections) connection.close(CLOSE_GOING_AWAY, "server shutting down");
        await store.close();
        logger.log("shutdown.done");
      })();
      return closing;
    },
  };
}
