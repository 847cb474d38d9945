// Several gateways serving one deployment over one PostgreSQL schema: a
// commit on one gateway is pushed live to devices connected to another
// (SYNC-PUSH-001 across processes, announced with LISTEN/NOTIFY).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationKind } from "@kabar/protocol";
import { CLOSE_DEVICE_REMOVED, CLOSE_DISPLACED, openPostgresStore, startServer, type RunningServer } from "@kabar/server";
import { randomId, TestAccount } from "./support/keys.js";
import { dropSchema, POSTGRES_URL, postgresUnavailable, uniqueSchema } from "./support/postgres.js";
import { TestClient } from "./support/ws-client.js";

const pgReason = await postgresUnavailable();
if (pgReason !== undefined) console.log(`SKIP multi-gateway delivery: 127.0.0.1:5432 unreachable (${pgReason})`);

describe.skipIf(pgReason !== undefined)("two gateways on one PostgreSQL schema", () => {
  const schema = uniqueSchema("kabar_gw");
  const dirs: string[] = [];
  let one: RunningServer;
  let two: RunningServer;

  beforeAll(async () => {
    const start = async (): Promise<RunningServer> => {
      const dir = mkdtempSync(join(tmpdir(), "kabar-gw-"));
      dirs.push(dir);
      const store = await openPostgresStore({ connectionString: POSTGRES_URL, schema, poolSize: 4 });
      return startServer({ port: 0, dataDir: dir, store, logger: false });
    };
    one = await start();
    two = await start();
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    if (pgReason === undefined) await dropSchema(schema);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function connect(server: RunningServer, account: TestAccount, deviceId = 1, register = false): Promise<TestClient> {
    const client = await TestClient.connect(server.url);
    await client.login(account, deviceId, { register });
    return client;
  }

  it("SYNC-PUSH-001 a send on one gateway reaches a device on the other live, and the sender's other device too", async () => {
    const alice = new TestAccount([1]);
    const bob = new TestAccount([1]);
    const a1 = await connect(one, alice, 1, true);
    alice.addDevice(2);
    await a1.call("publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1, 2] }) });
    const a2 = await connect(two, alice, 2);
    const b = await connect(two, bob, 1, true);
    const conversationId = randomId();
    await a1.call("createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [bob.accountId] });
    const ciphertext = randomId(200);
    const sent = await a1.call("sendMessage", { conversationId, clientMessageId: randomId(), ciphertext, epoch: 0n });
    const isMessage = (p: Parameters<Parameters<TestClient["nextPush"]>[0]>[0]): boolean =>
      p.$case === "update" && p.value.update?.kind?.$case === "message";
    const atBob = await b.nextPush(isMessage);
    const message = atBob.$case === "update" && atBob.value.update?.kind?.$case === "message" ? atBob.value.update.kind.value : undefined;
    expect(Buffer.from(message!.ciphertext).equals(Buffer.from(ciphertext))).toBe(true);
    const atA2 = await a2.nextPush(isMessage);
    expect(atA2.$case === "update" && atA2.value.update!.seq).toBe(sent.seq);
    // And back: bob answers on gateway two, alice's device on gateway one hears it.
    await b.call("sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(50), epoch: 0n });
    await a1.nextPush((p) => isMessage(p) && p.$case === "update" && p.value.update!.seq > sent.seq);
    // Inbox entries go to the addressed device, wherever it is connected.
    await a1.call("sendToDevices", { clientMessageId: randomId(), accountId: bob.accountId, messages: [{ deviceId: 1, ciphertext: randomId(9) }], deviceListVersion: 0n });
    const inbox = await b.nextPush((p) => p.$case === "inbox");
    expect(inbox.$case === "inbox" && inbox.value.entry!.inboxSeq).toBe(1n);
    for (const c of [a1, a2, b]) c.close();
  });

  it("SERVER-DEVICES-005 a device removed through one gateway is disconnected from the other with 4403", async () => {
    const alice = new TestAccount([1]);
    const a1 = await connect(one, alice, 1, true);
    alice.addDevice(2);
    await a1.call("publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1, 2] }) });
    const a2 = await connect(two, alice, 2);
    await a1.call("publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1] }) });
    const closed = await Promise.race([a2.closed, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000))]);
    expect(closed?.code).toBe(CLOSE_DEVICE_REMOVED);
    a1.close();
  });

  it("TRANSPORT-CONN-003 a device connecting on one gateway displaces its older connection on the other with 4409", async () => {
    const alice = new TestAccount([1]);
    const first = await connect(one, alice, 1, true);
    const second = await connect(two, alice, 1);
    const push = await first.nextPush((p) => p.$case === "displaced");
    expect(push.$case).toBe("displaced");
    expect((await first.closed).code).toBe(CLOSE_DISPLACED);
    // The newer connection stays, also after its own announcement came back around.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await second.call("ping", { nonce: 3n });
    // And back the other way.
    const third = await connect(one, alice, 1);
    expect((await second.closed).code).toBe(CLOSE_DISPLACED);
    await third.call("ping", { nonce: 4n });
    third.close();
  });

  it("does not push a commit twice to a device on the gateway that made it", async () => {
    const alice = new TestAccount([1]);
    const bob = new TestAccount([1]);
    const a = await connect(one, alice, 1, true);
    const b = await connect(one, bob, 1, true);
    const conversationId = randomId();
    await a.call("createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [bob.accountId] });
    await a.call("sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(20), epoch: 0n });
    await b.nextPush((p) => p.$case === "update" && p.value.update?.kind?.$case === "message");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seqs = b.pushes.flatMap((p) => (p.$case === "update" ? [p.value.update!.seq] : []));
    expect(new Set(seqs).size).toBe(seqs.length);
    a.close();
    b.close();
  });
});
