import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorCode, isKabarError } from "@kabar/protocol";
import type { ClientStore } from "../src/store/client-store.js";
import { MemoryClientStore } from "../src/store/memory-store.js";
import { SqliteClientStore } from "../src/store/sqlite-store.js";
import type { ConversationRecord, MessageRecord } from "../src/conversation/conversation-model.js";

const dir = mkdtempSync(join(tmpdir(), "kabar-client-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const factories: [string, () => ClientStore, (() => ClientStore) | undefined][] = [
  ["memory", () => new MemoryClientStore(), undefined],
  ["sqlite", () => new SqliteClientStore(join(dir, `s${++n}.db`)), undefined],
];

const conversation = (id: string): ConversationRecord => ({
  id, kind: "group", members: ["aa", "bb"], epoch: 1, membershipSeq: 1, left: false, readMarkers: { aa: { messageId: "01", seq: 3 } },
});
const message = (id: string, seq: number): MessageRecord => ({
  conversationId: "c1", messageId: id, seq, sender: "aa", senderDevice: 1, sentAtMs: 5, text: `t${id}`, replyTo: "",
  document: undefined, editSeq: 0, deleteSeq: 0, reactions: { "aa:👍": { account: "aa", emoji: "👍", present: true, seq } },
});

describe.each(factories)("ClientStore contract: %s", (_name, make) => {
  it("keeps named values and deletes them", async () => {
    const store = make();
    expect(await store.getValue("k")).toBeUndefined();
    await store.setValue("k", Uint8Array.of(1, 2, 3));
    expect(await store.getValue("k")).toEqual(Uint8Array.of(1, 2, 3));
    await store.setValue("k", undefined);
    expect(await store.getValue("k")).toBeUndefined();
    await store.close();
  });

  it("keeps the sync cursor, starting at zero", async () => {
    const store = make();
    expect(await store.loadSyncState()).toEqual({ seq: 0n, inboxSeq: 0n });
    await store.saveSyncState({ seq: 42n });
    await store.saveSyncState({ inboxSeq: 7n });
    expect(await store.loadSyncState()).toEqual({ seq: 42n, inboxSeq: 7n });
    await store.close();
  });

  it("keeps sessions as opaque bytes", async () => {
    const store = make();
    await store.storeSession("aa:1", Uint8Array.of(9));
    await store.storeSession("aa:1", Uint8Array.of(8));
    expect(await store.loadSession("aa:1")).toEqual(Uint8Array.of(8));
    await store.deleteSession("aa:1");
    expect(await store.loadSession("aa:1")).toBeUndefined();
    await store.close();
  });

  it("keeps sender-key chains by role, conversation, sender and distribution", async () => {
    const store = make();
    const key = { role: "receiving" as const, conversationId: "c1", sender: "aa:1", distributionId: "d1" };
    await store.storeChain(key, Uint8Array.of(1));
    await store.storeChain({ ...key, role: "history" }, Uint8Array.of(2));
    await store.storeChain({ ...key, conversationId: "c2" }, Uint8Array.of(3));
    expect(await store.loadChain(key)).toEqual(Uint8Array.of(1));
    expect((await store.listChains("receiving")).map((e) => e.chain[0])).toEqual([1, 3]);
    expect((await store.listChains("receiving", "c2")).map((e) => e.key)).toEqual([{ ...key, conversationId: "c2" }]);
    await store.storeChain(key, undefined);
    expect(await store.loadChain(key)).toBeUndefined();
    await store.close();
  });

  it("CLIENT-TRUST-003 keeps device lists with a monotonic version", async () => {
    const store = make();
    await store.storeDeviceList("aa", { version: 2n, signed: Uint8Array.of(2) });
    await store.storeDeviceList("aa", { version: 3n, signed: Uint8Array.of(3) });
    await expect(store.storeDeviceList("aa", { version: 1n, signed: Uint8Array.of(1) })).rejects.toSatisfy((e) => isKabarError(e, ErrorCode.DEVICE_LIST_STALE));
    expect(await store.loadDeviceList("aa")).toEqual({ version: 3n, signed: Uint8Array.of(3) });
    await store.close();
  });

  it("keeps conversations and messages in log order (CLIENT-ORDER-001)", async () => {
    const store = make();
    await store.putConversation(conversation("c2"));
    await store.putConversation(conversation("c1"));
    expect((await store.listConversations()).map((c) => c.id)).toEqual(["c1", "c2"]);
    expect(await store.getConversation("c1")).toEqual(conversation("c1"));
    await store.putMessage(message("m3", 9));
    await store.putMessage(message("m1", 4));
    await store.putMessage(message("m0", 0)); // known only through an edit so far
    await store.putMessage({ ...message("m1", 4), text: "edited", editSeq: 10 });
    expect((await store.listMessages("c1")).map((m) => [m.messageId, m.text])).toEqual([["m1", "edited"], ["m3", "tm3"]]);
    expect(await store.getMessage("c1", "m0")).toEqual(message("m0", 0));
    await store.close();
  });

  it("keeps the outbox in FIFO order with idempotent enqueue", async () => {
    const store = make();
    const entry = (id: string) => ({ id, kind: "message" as const, request: Uint8Array.of(id.length), attempts: 0 });
    await store.enqueueOutbox(entry("b"));
    await store.enqueueOutbox(entry("aa"));
    await store.enqueueOutbox(entry("b"));
    await store.updateOutbox({ ...entry("b"), attempts: 2 });
    expect((await store.listOutbox()).map((e) => [e.id, e.attempts])).toEqual([["b", 2], ["aa", 0]]);
    await store.removeOutbox("b");
    expect((await store.listOutbox()).map((e) => e.id)).toEqual(["aa"]);
    await store.close();
  });
});

describe("SqliteClientStore", () => {
  it("survives a reopen", async () => {
    const path = join(dir, "reopen.db");
    const first = new SqliteClientStore(path);
    await first.saveSyncState({ seq: 5n, inboxSeq: 2n });
    await first.enqueueOutbox({ id: "x", kind: "devices", request: Uint8Array.of(1), attempts: 0 });
    await first.close();
    const second = new SqliteClientStore(path);
    expect(await second.loadSyncState()).toEqual({ seq: 5n, inboxSeq: 2n });
    expect((await second.listOutbox()).map((e) => e.id)).toEqual(["x"]);
    await second.close();
  });
});
