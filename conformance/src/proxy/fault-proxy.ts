// A fault-injecting relay between the kit's simulated devices and a server
// under test: it passes the WebSocket upgrade through untouched, then splits
// each direction into frames and asks a policy what to do with each whole
// data message: pass, drop, delay, duplicate, or cut the connection. Faults
// are injected here, outside the implementation, so any server can be
// tested the same way; the policy can be driven by fast-check values (or
// fc.scheduler) so a failing interleaving shrinks and replays.
import { createServer, connect, type AddressInfo, type Socket } from "node:net";
import { WebSocketFrameSplitter, type RawFrame } from "./websocket-frames.js";

/** Which way a frame travels. */
export type ProxyDirection = "to-server" | "to-client";

/** What happens to one data frame. */
export type FaultAction =
  | { readonly kind: "pass" }
  | { readonly kind: "drop" }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "duplicate" }
  | { readonly kind: "disconnect" }
  /** Writes these complete frames (zero or more) instead of this one: for adversaries that rewrite, hold back or replay messages. */
  | { readonly kind: "replace"; readonly frames: readonly Uint8Array[] };

/** What the policy is told about a frame. */
export interface FrameEvent {
  /** Which connection (0, 1, ... in accept order). */
  readonly connection: number;
  /** Which way it travels. */
  readonly direction: ProxyDirection;
  /** Index of the frame in this direction of this connection, from 0. */
  readonly index: number;
  /** The frame. */
  readonly frame: RawFrame;
}

/** Decides the fate of each whole data frame; control frames and fragments always pass. */
export type FaultPolicy = (event: FrameEvent) => FaultAction;

/** A running proxy. */
export interface FaultProxy {
  /** The ws:// URL clients connect to instead of the server's. */
  readonly url: string;
  /** Replaces the policy for frames from now on. */
  setPolicy(policy: FaultPolicy): void;
  /** Cuts every open connection at once (both sides see the TCP connection end). */
  disconnectAll(): void;
  /** What was done so far, for transcripts. */
  readonly log: readonly { readonly connection: number; readonly direction: ProxyDirection; readonly index: number; readonly action: FaultAction["kind"] }[];
  /** Stops listening and cuts every connection. */
  close(): Promise<void>;
}

/** The policy that changes nothing. */
export const passEverything: FaultPolicy = () => ({ kind: "pass" });

const HEADER_END = Buffer.from("\r\n\r\n");

/** Starts a proxy on 127.0.0.1 in front of `target` (a ws:// URL). */
export async function startFaultProxy(target: string, policy: FaultPolicy = passEverything): Promise<FaultProxy> {
  const upstream = new URL(target);
  if (upstream.protocol !== "ws:") throw new RangeError(`the fault proxy relays ws:// only, not ${upstream.protocol}`);
  const port = Number(upstream.port || 80);
  let current = policy;
  let nextConnection = 0;
  const sockets = new Set<Socket>();
  const log: { connection: number; direction: ProxyDirection; index: number; action: FaultAction["kind"] }[] = [];

  const server = createServer((client) => {
    const connection = nextConnection++;
    const server = connect(port, upstream.hostname);
    sockets.add(client);
    sockets.add(server);
    const cut = (): void => {
      client.destroy();
      server.destroy();
    };
    client.on("close", () => sockets.delete(client));
    server.on("close", () => sockets.delete(server));
    client.on("error", cut);
    server.on("error", cut);
    client.on("end", cut);
    server.on("end", cut);
    relay(client, server, "to-server");
    relay(server, client, "to-client");

    function relay(from: Socket, to: Socket, direction: ProxyDirection): void {
      let handshakeDone = false;
      let pending = Buffer.alloc(0);
      const splitter = new WebSocketFrameSplitter();
      let index = 0;
      // Frames leave in order: a delayed frame holds back the ones after it,
      // as a slow link would.
      let queue: Promise<void> = Promise.resolve();
      from.on("data", (chunk: Buffer) => {
        let data = chunk;
        if (!handshakeDone) {
          pending = Buffer.concat([pending, chunk]);
          const end = pending.indexOf(HEADER_END);
          if (end < 0) return;
          handshakeDone = true;
          to.write(pending.subarray(0, end + 4));
          data = pending.subarray(end + 4);
        }
        let frames: RawFrame[];
        try {
          frames = splitter.push(data);
        } catch {
          cut();
          return;
        }
        for (const frame of frames) {
          const isWholeDataFrame = frame.fin && (frame.opcode === 1 || frame.opcode === 2);
          const action: FaultAction = isWholeDataFrame ? current({ connection, direction, index: index++, frame }) : { kind: "pass" };
          if (isWholeDataFrame) log.push({ connection, direction, index: index - 1, action: action.kind });
          queue = queue.then(async () => {
            if (to.destroyed) return;
            switch (action.kind) {
              case "pass":
                to.write(frame.bytes);
                break;
              case "drop":
                break;
              case "duplicate":
                to.write(frame.bytes);
                to.write(frame.bytes);
                break;
              case "delay":
                await new Promise((resolve) => setTimeout(resolve, action.ms));
                if (!to.destroyed) to.write(frame.bytes);
                break;
              case "disconnect":
                cut();
                break;
              case "replace":
                for (const bytes of action.frames) to.write(bytes);
                break;
            }
          });
        }
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${address.port}${upstream.pathname === "/" ? "" : upstream.pathname}${upstream.search}`,
    setPolicy: (next) => {
      current = next;
    },
    disconnectAll: () => {
      for (const socket of sockets) socket.destroy();
    },
    log,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
