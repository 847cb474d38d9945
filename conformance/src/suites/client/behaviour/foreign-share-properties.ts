// A HistoryKeyShare from another account (CLIENT-HISTORY-002). The kit plays
// a real device of a foreign account (wire-client/kit-peer.ts): it creates a
// group with the client's account, starts a pairwise session with the
// client's device and hands it, over that session, a HistoryKeyShare holding
// a sender-key chain of its own in that group, which it never distributes.
// It then sends group texts under that chain. A client that accepted the
// share decrypts and shows them; an honest one cannot. A barrier makes the
// check untimed: the peer then distributes a second chain properly (after
// the share, in inbox order) and sends a text under it (after the hostile
// texts, in log order); once the client shows that text it has processed
// the share and the hostile texts.
import fc from "fast-check";
import { senderKeyEncrypt } from "@kabar/crypto";
import { ConversationKind, type HistoryKey } from "@kabar/protocol";
import { defineProperty } from "../../../registry/property-registry.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import { KitPeer } from "../../../wire-client/kit-peer.js";
import { WireWorld } from "../../../wire-client/wire-world.js";
import type { AdapterClient } from "../../../adapter/adapter-client.js";
import { freshAdapter, note, person, syncAll } from "./client-world.js";

const RULE = "CLIENT-HISTORY-002";

/** Every text a device shows, in any conversation. */
async function allShownTexts(adapter: AdapterClient, device: string): Promise<string[]> {
  const state = await adapter.call("getVisibleState", { device });
  return state.conversations.flatMap((c) => c.messages.map((m) => m.text));
}

const caseArb = fc.record({
  /** The texts sent under the chain only the foreign share carries (distinct, tagged so no other text can equal them). */
  hostile: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 2 }).map((ts) => ts.map((t, i) => `foreign-share ${i}: ${t}`)),
  /** Whether the share reaches the client before the texts are sent, or after. */
  shareFirst: fc.boolean(),
  /** Extra keys in the share, for conversations the client is not in (noise a real share could hold). */
  decoys: fc.nat({ max: 2 }),
  /** Texts sent under the chain before the share's state: the share carries a later iteration. */
  skipped: fc.nat({ max: 2 }),
});

defineProperty({
  id: "client.history.foreign-share-refused",
  rules: [RULE],
  mode: "client",
  profile: "history",
  numRuns: 3,
  description:
    "A device of another account, in a group with the client's device, sends it over a pairwise session a HistoryKeyShare holding a sender-key chain it never distributed, then group texts under that chain; after a later text under a properly distributed chain is shown (a barrier), none of those texts is shown.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(caseArb, async ({ hostile, shareFirst, decoys, skipped }) => {
      const world = new WireWorld(await target.serverUrl(), transcript);
      try {
        const adapter = await freshAdapter(target);
        const victim = await person(adapter, "victim");
        const device = victim.devices[0]!;
        const victimId = new Uint8Array(Buffer.from(victim.account, "hex"));
        const peer = await KitPeer.register(world, "foreign");
        const conversationId = peer.provider.randomBytes(16);
        await peer.connection.call("createConversation", { conversationId, kind: ConversationKind.GROUP, memberAccountIds: [victimId] });
        await syncAll(adapter, [device], 1);

        let hidden = peer.newChain(conversationId);
        // Texts the client never gets (the peer only advances the chain): the share starts later.
        for (let i = 0; i < skipped; i++) hidden = senderKeyEncrypt(peer.provider, hidden, new Uint8Array([i])).chain;
        const keys: HistoryKey[] = [
          { conversationId, senderAccountId: peer.accountId, senderDeviceId: 1, chain: peer.distribution(hidden) },
          ...Array.from({ length: decoys }, () => {
            const other = peer.newChain(peer.provider.randomBytes(16));
            return { conversationId: other.conversationId, senderAccountId: peer.accountId, senderDeviceId: 1, chain: peer.distribution(other) };
          }),
        ];
        const share = async () => {
          const reached = await peer.sendPairwise(victimId, { $case: "historyKeys", value: { keys, complete: true } });
          note(transcript, `the foreign account sent a HistoryKeyShare of ${keys.length} key(s) to devices ${reached.join(",")}`);
        };
        if (shareFirst) await share();
        for (const text of hostile) hidden = await peer.sendText(conversationId, hidden, text);
        if (!shareFirst) await share();

        // The barrier: a chain distributed as a SenderKeyDistribution over the same session, and a text under it.
        const open = peer.newChain(conversationId);
        await peer.sendPairwise(victimId, { $case: "senderKey", value: peer.distribution(open) });
        const barrier = `barrier after ${hostile.length} foreign-share text(s)`;
        await peer.sendText(conversationId, open, barrier);
        await syncAll(adapter, [device], 2);

        const shown = await allShownTexts(adapter, device);
        note(transcript, `the device shows ${JSON.stringify(shown)}`);
        if (!shown.includes(barrier)) {
          throw new Error(`the device never shows ${JSON.stringify(barrier)}, sent under a chain distributed to it over a pairwise session (shows ${JSON.stringify(shown)}); the foreign share cannot be judged`);
        }
        const leaked = hostile.filter((t) => shown.includes(t));
        if (leaked.length > 0) {
          throw new RuleViolation(RULE, `the device shows ${JSON.stringify(leaked)}, sent under a sender-key chain that only a HistoryKeyShare from another account (${Buffer.from(peer.accountId).toString("hex").slice(0, 12)}…) carried: it accepted history keys from a device not of its own account`);
        }
      } finally {
        await world.close();
      }
    }),
});
