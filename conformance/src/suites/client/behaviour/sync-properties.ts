// The sequence rule under an adversarial server, continued: a withheld
// update replaced by UpdatesTooLong, pushes that arrive while a difference
// is in flight, and an inbox entry that can never be decrypted.
import fc from "fast-check";
import type { Frame } from "@kabar/protocol";
import { pushedUpdate } from "../../../adversary/adversary.js";
import { defineProperty } from "../../../registry/property-registry.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import type { ClientTarget } from "../../../targets/target-types.js";
import { freshAdapter, person, shownTexts, syncAll, within, aliceAndBob, withAdversary } from "./client-world.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** Polls (no SyncNow) until `device` shows `expected`; the complaint otherwise. */
function shows(adapter: Parameters<typeof shownTexts>[0], device: string, conversation: string, expected: readonly string[], ms: number): Promise<string | undefined> {
  return within(ms, async () => {
    const shown = await shownTexts(adapter, device, conversation);
    return shown.join("\u0000") === expected.join("\u0000") ? undefined : `device ${device} shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expected)}`;
  });
}

defineProperty({
  id: "client.adversary.updates-too-long",
  rules: ["CLIENT-APPLY-005"],
  mode: "client",
  profile: "core",
  numRuns: 3,
  description: "The adversary replaces the pushes of Bob's new updates with an UpdatesTooLong push; Bob's device fetches the difference and shows the messages without being told to sync.",
  run: ({ target }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 4 }), async (n) =>
      withAdversary(target, async (adversary) => {
        const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url);
        await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!], 1);
        adversary.setScript((e) => {
          const update = e.direction === "to-client" && e.account === bob.account ? pushedUpdate(e.frame) : undefined;
          if (update === undefined) return undefined;
          return [{ kind: { $case: "push", value: { body: { $case: "tooLong", value: { seq: update.seq } } } } }];
        });
        const sent = Array.from({ length: n }, (_, i) => `l${i}`);
        for (const t of sent) await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: t });
        const complaint = await shows(adapter, bob.devices[0]!, conversation, sent, 1_500);
        if (complaint !== undefined) throw new RuleViolation("CLIENT-APPLY-005", `after UpdatesTooLong pushes, without SyncNow: ${complaint}`);
      })),
});

defineProperty({
  id: "client.adversary.pushes-during-difference",
  rules: ["CLIENT-APPLY-004"],
  mode: "client",
  profile: "core",
  numRuns: 3,
  description: "The adversary withholds one push to open a gap, then holds Bob's GetDifference answer back until the next update has been pushed to him; Bob buffers that push, applies it after the difference, and shows every message once, in order, without being told to sync.",
  run: ({ target }) =>
    fc.asyncProperty(fc.integer({ min: 0, max: 2 }), async (before) =>
      withAdversary(target, async (adversary) => {
        const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url);
        await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!], 1);
        const sent = Array.from({ length: before }, (_, i) => `b${i}`);
        for (const t of sent) await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: t });
        await adapter.call("syncNow", { device: bob.devices[0]! });
        let phase: "withhold" | "hold-difference" | "done" = "withhold";
        let held: Frame | undefined;
        adversary.setScript((e) => {
          if (e.direction !== "to-client" || e.account !== bob.account) return undefined;
          const update = pushedUpdate(e.frame);
          if (phase === "withhold" && update?.kind?.$case === "message") {
            phase = "hold-difference";
            return [];
          }
          const kind = e.frame.kind;
          if (phase === "hold-difference" && held === undefined && kind?.$case === "response" && kind.value.result?.$case === "getDifference") {
            held = e.frame;
            return [];
          }
          if (held !== undefined && update !== undefined) {
            const release = held;
            held = undefined;
            phase = "done";
            return [e.frame, release];
          }
          return undefined;
        });
        for (const t of ["gap", "reveals", "during"]) {
          await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: t });
          sent.push(t);
        }
        // Bob's GetDifference may go out only after the last push passed (the server then answers
        // with it included): one more text brings the push that releases the held answer.
        await within(1_000, async () => (held !== undefined || (phase as string) === "done" ? undefined : "no difference held yet"));
        if (held !== undefined) {
          await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: "release" });
          sent.push("release");
        }
        const complaint = await shows(adapter, bob.devices[0]!, conversation, sent, 2_000);
        if (complaint !== undefined) throw new RuleViolation("CLIENT-APPLY-004", `with a push arriving while the difference was in flight, without SyncNow: ${complaint}`);
      })),
});

defineProperty({
  id: "client.adversary.undecryptable-inbox-entry",
  rules: ["CLIENT-INBOX-002"],
  mode: "client",
  profile: "groups",
  numRuns: 3,
  description: "The adversary corrupts the ciphertext of the first inbox entry Alice's device sends Bob (her sending key), wherever it is served; Bob's device does not stall on it: Carol's later messages, whose keys sit behind it in his inbox, still show.",
  run: ({ target }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.nat(), async (n, position) =>
      withAdversary(target, async (adversary) => {
        const adapter = await freshAdapter(target, adversary.url);
        const [alice, bob, carol] = [await person(adapter, "alice"), await person(adapter, "bob"), await person(adapter, "carol")];
        const { conversation } = await adapter.call("createConversation", { device: alice.devices[0]!, kind: 2, members: [bob.account, carol.account], title: "g" });
        await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!, carol.devices[0]!], 1);
        let victim: bigint | undefined;
        const corrupt = <E extends { inboxSeq: bigint; senderAccountId: Uint8Array; ciphertext: Uint8Array }>(entry: E): E => {
          if (victim === undefined && hex(entry.senderAccountId) === alice.account) victim = entry.inboxSeq;
          if (entry.inboxSeq !== victim) return entry;
          const ciphertext = Uint8Array.from(entry.ciphertext);
          ciphertext[position % ciphertext.length]! ^= 0x5a;
          return { ...entry, ciphertext };
        };
        adversary.setScript((e) => {
          if (e.direction !== "to-client" || e.account !== bob.account) return undefined;
          const kind = e.frame.kind;
          if (kind?.$case === "push" && kind.value.body?.$case === "inbox" && kind.value.body.value.entry !== undefined) {
            return [{ kind: { $case: "push", value: { body: { $case: "inbox", value: { entry: corrupt(kind.value.body.value.entry) } } } } }];
          }
          if (kind?.$case === "response" && kind.value.result?.$case === "fetchInbox") {
            const value = { ...kind.value.result.value, entries: kind.value.result.value.entries.map(corrupt) };
            return [{ kind: { $case: "response", value: { ...kind.value, result: { $case: "fetchInbox", value } } } }];
          }
          return undefined;
        });
        await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: "from alice" });
        const fromCarol = Array.from({ length: n }, (_, i) => `carol ${i}`);
        for (const t of fromCarol) await adapter.call("sendText", { device: carol.devices[0]!, conversation, text: t });
        await syncAll(adapter, [bob.devices[0]!]);
        const shown = await shownTexts(adapter, bob.devices[0]!, conversation);
        const missing = fromCarol.filter((t) => !shown.includes(t));
        if (victim !== undefined && missing.length > 0) {
          throw new RuleViolation("CLIENT-INBOX-002", `an undecryptable inbox entry from Alice blocked the entries behind it: Bob never shows ${JSON.stringify(missing)} (he shows ${JSON.stringify(shown)})`);
        }
      })),
});
