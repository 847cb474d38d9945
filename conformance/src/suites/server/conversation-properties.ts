// SYNC-CONV: creating conversations, idempotently; membership changes,
// epochs and the logs they reach, checked against a model.
import fc from "fast-check";
import { ConversationKind, ErrorCode } from "@kabar/protocol";
import { defineProperty } from "../../registry/property-registry.js";
import { randomBytesOf } from "../../wire-client/keys.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import { check, expectOk, expectRejected, idBytes, inWorld, outcomeText } from "./support.js";

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

type MembershipOp =
  | { readonly kind: "add"; readonly actor: number; readonly who: number }
  | { readonly kind: "remove"; readonly actor: number; readonly who: number }
  | { readonly kind: "retry" }
  | { readonly kind: "conflict" }
  | { readonly kind: "send"; readonly sender: number; readonly epoch: "current" | "zero" | "stale" | "future" }
  | { readonly kind: "direct"; readonly add: boolean };

const POOL = 4;

const membershipOp: fc.Arbitrary<MembershipOp> = fc.oneof(
  { arbitrary: fc.record({ actor: fc.nat(POOL - 1), who: fc.nat(POOL - 1) }).map((r) => ({ kind: "add" as const, ...r })), weight: 4 },
  { arbitrary: fc.record({ actor: fc.nat(POOL - 1), who: fc.nat(POOL - 1) }).map((r) => ({ kind: "remove" as const, ...r })), weight: 3 },
  { arbitrary: fc.constant({ kind: "retry" as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: "conflict" as const }), weight: 2 },
  { arbitrary: fc.record({ sender: fc.nat(POOL - 1), epoch: fc.constantFrom("current" as const, "zero" as const, "stale" as const, "future" as const) }).map((r) => ({ kind: "send" as const, ...r })), weight: 3 },
  { arbitrary: fc.boolean().map((add) => ({ kind: "direct" as const, add })), weight: 1 },
);

defineProperty({
  id: "server.sync.membership-model",
  rules: ["SYNC-CONV-003", "SYNC-CONV-004", "SYNC-CONV-005", "SYNC-SEND-004", "SYNC-LOG-004"],
  mode: "server",
  profile: "groups",
  description: "Members of a group add and remove accounts, retry changes, reuse request ids and send with current, zero, stale and future epochs, checked against a model: any member adds, a member removes itself, only the creator removes others (else NOT_FOUND), each change increments the epoch by one; changes of nobody or of a direct conversation are FRAME_FIELD_INVALID; a retried change returns the first response, a reused id with another change is IDEMPOTENCY_CONFLICT; a send with a non-zero epoch other than the current one is RECIPIENTS_MISMATCH; rejections change nothing; every change is in the log of every account that is a member before or after it, every message in the logs of the members at its send, and nowhere else.",
  numRuns: 8,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: POOL - 2 }), fc.array(membershipOp, { minLength: 3, maxLength: 9 }), (initial, ops) =>
      inWorld(target, transcript, async (world) => {
        const accounts: Awaited<ReturnType<typeof world.account>>[] = [];
        for (let i = 0; i < POOL; i++) accounts.push(await world.account());
        const conn = (i: number) => accounts[i]!.connections[0]!;
        const idOf = (i: number) => accounts[i]!.account.accountId;
        const hexOf = (i: number) => Buffer.from(idOf(i)).toString("hex");
        const everyone = accounts.map((_, i) => conn(i));
        const { conversationId, conversation } = await world.conversation(conn(0), accounts.slice(1, 1 + initial).map((a) => a.account));
        const direct = await world.conversation(conn(0), [accounts[1]!.account], ConversationKind.DIRECT);
        const members = new Set(Array.from({ length: initial + 1 }, (_, i) => i));
        let epoch = conversation.epoch;
        const changes: { epoch: bigint; concerned: Set<number>; after: Set<number> }[] = [{ epoch, concerned: new Set(members), after: new Set(members) }];
        const messages: { cmid: string; to: Set<number> }[] = [];
        let last: { actor: number; id: Uint8Array; add: number[]; remove: number[]; response: { seq: bigint; epoch: bigint | undefined } } | undefined;
        let counter = 0;
        const sorted = () => [...members].sort((a, b) => a - b);
        // Every accepted change or send appends to some log: the log and inbox seqs of every account show whether a rejection changed anything.
        const observeAll = (connections: readonly typeof everyone[number][]) => Promise.all(connections.map(async (c) => JSON.stringify((await c.call("getState", {})).state, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))));
        const expectUnchanged = async (rule: string, connections: readonly typeof everyone[number][], before: readonly string[], what: string) => {
          const after = await observeAll(connections);
          after.forEach((a, i) => check(rule, a === before[i], `${what} changed account ${i}'s state from ${before[i]} to ${a}`));
        };
        const rejectedUnchanged = async (rule: string, outcome: Awaited<ReturnType<ReturnType<typeof conn>["attempt"]>>, codes: ErrorCode | ErrorCode[], what: string, before: string[]) => {
          expectRejected(rule, outcome, codes, what);
          await expectUnchanged(rule, everyone, before, what);
        };
        const change = (actor: number, add: number[], remove: number[], id: Uint8Array) =>
          conn(actor).attempt("changeMembers", { conversationId, addAccountIds: add.map(idOf), removeAccountIds: remove.map(idOf), clientRequestId: id });
        for (const o of ops) {
          const current = sorted();
          if (o.kind === "add" || o.kind === "remove") {
            if (current.length === 0) continue;
            const actor = current[o.actor % current.length]!;
            const who = o.who;
            const add = o.kind === "add" ? [who] : [];
            const remove = o.kind === "remove" ? [who] : [];
            const id = idBytes(counter++, 77);
            const what = `account ${actor} ${o.kind === "add" ? "adding" : "removing"} account ${who} (members ${current.join(",")}, creator 0)`;
            const noop = o.kind === "add" ? members.has(who) : !members.has(who);
            if (noop) {
              const before = await observeAll(everyone);
              await rejectedUnchanged("SYNC-CONV-003", await change(actor, add, remove, id), ErrorCode.FRAME_FIELD_INVALID, `${what}: a change of nobody`, before);
              continue;
            }
            if (o.kind === "remove" && who !== actor && actor !== 0) {
              const before = await observeAll(everyone);
              await rejectedUnchanged("SYNC-CONV-005", await change(actor, add, remove, id), ErrorCode.NOT_FOUND, `${what}: only the creator removes others`, before);
              continue;
            }
            const value = expectOk<"changeMembers">("SYNC-CONV-005", await change(actor, add, remove, id), what);
            const concerned = new Set([...members, who]);
            if (o.kind === "add") members.add(who);
            else members.delete(who);
            epoch += 1n;
            const got = value.conversation;
            check("SYNC-CONV-005", got?.epoch === epoch, () => `${what}: the change has epoch ${got?.epoch}, the previous was ${epoch - 1n}`);
            const listed = (got?.memberAccountIds ?? []).map((m) => Buffer.from(m).toString("hex")).sort();
            const expected = sorted().map(hexOf).sort();
            check("SYNC-CONV-005", listed.join() === expected.join(), `${what}: the change lists ${listed.length} members, expected ${expected.length}`);
            changes.push({ epoch, concerned, after: new Set(members) });
            last = { actor, id, add, remove, response: { seq: value.seq, epoch: got?.epoch } };
          } else if (o.kind === "retry") {
            if (last === undefined) continue;
            const before = await observeAll(everyone);
            const again = await change(last.actor, last.add, last.remove, last.id);
            const first = last.response;
            check("SYNC-CONV-004", again.ok && again.value.seq === first.seq && again.value.conversation?.epoch === first.epoch,
              () => `a retried change (same client_request_id and change) answered ${again.ok ? `seq ${again.value.seq} epoch ${again.value.conversation?.epoch}` : outcomeText(again)}, the first seq ${first.seq} epoch ${first.epoch}`);
            await expectUnchanged("SYNC-CONV-004", everyone, before, "a retried change");
          } else if (o.kind === "conflict") {
            if (last === undefined) continue;
            const before = await observeAll(everyone);
            await rejectedUnchanged("SYNC-CONV-004", await change(last.actor, last.remove, last.add, last.id), ErrorCode.IDEMPOTENCY_CONFLICT, "a client_request_id reused for another change", before);
          } else if (o.kind === "send") {
            if (current.length === 0) continue;
            const sender = current[o.sender % current.length]!;
            const stated = o.epoch === "current" ? epoch : o.epoch === "zero" ? 0n : o.epoch === "stale" && epoch > 1n ? epoch - 1n : epoch + 1n;
            const cmid = idBytes(counter++, 78);
            const outcome = await conn(sender).attempt("sendMessage", { conversationId, clientMessageId: cmid, ciphertext: Uint8Array.of(1, 2, 3, counter & 0xff), epoch: stated });
            const what = `a send with epoch ${stated} while the membership epoch is ${epoch}`;
            if (stated === 0n || stated === epoch) {
              expectOk<"sendMessage">("SYNC-SEND-004", outcome, what);
              messages.push({ cmid: Buffer.from(cmid).toString("hex"), to: new Set(members) });
            } else {
              const before = await observeAll(everyone);
              // The rejection is checked before observing, so a wrongly accepted send is charged here.
              expectRejected("SYNC-SEND-004", outcome, ErrorCode.RECIPIENTS_MISMATCH, what);
              await expectUnchanged("SYNC-SEND-004", everyone, before, what);
            }
          } else {
            const before = await observeAll(everyone);
            const outcome = await conn(0).attempt("changeMembers", {
              conversationId: direct.conversationId, addAccountIds: o.add ? [idOf(2)] : [], removeAccountIds: o.add ? [] : [idOf(1)], clientRequestId: idBytes(counter++, 79),
            });
            await rejectedUnchanged("SYNC-CONV-003", outcome, ErrorCode.FRAME_FIELD_INVALID, `${o.add ? "adding to" : "removing from"} a direct conversation`, before);
          }
        }
        // SYNC-LOG-004: each account's log holds exactly the changes and messages that concern it.
        const groupHex = Buffer.from(conversationId).toString("hex");
        for (let i = 0; i < POOL; i++) {
          const log = (await readWholeLog(conn(i))).updates;
          const epochs = log.flatMap((u) => (u.kind?.$case === "conversation" && Buffer.from(u.kind.value.conversationId).toString("hex") === groupHex ? [u.kind.value.epoch] : []));
          const expectedEpochs = changes.filter((c) => c.concerned.has(i)).map((c) => c.epoch);
          check("SYNC-LOG-004", epochs.join() === expectedEpochs.join(), `account ${i}'s log holds the group's changes of epochs [${epochs.join(", ")}]; it was a member before or after those of [${expectedEpochs.join(", ")}]`);
          const got = log.flatMap((u) => (u.kind?.$case === "message" && Buffer.from(u.kind.value.conversationId).toString("hex") === groupHex ? [Buffer.from(u.kind.value.clientMessageId).toString("hex")] : []));
          const expectedMessages = messages.filter((m) => m.to.has(i)).map((m) => m.cmid);
          check("SYNC-LOG-004", got.join() === expectedMessages.join(), `account ${i}'s log holds ${got.length} of the group's messages; it was a member at ${expectedMessages.length} sends`);
          for (const u of log) {
            if (u.kind?.$case !== "conversation" || Buffer.from(u.kind.value.conversationId).toString("hex") !== groupHex) continue;
            const stored = u.kind.value;
            const model = changes.find((c) => c.epoch === stored.epoch);
            const listed = stored.memberAccountIds.map((m) => Buffer.from(m).toString("hex")).sort();
            check("SYNC-CONV-005", model !== undefined && listed.join() === [...model.after].map(hexOf).sort().join(), `account ${i}'s log: the change of epoch ${stored.epoch} lists other members than the model`);
          }
        }
      }),
    ),
});
