import fc from "fast-check";
import { expect, it } from "vitest";
import { ConversationKind, type AccountUpdate } from "@kabar/protocol";
import { makeHarness, randomId, TestAccount } from "./support/core-harness.js";

it("SYNC-DIFF-001 SYNC-APPLY-001 any sequence of slice limits reassembles the log exactly, in order, without gaps", async () => {
  const h = await makeHarness();
  const [a, b] = [new TestAccount(), new TestAccount()];
  const sa = await h.connect(a);
  const sb = await h.connect(b);
  const conversationId = randomId();
  await h.call(sa, "createConversation", { conversationId, kind: ConversationKind.DIRECT, memberAccountIds: [b.accountId] });
  for (let i = 0; i < 60; i++) {
    await h.call(i % 3 === 0 ? sb : sa, "sendMessage", { conversationId, clientMessageId: randomId(), ciphertext: randomId(1 + (i % 7)), epoch: 0n });
  }
  const head = (await h.call(sb, "getState", {})).state!.seq;
  await fc.assert(
    fc.asyncProperty(fc.bigInt({ min: 0n, max: head }), fc.array(fc.integer({ min: 0, max: 25 }), { minLength: 1, maxLength: 80 }), async (start, limits) => {
      // A client applying by the sequence rule from `start`.
      let local = start;
      const applied: AccountUpdate[] = [];
      for (const limit of limits) {
        const r = (await h.call(sb, "getDifference", { seq: local, limit })).result!;
        if (r.$case === "empty") {
          expect(r.value.seq).toBe(head);
          break;
        }
        if (r.$case === "tooLong") throw new Error("nothing was trimmed");
        for (const u of r.value.updates) {
          expect(local + BigInt(u.count)).toBe(u.seq);
          local = u.seq;
          applied.push(u);
        }
        expect(r.value.seq).toBe(local);
        expect(r.value.updates.length).toBeLessThanOrEqual(limit === 0 ? 100 : limit);
        if (r.$case === "difference") expect(local).toBe(head);
        else expect(local).toBeLessThan(head);
      }
      expect(applied.map((u) => u.seq)).toEqual(applied.map((_, i) => start + BigInt(i + 1)));
    }),
    { numRuns: 60 },
  );
  await h.close();
});
