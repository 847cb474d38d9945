// SYNC-LOG-002: an acknowledged send survives a crash (kill -9) of the
// server process. Jepsen-style check after several random kill cycles:
// no acknowledged message lost, none duplicated, log seqs gap-free.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ConversationKind, type AccountUpdate } from "@kabar/protocol";
import { randomId, TestAccount } from "./support/keys.js";
import { spawnServer } from "./support/spawn-server.js";
import { TestClient } from "./support/ws-client.js";

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function readAll(client: TestClient): Promise<AccountUpdate[]> {
  const out: AccountUpdate[] = [];
  let seq = 0n;
  for (;;) {
    const r = (await client.call("getDifference", { seq, limit: 1000 })).result!;
    if (r.$case === "empty" || r.$case === "tooLong") return out;
    out.push(...r.value.updates);
    seq = r.value.seq;
    if (r.$case === "difference") return out;
  }
}

it.each(["commit", "pipelined"])("SYNC-LOG-002 every acknowledged send survives SIGKILL exactly once, with gap-free seqs (--sqlite-fsync %s)", async (fsyncMode) => {
  const seed = Number(process.env.KABAR_DURABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`durability seed ${seed} (replay: KABAR_DURABILITY_SEED=${seed})`);
  const random = mulberry32(seed);
  const dir = mkdtempSync(join(tmpdir(), "kabar-durability-"));
  const alice = new TestAccount();
  const bob = new TestAccount();
  const conversationId = randomId();
  const acked = new Map<string, bigint>();
  const attempted = new Map<string, Uint8Array>();
  const cycles = 3;
  try {
    for (let cycle = 0; cycle < cycles; cycle++) {
      const server = await spawnServer(["--data", dir, "--sqlite-fsync", fsyncMode]);
      const client = await TestClient.connect(server.url);
      await client.login(alice, 1, { register: cycle === 0 });
      if (cycle === 0) {
        const other = await TestClient.connect(server.url);
        await other.login(bob, 1, { register: true });
        other.close();
        await client.call("createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [bob.accountId] });
      }
      const killAfterMs = 150 + Math.floor(random() * 500);
      let killed = false;
      const pump = async (): Promise<void> => {
        while (!killed) {
          const id = randomId();
          const key = Buffer.from(id).toString("hex");
          attempted.set(key, id);
          try {
            const result = await Promise.race([
              client.call("sendMessage", { conversationId, clientMessageId: id, ciphertext: id, epoch: 0n }),
              client.closed.then(() => undefined),
            ]);
            if (result !== undefined) acked.set(key, result.seq);
          } catch {
            return;
          }
        }
      };
      const pumps = Array.from({ length: 8 }, () => pump());
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      killed = true;
      server.child.kill("SIGKILL");
      await server.exited;
      await Promise.all(pumps);
      client.close();
    }
    const server = await spawnServer(["--data", dir, "--sqlite-fsync", fsyncMode]);
    const client = await TestClient.connect(server.url);
    await client.login(alice);
    const updates = await readAll(client);
    expect(updates.map((u) => u.seq)).toEqual(updates.map((_, i) => BigInt(i + 1)));
    const logged = new Map<string, bigint>();
    for (const u of updates) {
      if (u.kind?.$case !== "message") continue;
      const key = Buffer.from(u.kind.value.clientMessageId).toString("hex");
      expect(logged.has(key), `duplicate ${key}`).toBe(false);
      logged.set(key, u.seq);
      // Only messages the client actually tried can be there, byte-identical.
      expect(Buffer.from(u.kind.value.ciphertext).equals(Buffer.from(attempted.get(key)!))).toBe(true);
    }
    expect(acked.size).toBeGreaterThan(0);
    for (const [key, seq] of acked) expect(logged.get(key), `acknowledged ${key} lost`).toBe(seq);
    console.log(`durability (${fsyncMode}): ${cycles} kill cycles, ${acked.size} acknowledged, ${logged.size} in log`);
    client.close();
    server.child.kill("SIGTERM");
    // TRANSPORT-CONN-006: SIGTERM is a clean shutdown.
    expect(await server.exited).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
