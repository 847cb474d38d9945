import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConversationKind, ErrorCode, Frame } from "@kabar/protocol";
import { openPostgresStore, openSqliteStore, startServer } from "@kabar/server";
import type { CallError } from "./support/core-harness.js";
import { randomId, TestAccount } from "./support/keys.js";
import { dropSchema, POSTGRES_URL, postgresUnavailable, uniqueSchema } from "./support/postgres.js";
import { TestClient } from "./support/ws-client.js";

const pgReason = await postgresUnavailable();

async function pairOn(url: string) {
  const a = await TestClient.connect(url);
  const b = await TestClient.connect(url);
  const alice = new TestAccount();
  const bob = new TestAccount();
  await a.login(alice, 1, { register: true });
  await b.login(bob, 1, { register: true });
  const conversationId = randomId();
  await a.call("createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [bob.accountId] });
  return { a, b, conversationId };
}

describe("server lifecycle", () => {
  it("TRANSPORT-CONN-006 SIGTERM-style close answers in-flight requests, then closes with 1001", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kabar-life-"));
    const server = await startServer({ port: 0, dataDir: dir, logger: false });
    const { a, conversationId } = await pairOn(server.url);
    const sends = Array.from({ length: 40 }, () => a.call("sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(100), epoch: 0n }));
    await Promise.race(sends);
    const closing = server.close();
    const results = await Promise.allSettled(sends);
    await closing;
    const ok = results.filter((r) => r.status === "fulfilled").length;
    expect(ok).toBeGreaterThan(0);
    // Anything not done was refused as UNAVAILABLE or cut by the close, never half-done.
    for (const r of results) if (r.status === "rejected") expect([0, ErrorCode.UNAVAILABLE]).toContain((r.reason as CallError).code);
    expect((await a.closed).code).toBe(1001);
    await expect(TestClient.connect(server.url)).rejects.toThrow();
    // Every acknowledged send is in the store after shutdown.
    const store = openSqliteStore({ dataDir: dir });
    expect((await store.snapshot()).messages!.length).toBeGreaterThanOrEqual(ok);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("SYNC-PUSH-002 the response reaches the sender before the push its send caused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kabar-life-"));
    const server = await startServer({ port: 0, dataDir: dir, logger: false });
    const { a, conversationId } = await pairOn(server.url);
    const order: string[] = [];
    a.socket.on("message", (data: Buffer) => {
      const kind = Frame.decode(data).kind;
      if (kind?.$case === "response" && kind.value.result?.$case === "sendMessage") order.push("response");
      if (kind?.$case === "push" && kind.value.body?.$case === "update") order.push("push");
    });
    const sent = await a.call("sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(10), epoch: 0n });
    await a.nextPush((p) => p.$case === "update" && p.value.update?.seq === sent.seq);
    expect(order).toEqual(["response", "push"]);
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("TRANSPORT-CONN-008 connections beyond the per-address limit are refused with 1013", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kabar-life-"));
    const server = await startServer({ port: 0, dataDir: dir, logger: false, limits: { maxConnectionsPerIp: 2 } });
    const first = await TestClient.connect(server.url);
    const second = await TestClient.connect(server.url);
    const third = await TestClient.connect(server.url);
    expect((await third.closed).code).toBe(1013);
    first.close();
    await first.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fourth = await TestClient.connect(server.url);
    await fourth.hello();
    second.close();
    fourth.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(pgReason !== undefined)("SYNC-SEND-001 the WebSocket server runs on the PostgreSQL store", async () => {
    const schema = uniqueSchema("kabar_ws");
    const dir = mkdtempSync(join(tmpdir(), "kabar-life-"));
    const store = await openPostgresStore({ connectionString: POSTGRES_URL, schema });
    const server = await startServer({ port: 0, dataDir: dir, store, logger: false });
    try {
      const { a, b, conversationId } = await pairOn(server.url);
      const ciphertext = randomId(64);
      await a.call("sendMessage", { conversationId, clientMessageId: randomId(), ciphertext, epoch: 0n });
      const push = await b.nextPush((p) => p.$case === "update" && p.value.update?.kind?.$case === "message");
      const got = push.$case === "update" && push.value.update?.kind?.$case === "message" ? push.value.update.kind.value.ciphertext : undefined;
      expect(Buffer.from(got!).equals(Buffer.from(ciphertext))).toBe(true);
      a.close();
      b.close();
    } finally {
      await server.close();
      await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
