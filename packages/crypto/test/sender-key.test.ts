import { describe, expect, it } from "vitest";
import { ErrorCode, SenderKeyDistribution, SenderKeyMessage } from "@kabar/protocol";
import {
  acceptSenderKeyDistribution, createSenderKeyChain, senderKeyDecrypt, senderKeyDistribution, senderKeyEncrypt,
} from "../src/senderkey/sender-key-cipher.js";
import { deserializeSenderKeyChain, serializeSenderKeyChain, MAX_SENDER_KEY_JUMP, type SenderKeyChain } from "../src/senderkey/sender-key-state.js";
import { bytesEqual } from "../src/encoding/bytes.js";
import { expectKabarError, provider, str, text } from "./fixtures.js";
import { SessionPair } from "./session-pair.js";

const conversationId = new Uint8Array(16).fill(7);
const sender = { accountId: new Uint8Array(32).fill(1), deviceId: 1 };
const by = (chain: SenderKeyChain) => (id: Uint8Array) => (bytesEqual(id, chain.distributionId) ? chain : undefined);

function distributeOverPairwise(chain: SenderKeyChain): SenderKeyChain {
  const pair = new SessionPair();
  const wire = pair.send(pair.a, SenderKeyDistribution.encode(senderKeyDistribution(chain)).finish());
  return acceptSenderKeyDistribution(SenderKeyDistribution.decode(pair.receive(pair.b, pair.a, wire)), sender);
}

describe("sender keys", () => {
  it("ENC-SENDERKEY-001/003: a chain distributed over a pairwise session decrypts in and out of order", () => {
    let own = createSenderKeyChain(provider, conversationId, sender);
    let theirs = distributeOverPairwise(own);
    const messages = [0, 1, 2].map((i) => { const out = senderKeyEncrypt(provider, own, text(`g${i}`)); own = out.chain; return out.message; });
    for (const i of [2, 0, 1]) {
      const out = senderKeyDecrypt(provider, by(theirs), messages[i]!);
      expect(str(out.plaintext)).toBe(`g${i}`);
      theirs = out.chain;
    }
    expectKabarError(() => senderKeyDecrypt(provider, by(theirs), messages[1]!), ErrorCode.DUPLICATE_MESSAGE);
    expect(deserializeSenderKeyChain(serializeSenderKeyChain(theirs))).toEqual(theirs);
  });

  it("ENC-SENDERKEY-002: tampered ciphertext, iteration or signature is SIGNATURE_INVALID and the chain is unchanged", () => {
    const own = createSenderKeyChain(provider, conversationId, sender);
    const theirs = acceptSenderKeyDistribution(senderKeyDistribution(own), sender);
    const before = serializeSenderKeyChain(theirs);
    const { message } = senderKeyEncrypt(provider, own, text("x"));
    const decoded = SenderKeyMessage.decode(message);
    const variants = [
      { ...decoded, iteration: 1 },
      { ...decoded, ciphertext: decoded.ciphertext.map((b, i) => (i === 0 ? b ^ 1 : b)) },
      { ...decoded, signature: decoded.signature.map((b, i) => (i === 63 ? b ^ 1 : b)) },
    ];
    for (const variant of variants) {
      expectKabarError(() => senderKeyDecrypt(provider, by(theirs), SenderKeyMessage.encode(variant).finish()), ErrorCode.SIGNATURE_INVALID);
    }
    // A member who knows the chain key but not the signing key cannot forge.
    const forger = { ...theirs, signingPrivateKey: provider.ed25519GenerateKeyPair().privateKey };
    const forged = senderKeyEncrypt(provider, forger, text("forged")).message;
    expectKabarError(() => senderKeyDecrypt(provider, by(theirs), forged), ErrorCode.SIGNATURE_INVALID);
    expect(serializeSenderKeyChain(theirs)).toEqual(before);
  });

  it("ENC-SENDERKEY-004: a jump beyond the bound is MESSAGE_TOO_FAR_AHEAD", () => {
    let own = createSenderKeyChain(provider, conversationId, sender);
    const theirs = acceptSenderKeyDistribution(senderKeyDistribution(own), sender);
    let last: Uint8Array = new Uint8Array();
    for (let i = 0; i <= MAX_SENDER_KEY_JUMP + 1; i++) { const out = senderKeyEncrypt(provider, own, text("x")); own = out.chain; last = out.message; }
    expectKabarError(() => senderKeyDecrypt(provider, by(theirs), last), ErrorCode.MESSAGE_TOO_FAR_AHEAD);
    expectKabarError(() => senderKeyEncrypt(provider, { ...own, iteration: 0xffffffff }, text("x")), ErrorCode.COUNTER_EXHAUSTED);
  });

  it("ENC-SENDERKEY-005: after rotation on removal, the removed member cannot decrypt", () => {
    const first = createSenderKeyChain(provider, conversationId, sender);
    const bobOld = distributeOverPairwise(first);
    const carolOld = distributeOverPairwise(first);
    // Carol is removed: Alice rotates and distributes only to Bob.
    const rotated = createSenderKeyChain(provider, conversationId, sender);
    expect(bytesEqual(rotated.distributionId, first.distributionId)).toBe(false);
    const bobNew = distributeOverPairwise(rotated);
    const { message } = senderKeyEncrypt(provider, rotated, text("after removal"));
    const bobLookup = (id: Uint8Array) => by(bobNew)(id) ?? by(bobOld)(id);
    expect(str(senderKeyDecrypt(provider, bobLookup, message).plaintext)).toBe("after removal");
    expectKabarError(() => senderKeyDecrypt(provider, by(carolOld), message), ErrorCode.SENDER_KEY_NOT_FOUND);
    // Even pretending the old chain belongs to the new distribution fails.
    expectKabarError(() => senderKeyDecrypt(provider, () => carolOld, message), ErrorCode.SIGNATURE_INVALID);
  });
});
