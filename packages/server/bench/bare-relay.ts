// The baseline for server.bench.ts: a WebSocket relay that only forwards.
// Each connection sends its peer index in its first message; afterwards
// every binary message is forwarded unchanged to that peer. No storage,
// no decoding. Prints {"event":"listening","port":N} like kabar-server.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

const http = createServer((req, res) => {
  const cpu = process.cpuUsage();
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({
    status: "ok", cpuUserMicros: cpu.user, cpuSystemMicros: cpu.system, rssBytes: process.memoryUsage.rss(),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }));
});
const sockets = new Map<number, WebSocket>();
const wss = new WebSocketServer({ server: http, maxPayload: 1_048_576 });
wss.on("connection", (socket, req) => {
  const url = new URL(req.url ?? "/", "http://x");
  const self = Number(url.searchParams.get("id"));
  const peer = Number(url.searchParams.get("peer"));
  sockets.set(self, socket);
  socket.on("message", (data, isBinary) => {
    sockets.get(peer)?.send(data as Buffer, { binary: isBinary });
  });
  socket.on("close", () => sockets.delete(self));
});
http.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ event: "listening", port: (http.address() as AddressInfo).port })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
