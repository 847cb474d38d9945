// SYNC pushes: every connected device of every account an update or inbox
// entry concerns gets it pushed with its sequence number (SYNC-PUSH-001),
// and a requesting connection gets the response before the pushes the
// request caused (SYNC-PUSH-002). Pushes are hints a server sends once it
// committed; the kit waits for them a bounded time after a round trip on
// the device's connection.
import fc from "fast-check";
import { ConversationKind, decodeFrame } from "@kabar/protocol";
import { defineProperty } from "../../registry/property-registry.js";
import { randomBytesOf } from "../../wire-client/keys.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import type { PushBody, WireConnection } from "../../wire-client/wire-connection.js";
import { check, hex, idBytes, inWorld, messagesOf, sameBytes } from "./support.js";

/** Order of responses and update pushes on one connection, from its raw frames. */
function frameOrder(connection: WireConnection): string[] {
  const order: string[] = [];
  connection.socket.on("message", (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    try {
      const kind = decodeFrame(new Uint8Array(data)).kind;
      if (kind?.$case === "response") order.push(`response:${kind.value.requestId}`);
      else if (kind?.$case === "push" && kind.value.body?.$case === "update") {
        const update = kind.value.body.value.update;
        if (update?.kind?.$case === "message") order.push(`push:${hex(update.kind.value.clientMessageId)}`);
        else if (update?.kind?.$case === "conversation") order.push(`push:${hex(update.kind.value.conversationId)}@${update.kind.value.epoch}`);
      }
    } catch {
      order.push("undecodable");
    }
  });
  return order;
}

defineProperty({
  id: "server.sync.response-before-push",
  rules: ["SYNC-PUSH-002"],
  mode: "server",
  profile: "core",
  description: "Devices create a conversation and send messages, some concurrently: on each requesting connection, the response to a request arrives before any UpdatePush of the update that request caused.",
  numRuns: 10,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.array(fc.array(fc.nat(2), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }), (batches) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account({ devices: 2 });
        const bob = await world.account();
        const devices = [alice.connections[0]!, alice.connections[1]!, bob.connections[0]!];
        const orders = devices.map(frameOrder);
        const requests: { device: number; requestId: bigint; push: string; what: string }[] = [];
        const conversationId = randomBytesOf(16);
        const createId = devices[0]!.nextRequestId();
        const created = await devices[0]!.request("createConversation", { conversationId, kind: ConversationKind.GROUP, memberAccountIds: [bob.account.accountId] }, createId);
        check("SYNC-PUSH-002", created.result?.$case === "createConversation", `creating the conversation: ${created.result?.$case}`);
        requests.push({ device: 0, requestId: createId, push: `push:${hex(conversationId)}@1`, what: "CreateConversation" });
        let n = 0;
        for (const batch of batches) {
          await Promise.all(batch.map(async (device) => {
            const id = idBytes(n++, 22);
            const requestId = devices[device]!.nextRequestId();
            requests.push({ device, requestId, push: `push:${hex(id)}`, what: `SendMessage ${hex(id)}` });
            const response = await devices[device]!.request("sendMessage", { conversationId, clientMessageId: id, ciphertext: Uint8Array.of(n, 2), epoch: 0n }, requestId);
            check("SYNC-PUSH-002", response.result?.$case === "sendMessage", `SendMessage: ${response.result?.$case}`);
          }));
        }
        // A round trip on every connection, so pushes sent right after their responses have arrived.
        for (const d of devices) await d.call("getState", {});
        for (const r of requests) {
          const order = orders[r.device]!;
          const response = order.indexOf(`response:${r.requestId}`);
          const push = order.indexOf(r.push);
          check("SYNC-PUSH-002", push < 0 || (response >= 0 && response < push), `device ${r.device + 1} got the push of the update its ${r.what} caused before the response (frames: ${order.join(" ")})`);
        }
      }),
    ),
});

/** Waits for a matching push on `connection` after a round trip on it; bounded, since a push may be lost only with the connection. */
async function pushOn(connection: WireConnection, match: (p: PushBody) => boolean): Promise<PushBody | undefined> {
  await connection.call("getState", {});
  return connection.nextPush(match, 1_000).catch(() => undefined);
}

defineProperty({
  id: "server.sync.push-on-commit",
  rules: ["SYNC-PUSH-001"],
  mode: "server",
  profile: "core",
  description: "A device sends a message to a conversation and ciphertexts to another account's devices: every connected device of both accounts, the sending device and its account's other devices included, gets an UpdatePush of the message with the seq it has in that device's account log, and every addressed device an InboxPush with the entry's inbox_seq; an outsider's device gets neither.",
  numRuns: 5,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.nat(2), (aliceDevices, bobDevices, senderIndex) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account({ devices: aliceDevices });
        const bob = await world.account({ devices: bobDevices });
        const carol = await world.account();
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const sender = alice.connections[senderIndex % aliceDevices]!;
        const length = 16 + aliceDevices * 3 + bobDevices;
        const cmid = idBytes(length, 41);
        const sent = await sender.call("sendMessage", { conversationId, clientMessageId: cmid, ciphertext: new Uint8Array(length).fill(0x41), epoch: 0n });
        const messages = bob.connections.map((_, d) => ({ deviceId: d + 1, ciphertext: Uint8Array.of(d, 0x42) }));
        const inboxId = idBytes(length, 42);
        await sender.call("sendToDevices", { clientMessageId: inboxId, accountId: bob.account.accountId, messages, deviceListVersion: 0n });
        const isMessage = (p: PushBody) => p.$case === "update" && p.value.update?.kind?.$case === "message" && sameBytes(p.value.update.kind.value.clientMessageId, cmid);
        const isEntry = (p: PushBody) => p.$case === "inbox" && p.value.entry !== undefined && sameBytes(p.value.entry.clientMessageId, inboxId);
        const bobSeq = messagesOf((await readWholeLog(bob.connections[0]!)).updates).find((m) => sameBytes(m.message.clientMessageId, cmid))?.update.seq;
        const watched = [
          ...alice.connections.map((c, d) => ({ c, who: `sender's account device ${d + 1}${c === sender ? " (the sending device)" : ""}`, seq: sent.seq, inbox: false })),
          ...bob.connections.map((c, d) => ({ c, who: `recipient device ${d + 1}`, seq: bobSeq, inbox: true })),
        ];
        const results = await Promise.all(watched.map(async (w) => ({ ...w, update: await pushOn(w.c, isMessage), entry: w.inbox ? await pushOn(w.c, isEntry) : undefined })));
        for (const r of results) {
          check("SYNC-PUSH-001", r.update !== undefined, `${r.who} got no UpdatePush of the message`);
          const pushedSeq = r.update.$case === "update" ? r.update.value.update?.seq : undefined;
          check("SYNC-PUSH-001", pushedSeq === r.seq, `${r.who}: the UpdatePush carries seq ${pushedSeq}, the message has seq ${r.seq} in its log`);
          if (r.inbox) {
            check("SYNC-PUSH-001", r.entry !== undefined, `${r.who} got no InboxPush of its entry`);
            const state = (await r.c.call("getState", {})).state!;
            const pushedInbox = r.entry.$case === "inbox" ? r.entry.value.entry?.inboxSeq : undefined;
            check("SYNC-PUSH-001", pushedInbox === state.inboxSeq, `${r.who}: the InboxPush carries inbox_seq ${pushedInbox}, the inbox is at ${state.inboxSeq}`);
          }
        }
        await carol.connections[0]!.call("getState", {});
        check("SYNC-PUSH-001", !carol.connections[0]!.pushes.some((p) => isMessage(p) || isEntry(p)), "an outsider's device got a push of the message or entry");
      }),
    ),
});
