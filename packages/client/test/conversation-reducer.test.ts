import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReceiptKind, type Content } from "@kabar/protocol";
import { applyContent, type ConversationRecords } from "../src/conversation/apply-content.js";
import type { ConversationRecord, MessageRecord } from "../src/conversation/conversation-model.js";

const CONV = "c0";
const id = (n: number) => Uint8Array.of(n, ...new Array(15).fill(0));
const hex = (n: number) => Buffer.from(id(n)).toString("hex");

function memoryRecords(): ConversationRecords & { view(): unknown } {
  const conversations = new Map<string, ConversationRecord>([[CONV, { id: CONV, kind: "group", members: ["a", "b"], epoch: 1, membershipSeq: 1, left: false, readMarkers: {} }]]);
  const messages = new Map<string, MessageRecord>();
  return {
    getConversation: async (c) => structuredClone(conversations.get(c)),
    putConversation: async (c) => void conversations.set(c.id, structuredClone(c)),
    getMessage: async (_c, m) => structuredClone(messages.get(m)),
    putMessage: async (m) => void messages.set(m.messageId, structuredClone(m)),
    view: () => ({
      messages: [...messages.values()].filter((m) => m.seq > 0).sort((x, y) => x.seq - y.seq)
        .map((m) => ({ id: m.messageId, text: m.text, deleted: m.deleteSeq > 0, reactions: Object.values(m.reactions).filter((r) => r.present).map((r) => `${r.account}${r.emoji}`).sort() })),
      read: Object.fromEntries(Object.entries(conversations.get(CONV)!.readMarkers).map(([k, v]) => [k, v.messageId])),
    }),
  };
}

type Step = { seq: number; sender: string; content: Content };

// A log: texts by a or b, then edits/deletes by the sender, reactions and reads by anyone, all later in the log.
const logArb = fc.array(fc.tuple(fc.nat(9), fc.constantFrom("a", "b"), fc.nat(4), fc.string({ maxLength: 3 }), fc.boolean()), { minLength: 1, maxLength: 25 }).map((raw) => {
  const steps: Step[] = [];
  const texts: { n: number; sender: string }[] = [];
  raw.forEach(([target, sender, kind, str, flag], i) => {
    const seq = i + 2;
    const content = (body: Content["body"]): Content => ({ messageId: id(100 + i), sentAtMs: BigInt(1000 - i), body, padding: new Uint8Array(0) });
    const pick = texts[target % Math.max(1, texts.length)];
    if (kind === 0 || pick === undefined) {
      texts.push({ n: 100 + i, sender });
      steps.push({ seq, sender, content: content({ $case: "text", value: { body: str, replyTo: new Uint8Array(0) } }) });
    } else if (kind === 1) steps.push({ seq, sender: pick.sender, content: content({ $case: "edit", value: { targetMessageId: id(pick.n), body: `${str}!` } }) });
    else if (kind === 2) steps.push({ seq, sender: pick.sender, content: content({ $case: "delete", value: { targetMessageId: id(pick.n) } }) });
    else if (kind === 3) steps.push({ seq, sender, content: content({ $case: "reaction", value: { targetMessageId: id(pick.n), emoji: str.slice(0, 1) || "x", remove: flag } }) });
    else steps.push({ seq, sender, content: content({ $case: "receipt", value: { kind: ReceiptKind.READ, targetMessageIds: [id(pick.n)] } }) });
  });
  return steps;
});

async function run(steps: readonly Step[]) {
  const records = memoryRecords();
  for (const step of steps) await applyContent(records, { conversationId: CONV, seq: step.seq, sender: step.sender, senderDevice: 1 }, step.content);
  return records.view();
}

describe("conversation reducer", () => {
  it("CLIENT-ORDER-001 gives the same state whatever order the contents are applied in, and ignores repeats (CLIENT-DEDUP-003)", async () => {
    await fc.assert(fc.asyncProperty(logArb, fc.infiniteStream(fc.nat()), async (steps, picks) => {
      const inOrder = await run(steps);
      // A permutation with some steps repeated, as late decryption and retries produce.
      const shuffled = [...steps, ...steps.filter((_, i) => i % 3 === 0)];
      const it = picks[Symbol.iterator]();
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = it.next().value! % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      expect(await run(shuffled)).toEqual(inOrder);
    }), { numRuns: 300 });
  });

  it("orders by the server sequence, not the sender's clock (CLIENT-ORDER-001)", async () => {
    const view = await run([
      { seq: 5, sender: "a", content: { messageId: id(1), sentAtMs: 9_000n, body: { $case: "text", value: { body: "first by seq", replyTo: new Uint8Array(0) } }, padding: new Uint8Array(0) } },
      { seq: 6, sender: "b", content: { messageId: id(2), sentAtMs: 1_000n, body: { $case: "text", value: { body: "second by seq", replyTo: new Uint8Array(0) } }, padding: new Uint8Array(0) } },
    ]) as { messages: { id: string }[] };
    expect(view.messages.map((m) => m.id)).toEqual([hex(1), hex(2)]);
  });
});
