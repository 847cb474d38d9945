// The fault proxy between simulated devices and a server: it relays the
// WebSocket upgrade untouched and applies pass / drop / delay / duplicate /
// disconnect to whole data frames, in order. Tested with a raw TCP echo
// server speaking just enough WebSocket, so no WebSocket library is needed.
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { startFaultProxy, type FaultAction, type FaultProxy } from "../src/proxy/fault-proxy.js";
import { WebSocketFrameSplitter, buildWebSocketFrame } from "../src/proxy/websocket-frames.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A server that answers the upgrade and echoes every data frame back unmasked. */
async function echoServer(): Promise<string> {
  const server: Server = createServer((socket) => {
    let upgraded = false;
    let buffer = Buffer.alloc(0);
    const splitter = new WebSocketFrameSplitter();
    socket.on("data", (chunk: Buffer) => {
      let data = chunk;
      if (!upgraded) {
        buffer = Buffer.concat([buffer, chunk]);
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        upgraded = true;
        socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        data = buffer.subarray(end + 4);
      }
      for (const frame of splitter.push(data)) {
        const bytes = frame.bytes;
        const short = bytes[1]! & 0x7f;
        const offset = short === 126 ? 4 : short === 127 ? 10 : 2;
        const mask = bytes.subarray(offset, offset + 4);
        const payload = bytes.subarray(offset + 4).map((b, i) => b ^ mask[i % 4]!);
        socket.write(buildWebSocketFrame(frame.opcode, payload));
      }
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/kabar`;
}

/** A raw client: upgrades, sends masked binary frames, collects echoed payloads. */
async function rawClient(url: string): Promise<{ send(payload: number): void; received: number[]; closed: Promise<void>; socket: Socket }> {
  const { hostname, port, pathname } = new URL(url);
  const socket = connect(Number(port), hostname);
  cleanup.push(() => void socket.destroy());
  const received: number[] = [];
  const splitter = new WebSocketFrameSplitter();
  let upgraded = false;
  let buffer = Buffer.alloc(0);
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  const ready = new Promise<void>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      let data = chunk;
      if (!upgraded) {
        buffer = Buffer.concat([buffer, chunk]);
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        expect(buffer.subarray(0, end).toString()).toMatch(/^HTTP\/1\.1 101/);
        upgraded = true;
        resolve();
        data = buffer.subarray(end + 4);
      }
      for (const frame of splitter.push(data)) received.push(frame.bytes[2]!);
    });
  });
  socket.on("error", () => undefined);
  socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`);
  await ready;
  return { send: (payload) => socket.write(buildWebSocketFrame(2, Uint8Array.of(payload), Uint8Array.of(1, 2, 3, 4))), received, closed, socket };
}

const settle = (ms = 80) => new Promise((resolve) => setTimeout(resolve, ms));

async function proxied(policy: (index: number) => FaultAction): Promise<{ proxy: FaultProxy; client: Awaited<ReturnType<typeof rawClient>> }> {
  const proxy = await startFaultProxy(await echoServer(), (event) => (event.direction === "to-server" ? policy(event.index) : { kind: "pass" }));
  cleanup.push(() => proxy.close());
  expect(proxy.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/kabar$/);
  return { proxy, client: await rawClient(proxy.url) };
}

describe("fault proxy", () => {
  it("splits frames however the stream is chunked", () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 70_000 }), { maxLength: 4 }), fc.integer({ min: 1, max: 5000 }), (payloads, step) => {
      const stream = Buffer.concat(payloads.map((p) => buildWebSocketFrame(2, p, Uint8Array.of(9, 9, 9, 9))));
      const splitter = new WebSocketFrameSplitter();
      const frames = [];
      for (let pos = 0; pos < stream.length; pos += step) frames.push(...splitter.push(stream.subarray(pos, pos + step)));
      expect(frames.map((f) => f.bytes.length)).toEqual(payloads.map((p) => buildWebSocketFrame(2, p, Uint8Array.of(9, 9, 9, 9)).length));
    }), { numRuns: 30 });
  });

  it("passes, drops, duplicates and delays whole messages, keeping their order", async () => {
    const actions: FaultAction[] = [{ kind: "pass" }, { kind: "drop" }, { kind: "duplicate" }, { kind: "delay", ms: 60 }, { kind: "pass" }];
    const { proxy, client } = await proxied((i) => actions[i] ?? { kind: "pass" });
    for (const n of [10, 11, 12, 13, 14]) client.send(n);
    await settle(250);
    expect(client.received).toEqual([10, 12, 12, 13, 14]);
    expect(proxy.log.filter((l) => l.direction === "to-server").map((l) => l.action)).toEqual(["pass", "drop", "duplicate", "delay", "pass"]);
  });

  it("cuts the connection on disconnect, and disconnectAll cuts every connection", async () => {
    const { client } = await proxied((i) => (i === 1 ? { kind: "disconnect" } : { kind: "pass" }));
    client.send(1);
    client.send(2);
    await client.closed;
    expect(client.received).toEqual([1]);
    const { proxy, client: other } = await proxied(() => ({ kind: "pass" }));
    proxy.disconnectAll();
    await other.closed;
  });
});
