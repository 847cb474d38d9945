import { describe, expect, it } from "vitest";
import { isKabarError, PairwiseMessage } from "@kabar/protocol";
import { InMemorySessionStore } from "../src/store/session-store.js";
import { serializeSession } from "../src/session/session-codec.js";
import { createSenderKeyChain, senderKeyDecrypt, senderKeyEncrypt, acceptSenderKeyDistribution, senderKeyDistribution } from "../src/senderkey/sender-key-cipher.js";
import { serializeSenderKeyChain } from "../src/senderkey/sender-key-state.js";
import { backupMasterKey, openBackup, sealBackup } from "../src/backup/key-backup.js";
import { provider, text } from "./fixtures.js";
import { SessionPair } from "./session-pair.js";

describe("session store and error hygiene", () => {
  it("ENC-STATE-001/002: the in-memory store round-trips sessions and sender keys through bytes", async () => {
    const store = new InMemorySessionStore();
    const pair = new SessionPair();
    const peer = { accountId: pair.a.device.local.accountId, deviceId: 1 };
    await store.storeSessionRecord(peer, { current: pair.b.session!, previous: [] });
    const loaded = await store.loadSessionRecord(peer);
    expect(serializeSession(loaded!.current!)).toEqual(serializeSession(pair.b.session!));
    pair.b.session = loaded!.current;
    expect(new TextDecoder().decode(pair.receive(pair.b, pair.a, pair.send(pair.a, text("stored"))))).toBe("stored");
    const chain = createSenderKeyChain(provider, new Uint8Array(16), peer);
    await store.storeSenderKey(chain);
    const back = await store.loadSenderKey(chain.conversationId, peer, chain.distributionId);
    expect(serializeSenderKeyChain(back!)).toEqual(serializeSenderKeyChain(chain));
    await store.deleteSenderKeys(chain.conversationId);
    expect(await store.loadSenderKey(chain.conversationId, peer, chain.distributionId)).toBeUndefined();
  });

  it("ENC-STATE-003: no error message contains hex or base64 of any key or state", () => {
    const pair = new SessionPair();
    const secrets: Uint8Array[] = [];
    const collect = (s = pair.b.session!) => {
      secrets.push(s.rootKey, s.sendingRatchet.privateKey, s.sendingRatchet.publicKey, s.associatedData, serializeSession(s));
      if (s.sendingChainKey) secrets.push(s.sendingChainKey);
      for (const c of s.receivingChains) secrets.push(c.chainKey, c.ratchetKey);
    };
    collect(); collect(pair.a.session!);
    const errors: unknown[] = [];
    const attempt = (fn: () => unknown) => { try { fn(); } catch (error) { errors.push(error); } };
    const m = pair.send(pair.a, text("secret message"));
    attempt(() => pair.receive(pair.b, pair.a, m.map((b, i) => (i === m.length - 3 ? b ^ 1 : b))));
    pair.receive(pair.b, pair.a, m);
    attempt(() => pair.receive(pair.b, pair.a, m));
    const decoded = PairwiseMessage.decode(m);
    if (decoded.kind?.$case === "ratchet") {
      const value = decoded.kind.value;
      attempt(() => pair.receive(pair.b, pair.a, PairwiseMessage.encode({ kind: { $case: "ratchet", value: { ...value, counter: 9999 } } }).finish()));
      attempt(() => pair.receive(pair.b, pair.a, PairwiseMessage.encode({ kind: { $case: "ratchet", value: { ...value, ratchetKey: new Uint8Array(32) } } }).finish()));
    }
    const chain = createSenderKeyChain(provider, new Uint8Array(16), { accountId: new Uint8Array(32), deviceId: 1 });
    secrets.push(chain.chainKey, chain.signingPrivateKey!);
    const receiver = acceptSenderKeyDistribution(senderKeyDistribution(chain), chain.sender);
    const sk = senderKeyEncrypt(provider, chain, text("group")).message;
    attempt(() => senderKeyDecrypt(provider, () => receiver, sk.map((b, i) => (i === 30 ? b ^ 1 : b))));
    const master = backupMasterKey(provider, new Uint8Array(32).fill(1), new Uint8Array(32));
    secrets.push(master);
    const blob = sealBackup(provider, master, new Uint8Array(32), 1n, new Map([["k", chain.chainKey]]));
    attempt(() => openBackup(provider, backupMasterKey(provider, new Uint8Array(32).fill(2), new Uint8Array(32)), new Uint8Array(32), blob));
    expect(errors.length).toBeGreaterThanOrEqual(6);
    for (const error of errors) {
      expect(isKabarError(error)).toBe(true);
      const message = `${(error as Error).message} ${String((error as Error).stack)}`;
      for (const secret of secrets) {
        const b = Buffer.from(secret);
        for (const encoded of [b.toString("hex"), b.toString("base64"), b.toString("base64url")]) {
          expect(message.includes(encoded.slice(0, 16))).toBe(false);
        }
      }
    }
  });
});
