// Property test for sender-key chains (seeded by the shared setup file).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ErrorCode, isKabarError } from "@kabar/protocol";
import { acceptSenderKeyDistribution, createSenderKeyChain, senderKeyDecrypt, senderKeyDistribution, senderKeyEncrypt } from "../src/senderkey/sender-key-cipher.js";
import { serializeSenderKeyChain, type SenderKeyChain } from "../src/senderkey/sender-key-state.js";
import { provider, str, text } from "./fixtures.js";

const sender = { accountId: new Uint8Array(32).fill(5), deviceId: 2 };

describe("sender-key properties", () => {
  it("ENC-SENDERKEY-004: any delivery order with replays: each message decrypts once, replays are DUPLICATE_MESSAGE, chain unchanged on failure", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.array(fc.nat(), { maxLength: 60 }), (count, order) => {
      let own = createSenderKeyChain(provider, new Uint8Array(16).fill(1), sender);
      let theirs: SenderKeyChain = acceptSenderKeyDistribution(senderKeyDistribution(own), sender);
      const wires = Array.from({ length: count }, (_, i) => { const out = senderKeyEncrypt(provider, own, text(`g${i}`)); own = out.chain; return out.message; });
      const seen = new Set<number>();
      for (const pick of [...order, ...wires.keys()]) {
        const i = pick % count;
        if (seen.has(i)) {
          const before = serializeSenderKeyChain(theirs);
          let thrown: unknown;
          try { senderKeyDecrypt(provider, () => theirs, wires[i]!); } catch (error) { thrown = error; }
          expect(isKabarError(thrown, ErrorCode.DUPLICATE_MESSAGE)).toBe(true);
          expect(serializeSenderKeyChain(theirs)).toEqual(before);
        } else {
          const out = senderKeyDecrypt(provider, () => theirs, wires[i]!);
          expect(str(out.plaintext)).toBe(`g${i}`);
          theirs = out.chain;
          seen.add(i);
        }
      }
      expect(seen.size).toBe(count);
      expect(theirs.skipped.length).toBe(0);
    }), { numRuns: 30 });
  });
});
