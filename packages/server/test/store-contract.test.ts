// One contract suite, run against every ServerStore implementation.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ConversationKind, ErrorCode, type AccountUpdate } from "@kabar/protocol";
import { openPostgresStore, openSqliteStore, type ServerStore } from "@kabar/server";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeHarness, randomId, rejects, TestAccount, type Harness } from "./support/core-harness.js";
import { dropSchema, POSTGRES_URL, postgresUnavailable, uniqueSchema } from "./support/postgres.js";

const pgReason = await postgresUnavailable();
if (pgReason !== undefined) console.log(`SKIP postgres contract: 127.0.0.1:5432 unreachable (${pgReason})`);
const schema = uniqueSchema("kabar_contract");

const backends: Array<{ name: string; open: () => Promise<ServerStore>; skip: boolean }> = [
  { name: "sqlite", open: async () => openSqliteStore({ dataDir: mkdtempSync(join(tmpdir(), "kabar-contract-")) }), skip: false },
  { name: "sqlite-pipelined", open: async () => openSqliteStore({ dataDir: mkdtempSync(join(tmpdir(), "kabar-contract-")), fsync: "pipelined", checkpointEvery: 3 }), skip: false },
  { name: "postgres", open: () => openPostgresStore({ connectionString: POSTGRES_URL, schema }), skip: pgReason !== undefined },
];

afterAll(async () => {
  if (pgReason === undefined) await dropSchema(schema);
});

async function allUpdates(h: Harness, session: Parameters<Harness["call"]>[0]): Promise<AccountUpdate[]> {
  const out: AccountUpdate[] = [];
  let seq = 0n;
  for (;;) {
    const diff = await h.call(session, "getDifference", { seq, limit: 1000 });
    const r = diff.result!;
    if (r.$case === "empty") return out;
    if (r.$case === "tooLong") throw new Error("unexpected tooLong");
    out.push(...r.value.updates);
    seq = r.value.seq;
    if (r.$case === "difference") return out;
  }
}

for (const backend of backends) {
  describe.skipIf(backend.skip)(`ServerStore contract: ${backend.name}`, () => {
    it("SYNC-LOG-001 concurrent sends from many devices give gap-free logs with every message once", async () => {
      const h = await makeHarness({ store: await backend.open() });
      const accounts = [new TestAccount(), new TestAccount(), new TestAccount()];
      const sessions: Array<Parameters<Harness["call"]>[0]> = [];
      for (const a of accounts) sessions.push(await h.connect(a));
      const conversationId = randomId();
      await h.call(sessions[0]!, "createConversation", { conversationId, kind: ConversationKind.GROUP, memberAccountIds: [accounts[1]!.accountId, accounts[2]!.accountId] });
      const sends = Array.from({ length: 60 }, (_, i) => ({ s: sessions[i % 3]!, id: randomId() }));
      await Promise.all(sends.map(({ s, id }) => h.call(s, "sendMessage", { conversationId, clientMessageId: id, ciphertext: id, epoch: 0n })));
      for (const s of sessions) {
        const updates = await allUpdates(h, s);
        expect(updates.map((u) => u.seq)).toEqual(updates.map((_, i) => BigInt(i + 1)));
        const ids = updates.filter((u) => u.kind?.$case === "message").map((u) => Buffer.from((u.kind as { value: { clientMessageId: Uint8Array } }).value.clientMessageId).toString("hex"));
        expect(ids.sort()).toEqual(sends.map((x) => Buffer.from(x.id).toString("hex")).sort());
      }
      await h.close();
    });

    it("SYNC-SEND-002 concurrent retries of one send store it once and all get the same response", async () => {
      const h = await makeHarness({ store: await backend.open() });
      const [a, b] = [new TestAccount(), new TestAccount()];
      const sa = await h.connect(a);
      await h.register(b);
      const conversationId = randomId();
      await h.call(sa, "createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [b.accountId] });
      const req = { conversationId, clientMessageId: randomId(), ciphertext: randomId(30), epoch: 0n };
      const results = await Promise.all(Array.from({ length: 8 }, () => h.call(sa, "sendMessage", req)));
      for (const r of results) expect(r).toEqual(results[0]);
      expect((await allUpdates(h, sa)).filter((u) => u.kind?.$case === "message")).toHaveLength(1);
      await h.close();
    });

    it("SERVER-PREKEY-001 concurrent claims hand out each one-time prekey once", async () => {
      const h = await makeHarness({ store: await backend.open() });
      const alice = new TestAccount();
      const sa = await h.connect(alice);
      await h.call(sa, "uploadPrekeys", { signedPrekey: alice.signedPreKey(1), kemPrekeys: [1, 2, 3, 4, 5].map((id) => alice.kemPreKey(1, id)), oneTimePrekeys: alice.oneTimePreKeys(1, 12), lastResortKemPrekey: alice.kemPreKey(1, 99, true) });
      const claimers = await Promise.all([0, 1, 2, 3].map(() => h.connect(new TestAccount())));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => h.call(claimers[i % 4]!, "claimPrekeys", { accountId: alice.accountId, deviceIds: [] })));
      const otp = results.map((r) => r.bundles[0]!.oneTimePrekey?.id).filter((x) => x !== undefined);
      const kem = results.map((r) => r.bundles[0]!.kemPrekey!.id).filter((id) => id !== 99);
      expect(otp.length).toBe(12);
      expect(new Set(otp).size).toBe(12);
      expect(kem.sort()).toEqual([1, 2, 3, 4, 5]);
      await h.close();
    });

    it("WIRE-ERROR-001 rejected requests leave every table unchanged", async () => {
      const h = await makeHarness({ store: await backend.open() });
      const [a, b] = [new TestAccount(), new TestAccount()];
      const sa = await h.connect(a);
      const sb = await h.connect(b);
      const conversationId = randomId();
      await h.call(sa, "createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [b.accountId] });
      const req = { conversationId, clientMessageId: randomId(), ciphertext: randomId(30), epoch: 0n };
      await h.call(sa, "sendMessage", req);
      const snap = await h.store.snapshot();
      await rejects(h.call(sa, "sendMessage", { ...req, ciphertext: randomId(30) }), ErrorCode.IDEMPOTENCY_CONFLICT);
      await rejects(h.call(sb, "ackInbox", { upToSeq: 5n }), ErrorCode.ACK_INVALID);
      await rejects(h.call(sb, "sendToDevices", { clientMessageId: randomId(), accountId: a.accountId, messages: [{ deviceId: 2, ciphertext: randomId(3) }], deviceListVersion: 0n }), ErrorCode.RECIPIENTS_MISMATCH);
      await rejects(h.call(sa, "publishDeviceList", { deviceList: a.deviceList({ version: 1n }) }), ErrorCode.DEVICE_LIST_STALE);
      expect(await h.store.snapshot()).toEqual(snap);
      await h.close();
    });

    it("FILES-UPLOAD-005 FILES-ACCESS-001 uploads complete once and blobs follow membership", async () => {
      const h = await makeHarness({ store: await backend.open(), limits: { partSize: 4096 } });
      const [a, b] = [new TestAccount(), new TestAccount()];
      const sa = await h.connect(a);
      const sb = await h.connect(b);
      const conversationId = randomId();
      await h.call(sa, "createConversation", { conversationId, kind: ConversationKind.GROUP, memberAccountIds: [b.accountId] });
      const data = randomId(5000);
      const digest = new Uint8Array(createHash("sha256").update(data).digest());
      const { upload } = await h.call(sa, "createUpload", { size: 5000n, digest, conversationId, clientRequestId: randomId() });
      await h.call(sa, "uploadPart", { uploadId: upload!.uploadId, partIndex: 1, data: data.subarray(4096) });
      await h.call(sa, "uploadPart", { uploadId: upload!.uploadId, partIndex: 0, data: data.subarray(0, 4096) });
      const done = await Promise.all([1, 2, 3].map(() => h.call(sa, "completeUpload", { uploadId: upload!.uploadId })));
      for (const d of done) expect(d).toEqual(done[0]);
      const got = await h.call(sb, "downloadRange", { blobId: done[0]!.blobId, offset: 0n, length: 5000 });
      expect(Buffer.from(got.data).equals(Buffer.from(data))).toBe(true);
      await h.call(sb, "changeMembers", { conversationId, addAccountIds: [], removeAccountIds: [b.accountId], clientRequestId: randomId() });
      await rejects(h.call(sb, "downloadRange", { blobId: done[0]!.blobId, offset: 0n, length: 10 }), ErrorCode.NOT_FOUND);
      await rejects(h.call(sb, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(3), epoch: 0n }), ErrorCode.NOT_FOUND);
      await h.close();
    });

    it("AUTHZ-ACCESS-004 sends racing a removal either land before it or are refused, never after it", async () => {
      const h = await makeHarness({ store: await backend.open() });
      const [a, b] = [new TestAccount(), new TestAccount()];
      const sa = await h.connect(a);
      const sb = await h.connect(b);
      const conversationId = randomId();
      await h.call(sa, "createConversation", { conversationId, kind: ConversationKind.GROUP, memberAccountIds: [b.accountId] });
      const sends = Array.from({ length: 20 }, () => h.call(sb, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(3), epoch: 0n }).then(() => "ok", () => "refused"));
      const removal = h.call(sa, "changeMembers", { conversationId, addAccountIds: [], removeAccountIds: [b.accountId], clientRequestId: randomId() });
      await Promise.all([...sends, removal]);
      const updates = await allUpdates(h, sa);
      const removedAt = updates.findIndex((u) => u.kind?.$case === "conversation" && u.kind.value.removedAccountIds.length > 0);
      expect(removedAt).toBeGreaterThan(0);
      expect(updates.slice(removedAt).filter((u) => u.kind?.$case === "message")).toHaveLength(0);
      await h.close();
    });

    it("SYNC-SEND-002 SYNC-INBOX-003 random send/retry/ack sequences match a model", async () => {
      const h = await makeHarness({ store: await backend.open() });
      const [a, b] = [new TestAccount(), new TestAccount()];
      const sa = await h.connect(a);
      const sb = await h.connect(b);
      const conversationId = randomId();
      await h.call(sa, "createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [b.accountId] });
      type Op = { op: "send"; key: number; body: number } | { op: "toDevice"; key: number } | { op: "ack"; upTo: number };
      const opArb: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ op: fc.constant("send" as const), key: fc.nat(5), body: fc.nat(2) }),
        fc.record({ op: fc.constant("toDevice" as const), key: fc.nat(5) }),
        fc.record({ op: fc.constant("ack" as const), upTo: fc.nat(8) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { maxLength: 12 }), async (ops) => {
          // Fresh ids per run; the model tracks what the server must hold.
          const keys = Array.from({ length: 6 }, () => randomId());
          const sent = new Map<number, number>();
          const toDevice = new Set<number>();
          let logSeq = (await h.call(sb, "getState", {})).state!.seq;
          const startSeq = logSeq;
          let inboxSeq = (await h.call(sb, "getState", {})).state!.inboxSeq;
          let acked = (await h.call(sb, "fetchInbox", { afterSeq: 0n, limit: 1 })).entries[0]?.inboxSeq ?? inboxSeq + 1n;
          acked = acked - 1n;
          for (const op of ops) {
            if (op.op === "send") {
              const body = new Uint8Array([op.body, 1]);
              const call = h.call(sa, "sendMessage", { conversationId, clientMessageId: keys[op.key]!, ciphertext: body, epoch: 0n });
              const prior = sent.get(op.key);
              if (prior === undefined) {
                await call;
                sent.set(op.key, op.body);
                logSeq += 1n;
              } else if (prior === op.body) await call;
              else await rejects(call, ErrorCode.IDEMPOTENCY_CONFLICT);
            } else if (op.op === "toDevice") {
              await h.call(sa, "sendToDevices", { clientMessageId: keys[op.key]!, accountId: b.accountId, messages: [{ deviceId: 1, ciphertext: new Uint8Array([9]) }], deviceListVersion: 0n });
              if (!toDevice.has(op.key)) {
                toDevice.add(op.key);
                inboxSeq += 1n;
              }
            } else {
              const upTo = BigInt(op.upTo) + acked;
              const call = h.call(sb, "ackInbox", { upToSeq: upTo });
              if (upTo > inboxSeq) await rejects(call, ErrorCode.ACK_INVALID);
              else {
                await call;
                if (upTo > acked) acked = upTo;
              }
            }
          }
          const state = (await h.call(sb, "getState", {})).state!;
          expect(state.seq).toBe(logSeq);
          expect(state.inboxSeq).toBe(inboxSeq);
          const diff = await h.call(sb, "getDifference", { seq: startSeq, limit: 1000 });
          const n = diff.result?.$case === "difference" ? diff.result.value.updates.length : 0;
          expect(BigInt(n)).toBe(logSeq - startSeq);
          const inbox = await h.call(sb, "fetchInbox", { afterSeq: 0n, limit: 1000 });
          expect(BigInt(inbox.entries.length)).toBe(inboxSeq - acked);
        }),
        { numRuns: backend.name === "postgres" ? 15 : 40 },
      );
      await h.close();
    });
  });
}

