import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationKind, ErrorCode, MAX_IN_FLIGHT, decodeFrame } from "@kabar/protocol";
import { CLOSE_DISPLACED, startServer, type RunningServer } from "@kabar/server";
import { randomId, TestAccount } from "./support/keys.js";
import { TestClient } from "./support/ws-client.js";

let server: RunningServer;
let dir: string;
const logLines: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kabar-ws-"));
  server = await startServer({
    port: 0, dataDir: dir, logger: { log: (event, fields) => logLines.push(JSON.stringify({ event, ...fields })) },
    limits: { maxFrameBytes: 200_000, handshakeTimeoutMs: 400, requestsPerSecond: 50, requestBurst: 100 },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function loggedIn(account = new TestAccount(), deviceId = 1, register = true) {
  const client = await TestClient.connect(server.url);
  await client.login(account, deviceId, { register });
  return { client, account };
}

describe("WebSocket transport", () => {
  it("TRANSPORT-HEALTH-001 GET /healthz answers 200 JSON", async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe("ok");
  });

  it("SYNC-PUSH-001 members' devices get live UpdatePush with seq; the sender's other device too", async () => {
    const alice = new TestAccount([1]);
    const { client: a1 } = await loggedIn(alice);
    alice.addDevice(2);
    await a1.call("publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1, 2] }) });
    const { client: a2 } = await loggedIn(alice, 2, false);
    const { client: b, account: bob } = await loggedIn();
    const conversationId = randomId();
    await a1.call("createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [bob.accountId] });
    const ciphertext = randomId(200);
    const sent = await a1.call("sendMessage", { conversationId, clientMessageId: randomId(), ciphertext, epoch: 0n });
    for (const c of [a2, b]) {
      const push = await c.nextPush((p) => p.$case === "update" && p.value.update?.kind?.$case === "message");
      expect(push.$case === "update" && push.value.update!.seq).toBeGreaterThan(0n);
    }
    const a2push = await a2.nextPush((p) => p.$case === "update" && p.value.update?.kind?.$case === "message");
    expect(a2push.$case === "update" && a2push.value.update!.seq).toBe(sent.seq);
    // Inbox pushes go to the addressed device only.
    await b.call("sendToDevices", { clientMessageId: randomId(), accountId: alice.accountId, messages: [1, 2].map((deviceId) => ({ deviceId, ciphertext: randomId(9) })), deviceListVersion: 0n });
    await a2.nextPush((p) => p.$case === "inbox");
    await a1.nextPush((p) => p.$case === "inbox");
    for (const c of [a1, a2, b]) c.close();
  });

  it("TRANSPORT-CONN-003 a second connection of the same device displaces the first with 4409", async () => {
    const account = new TestAccount();
    const { client: first } = await loggedIn(account);
    const { client: second } = await loggedIn(account, 1, false);
    const push = await first.nextPush((p) => p.$case === "displaced");
    expect(push.$case).toBe("displaced");
    expect((await first.closed).code).toBe(CLOSE_DISPLACED);
    await second.call("ping", { nonce: 5n });
    second.close();
  });

  it("SERVER-DEVICES-005 a connected device removed from the list is disconnected with 4403", async () => {
    const alice = new TestAccount([1]);
    const { client: a1 } = await loggedIn(alice);
    alice.addDevice(2);
    await a1.call("publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1, 2] }) });
    const { client: a2 } = await loggedIn(alice, 2, false);
    await a1.call("publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1] }) });
    const push = await a2.nextPush((p) => p.$case === "error");
    expect(push.$case === "error" && push.value.code).toBe(ErrorCode.AUTH_FAILED);
    expect((await a2.closed).code).toBe(4403);
    await a1.call("ping", { nonce: 1n });
    a1.close();
  });

  it("WIRE-FRAME-001 a text message gets an error push and the connection closes", async () => {
    const client = await TestClient.connect(server.url);
    client.sendBytes("hello");
    const push = await client.nextPush((p) => p.$case === "error");
    expect(push.$case === "error" && push.value.code).toBe(ErrorCode.FRAME_UNKNOWN_BODY);
    expect((await client.closed).code).toBe(1003);
  });

  it("TRANSPORT-CONN-002 a malformed frame is answered on its request id when readable, else pushed and closed", async () => {
    const client = await TestClient.connect(server.url);
    await client.hello();
    // Frame{request{request_id=7, ping{nonce: truncated varint}}}
    const waiter = new Promise((resolve) => setTimeout(resolve, 200));
    const malformed = new Uint8Array([0x0a, 0x05, 0x08, 0x07, 0x22, 0x01, 0x08]);
    let expected: unknown;
    try {
      decodeFrame(malformed);
    } catch (error) {
      expected = (error as { code: number }).code;
    }
    client.sendBytes(malformed);
    await waiter;
    const answered = client.strayResponses.find((r) => r.requestId === 7n);
    expect(answered?.result?.$case === "error" && answered.result.value.code).toBe(expected);
    // The connection stays usable after an answered malformed request.
    await client.call("ping", { nonce: 2n });
    client.sendBytes(new Uint8Array([0xff, 0xff]));
    const push = await client.nextPush((p) => p.$case === "error");
    expect(push.$case === "error" && push.value.code).toBeGreaterThanOrEqual(100);
    expect((await client.closed).code).toBe(1002);
  });

  it("WIRE-FRAME-002 an oversized frame is refused before buffering (ws maxPayload closes with 1009)", async () => {
    const client = await TestClient.connect(server.url);
    client.sendBytes(new Uint8Array(300_000));
    expect((await client.closed).code).toBe(1009);
  });

  it("TRANSPORT-CONN-001 too many requests in flight get TOO_MANY_IN_FLIGHT, too fast get RATE_LIMITED", async () => {
    const { client } = await loggedIn();
    const calls = Array.from({ length: MAX_IN_FLIGHT + 20 }, () => client.raw("getState", {}));
    const results = await Promise.all(calls);
    const codes = results.map((r) => (r.result?.$case === "error" ? r.result.value.code : 0));
    expect(codes.some((c) => c === ErrorCode.TOO_MANY_IN_FLIGHT || c === ErrorCode.RATE_LIMITED)).toBe(true);
    let limited;
    for (let i = 0; i < 200 && !limited; i++) {
      const r = await client.raw("ping", { nonce: 1n });
      if (r.result?.$case === "error" && r.result.value.code === ErrorCode.RATE_LIMITED) limited = r.result.value;
    }
    expect(limited?.retryAfterMs).toBeGreaterThan(0);
    client.close();
  });

  it("TRANSPORT-CONN-005 a connection that does not authenticate before the deadline is closed", async () => {
    const client = await TestClient.connect(server.url);
    await client.hello();
    const { code } = await client.closed;
    expect(code).toBe(4408);
  });

  it("AUTHZ-ACCESS-003 TRANSPORT-AUTH-004 the sender is taken from the session, never from the request", async () => {
    const { client: a, account: alice } = await loggedIn();
    const { client: b, account: bob } = await loggedIn();
    const conversationId = randomId();
    await a.call("createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [bob.accountId] });
    await b.call("sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(5), epoch: 0n });
    const push = await a.nextPush((p) => p.$case === "update" && p.value.update?.kind?.$case === "message");
    const msg = push.$case === "update" && push.value.update?.kind?.$case === "message" ? push.value.update.kind.value : undefined;
    expect(Buffer.from(msg!.senderAccountId).equals(Buffer.from(bob.accountId))).toBe(true);
    void alice;
    a.close();
    b.close();
  });

  it("TRANSPORT-LOG-001 logs are JSON lines without key or ciphertext material", async () => {
    const { client, account } = await loggedIn();
    await client.call("ping", { nonce: 1n });
    client.close();
    expect(logLines.length).toBeGreaterThan(0);
    const idHex = Buffer.from(account.accountId).toString("hex");
    const keyHex = Buffer.from(account.identity.publicKey).toString("hex");
    for (const line of logLines) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line.includes(idHex)).toBe(false);
      expect(line.includes(keyHex)).toBe(false);
    }
  });
});
