import { describe, expect, it } from "vitest";
import { ErrorCode, PairwiseMessage } from "@kabar/protocol";
import { serializeSession, deserializeSession } from "../src/session/session-codec.js";
import { MAX_SKIP, MAX_SKIPPED_KEYS } from "../src/session/session-state.js";
import { encryptPairwise } from "../src/session/session-cipher.js";
import { expectKabarError, provider, str, text } from "./fixtures.js";
import { SessionPair } from "./session-pair.js";

describe("double ratchet", () => {
  it("ENC-RATCHET-001/002: messages in both directions with DH steps and out-of-order delivery decrypt", () => {
    const pair = new SessionPair();
    const { a, b } = pair;
    const batch = [0, 1, 2, 3].map((i) => pair.send(a, text(`a${i}`)));
    expect(str(pair.receive(b, a, batch[2]!))).toBe("a2");
    expect(str(pair.receive(b, a, batch[0]!))).toBe("a0");
    const reply = pair.send(b, text("b0"));
    const late = pair.send(a, text("a4"));
    expect(str(pair.receive(a, b, reply))).toBe("b0");
    const afterStep = pair.send(a, text("a5"));
    expect(str(pair.receive(b, a, afterStep))).toBe("a5");
    expect(str(pair.receive(b, a, batch[3]!))).toBe("a3");
    expect(str(pair.receive(b, a, late))).toBe("a4");
    expect(str(pair.receive(b, a, batch[1]!))).toBe("a1");
    expect(b.session!.skipped.length).toBe(0);
  });

  it("ENC-RATCHET-003: every header field is bound into the AD: changing counter, previous counter or key fails", () => {
    const pair = new SessionPair();
    const wire = PairwiseMessage.decode(pair.send(pair.a, text("bound")));
    if (wire.kind?.$case !== "ratchet") throw new Error("expected ratchet");
    const m = wire.kind.value;
    const before = serializeSession(pair.b.session!);
    for (const variant of [{ ...m, previousCounter: m.previousCounter + 1 }, { ...m, counter: m.counter + 1 }]) {
      const bytes = PairwiseMessage.encode({ kind: { $case: "ratchet", value: variant } }).finish();
      expectKabarError(() => pair.receive(pair.b, pair.a, bytes), ErrorCode.DECRYPT_FAILED);
    }
    const shortKey = PairwiseMessage.encode({ kind: { $case: "ratchet", value: { ...m, ratchetKey: m.ratchetKey.subarray(1) } } }).finish();
    expectKabarError(() => pair.receive(pair.b, pair.a, shortKey), ErrorCode.DECRYPT_FAILED);
    expect(serializeSession(pair.b.session!)).toEqual(before);
  });

  it("ENC-KEY-003: a low-order ratchet key is KEY_INVALID and the state is unchanged", () => {
    const pair = new SessionPair();
    const wire = PairwiseMessage.decode(pair.send(pair.a, text("x")));
    if (wire.kind?.$case !== "ratchet") throw new Error("expected ratchet");
    const before = serializeSession(pair.b.session!);
    for (const key of [new Uint8Array(32), Uint8Array.from(Buffer.from("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", "hex"))]) {
      const bytes = PairwiseMessage.encode({ kind: { $case: "ratchet", value: { ...wire.kind.value, ratchetKey: key } } }).finish();
      expectKabarError(() => pair.receive(pair.b, pair.a, bytes), ErrorCode.KEY_INVALID);
    }
    expect(serializeSession(pair.b.session!)).toEqual(before);
  });

  it("ENC-RATCHET-005: a replayed message is DUPLICATE_MESSAGE and state stays byte-identical", () => {
    const pair = new SessionPair();
    const m = pair.send(pair.a, text("once"));
    pair.receive(pair.b, pair.a, m);
    const before = serializeSession(pair.b.session!);
    expectKabarError(() => pair.receive(pair.b, pair.a, m), ErrorCode.DUPLICATE_MESSAGE);
    expect(serializeSession(pair.b.session!)).toEqual(before);
  });

  it("ENC-RATCHET-004/006: flipping any byte of a message fails and leaves state byte-identical", () => {
    const pair = new SessionPair();
    pair.send(pair.a, text("skip me"));
    const m = pair.send(pair.a, text("tamper target"));
    const before = serializeSession(pair.b.session!);
    for (let i = 0; i < m.length; i++) {
      const bad = new Uint8Array(m); bad[i]! ^= 0x01;
      let failed = false;
      try { pair.receive(pair.b, pair.a, bad); } catch { failed = true; }
      expect(failed, `byte ${i}`).toBe(true);
      expect(serializeSession(pair.b.session!)).toEqual(before);
    }
    expect(str(pair.receive(pair.b, pair.a, m))).toBe("tamper target");
  });

  it("ENC-RATCHET-007: a counter more than MAX_SKIP ahead is MESSAGE_TOO_FAR_AHEAD; exactly MAX_SKIP is fine", () => {
    const pair = new SessionPair();
    const sent: Uint8Array[] = [];
    for (let i = 0; i <= MAX_SKIP + 1; i++) sent.push(pair.send(pair.a, text(`m${i}`)));
    const before = serializeSession(pair.b.session!);
    expectKabarError(() => pair.receive(pair.b, pair.a, sent[MAX_SKIP + 1]!), ErrorCode.MESSAGE_TOO_FAR_AHEAD);
    expect(serializeSession(pair.b.session!)).toEqual(before);
    expect(str(pair.receive(pair.b, pair.a, sent[MAX_SKIP]!))).toBe(`m${MAX_SKIP}`);
    expect(pair.b.session!.skipped.length).toBe(MAX_SKIP);
  });

  it("ENC-RATCHET-008: skipped keys stay bounded with oldest-first eviction", () => {
    const pair = new SessionPair();
    const first = pair.send(pair.a, text("oldest"));
    for (let i = 0; i < 1500; i++) pair.send(pair.a, text("x"));
    const tail = pair.send(pair.a, text("t1"));
    pair.receive(pair.b, pair.a, tail);
    // A DH step from Bob, then Alice skips 1500 more on a new chain.
    pair.receive(pair.a, pair.b, pair.send(pair.b, text("turn")));
    for (let i = 0; i < 1500; i++) pair.send(pair.a, text("y"));
    pair.receive(pair.b, pair.a, pair.send(pair.a, text("t2")));
    expect(pair.b.session!.skipped.length).toBe(MAX_SKIPPED_KEYS);
    expectKabarError(() => pair.receive(pair.b, pair.a, first), ErrorCode.DUPLICATE_MESSAGE);
  });

  it("ENC-RATCHET-009: sending at counter 2^32-1 is COUNTER_EXHAUSTED; receiving it too", () => {
    const pair = new SessionPair();
    const exhausted = { ...pair.a.session!, sendingIndex: 0xffffffff };
    expectKabarError(() => encryptPairwise(provider, exhausted, text("x")), ErrorCode.COUNTER_EXHAUSTED);
    const m = PairwiseMessage.decode(pair.send(pair.a, text("x")));
    if (m.kind?.$case !== "ratchet") throw new Error("expected ratchet");
    const forged = PairwiseMessage.encode({ kind: { $case: "ratchet", value: { ...m.kind.value, counter: 0xffffffff } } }).finish();
    expectKabarError(() => pair.receive(pair.b, pair.a, forged), ErrorCode.COUNTER_EXHAUSTED);
  });

  it("ENC-X3DH-008: a ratchet message decrypted against the session of another peer is WRONG_RECIPIENT", () => {
    const one = new SessionPair(), two = new SessionPair();
    const m = one.send(one.a, text("x"));
    expectKabarError(() => one.receive(one.b, two.a, m), ErrorCode.WRONG_RECIPIENT);
  });

  it("ENC-STATE-001: sessions round-trip through bytes mid-conversation", () => {
    const pair = new SessionPair();
    pair.send(pair.a, text("skipped"));
    pair.receive(pair.b, pair.a, pair.send(pair.a, text("x")));
    const restored = deserializeSession(serializeSession(pair.b.session!));
    expect(serializeSession(restored)).toEqual(serializeSession(pair.b.session!));
    pair.b.session = restored;
    expect(str(pair.receive(pair.a, pair.b, pair.send(pair.b, text("after restore"))))).toBe("after restore");
    const bytes = serializeSession(restored);
    expectKabarError(() => deserializeSession(bytes.subarray(0, bytes.length - 1)), ErrorCode.KEY_INVALID);
    expectKabarError(() => deserializeSession(new Uint8Array([...bytes, 0])), ErrorCode.KEY_INVALID);
  });
});
