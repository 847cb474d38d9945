import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ConversationKind } from "@kabar/protocol";
import { startServer } from "@kabar/server";
import { randomId, TestAccount } from "./support/keys.js";
import { TestClient } from "./support/ws-client.js";

it("TRANSPORT-CONN-004 a slow consumer's live pushes are bounded and replaced by UpdatesTooLong", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kabar-slow-"));
  const server = await startServer({ port: 0, dataDir: dir, logger: false, limits: { maxBufferedBytes: 256 * 1024 } });
  try {
    const sender = await TestClient.connect(server.url);
    const reader = await TestClient.connect(server.url);
    const alice = new TestAccount();
    const bob = new TestAccount();
    await sender.login(alice, 1, { register: true });
    await reader.login(bob, 1, { register: true });
    const conversationId = randomId();
    await sender.call("createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [bob.accountId] });
    // Stop reading: the server's send buffer for this socket fills up.
    reader.socket.pause();
    const total = 300;
    for (let i = 0; i < total; i++) {
      await sender.call("sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(60_000), epoch: 0n });
    }
    reader.socket.resume();
    const tooLong = await reader.nextPush((p) => p.$case === "tooLong", 10_000);
    expect(tooLong.$case).toBe("tooLong");
    const delivered = reader.pushes.filter((p) => p.$case === "update").length;
    expect(delivered).toBeLessThan(total);
    // Nothing is lost: the log still has every message.
    let seq = 0n;
    let messages = 0;
    for (;;) {
      const diff = await reader.call("getDifference", { seq, limit: 1000 });
      const r = diff.result!;
      if (r.$case === "empty" || r.$case === "tooLong") break;
      messages += r.value.updates.filter((u) => u.kind?.$case === "message").length;
      seq = r.value.seq;
      if (r.$case === "difference") break;
    }
    expect(messages).toBe(total);
    sender.close();
    reader.close();
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
