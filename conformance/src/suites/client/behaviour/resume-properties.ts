// The local sequence number seen from the wire: every GetDifference a
// device sends names its local seq, so the adversary can check that it
// moves to each applied update's seq (and never back), that a device fed
// only by differences applies every update once, and that a device whose
// connection the server closes resumes with GetDifference on its own.
import fc from "fast-check";
import { ErrorCode, type Frame } from "@kabar/protocol";
import { isAdapterRefusal } from "../../../adapter/adapter-client.js";
import { pushedUpdate } from "../../../adversary/adversary.js";
import { defineProperty } from "../../../registry/property-registry.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import type { ClientTarget } from "../../../targets/target-types.js";
import { aliceAndBob, digests, shownMessages, shownTexts, syncAll, within, withAdversary } from "./client-world.js";

const text = fc.string({ minLength: 1, maxLength: 8 });

defineProperty({
  id: "client.sync.local-seq-follows-pushes",
  rules: ["SYNC-APPLY-001", "CLIENT-APPLY-001", "CLIENT-APPLY-006", "TRANSPORT-CONN-007", "SYNC-APPLY-004"],
  mode: "client",
  profile: "core",
  numRuns: 3,
  description:
    "Alice sends texts one by one; once Bob's device shows each (from the push) it names at least that update's seq in its next GetDifference. Then the adversary withholds Bob's pushes while Alice sends more and closes every connection: Bob's device reconnects, sends GetDifference from at least its last applied seq, and shows everything without being told to sync.",
  run: ({ target, transcript }) =>
    // Counts, not texts: a failing case costs a wait, so it must shrink in few steps.
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), async (pushedCount, missedCount) =>
      withAdversary(target, async (adversary) => {
        const pushed = Array.from({ length: pushedCount }, (_, i) => `p${i}`);
        const missed = Array.from({ length: missedCount }, (_, i) => `m${i}`);
        const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url);
        const [aliceDevice, bobDevice] = [alice.devices[0]!, bob.devices[0]!];
        await syncAll(adapter, [aliceDevice, bobDevice], 1);
        let lastPushed = 0n;
        let blackout = false;
        const asked: bigint[] = [];
        adversary.setScript((e) => {
          if (e.account !== bob.account) return undefined;
          const update = e.direction === "to-client" ? pushedUpdate(e.frame) : undefined;
          if (update?.kind?.$case === "message") {
            if (blackout) return [];
            if (update.seq > lastPushed) lastPushed = update.seq;
          }
          const kind = e.frame.kind;
          if (e.direction === "to-server" && kind?.$case === "request" && kind.value.body?.$case === "getDifference") asked.push(kind.value.body.value.seq);
          return undefined;
        });
        const expected: string[] = [];
        for (const t of pushed) {
          await adapter.call("sendText", { device: aliceDevice, conversation, text: t });
          expected.push(t);
          const complaint = await within(2_000, async () => {
            const shown = await shownTexts(adapter, bobDevice, conversation);
            return shown.join("\u0000") === expected.join("\u0000") ? undefined : `Bob's device shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expected)}`;
          });
          if (complaint !== undefined) throw new RuleViolation("SYNC-APPLY-001", `a pushed update that followed the local seq was not applied: ${complaint}`, ["CLIENT-APPLY-001"]);
          const applied = lastPushed;
          asked.length = 0;
          await adapter.call("syncNow", { device: bobDevice });
          transcript.add("note", `Bob shows ${JSON.stringify(t)} (pushed at seq ${applied}); his GetDifference seqs: ${asked.join(",")}`);
          const stale = asked.find((seq) => seq < applied);
          if (stale !== undefined) throw new RuleViolation("SYNC-APPLY-001", `Bob's device shows the update of seq ${applied} but then asked for the difference from seq ${stale}: it did not set its local seq to the applied update's seq`, ["CLIENT-APPLY-001"]);
        }
        const applied = lastPushed;
        blackout = true;
        for (const t of missed) {
          await adapter.call("sendText", { device: aliceDevice, conversation, text: t });
          expected.push(t);
        }
        asked.length = 0;
        adversary.disconnectAll();
        blackout = false;
        const complaint = await within(2_000, async () => {
          const shown = await shownTexts(adapter, bobDevice, conversation);
          return shown.join("\u0000") === expected.join("\u0000") ? undefined : `Bob's device shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expected)}`;
        });
        transcript.add("note", `after the server closed every connection Bob asked for the difference from ${asked.join(",") || "nothing"}`);
        if (complaint !== undefined) throw new Error(`the server closed Bob's connection after withholding ${missed.length} pushes; without SyncNow he did not resume with GetDifference and catch up: ${complaint}`);
        const stale = asked.find((seq) => seq < applied);
        if (stale !== undefined) throw new RuleViolation("TRANSPORT-CONN-007", `after the reconnect Bob's device asked for the difference from seq ${stale}, below the seq ${applied} it had applied`);
      })),
});

type Op =
  | { readonly kind: "send"; readonly text: string }
  | { readonly kind: "edit"; readonly pick: number; readonly text: string }
  | { readonly kind: "delete"; readonly pick: number }
  | { readonly kind: "react"; readonly pick: number; readonly emoji: string }
  | { readonly kind: "bob-syncs" };

const op: fc.Arbitrary<Op> = fc.oneof(
  text.map((t) => ({ kind: "send" as const, text: t })),
  fc.tuple(fc.nat(), text).map(([pick, t]) => ({ kind: "edit" as const, pick, text: t })),
  fc.nat().map((pick) => ({ kind: "delete" as const, pick })),
  fc.tuple(fc.nat(), fc.constantFrom("👍", "🎉")).map(([pick, emoji]) => ({ kind: "react" as const, pick, emoji })),
  fc.constant({ kind: "bob-syncs" as const }),
);

defineProperty({
  id: "client.sync.difference-only",
  rules: ["CLIENT-APPLY-002", "SYNC-APPLY-001"],
  mode: "client",
  profile: "core",
  numRuns: 3,
  description:
    "The adversary withholds every account-update push to Bob's device, so it learns the log only from GetDifference; after random sends, edits, deletes and reactions by Alice and SyncNow on Bob at random points, Bob's device shows exactly what Alice's shows (equal state digests), and the seq its GetDifference requests name never goes backwards.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.array(op, { minLength: 2, maxLength: 8 }), async (ops) =>
      withAdversary(target, async (adversary) => {
        const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url);
        const [aliceDevice, bobDevice] = [alice.devices[0]!, bob.devices[0]!];
        const asked: bigint[] = [];
        adversary.setScript((e) => {
          if (e.account !== bob.account) return undefined;
          if (e.direction === "to-client") return pushedUpdate(e.frame) !== undefined ? [] : undefined;
          const kind = e.frame.kind;
          if (kind?.$case === "request" && kind.value.body?.$case === "getDifference") asked.push(kind.value.body.value.seq);
          return undefined;
        });
        await syncAll(adapter, [aliceDevice, bobDevice], 1);
        const live: string[] = [];
        await adapter.call("sendText", { device: aliceDevice, conversation, text: "first" }).then((r) => live.push(r.message));
        for (const o of ops) {
          if (o.kind === "send") {
            live.push((await adapter.call("sendText", { device: aliceDevice, conversation, text: o.text })).message);
            continue;
          }
          if (o.kind === "bob-syncs") {
            await adapter.call("syncNow", { device: bobDevice });
            continue;
          }
          const message = live[o.pick % live.length];
          if (message === undefined) continue;
          // Alice's own device shows her message once its update came back (it may still be on its way).
          await adapter.call("syncNow", { device: aliceDevice });
          if (o.kind === "edit") await adapter.call("editText", { device: aliceDevice, conversation, message, text: o.text });
          else if (o.kind === "react") await adapter.call("react", { device: aliceDevice, conversation, message, emoji: o.emoji, remove: false });
          else {
            await adapter.call("deleteMessage", { device: aliceDevice, conversation, message });
            live.splice(live.indexOf(message), 1);
          }
        }
        await syncAll(adapter, [aliceDevice, bobDevice]);
        transcript.add("note", `Bob's GetDifference seqs: ${asked.join(",")}`);
        const back = asked.findIndex((seq, i) => i > 0 && seq < asked[i - 1]!);
        if (back > 0) throw new RuleViolation("CLIENT-APPLY-002", `Bob's device asked for the difference from seq ${asked[back - 1]} and later from seq ${asked[back]}: its local seq went backwards`);
        const [a, b] = await digests(adapter, [aliceDevice, bobDevice]);
        if (a !== b) {
          const render = async (d: string) => (await shownMessages(adapter, d, conversation)).map((m) => `${JSON.stringify(m.text)}${m.edited ? " edited" : ""}${m.deleted ? " deleted" : ""}${m.reactions.map((r) => r.emoji).join("")}`).join(" | ");
          throw new RuleViolation("CLIENT-APPLY-002", `fed only by differences, Bob's device shows ${await render(bobDevice)}; Alice's shows ${await render(aliceDevice)}`);
        }
      })),
});

defineProperty({
  id: "client.handle.protocol-ids",
  rules: ["CONF-HANDLE-002"],
  mode: "client",
  profile: "core",
  numRuns: 2,
  description: "The adapter's account, conversation and message handles are the lower-case hex of the account id each device authenticates with and of the conversation id and client message id its SendMessage requests carry.",
  run: ({ target }) =>
    fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 3 }), async (texts) =>
      withAdversary(target, async (adversary) => {
        const accounts = new Set<string>();
        const sends: { conversation: string; message: string }[] = [];
        adversary.setScript((e) => {
          const body = e.direction === "to-server" && e.frame.kind?.$case === "request" ? e.frame.kind.value.body : undefined;
          if (body?.$case === "authenticate") accounts.add(Buffer.from(body.value.accountId).toString("hex"));
          if (body?.$case === "sendMessage") sends.push({ conversation: Buffer.from(body.value.conversationId).toString("hex"), message: Buffer.from(body.value.clientMessageId).toString("hex") });
          return undefined;
        });
        const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url);
        const sent: string[] = [];
        for (const t of texts) sent.push((await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: t })).message);
        await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!], 1);
        for (const [who, handle] of [["Alice", alice.account], ["Bob", bob.account]] as const) {
          if (!accounts.has(handle)) throw new RuleViolation("CONF-HANDLE-002", `${who}'s account handle ${JSON.stringify(handle)} is not the lower-case hex of any account id authenticated on the wire (${[...accounts].map((a) => a.slice(0, 12)).join(", ")})`);
        }
        for (const message of sent) {
          const send = sends.find((s) => s.message === message);
          if (send === undefined) throw new RuleViolation("CONF-HANDLE-002", `message handle ${JSON.stringify(message)} is not the lower-case hex of any client message id sent on the wire`);
          if (send.conversation !== conversation) throw new RuleViolation("CONF-HANDLE-002", `conversation handle ${JSON.stringify(conversation)} is not the lower-case hex of the conversation id ${send.conversation} the message was sent to`);
        }
      })),
});

defineProperty({
  id: "client.inbox.ack-after-processing",
  rules: ["CLIENT-INBOX-001"],
  mode: "client",
  profile: "core",
  numRuns: 3,
  description:
    "Once Bob's device has received inbox entries (Alice's keys), the adversary lets AckInbox requests through but answers the first other request it sends with an INTERNAL error, failing any processing that needs the server; Bob's device still shows every one of Alice's texts after SyncNow, so it acknowledged nothing it had not processed.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), async (count) =>
      withAdversary(target, async (adversary) => {
        const texts = Array.from({ length: count }, (_, i) => `k${i}`);
        const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url);
        let state: "waiting" | "armed" | "failing" | "done" = "waiting";
        let failing = "";
        const seen: string[] = [];
        adversary.setScript((e) => {
          if (e.account !== bob.account || state === "done") return undefined;
          const kind = e.frame.kind;
          if (e.direction === "to-client") {
            if (state === "waiting" && kind?.$case === "response" && kind.value.result?.$case === "fetchInbox" && kind.value.result.value.entries.length > 0) state = "armed";
            if (state === "failing" && kind?.$case === "response" && `${e.connection}:${kind.value.requestId}` === failing) {
              state = "done";
              const reply: Frame = { kind: { $case: "response", value: { ...kind.value, result: { $case: "error", value: { code: ErrorCode.INTERNAL, message: "injected by the conformance kit", retryAfterMs: 0, rule: "", recipientsMismatch: undefined } } } } };
              return [reply];
            }
            return undefined;
          }
          if (state !== "armed" || kind?.$case !== "request") return undefined;
          seen.push(kind.value.body?.$case ?? "?");
          if (kind.value.body?.$case === "ackInbox") return undefined;
          state = "failing";
          failing = `${e.connection}:${kind.value.requestId}`;
          return undefined;
        });
        for (const t of texts) await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: t });
        // A SyncNow may fail while the injected error is being answered; the last ones must not.
        for (let i = 0; i < 2; i++) {
          await adapter.call("syncNow", { device: bob.devices[0]! }).catch((error: unknown) => {
            if (!isAdapterRefusal(error)) throw error;
          });
        }
        await syncAll(adapter, [bob.devices[0]!]);
        transcript.add("note", `after Bob's device got inbox entries it sent ${seen.join(", ") || "nothing"}${(state as string) === "done" ? " (the last one was answered with INTERNAL)" : ""}`);
        const shown = await shownTexts(adapter, bob.devices[0]!, conversation);
        if (shown.join("\u0000") !== texts.join("\u0000")) {
          throw new RuleViolation("CLIENT-INBOX-001", `after a request Bob's device made while processing inbox entries failed (its requests: ${seen.join(", ")}), it shows ${JSON.stringify(shown)}, expected ${JSON.stringify(texts)}: an entry was acknowledged before it was processed`);
        }
      })),
});
