import { describe, expect, it } from "vitest";
import { ConversationKind, ErrorCode } from "@kabar/protocol";
import { makeHarness, randomId, rejects, TestAccount } from "./support/core-harness.js";

describe("conversations", () => {
  it("SYNC-CONV-001 direct conversations have exactly one other member; groups are bounded", async () => {
    const h = await makeHarness({ limits: { maxGroupMembers: 3 } });
    const [a, b, c, d] = [new TestAccount(), new TestAccount(), new TestAccount(), new TestAccount()];
    const sa = await h.connect(a);
    for (const x of [b, c, d]) await h.register(x);
    const before = await h.store.snapshot();
    await rejects(h.call(sa, "createConversation", { conversationId: randomId(), kind: ConversationKind.DIRECT, memberAccountIds: [b.accountId, c.accountId] }), ErrorCode.FRAME_FIELD_INVALID);
    await rejects(h.call(sa, "createConversation", { conversationId: randomId(), kind: ConversationKind.DIRECT, memberAccountIds: [a.accountId] }), ErrorCode.FRAME_FIELD_INVALID);
    await rejects(h.call(sa, "createConversation", { conversationId: randomId(), kind: ConversationKind.GROUP, memberAccountIds: [b.accountId, c.accountId, d.accountId] }), ErrorCode.TOO_MANY_RECIPIENTS);
    await rejects(h.call(sa, "createConversation", { conversationId: randomId(), kind: ConversationKind.GROUP, memberAccountIds: [new TestAccount().accountId] }), ErrorCode.NOT_FOUND);
    await rejects(h.call(sa, "createConversation", { conversationId: randomId(), kind: ConversationKind.UNSPECIFIED, memberAccountIds: [b.accountId] }), ErrorCode.FRAME_FIELD_INVALID);
    expect(await h.store.snapshot()).toEqual(before);
    const id = randomId();
    const created = await h.call(sa, "createConversation", { conversationId: id, kind: ConversationKind.GROUP, memberAccountIds: [b.accountId, c.accountId] });
    expect(created.conversation!.epoch).toBe(1n);
    expect(created.conversation!.memberAccountIds).toHaveLength(3);
    expect(created.seq).toBe(1n);
    await h.close();
  });

  it("SYNC-CONV-002 creating again with the same id and members replays the first response; other members conflict", async () => {
    const h = await makeHarness();
    const [a, b, c] = [new TestAccount(), new TestAccount(), new TestAccount()];
    const sa = await h.connect(a);
    await h.register(b);
    await h.register(c);
    const id = randomId();
    const first = await h.call(sa, "createConversation", { conversationId: id, kind: ConversationKind.GROUP, memberAccountIds: [b.accountId] });
    const snapshot = await h.store.snapshot();
    const again = await h.call(sa, "createConversation", { conversationId: id, kind: ConversationKind.GROUP, memberAccountIds: [b.accountId] });
    expect(again).toEqual(first);
    await rejects(h.call(sa, "createConversation", { conversationId: id, kind: ConversationKind.GROUP, memberAccountIds: [c.accountId] }), ErrorCode.CONVERSATION_EXISTS);
    expect(await h.store.snapshot()).toEqual(snapshot);
    await h.close();
  });

  it("SYNC-CONV-004 SYNC-CONV-005 AUTHZ-ACCESS-004 any member adds, members remove themselves, only the creator removes others; epochs increase", async () => {
    const h = await makeHarness();
    const [a, b, c, d] = [new TestAccount(), new TestAccount(), new TestAccount(), new TestAccount()];
    const sa = await h.connect(a);
    const sb = await h.connect(b);
    const sc = await h.connect(c);
    await h.register(d);
    const id = randomId();
    await h.call(sa, "createConversation", { conversationId: id, kind: ConversationKind.GROUP, memberAccountIds: [b.accountId] });
    const added = await h.call(sb, "changeMembers", { conversationId: id, addAccountIds: [c.accountId], removeAccountIds: [], clientRequestId: randomId() });
    expect(added.conversation!.epoch).toBe(2n);
    const before = await h.store.snapshot();
    await rejects(h.call(sc, "changeMembers", { conversationId: id, addAccountIds: [], removeAccountIds: [b.accountId], clientRequestId: randomId() }), ErrorCode.NOT_FOUND);
    expect(await h.store.snapshot()).toEqual(before);
    const left = await h.call(sc, "changeMembers", { conversationId: id, addAccountIds: [], removeAccountIds: [c.accountId], clientRequestId: randomId() });
    expect(left.seq).toBe(0n);
    expect(left.conversation!.epoch).toBe(3n);
    const req = { conversationId: id, addAccountIds: [], removeAccountIds: [b.accountId], clientRequestId: randomId() };
    const removed = await h.call(sa, "changeMembers", req);
    expect(await h.call(sa, "changeMembers", req)).toEqual(removed);
    await rejects(h.call(sa, "changeMembers", { ...req, addAccountIds: [d.accountId] }), ErrorCode.IDEMPOTENCY_CONFLICT);
    // The removed member sees the removal in its log, then nothing more.
    const diff = await h.call(sb, "getDifference", { seq: 0n, limit: 0 });
    const updates = diff.result?.$case === "difference" ? diff.result.value.updates : [];
    const last = updates[updates.length - 1]!;
    expect(last.kind?.$case === "conversation" && last.kind.value.epoch).toBe(4n);
    await rejects(h.call(sb, "getConversation", { conversationId: id }), ErrorCode.NOT_FOUND);
    await h.close();
  });

  it("AUTHZ-ACCESS-001 a non-member and a non-existent conversation are indistinguishable", async () => {
    const h = await makeHarness();
    const [a, b, c] = [new TestAccount(), new TestAccount(), new TestAccount()];
    const sa = await h.connect(a);
    const sc = await h.connect(c);
    await h.register(b);
    const id = randomId();
    await h.call(sa, "createConversation", { conversationId: id, kind: ConversationKind.DIRECT, memberAccountIds: [b.accountId] });
    const before = await h.store.snapshot();
    const e1 = await rejects(h.call(sc, "getConversation", { conversationId: id }), ErrorCode.NOT_FOUND);
    const e2 = await rejects(h.call(sc, "getConversation", { conversationId: randomId() }), ErrorCode.NOT_FOUND);
    expect(e1.error).toEqual(e2.error);
    const s1 = await rejects(h.call(sc, "sendMessage", { conversationId: id, clientMessageId: randomId(), ciphertext: new Uint8Array([1]), epoch: 0n }), ErrorCode.NOT_FOUND);
    const s2 = await rejects(h.call(sc, "sendMessage", { conversationId: randomId(), clientMessageId: randomId(), ciphertext: new Uint8Array([1]), epoch: 0n }), ErrorCode.NOT_FOUND);
    expect(s1.error).toEqual(s2.error);
    await rejects(h.call(sc, "changeMembers", { conversationId: id, addAccountIds: [c.accountId], removeAccountIds: [], clientRequestId: randomId() }), ErrorCode.NOT_FOUND);
    expect(await h.store.snapshot()).toEqual(before);
    await h.close();
  });
});

describe("membership change validation", () => {
  it("SYNC-CONV-003 direct conversations never change members; empty changes are rejected", async () => {
    const h = await makeHarness();
    const [a, b, c] = [new TestAccount(), new TestAccount(), new TestAccount()];
    const sa = await h.connect(a);
    await h.register(b);
    await h.register(c);
    const direct = randomId();
    await h.call(sa, "createConversation", { conversationId: direct, kind: ConversationKind.DIRECT, memberAccountIds: [b.accountId] });
    const group = randomId();
    await h.call(sa, "createConversation", { conversationId: group, kind: ConversationKind.GROUP, memberAccountIds: [b.accountId] });
    const snap = await h.store.snapshot();
    await rejects(h.call(sa, "changeMembers", { conversationId: direct, addAccountIds: [c.accountId], removeAccountIds: [], clientRequestId: randomId() }), ErrorCode.FRAME_FIELD_INVALID);
    await rejects(h.call(sa, "changeMembers", { conversationId: group, addAccountIds: [b.accountId], removeAccountIds: [], clientRequestId: randomId() }), ErrorCode.FRAME_FIELD_INVALID);
    expect(await h.store.snapshot()).toEqual(snap);
    await h.close();
  });
});
