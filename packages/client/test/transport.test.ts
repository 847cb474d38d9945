import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NodeCryptoProvider } from "@kabar/crypto";
import { decodeFrame, encodeFrame, ErrorCode, isKabarError, type ServerResponse } from "@kabar/protocol";
import { authSignedBytes } from "../src/transport/auth.js";
import { backoffDelay } from "../src/transport/backoff.js";
import { Connection } from "../src/transport/connection.js";
import { ReconnectingLink } from "../src/transport/reconnecting-link.js";
import type { Socket } from "../src/transport/socket.js";
import type { Clock } from "../src/util/ports.js";

/** A manual clock: timers fire only when the test advances time. */
function manualClock() {
  let now = 0;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  const clock: Clock & { advance(ms: number): void; pending(): number[] } = {
    now: () => now,
    setTimeout(fn, ms) {
      const timer = { at: now + ms, fn, live: true };
      timers.push(timer);
      return { cancel: () => void (timer.live = false) };
    },
    advance(ms) {
      now += ms;
      for (const t of timers.filter((t) => t.live && t.at <= now).sort((a, b) => a.at - b.at)) {
        t.live = false;
        t.fn();
      }
    },
    pending: () => timers.filter((t) => t.live).map((t) => t.at - now),
  };
  return clock;
}

type Answer = (request: { requestId: bigint; body: { $case: string; value: unknown } | undefined }) => ServerResponse["result"] | undefined;

/** A scripted server behind a fake socket. */
function fakeSocket(answer: Answer) {
  let onMessage: (bytes: Uint8Array) => void = () => undefined;
  const onClose: (() => void)[] = [];
  const sent: string[] = [];
  const socket: Socket & { push(body: unknown): void; reply(requestId: bigint, result: ServerResponse["result"]): void; sent: string[]; drop(): void } = {
    sent,
    send(bytes) {
      const frame = decodeFrame(bytes);
      if (frame.kind?.$case !== "request") return;
      const request = frame.kind.value;
      sent.push(request.body?.$case ?? "");
      const result = answer(request as never);
      if (result !== undefined) queueMicrotask(() => socket.reply(request.requestId, result));
    },
    reply(requestId, result) {
      onMessage(encodeFrame({ kind: { $case: "response", value: { requestId, result } } }));
    },
    push(body) {
      onMessage(encodeFrame({ kind: { $case: "push", value: { body: body as never } } }));
    },
    close: () => socket.drop(),
    drop() {
      for (const h of onClose.splice(0)) h();
    },
    onMessage: (h) => void (onMessage = h),
    onClose: (h) => void onClose.push(h),
  };
  return socket;
}

const helloAck = { $case: "hello" as const, value: { version: 1, challenge: new Uint8Array(32).fill(7), serverTimeMs: 0n, limits: undefined, fileLimits: undefined } };

describe("transport", () => {
  it("TRANSPORT-AUTH-002 signs exactly 'kabar-v1 auth' || challenge || account_id || u32be(device_id)", () => {
    const bytes = authSignedBytes(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), 0x01020304);
    expect(Buffer.from(bytes.subarray(0, 13)).toString()).toBe("kabar-v1 auth");
    expect(bytes.length).toBe(13 + 32 + 32 + 4);
    expect([...bytes.subarray(77)]).toEqual([1, 2, 3, 4]);
  });

  it("CLIENT-CONN-001 backoff is full jitter under an exponentially growing, capped ceiling", () => {
    fc.assert(fc.property(fc.nat(40), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
      const delay = backoffDelay(attempt, () => r, { baseMs: 100, maxMs: 10_000 });
      const ceiling = Math.min(10_000, 100 * 2 ** attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(ceiling);
      expect(delay).toBe(Math.floor(r * ceiling));
    }));
  });

  it("correlates responses by request id, whatever their order", async () => {
    const held: { id: bigint; kind: string }[] = [];
    const socket = fakeSocket((request) => {
      if (request.body?.$case === "hello") return helloAck;
      held.push({ id: request.requestId, kind: request.body!.$case });
      return undefined;
    });
    const connection = await Connection.open("ws://x", { socketFactory: async () => socket });
    const a = connection.request("ping", { nonce: 1n });
    const b = connection.request("ping", { nonce: 2n });
    socket.reply(held[1]!.id, { $case: "pong", value: { nonce: 2n } });
    socket.reply(held[0]!.id, { $case: "pong", value: { nonce: 1n } });
    expect((await a).nonce).toBe(1n);
    expect((await b).nonce).toBe(2n);
  });

  it("turns error responses into typed KabarErrors and times requests out", async () => {
    const clock = manualClock();
    const socket = fakeSocket((request) => {
      if (request.body?.$case === "hello") return helloAck;
      if (request.body?.$case === "getState") return { $case: "error", value: { code: ErrorCode.RATE_LIMITED, message: "slow down", retryAfterMs: 50, rule: "TRANSPORT-CONN-001", recipientsMismatch: undefined } };
      return undefined;
    });
    const connection = await Connection.open("ws://x", { socketFactory: async () => socket, clock, requestTimeoutMs: 1000 });
    await expect(connection.request("getState", {})).rejects.toSatisfy((e) => isKabarError(e, ErrorCode.RATE_LIMITED) && e.retryAfterMs === 50 && e.rule === "TRANSPORT-CONN-001");
    const silent = connection.request("ping", { nonce: 1n });
    clock.advance(999);
    clock.advance(1);
    await expect(silent).rejects.toSatisfy((e) => isKabarError(e, ErrorCode.UNAVAILABLE));
  });

  it("dispatches pushes and rejects pending requests when the socket closes", async () => {
    const socket = fakeSocket((request) => (request.body?.$case === "hello" ? helloAck : undefined));
    const connection = await Connection.open("ws://x", { socketFactory: async () => socket });
    const pushes: string[] = [];
    connection.onPush((push) => pushes.push(push.body?.$case ?? ""));
    socket.push({ $case: "tooLong", value: { seq: 5n } });
    const pending = connection.request("ping", { nonce: 1n });
    socket.drop();
    await expect(pending).rejects.toSatisfy((e) => isKabarError(e, ErrorCode.UNAVAILABLE));
    expect(pushes).toEqual(["tooLong"]);
  });

  it("CLIENT-CONN-002 reconnects after a drop with the jittered backoff schedule, re-authenticating each time", async () => {
    const clock = manualClock();
    const provider = new NodeCryptoProvider();
    const signing = provider.ed25519GenerateKeyPair();
    const sockets: ReturnType<typeof fakeSocket>[] = [];
    let failNext = 0;
    const factory = async () => {
      if (failNext > 0) {
        failNext--;
        throw new Error("refused");
      }
      const s = fakeSocket((request) => {
        if (request.body?.$case === "hello") return helloAck;
        if (request.body?.$case === "authenticate") return { $case: "authenticate", value: { seq: 0n, inboxSeq: 0n, inboxAckedSeq: 0n } };
        return undefined;
      });
      sockets.push(s);
      return s;
    };
    let connects = 0;
    const link = new ReconnectingLink({
      url: "ws://x", provider, clock, random: { float: () => 0.5, bytes: (n) => new Uint8Array(n) },
      credentials: { accountId: new Uint8Array(32), deviceId: 1, signing }, socketFactory: factory, backoff: { baseMs: 100, maxMs: 1000 },
    }, { onConnected: async () => void connects++, onPush: () => undefined });
    await link.start();
    expect(connects).toBe(1);
    failNext = 2;
    sockets[0]!.drop();
    expect(clock.pending()).toEqual([50]); // attempt 0: 0.5 * 100
    clock.advance(50);
    await new Promise((r) => setTimeout(r, 5));
    expect(clock.pending()).toEqual([100]); // attempt 1: 0.5 * 200
    clock.advance(100);
    await new Promise((r) => setTimeout(r, 5));
    expect(clock.pending()).toEqual([200]); // attempt 2: 0.5 * 400
    clock.advance(200);
    await new Promise((r) => setTimeout(r, 5));
    expect(connects).toBe(2);
    expect(sockets[1]!.sent).toEqual(["hello", "authenticate"]);
    link.stop();
  });
});

describe("displacement against the reference server", () => {
  it("TRANSPORT-CONN-003 a device displaced by a newer connection of itself stops reconnecting and says so", async () => {
    const { startRealServer } = await import("./support/real-server.js");
    const { registerClient, clientOptions, eventually } = await import("./support/clients.js");
    const { KabarClient } = await import("../src/client/kabar-client.js");
    const { MemoryClientStore } = await import("../src/store/memory-store.js");
    const server = await startRealServer();
    try {
      const store = new MemoryClientStore();
      const first = await registerClient(server, store);
      let displaced = 0;
      first.on("displaced", () => displaced++);
      // The same device (same store) started a second time, as a second process would.
      const second = await KabarClient.open(clientOptions(server, store));
      await eventually(() => expect(displaced).toBe(1));
      await eventually(() => expect(first.connected).toBe(false));
      expect(second.connected).toBe(true);
      await second.close();
      await first.close();
    } finally {
      await server.close();
    }
  });
});
