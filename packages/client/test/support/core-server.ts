// An in-process gateway over the reference server's request layer
// (ServerCore): each client socket is an in-memory pair, requests go to
// ServerCore.handle, and push effects are delivered to the matching
// authenticated connections. It stands in for the server's WebSocket
// transport until startServer() lands, and also lets tests drop every
// connection or restart the server (same data directory) at will.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeFrame, encodeFrame, type ServerPush } from "@kabar/protocol";
import { newSession, openSqliteStore, ServerCore, type ServerLimits, type ServerStore, type Session } from "@kabar/server";
import type { Socket, SocketFactory } from "../../src/transport/socket.js";

interface ServerSide {
  readonly session: Session;
  readonly deliver: (bytes: Uint8Array) => void;
  readonly close: () => void;
  queue: Promise<void>;
}

/** A running in-process server. */
export interface TestServer {
  /** Opens client sockets to this server. */
  readonly socketFactory: SocketFactory;
  /** A placeholder URL (sockets never dial it). */
  readonly url: string;
  /** Drops every connection (clients reconnect). */
  dropAll(): void;
  /** Stops and reopens the server on the same data (connections drop). */
  restart(): Promise<void>;
  /** Stops the server and deletes its data. */
  close(): Promise<void>;
  /** Live connections. */
  readonly connectionCount: number;
  /** Called before each request is handled; return "drop" to cut that connection instead. */
  onRequest: ((kind: string) => "drop" | undefined) | undefined;
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const later = (fn: () => void) => setImmediate(fn);

/** Starts an in-process server with a SQLite store in a temporary directory. */
export async function startTestServer(limits: Partial<ServerLimits> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "kabar-test-server-"));
  let store: ServerStore = openSqliteStore({ dataDir: join(dir, "data") });
  let core = new ServerCore({ store, blobs: join(dir, "blobs"), limits: { requestsPerSecond: 100_000, requestBurst: 100_000, claimsPerMinute: 100_000, ...limits }, onInternalError: (e) => console.error("server internal error", e) });
  const connections = new Set<ServerSide>();

  const push = (side: ServerSide, body: ServerPush["body"]) => side.deliver(encodeFrame({ kind: { $case: "push", value: { body } } }));

  const socketFactory: SocketFactory = async () => {
    let clientHandler: ((bytes: Uint8Array) => void) | undefined;
    const closeHandlers: ((error?: Error) => void)[] = [];
    let closed = false;
    const side: ServerSide = {
      session: newSession(),
      queue: Promise.resolve(),
      deliver: (bytes) => later(() => {
        if (!closed) clientHandler?.(bytes);
      }),
      close: () => {
        if (closed) return;
        closed = true;
        connections.delete(side);
        later(() => closeHandlers.forEach((h) => h()));
      },
    };
    connections.add(side);
    const serverReceive = (bytes: Uint8Array) => {
      const coreNow = core;
      side.queue = side.queue.then(async () => {
        if (closed) return;
        const frame = decodeFrame(bytes);
        if (frame.kind?.$case !== "request") return side.close();
        if (api.onRequest?.(frame.kind.value.body?.$case ?? "") === "drop") return side.close();
        const { response, pushes } = await coreNow.handle(side.session, frame.kind.value);
        if (closed) return;
        side.deliver(encodeFrame({ kind: { $case: "response", value: response } }));
        for (const effect of pushes) {
          for (const other of connections) {
            const device = other.session.device;
            if (device === undefined) continue;
            if (effect.kind === "update" && eq(device.accountId, effect.accountId)) push(other, { $case: "update", value: { update: effect.update } });
            if (effect.kind === "inbox" && eq(device.accountId, effect.accountId) && device.deviceId === effect.deviceId) push(other, { $case: "inbox", value: { entry: effect.entry } });
            if (effect.kind === "deviceList" && effect.accountIds.some((a) => eq(a, device.accountId))) push(other, { $case: "deviceList", value: { deviceList: effect.deviceList } });
          }
        }
      }).catch((error) => {
        console.error("test gateway fault", error);
        side.close();
      });
    };
    const socket: Socket = {
      send: (bytes) => {
        if (closed) throw new Error("socket closed");
        const copy = new Uint8Array(bytes);
        later(() => serverReceive(copy));
      },
      close: () => side.close(),
      onMessage: (handler) => {
        clientHandler = handler;
      },
      onClose: (handler) => {
        if (closed) later(() => handler());
        else closeHandlers.push(handler);
      },
    };
    return socket;
  };

  const api: TestServer = {
    onRequest: undefined,
    socketFactory,
    url: "ws://in-process.invalid",
    dropAll: () => [...connections].forEach((c) => c.close()),
    async restart() {
      [...connections].forEach((c) => c.close());
      await store.close();
      store = openSqliteStore({ dataDir: join(dir, "data") });
      core = new ServerCore({ store, blobs: join(dir, "blobs"), limits: { requestsPerSecond: 100_000, requestBurst: 100_000, claimsPerMinute: 100_000, ...limits } });
    },
    async close() {
      [...connections].forEach((c) => c.close());
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
    get connectionCount() {
      return connections.size;
    },
  };
  return api;
}
