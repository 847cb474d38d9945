// SYNC-CONV: creating conversations, idempotently.
import fc from "fast-check";
import { ConversationKind, ErrorCode } from "@kabar/protocol";
import { defineProperty } from "../../registry/property-registry.js";
import { randomBytesOf } from "../../wire-client/keys.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import { check, expectOk, expectRejected, inWorld, outcomeText } from "./support.js";

defineProperty({
  id: "server.sync.create-conversation",
  rules: ["SYNC-CONV-001", "SYNC-CONV-002"],
  mode: "server",
  profile: "core",
  description: "Creating a conversation again with the same id, kind and members returns the first response and logs nothing new; other members or kind is CONVERSATION_EXISTS; unknown members are NOT_FOUND, an unspecified kind FRAME_FIELD_INVALID, a direct conversation needs exactly one other account.",
  numRuns: 10,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom("same", "other-members", "other-kind", "unknown-member", "unspecified-kind", "direct-with-two"), (others, retries, variant) =>
      inWorld(target, transcript, async (world) => {
        const creator = await world.account();
        const members = [];
        for (let i = 0; i < others; i++) members.push(await world.account());
        const c = creator.connections[0]!;
        const conversationId = randomBytesOf(16);
        const request = { conversationId, kind: ConversationKind.GROUP, memberAccountIds: members.map((m) => m.account.accountId) };
        if (variant === "unknown-member") {
          expectRejected("SYNC-CONV-001", await c.attempt("createConversation", { ...request, memberAccountIds: [...request.memberAccountIds, randomBytesOf(32)] }), ErrorCode.NOT_FOUND, "a group naming an unknown account");
          return;
        }
        if (variant === "unspecified-kind") {
          expectRejected("SYNC-CONV-001", await c.attempt("createConversation", { ...request, kind: ConversationKind.UNSPECIFIED }), ErrorCode.FRAME_FIELD_INVALID, "an unspecified conversation kind");
          return;
        }
        if (variant === "direct-with-two") {
          const extra = await world.account();
          const outcome = await c.attempt("createConversation", { ...request, kind: ConversationKind.DIRECT, memberAccountIds: [...request.memberAccountIds, extra.account.accountId] });
          check("SYNC-CONV-001", !outcome.ok, `a direct conversation with ${others + 1} other accounts was accepted`);
          return;
        }
        const first = expectOk<"createConversation">("SYNC-CONV-002", await c.attempt("createConversation", request), "creating a group");
        const seqAfterFirst = (await readWholeLog(members[0]!.connections[0]!)).seq;
        const same = await c.attempt("createConversation", request);
        check("SYNC-CONV-002", same.ok && same.value.seq === first.seq, () => `creating the same conversation again: ${same.ok ? `seq ${same.value.seq}, first ${first.seq}` : outcomeText(same)}`);
        for (let r = 0; r < retries; r++) {
          if (variant === "same") {
            const again = await c.attempt("createConversation", request);
            check("SYNC-CONV-002", again.ok && again.value.seq === first.seq && again.value.conversation?.epoch === first.conversation?.epoch, () => `creating the same conversation again: ${again.ok ? `seq ${again.value.seq}, first ${first.seq}` : outcomeText(again)}`);
          } else {
            const changed = variant === "other-kind" ? { ...request, kind: ConversationKind.DIRECT, memberAccountIds: request.memberAccountIds.slice(0, 1) } : { ...request, memberAccountIds: request.memberAccountIds.slice(1) };
            if (variant === "other-members" && others === 1) changed.memberAccountIds = [];
            expectRejected("SYNC-CONV-002", await c.attempt("createConversation", changed), variant === "other-members" && others === 1 ? [ErrorCode.CONVERSATION_EXISTS, ErrorCode.FRAME_FIELD_INVALID] : ErrorCode.CONVERSATION_EXISTS, `creating conversation again with ${variant}`);
          }
        }
        const seqNow = (await readWholeLog(members[0]!.connections[0]!)).seq;
        check("SYNC-CONV-002", seqNow === seqAfterFirst, `re-creating the conversation moved a member's log from ${seqAfterFirst} to ${seqNow}`);
      }),
    ),
});
