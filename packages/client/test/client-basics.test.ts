import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode, isKabarError } from "@kabar/protocol";
import { KabarClient } from "../src/client/kabar-client.js";
import type { TestServer } from "./support/core-server.js";
import { SERVERS } from "./support/servers.js";
import { clientOptions, eventually, linkDevice, registerClient } from "./support/clients.js";

describe.each(SERVERS)("%s", (_name, start) => {
  let server: TestServer;
  const clients: KabarClient[] = [];
  beforeEach(async () => {
    server = await start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await server.close();
  });
  const track = (c: KabarClient) => (clients.push(c), c);

  const texts = async (c: KabarClient, conv: string) => (await c.messages(conv)).map((m) => m.text);

  describe("KabarClient basics", () => {
    it("registers two accounts and exchanges a text in a direct conversation", async () => {
      const alice = track(await registerClient(server));
      const bob = track(await registerClient(server));
      const conv = await alice.createConversation("direct", [bob.accountId]);
      await alice.sendText(conv, "hello bob");
      await eventually(async () => expect(await texts(bob, conv)).toEqual(["hello bob"]));
      expect(await texts(alice, conv)).toEqual(["hello bob"]);
      await bob.sendText(conv, "hi alice");
      await eventually(async () => expect(await texts(alice, conv)).toEqual(["hello bob", "hi alice"]));
    });
  });

  describe("KabarClient conversations", () => {
    it("applies edits, deletes, reactions and read markers identically on every device", async () => {
      const alice = track(await registerClient(server));
      const alice2 = track(await linkDevice(server, alice));
      const bob = track(await registerClient(server));
      const conv = await alice.createConversation("group", [bob.accountId]);
      const m1 = await alice.sendText(conv, "one");
      const m2 = await bob.sendText(conv, "two");
      await eventually(async () => expect(await texts(alice2, conv)).toEqual(["one", "two"]));
      await alice2.editText(conv, m1, "one!");
      await bob.deleteMessage(conv, m2);
      await bob.react(conv, m1, "👍");
      await alice.markRead(conv, m1);
      const view = async (c: KabarClient) => ({
        messages: (await c.messages(conv)).map((m) => ({ id: m.messageId, text: m.text, deleted: m.deleteSeq > 0, reactions: Object.values(m.reactions).filter((r) => r.present).map((r) => r.emoji) })),
        // Log seqs are per account; what converges is which message was read.
        read: Object.fromEntries(Object.entries((await c.conversation(conv))?.readMarkers ?? {}).map(([k, v]) => [k, v.messageId])),
      });
      await eventually(async () => {
        const expected = await view(alice);
        expect(expected.messages).toEqual([{ id: m1, text: "one!", deleted: false, reactions: ["👍"] }, { id: m2, text: undefined, deleted: true, reactions: [] }]);
        expect(expected.read[alice.accountId]).toBe(m1);
        expect(await view(alice2)).toEqual(expected);
        expect(await view(bob)).toEqual(expected);
      });
    });

    it("CLIENT-AUTH-001 ignores an edit of another sender's message", async () => {
      const alice = track(await registerClient(server));
      const bob = track(await registerClient(server));
      const conv = await alice.createConversation("direct", [bob.accountId]);
      const m1 = await alice.sendText(conv, "mine");
      await eventually(async () => expect(await texts(bob, conv)).toEqual(["mine"]));
      await bob.editText(conv, m1, "hijacked");
      await bob.sendText(conv, "after");
      await eventually(async () => expect(await texts(alice, conv)).toEqual(["mine", "after"]));
      expect(await texts(bob, conv)).toEqual(["mine", "after"]);
    });

    it("CLIENT-GROUP-001 rotates sender keys on removal: a removed member reads nothing new", async () => {
      const alice = track(await registerClient(server));
      const bob = track(await registerClient(server));
      const carol = track(await registerClient(server));
      const conv = await alice.createConversation("group", [bob.accountId, carol.accountId]);
      await alice.sendText(conv, "all three");
      await eventually(async () => expect(await texts(carol, conv)).toEqual(["all three"]));
      const events: string[] = [];
      bob.on("membership", (e) => events.push(...e.removed));
      await alice.changeMembers(conv, { remove: [carol.accountId] });
      await alice.sendText(conv, "without carol");
      await bob.sendText(conv, "bob too");
      await eventually(async () => expect(await texts(bob, conv)).toEqual(["all three", "without carol", "bob too"]));
      expect(events).toEqual([carol.accountId]);
      await carol.sync();
      expect(await texts(carol, conv)).toEqual(["all three"]);
      expect((await carol.conversation(conv))?.left).toBe(true);
      // Added back later: gets new messages, through fresh distributions.
      await alice.changeMembers(conv, { add: [carol.accountId] });
      await bob.sendText(conv, "welcome back");
      await eventually(async () => expect((await texts(carol, conv)).at(-1)).toBe("welcome back"));
    });

    it("CLIENT-SEND-001 CLIENT-APPLY-006 queues sends while offline and delivers each exactly once after reconnect", async () => {
      const alice = track(await registerClient(server));
      const bob = track(await registerClient(server));
      const conv = await alice.createConversation("direct", [bob.accountId]);
      await alice.sendText(conv, "online");
      await eventually(async () => expect(await texts(bob, conv)).toEqual(["online"]));
      server.dropAll();
      const offline = [alice.sendText(conv, "queued 1"), alice.sendText(conv, "queued 2")];
      await Promise.all(offline);
      await eventually(async () => expect(await texts(bob, conv)).toEqual(["online", "queued 1", "queued 2"]));
      expect(await alice.outboxSize()).toBe(0);
      server.dropAll();
      await server.restart();
      await bob.sendText(conv, "after restart");
      await eventually(async () => expect(await texts(alice, conv)).toEqual(["online", "queued 1", "queued 2", "after restart"]));
    });

    it("CLIENT-SEND-002 re-encrypts a send queued before a removal for the new members only", async () => {
      const alice = track(await registerClient(server));
      const bob = track(await registerClient(server));
      const carol = track(await registerClient(server));
      const conv = await alice.createConversation("group", [bob.accountId, carol.accountId]);
      await bob.sendText(conv, "hello all");
      await eventually(async () => expect(await texts(carol, conv)).toEqual(["hello all"]));
      bob.goOffline();
      await bob.sendText(conv, "queued before the removal"); // encrypted for epoch 1, with carol's key
      await alice.changeMembers(conv, { remove: [carol.accountId] });
      await bob.goOnline();
      await eventually(async () => expect(await texts(alice, conv)).toEqual(["hello all", "queued before the removal"]));
      await carol.sync();
      expect(await texts(carol, conv)).toEqual(["hello all"]);
      expect(await carol.pendingDecryption()).toBe(0);
    });

    it("CLIENT-LINK-001 refuses a linking payload without proof of possession, and an approval for another payload", async () => {
      const alice = track(await registerClient(server));
      const request = await KabarClient.requestLink(clientOptions(server));
      const forged = { ...request.payload, signature: new Uint8Array(64) };
      await expect(alice.approveLink(forged)).rejects.toSatisfy((e) => isKabarError(e, ErrorCode.SIGNATURE_INVALID));
      const other = await KabarClient.requestLink(clientOptions(server));
      const approval = await alice.approveLink(other.payload);
      await expect(request.complete(approval)).rejects.toSatisfy((e) => isKabarError(e, ErrorCode.SIGNATURE_INVALID));
      track(await other.complete(approval));
    });

    it("CLIENT-DEDUP-004 ignores a message whose content id differs from the id the server deduplicated", async () => {
      const alice = track(await registerClient(server));
      const bob = track(await registerClient(server));
      const conv = await alice.createConversation("direct", [bob.accountId]);
      await alice.sendText(conv, "genuine");
      await eventually(async () => expect(await texts(bob, conv)).toEqual(["genuine"]));
      // Replay the genuine content under a fresh client message id.
      const sender = (alice as unknown as { sender: { encryptForConversation: Function }; ctx: { link: { request: Function } } });
      const [original] = await bob.messages(conv);
      const { Content } = await import("@kabar/protocol");
      const plaintext = Content.encode({ messageId: Buffer.from(original!.messageId, "hex"), sentAtMs: 0n, body: { $case: "text", value: { body: "genuine", replyTo: new Uint8Array(0) } }, padding: new Uint8Array(0) }).finish();
      const request = await sender.sender.encryptForConversation(Buffer.from(conv, "hex"), new Uint8Array(16).fill(9), plaintext);
      await sender.ctx.link.request("sendMessage", request);
      await alice.sendText(conv, "after");
      await eventually(async () => expect(await texts(bob, conv)).toEqual(["genuine", "after"]));
    });

    it("CLIENT-TRUST-002 surfaces a new device of a contact as an identity change event", async () => {
      const alice = track(await registerClient(server));
      const bob = track(await registerClient(server));
      const conv = await alice.createConversation("direct", [bob.accountId]);
      await alice.sendText(conv, "hi");
      await eventually(async () => expect(await texts(bob, conv)).toEqual(["hi"]));
      const changes: number[][] = [];
      alice.on("identityChange", (c) => {
        if (c.accountId.every((x, i) => x === Buffer.from(bob.accountId, "hex")[i])) changes.push([...c.added]);
      });
      const bob2 = track(await linkDevice(server, bob));
      await bob.sendText(conv, "from bob");
      await eventually(async () => expect(changes).toContainEqual([bob2.deviceId]));
      await alice.sendText(conv, "to both bobs");
      await eventually(async () => expect((await texts(bob2, conv))).toEqual(["hi", "from bob", "to both bobs"]));
      expect(await alice.safetyNumber(bob.accountId)).toBe(await bob.safetyNumber(alice.accountId));
    });
  });
});
