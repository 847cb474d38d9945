// AUTHZ: what an outsider or a removed member can learn or do.
import fc from "fast-check";
import { ConversationKind, ErrorCode, errorCodeName, type ProtocolError } from "@kabar/protocol";
import { defineProperty } from "../../registry/property-registry.js";
import { randomBytesOf } from "../../wire-client/keys.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import type { WireConnection } from "../../wire-client/wire-connection.js";
import { check, expectRejected, idBytes, inWorld, messagesOf } from "./support.js";

type Probe = "get-conversation" | "send-message" | "change-members";

async function probe(connection: WireConnection, kind: Probe, conversationId: Uint8Array, n: number): Promise<{ ok: true; value: unknown } | { ok: false; error: ProtocolError }> {
  switch (kind) {
    case "get-conversation":
      return connection.attempt("getConversation", { conversationId });
    case "send-message":
      return connection.attempt("sendMessage", { conversationId, clientMessageId: idBytes(n, 3), ciphertext: new Uint8Array([9, 9, 9]), epoch: 0n });
    case "change-members":
      return connection.attempt("changeMembers", { conversationId, addAccountIds: [randomBytesOf(32)], removeAccountIds: [], clientRequestId: idBytes(n, 4) });
  }
}

const same = (a: ProtocolError, b: ProtocolError): boolean => a.code === b.code && a.rule === b.rule && a.message === b.message && a.retryAfterMs === b.retryAfterMs;
const show = (e: ProtocolError): string => `${errorCodeName(e.code)} rule "${e.rule}" message "${e.message}"`;

defineProperty({
  id: "server.authz.not-found-indistinguishable",
  rules: ["AUTHZ-ACCESS-001", "AUTHZ-ACCESS-004"],
  mode: "server",
  profile: "core",
  description: "An outsider reading, sending to or changing an existing conversation gets the same NOT_FOUND (code, rule and message) as for a conversation that does not exist, and nothing reaches the members' logs.",
  numRuns: 12,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.array(fc.constantFrom<Probe>("get-conversation", "send-message", "change-members"), { minLength: 1, maxLength: 4 }), fc.boolean(), (probes, group) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const outsider = await world.account();
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account], group ? ConversationKind.GROUP : ConversationKind.DIRECT);
        const before = (await readWholeLog(bob.connections[0]!)).seq;
        for (const [n, kind] of probes.entries()) {
          const existing = await probe(outsider.connections[0]!, kind, conversationId, n);
          const missing = await probe(outsider.connections[0]!, kind, randomBytesOf(16), n + 100);
          const e1 = expectRejected("AUTHZ-ACCESS-004", existing, ErrorCode.NOT_FOUND, `${kind} by an outsider`);
          const e2 = expectRejected("AUTHZ-ACCESS-001", missing, ErrorCode.NOT_FOUND, `${kind} of a conversation that does not exist`);
          check("AUTHZ-ACCESS-001", same(e1, e2), `${kind}: an outsider gets ${show(e1)} for an existing conversation and ${show(e2)} for a missing one`);
        }
        const after = await readWholeLog(bob.connections[0]!);
        check("AUTHZ-ACCESS-004", after.seq === before, `an outsider's requests moved a member's log from ${before} to ${after.seq}`);
      }),
    ),
});

defineProperty({
  id: "server.authz.removed-member",
  rules: ["AUTHZ-ACCESS-004"],
  mode: "server",
  profile: "groups",
  description: "A member removed from a group receives no message sent after the removal and can no longer send to it or read it.",
  numRuns: 8,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3 }), (after, beforeCount) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const carol = await world.account();
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account, carol.account]);
        const send = (n: number) => alice.connections[0]!.call("sendMessage", { conversationId, clientMessageId: idBytes(n, 11), ciphertext: new Uint8Array([n]), epoch: 0n });
        for (let n = 0; n < beforeCount; n++) await send(n);
        await alice.connections[0]!.call("changeMembers", { conversationId, addAccountIds: [], removeAccountIds: [bob.account.accountId], clientRequestId: idBytes(1, 12) });
        for (let n = 0; n < after; n++) await send(100 + n);
        const bobMessages = messagesOf((await readWholeLog(bob.connections[0]!)).updates);
        check("AUTHZ-ACCESS-004", bobMessages.length === beforeCount, `the removed member received ${bobMessages.length - beforeCount} messages sent after its removal`);
        const carolMessages = messagesOf((await readWholeLog(carol.connections[0]!)).updates);
        check("AUTHZ-ACCESS-004", carolMessages.length === beforeCount + after, `a remaining member received ${carolMessages.length} of ${beforeCount + after} messages`);
        expectRejected("AUTHZ-ACCESS-004", await bob.connections[0]!.attempt("sendMessage", { conversationId, clientMessageId: idBytes(5, 13), ciphertext: new Uint8Array([1]), epoch: 0n }), ErrorCode.NOT_FOUND, "a send by the removed member");
      }),
    ),
});
