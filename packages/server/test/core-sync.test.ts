import { describe, expect, it } from "vitest";
import { ConversationKind, ErrorCode, MAX_FRAME_BYTES, MAX_SEQUENCE, encodeFrame, type AccountUpdate } from "@kabar/protocol";
import { makeHarness, randomId, rejects, TestAccount, type Harness } from "./support/core-harness.js";


async function setup(h: Harness) {
  const alice = new TestAccount([1]);
  const bob = new TestAccount([1]);
  const sa1 = await h.connect(alice, 1);
  alice.addDevice(2);
  await h.call(sa1, "publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1, 2] }) });
  const sa2 = await h.connect(alice, 2);
  const sb = await h.connect(bob, 1);
  const conversationId = randomId();
  await h.call(sa1, "createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [bob.accountId] });
  return { alice, bob, sa1, sa2, sb, conversationId };
}

function updatesOf(diff: { result?: { $case: string; value: unknown } | undefined }): AccountUpdate[] {
  const r = diff.result;
  return r && (r.$case === "difference" || r.$case === "slice") ? (r.value as { updates: AccountUpdate[] }).updates : [];
}

describe("sending and the account log", () => {
  it("SYNC-SEND-001 SYNC-LOG-004 a message is stored once and appended to every member's log, sender's other devices included", async () => {
    const h = await makeHarness();
    const { alice, bob, sa1, sa2, sb, conversationId } = await setup(h);
    const ciphertext = randomId(200);
    const sent = await h.call(sa1, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext, epoch: 1n });
    const aliceSeq = (await h.call(sa2, "getState", {})).state!.seq;
    expect(sent.seq).toBe(aliceSeq);
    for (const s of [sa2, sb]) {
      const updates = updatesOf(await h.call(s, "getDifference", { seq: 0n, limit: 0 }));
      const last = updates[updates.length - 1]!;
      expect(last.kind?.$case).toBe("message");
      if (last.kind?.$case === "message") {
        expect(Buffer.from(last.kind.value.ciphertext).equals(Buffer.from(ciphertext))).toBe(true);
        expect(Buffer.from(last.kind.value.senderAccountId).equals(Buffer.from(alice.accountId))).toBe(true);
        expect(last.kind.value.senderDeviceId).toBe(1);
      }
    }
    const snap = await h.store.snapshot();
    expect(snap.messages).toHaveLength(1);
    expect(h.pushes.filter((p) => p.kind === "update" && Buffer.from(p.accountId).equals(Buffer.from(bob.accountId))).length).toBeGreaterThan(0);
    await h.close();
  });

  it("SYNC-SEND-002 a retry returns the identical response and stores nothing new", async () => {
    const h = await makeHarness();
    const { sa1, sa2, conversationId } = await setup(h);
    const req = { conversationId, clientMessageId: randomId(), ciphertext: randomId(50), epoch: 0n };
    const first = await h.call(sa1, "sendMessage", req);
    const snap = await h.store.snapshot();
    h.clock.advance(5000);
    expect(await h.call(sa1, "sendMessage", req)).toEqual(first);
    // Idempotency is per account: the sender's other device retrying gets the same answer.
    expect(await h.call(sa2, "sendMessage", req)).toEqual(first);
    expect(await h.store.snapshot()).toEqual(snap);
    await h.close();
  });

  it("SYNC-SEND-003 the same client message id with other bytes is IDEMPOTENCY_CONFLICT", async () => {
    const h = await makeHarness();
    const { sa1, conversationId } = await setup(h);
    const req = { conversationId, clientMessageId: randomId(), ciphertext: randomId(50), epoch: 0n };
    await h.call(sa1, "sendMessage", req);
    const snap = await h.store.snapshot();
    await rejects(h.call(sa1, "sendMessage", { ...req, ciphertext: randomId(50) }), ErrorCode.IDEMPOTENCY_CONFLICT);
    expect(await h.store.snapshot()).toEqual(snap);
    await h.close();
  });

  it("SYNC-SEND-004 SYNC-SEND-005 a stale epoch is RECIPIENTS_MISMATCH; oversized and empty ciphertexts are rejected", async () => {
    const h = await makeHarness({ limits: { maxMessageBytes: 1000 } });
    const { sa1, conversationId } = await setup(h);
    const snap = await h.store.snapshot();
    await rejects(h.call(sa1, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(10), epoch: 7n }), ErrorCode.RECIPIENTS_MISMATCH);
    await rejects(h.call(sa1, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(1001), epoch: 0n }), ErrorCode.MESSAGE_TOO_LARGE);
    await rejects(h.call(sa1, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: new Uint8Array(0), epoch: 0n }), ErrorCode.FRAME_FIELD_INVALID);
    await rejects(h.call(sa1, "sendMessage", { conversationId, clientMessageId: randomId(8), ciphertext: randomId(3), epoch: 0n }), ErrorCode.FRAME_FIELD_INVALID);
    expect(await h.store.snapshot()).toEqual(snap);
    await h.close();
  });

  it("SYNC-NOPLAIN-001 ciphertext bytes come back byte-identical through the log", async () => {
    const h = await makeHarness();
    const { sa1, sb, conversationId } = await setup(h);
    const payloads = [new Uint8Array([0]), new Uint8Array(65536).fill(0xff), randomId(777), new Uint8Array([0x0a, 0x00, 0x12])];
    for (const ciphertext of payloads) await h.call(sa1, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext, epoch: 0n });
    const got = updatesOf(await h.call(sb, "getDifference", { seq: 1n, limit: 0 })).map((u) => (u.kind?.$case === "message" ? u.kind.value.ciphertext : undefined));
    expect(got.map((b) => Buffer.from(b!).toString("hex"))).toEqual(payloads.map((b) => Buffer.from(b).toString("hex")));
    await h.close();
  });
});

describe("GetDifference", () => {
  it("SYNC-DIFF-001 returns empty, the whole difference, or slices with the intermediate seq", async () => {
    const h = await makeHarness();
    const { sb, sa1, conversationId } = await setup(h);
    const empty0 = await h.call(sb, "getDifference", { seq: 1n, limit: 0 });
    expect(empty0.result).toEqual({ $case: "empty", value: { seq: 1n } });
    for (let i = 0; i < 5; i++) await h.call(sa1, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(10), epoch: 0n });
    const slice = await h.call(sb, "getDifference", { seq: 0n, limit: 4 });
    expect(slice.result?.$case).toBe("slice");
    expect(updatesOf(slice).map((u) => u.seq)).toEqual([1n, 2n, 3n, 4n]);
    const rest = await h.call(sb, "getDifference", { seq: 4n, limit: 4 });
    expect(rest.result?.$case).toBe("difference");
    expect(updatesOf(rest).map((u) => u.seq)).toEqual([5n, 6n]);
    await h.close();
  });

  it("SYNC-DIFF-002 the limit defaults to 100 and may not exceed 1000", async () => {
    const h = await makeHarness();
    const { sb, sa1, conversationId } = await setup(h);
    for (let i = 0; i < 120; i++) await h.call(sa1, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(4), epoch: 0n });
    expect(updatesOf(await h.call(sb, "getDifference", { seq: 0n, limit: 0 }))).toHaveLength(100);
    await rejects(h.call(sb, "getDifference", { seq: 0n, limit: 1001 }), ErrorCode.FRAME_FIELD_INVALID);
    await h.close();
  });

  it("SYNC-DIFF-003 a gap older than the kept log is DifferenceTooLong", async () => {
    const h = await makeHarness();
    const { sb, sa1, bob, conversationId } = await setup(h);
    for (let i = 0; i < 5; i++) await h.call(sa1, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(4), epoch: 0n });
    await h.store.trimLog(bob.accountId, 3n);
    const diff = await h.call(sb, "getDifference", { seq: 1n, limit: 0 });
    expect(diff.result).toEqual({ $case: "tooLong", value: { seq: 6n, oldestSeq: 3n } });
    expect(updatesOf(await h.call(sb, "getDifference", { seq: 3n, limit: 0 })).map((u) => u.seq)).toEqual([4n, 5n, 6n]);
    await h.close();
  });

  it("SYNC-DIFF-004 a seq above the server's is SEQUENCE_INVALID", async () => {
    const h = await makeHarness();
    const { sb } = await setup(h);
    await rejects(h.call(sb, "getDifference", { seq: 2n, limit: 0 }), ErrorCode.SEQUENCE_INVALID);
    await h.close();
  });

  it("SYNC-DIFF-005 responses stay under the frame limit with large ciphertexts", async () => {
    const h = await makeHarness();
    const { sb, sa1, conversationId } = await setup(h);
    for (let i = 0; i < 40; i++) await h.call(sa1, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(65536), epoch: 0n });
    const first = await h.call(sb, "getDifference", { seq: 0n, limit: 1000 });
    expect(first.result?.$case).toBe("slice");
    expect(updatesOf(first).length).toBeGreaterThan(1);
    const frame = encodeFrame({ kind: { $case: "response", value: { requestId: 1n, result: { $case: "getDifference", value: first } } } });
    expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    await h.close();
  });
});

describe("device inboxes", () => {
  it("SYNC-INBOX-002 a device-addressed send must cover exactly the current devices, sender's own device excluded", async () => {
    const h = await makeHarness();
    const { alice, bob, sa1, sb } = await setup(h);
    const snap = await h.store.snapshot();
    const e = await rejects(h.call(sb, "sendToDevices", { clientMessageId: randomId(), accountId: alice.accountId, messages: [{ deviceId: 1, ciphertext: randomId(5) }, { deviceId: 3, ciphertext: randomId(5) }], deviceListVersion: 0n }), ErrorCode.RECIPIENTS_MISMATCH);
    expect(e.error.recipientsMismatch).toEqual({ missingDeviceIds: [2], extraDeviceIds: [3], deviceListVersion: 2n });
    await rejects(h.call(sb, "sendToDevices", { clientMessageId: randomId(), accountId: alice.accountId, messages: [{ deviceId: 1, ciphertext: randomId(5) }, { deviceId: 2, ciphertext: randomId(5) }], deviceListVersion: 1n }), ErrorCode.RECIPIENTS_MISMATCH);
    await rejects(h.call(sb, "sendToDevices", { clientMessageId: randomId(), accountId: new TestAccount().accountId, messages: [], deviceListVersion: 0n }), ErrorCode.NOT_FOUND);
    expect(await h.store.snapshot()).toEqual(snap);
    // Own account: device 1 addresses only device 2.
    await h.call(sa1, "sendToDevices", { clientMessageId: randomId(), accountId: alice.accountId, messages: [{ deviceId: 2, ciphertext: randomId(5) }], deviceListVersion: 2n });
    void bob;
    await h.close();
  });

  it("SYNC-INBOX-001 SYNC-INBOX-004 entries arrive in order with their own sequence until acknowledged", async () => {
    const h = await makeHarness();
    const { alice, sa1, sa2, sb } = await setup(h);
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      const messages = [1, 2].map((deviceId) => ({ deviceId, ciphertext: randomId(20) }));
      sent.push(Buffer.from(messages[1]!.ciphertext).toString("hex"));
      await h.call(sb, "sendToDevices", { clientMessageId: randomId(), accountId: alice.accountId, messages, deviceListVersion: 0n });
    }
    const fetched = await h.call(sa2, "fetchInbox", { afterSeq: 0n, limit: 0 });
    expect(fetched.entries.map((e) => e.inboxSeq)).toEqual([1n, 2n, 3n]);
    expect(fetched.entries.map((e) => Buffer.from(e.ciphertext).toString("hex"))).toEqual(sent);
    expect(fetched.more).toBe(false);
    expect((await h.call(sa2, "fetchInbox", { afterSeq: 0n, limit: 2 })).more).toBe(true);
    // Device 1's inbox is separate.
    expect((await h.call(sa1, "fetchInbox", { afterSeq: 0n, limit: 0 })).entries).toHaveLength(3);
    await h.close();
  });

  it("SYNC-INBOX-003 acks delete entries up to a seq; acks beyond the inbox are ACK_INVALID", async () => {
    const h = await makeHarness();
    const { alice, sa1, sa2, sb } = await setup(h);
    for (let i = 0; i < 3; i++) {
      await h.call(sb, "sendToDevices", { clientMessageId: randomId(), accountId: alice.accountId, messages: [1, 2].map((deviceId) => ({ deviceId, ciphertext: randomId(20) })), deviceListVersion: 0n });
    }
    expect((await h.call(sa2, "ackInbox", { upToSeq: 2n })).ackedSeq).toBe(2n);
    expect((await h.call(sa2, "ackInbox", { upToSeq: 1n })).ackedSeq).toBe(2n);
    expect((await h.call(sa2, "fetchInbox", { afterSeq: 0n, limit: 0 })).entries.map((e) => e.inboxSeq)).toEqual([3n]);
    const snap = await h.store.snapshot();
    await rejects(h.call(sa2, "ackInbox", { upToSeq: 4n }), ErrorCode.ACK_INVALID);
    expect(await h.store.snapshot()).toEqual(snap);
    // AUTHZ-ACCESS-002: device 1's inbox is untouched by device 2's ack.
    expect((await h.call(sa1, "fetchInbox", { afterSeq: 0n, limit: 0 })).entries).toHaveLength(3);
    const auth = await h.call(sa2, "getState", {});
    expect(auth.state!.inboxSeq).toBe(3n);
    await h.close();
  });

  it("SYNC-SEND-002 device-addressed sends are idempotent too", async () => {
    const h = await makeHarness();
    const { alice, sb } = await setup(h);
    const req = { clientMessageId: randomId(), accountId: alice.accountId, messages: [1, 2].map((deviceId) => ({ deviceId, ciphertext: randomId(20) })), deviceListVersion: 0n };
    const first = await h.call(sb, "sendToDevices", req);
    const snap = await h.store.snapshot();
    h.clock.advance(10);
    expect(await h.call(sb, "sendToDevices", req)).toEqual(first);
    await rejects(h.call(sb, "sendToDevices", { ...req, messages: [1, 2].map((deviceId) => ({ deviceId, ciphertext: randomId(20) })) }), ErrorCode.IDEMPOTENCY_CONFLICT);
    expect(await h.store.snapshot()).toEqual(snap);
    await h.close();
  });
});

describe("log limits", () => {
  it("SYNC-LOG-003 a log at 2^63-1 refuses further updates instead of wrapping, storing nothing", async () => {
    const h = await makeHarness();
    const { bob, sa1, conversationId } = await setup(h);
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(`${h.dataDir}/kabar.db`);
    db.prepare("UPDATE accounts SET seq = ? WHERE account_id = ?").run(MAX_SEQUENCE, Buffer.from(bob.accountId));
    db.close();
    const snap = await h.store.snapshot();
    await rejects(h.call(sa1, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(4), epoch: 0n }), ErrorCode.SEQUENCE_INVALID);
    expect(await h.store.snapshot()).toEqual(snap);
    await h.close();
  });
});
