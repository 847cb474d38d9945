// Server benchmark: durable fan-out through kabar-server versus a bare
// forwarding relay, and catch-up of 100,000 updates with GetDifference.
// Run: npx tsx --conditions=@kabar/source packages/server/bench/server.bench.ts
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ConversationKind, Frame, encodeFrame } from "@kabar/protocol";
import { ServerCore, newSession, openSqliteStore } from "@kabar/server";
import { randomId, TestAccount } from "../test/support/keys.js";
import { BenchClient } from "./bench-client.js";

/** One result row. */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

export interface BenchOptions {
  /** Devices (half send to the other half and back). Default 16. */
  readonly devices?: number;
  /** Measured seconds per run. Default 5. */
  readonly seconds?: number;
  /** Messages each device keeps in flight. Default 8. */
  readonly window?: number;
  /** Updates a device catches up on. Default 100,000. */
  readonly catchUp?: number;
}

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
// BENCH_SERVER=dist measures the compiled server (run `npx tsc -b packages/server` first) without the tsx loader.
const cli = fileURLToPath(new URL(process.env.BENCH_SERVER === "dist" ? "../dist/cli.js" : "../src/cli.ts", import.meta.url));
const relay = fileURLToPath(new URL("./bare-relay.ts", import.meta.url));
const MESSAGE_BYTES = 200;

interface Proc {
  child: ChildProcess;
  port: number;
}

async function spawnListening(script: string, args: string[]): Promise<Proc> {
  // BENCH_NODE_ARGS adds node flags to the measured processes (for example --cpu-prof).
  const extra = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const loader = script.endsWith(".js") ? [] : ["--conditions=@kabar/source", "--import", "tsx"];
  const child = spawn(process.execPath, [...extra, ...loader, script, ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        const e = JSON.parse(line) as { event?: string; port?: number };
        if (e.event === "listening") resolve(e.port!);
      } catch {
        // ignore
      }
    });
    child.once("exit", () => reject(new Error(`${script} exited`)));
  });
  return { child, port };
}

async function stop(proc: Proc): Promise<void> {
  const exited = new Promise((resolve) => proc.child.once("exit", resolve));
  proc.child.kill("SIGTERM");
  await exited;
}

interface Health { cpuUserMicros: number; cpuSystemMicros: number; rssBytes: number; maxRssBytes: number; storeStats?: Record<string, number> }
async function health(port: number): Promise<Health> {
  return (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as Health;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function stamp(): Uint8Array {
  const bytes = new Uint8Array(MESSAGE_BYTES);
  new DataView(bytes.buffer).setFloat64(0, performance.now());
  bytes.set(randomId(16), 8);
  return bytes;
}
const sentAt = (ciphertext: Uint8Array): number => new DataView(ciphertext.buffer, ciphertext.byteOffset).getFloat64(0);

interface LoadResult { rate: number; p50: number; p99: number; cpu: number; rss: number; clientCpu: number }

/** Closed loop: each device keeps `window` messages to its peer in flight; a message completes when the peer receives it. */
async function drive(
  devices: number, seconds: number, window: number, port: number,
  setup: () => Promise<Array<{ sendOne: () => void; onDelivered: (cb: (ciphertext: Uint8Array) => void) => void }>>,
): Promise<LoadResult> {
  const peers = await setup();
  let measuring = false;
  let delivered = 0;
  const latencies: number[] = [];
  let running = true;
  peers.forEach((device, i) => {
    const peer = peers[i ^ 1]!;
    peer.onDelivered((ciphertext) => {
      if (measuring) {
        delivered++;
        latencies.push(performance.now() - sentAt(ciphertext));
      }
      if (running) device.sendOne();
    });
  });
  for (const device of peers) for (let w = 0; w < window; w++) device.sendOne();
  await new Promise((r) => setTimeout(r, 1000));
  const before = await health(port);
  const clientBefore = process.cpuUsage();
  const start = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - start) / 1000;
  const after = await health(port);
  const client = process.cpuUsage(clientBefore);
  if (process.env.BENCH_DEBUG) console.error(JSON.stringify({ before: before.storeStats, after: after.storeStats }));
  running = false;
  await new Promise((r) => setTimeout(r, 300));
  latencies.sort((a, b) => a - b);
  const cpuMicros = after.cpuUserMicros + after.cpuSystemMicros - before.cpuUserMicros - before.cpuSystemMicros;
  void devices;
  return { rate: delivered / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpu: (cpuMicros / 1e6 / elapsed) * 100, rss: after.rssBytes, clientCpu: ((client.user + client.system) / 1e6 / elapsed) * 100 };
}

async function kabarLoad(devices: number, seconds: number, window: number, fsync: string): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "kabar-bench-"));
  const server = await spawnListening(cli, ["--port", "0", "--data", dir, "--quiet", "--sqlite-fsync", fsync, "--requests-per-second", "1000000", "--request-burst", "1000000"]);
  const url = `ws://127.0.0.1:${server.port}`;
  const clients: BenchClient[] = [];
  try {
    return await drive(devices, seconds, window, server.port, async () => {
      const accounts = Array.from({ length: devices }, () => new TestAccount());
      for (const account of accounts) {
        const c = await BenchClient.connect(url);
        const ack = await c.call("hello", { versions: [1], clientName: "bench" });
        await c.call("registerAccount", { identityKey: account.identity.publicKey, deviceList: account.deviceList() });
        await c.call("authenticate", { accountId: account.accountId, deviceId: 1, signature: account.authSignature(ack.challenge, 1) });
        clients.push(c);
      }
      const conversations: Uint8Array[] = [];
      for (let i = 0; i < devices; i += 2) {
        const conversationId = randomId();
        await clients[i]!.call("createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [accounts[i + 1]!.accountId] });
        conversations[i] = conversations[i + 1] = conversationId;
      }
      return clients.map((c, i) => ({
        sendOne: () => c.send("sendMessage", { conversationId: conversations[i]!, clientMessageId: randomId(), ciphertext: stamp(), epoch: 0n }),
        onDelivered: (cb) => {
          const own = accounts[i]!.accountId;
          c.onPush = (push) => {
            if (push.$case !== "update") return;
            const kind = push.value.update?.kind;
            // Count only deliveries from the peer, not the echo of one's own sends.
            if (kind?.$case === "message" && Buffer.compare(kind.value.senderAccountId, own) !== 0) cb(kind.value.ciphertext);
          };
        },
      }));
    });
  } finally {
    for (const c of clients) c.close();
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function relayLoad(devices: number, seconds: number, window: number): Promise<LoadResult> {
  const proc = await spawnListening(relay, []);
  const clients: BenchClient[] = [];
  try {
    return await drive(devices, seconds, window, proc.port, async () => {
      for (let i = 0; i < devices; i++) clients.push(await BenchClient.connect(`ws://127.0.0.1:${proc.port}/?id=${i}&peer=${i ^ 1}`));
      const conversationId = randomId();
      let requestId = 1n;
      return clients.map((c) => ({
        // The same frame a Kabar client would send, so client-side costs match.
        sendOne: () => c.socket.send(encodeFrame({ kind: { $case: "request", value: { requestId: requestId++, body: { $case: "sendMessage", value: { conversationId, clientMessageId: randomId(), ciphertext: stamp(), epoch: 0n } } } } })),
        onDelivered: (cb) => {
          c.onRaw = (data) => {
            const kind = Frame.decode(data).kind;
            if (kind?.$case === "request" && kind.value.body?.$case === "sendMessage") cb(kind.value.body.value.ciphertext);
          };
        },
      }));
    });
  } finally {
    for (const c of clients) c.close();
    await stop(proc);
  }
}

async function catchUp(updates: number): Promise<{ seconds: number; peakRss: number; populateSeconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), "kabar-catchup-"));
  try {
    const populateStart = performance.now();
    const store = openSqliteStore({ dataDir: dir });
    const core = new ServerCore({ store, blobs: join(dir, "blobs") });
    const alice = new TestAccount();
    const bob = new TestAccount();
    const call = async (session: ReturnType<typeof newSession>, body: unknown) => {
      const { response } = await core.handle(session, { requestId: 1n, body } as never);
      if (response.result?.$case === "error") throw new Error(response.result.value.message);
      return response.result!.value as never;
    };
    const login = async (account: TestAccount) => {
      const s = newSession();
      const ack: { challenge: Uint8Array } = await call(s, { $case: "hello", value: { versions: [1], clientName: "bench" } });
      await call(s, { $case: "registerAccount", value: { identityKey: account.identity.publicKey, deviceList: account.deviceList() } });
      await call(s, { $case: "authenticate", value: { accountId: account.accountId, deviceId: 1, signature: account.authSignature(ack.challenge, 1) } });
      return s;
    };
    const sa = await login(alice);
    await login(bob);
    const conversationId = randomId();
    await call(sa, { $case: "createConversation", value: { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [bob.accountId] } });
    let next = 0;
    const worker = async () => {
      while (next < updates - 1) {
        next++;
        await call(sa, { $case: "sendMessage", value: { conversationId, clientMessageId: randomId(), ciphertext: randomId(MESSAGE_BYTES), epoch: 0n } });
      }
    };
    await Promise.all(Array.from({ length: 512 }, worker));
    await store.close();
    const populateSeconds = (performance.now() - populateStart) / 1000;

    const server = await spawnListening(cli, ["--port", "0", "--data", dir, "--quiet"]);
    try {
      const c = await BenchClient.connect(`ws://127.0.0.1:${server.port}`);
      const ack = await c.call("hello", { versions: [1], clientName: "bench" });
      await c.call("authenticate", { accountId: bob.accountId, deviceId: 1, signature: bob.authSignature(ack.challenge, 1) });
      const start = performance.now();
      let seq = 0n;
      let received = 0;
      for (;;) {
        const r = (await c.call("getDifference", { seq, limit: 1000 })).result!;
        if (r.$case === "empty" || r.$case === "tooLong") break;
        received += r.value.updates.length;
        seq = r.value.seq;
        if (r.$case === "difference") break;
      }
      const seconds = (performance.now() - start) / 1000;
      if (received !== updates) throw new Error(`caught up ${received} of ${updates}`);
      const h = await health(server.port);
      c.close();
      return { seconds, peakRss: h.maxRssBytes, populateSeconds };
    } finally {
      await stop(server);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs every measurement and returns the rows. */
export async function run(options: BenchOptions = {}): Promise<BenchRow[]> {
  const devices = options.devices ?? 16;
  const seconds = options.seconds ?? 5;
  const window = options.window ?? 8;
  const updates = options.catchUp ?? 100_000;
  const kabar = await kabarLoad(devices, seconds, window, "commit");
  const pipelined = await kabarLoad(devices, seconds, window, "pipelined");
  const bare = await relayLoad(devices, seconds, window);
  const caught = await catchUp(updates);
  const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  const load = `${devices} devices, ${devices / 2} direct conversations, ${window} in flight each, ${MESSAGE_BYTES}-byte messages`;
  const kabarRows = (label: string, k: LoadResult, how: string): BenchRow[] => [
    { name: `kabar[${label}] delivered`, value: Math.round(k.rate), unit: "msg/s", note: `${how}; ${load}` },
    { name: `kabar[${label}] / bare relay`, value: r1((k.rate / bare.rate) * 100), unit: "%", note: "goal >= 50%" },
    { name: `kabar[${label}] latency p50`, value: r2(k.p50), unit: "ms" },
    { name: `kabar[${label}] latency p99`, value: r2(k.p99), unit: "ms", note: "goal < 50 ms" },
    { name: `kabar[${label}] server CPU`, value: r1(k.cpu), unit: "% of one core" },
    { name: `kabar[${label}] server RSS`, value: mib(k.rss), unit: "MiB", note: process.env.BENCH_SERVER === "dist" ? "compiled server" : "includes the tsx loader" },
    { name: `kabar[${label}] load generator CPU`, value: r1(k.clientCpu), unit: "% of one core", note: "the bench process itself" },
  ];
  return [
    ...kabarRows("commit", kabar, "durable: SQLite WAL, synchronous=FULL, group commit"),
    ...kabarRows("pipelined", pipelined, "durable: SQLite WAL fsynced on the thread pool, group commit"),
    { name: "bare relay delivered", value: Math.round(bare.rate), unit: "msg/s", note: "ws forward only, same frames" },
    { name: "bare relay latency p50", value: r2(bare.p50), unit: "ms" },
    { name: "bare relay latency p99", value: r2(bare.p99), unit: "ms" },
    { name: "bare relay CPU", value: r1(bare.cpu), unit: "% of one core" },
    { name: "bare relay RSS", value: mib(bare.rss), unit: "MiB" },
    { name: "bare relay load generator CPU", value: r1(bare.clientCpu), unit: "% of one core" },
    { name: `catch-up ${updates} updates`, value: r2(caught.seconds), unit: "s", note: "GetDifference, limit 1000; goal < 5 s" },
    { name: "catch-up server peak RSS", value: mib(caught.peakRss), unit: "MiB", note: "goal < 200 MiB" },
    { name: "catch-up log population", value: r1(caught.populateSeconds), unit: "s", note: "in-process through ServerCore, not part of the goal" },
  ];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await run({
    ...(process.env.BENCH_DEVICES ? { devices: Number(process.env.BENCH_DEVICES) } : {}),
    ...(process.env.BENCH_SECONDS ? { seconds: Number(process.env.BENCH_SECONDS) } : {}),
    ...(process.env.BENCH_CATCHUP ? { catchUp: Number(process.env.BENCH_CATCHUP) } : {}),
    ...(process.env.BENCH_WINDOW ? { window: Number(process.env.BENCH_WINDOW) } : {}),
  });
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) console.log(`${r.name.padEnd(width)}  ${String(r.value).padStart(10)} ${r.unit}${r.note ? `  (${r.note})` : ""}`);
}
