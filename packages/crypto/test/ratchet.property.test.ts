// Property tests for the pairwise ratchet (seeded by the shared setup file).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ErrorCode, isKabarError } from "@kabar/protocol";
import { serializeSession } from "../src/session/session-codec.js";
import { decryptPairwise } from "../src/session/session-cipher.js";
import { provider, str, text } from "./fixtures.js";
import { SessionPair, type Party } from "./session-pair.js";

// Built once: session setup (ML-KEM, signatures) dominates otherwise.
type Command = { kind: "send"; from: 0 | 1 } | { kind: "deliver"; pick: number } | { kind: "drop"; pick: number } | { kind: "replay"; pick: number };
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("send" as const), from: fc.constantFrom(0 as const, 1 as const) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("deliver" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("replay" as const), pick: fc.nat() }) },
);

interface InFlight { from: Party; to: Party; wire: Uint8Array; plaintext: string }

function rejectsUnchanged(pair: SessionPair, to: Party, from: Party, wire: Uint8Array, codes: ErrorCode[]): void {
  const before = serializeSession(to.session!);
  let thrown: unknown;
  try { pair.receive(to, from, wire); } catch (error) { thrown = error; }
  expect(isKabarError(thrown, ...codes), String(thrown)).toBe(true);
  expect(serializeSession(to.session!)).toEqual(before);
}

describe("ratchet properties", () => {
  it("ENC-RATCHET-005/006: random interleavings with reordering, drops and replays: each delivered message decrypts exactly once", () => {
    fc.assert(fc.property(fc.array(command, { minLength: 5, maxLength: 60 }), (commands) => {
      const pair = new SessionPair();
      const pending: InFlight[] = [];
      const delivered: InFlight[] = [];
      let n = 0;
      for (const c of commands) {
        if (c.kind === "send") {
          const from = c.from === 0 ? pair.a : pair.b;
          const plaintext = `m${n++}`;
          pending.push({ from, to: pair.peer(from), wire: pair.send(from, text(plaintext)), plaintext });
        } else if (c.kind === "deliver" && pending.length > 0) {
          const [m] = pending.splice(c.pick % pending.length, 1);
          expect(str(pair.receive(m!.to, m!.from, m!.wire))).toBe(m!.plaintext);
          delivered.push(m!);
        } else if (c.kind === "drop" && pending.length > 0) {
          pending.splice(c.pick % pending.length, 1);
        } else if (c.kind === "replay" && delivered.length > 0) {
          const m = delivered[c.pick % delivered.length]!;
          // A replay is DUPLICATE_MESSAGE; once its chain is retired (more than five DH steps ago) it no longer authenticates.
          rejectsUnchanged(pair, m.to, m.from, m.wire, [ErrorCode.DUPLICATE_MESSAGE, ErrorCode.DECRYPT_FAILED]);
        }
      }
      for (const m of pending) expect(str(pair.receive(m.to, m.from, m.wire))).toBe(m.plaintext);
    }), { numRuns: 25 });
  });

  it("ENC-RATCHET-004/006: flipping any bit of any message fails and leaves the receiver byte-identical", () => {
    const pair = new SessionPair();
    fc.assert(fc.property(fc.nat({ max: 3 }), fc.nat(), fc.nat({ max: 7 }), (skip, position, bit) => {
      for (let i = 0; i < skip; i++) pair.send(pair.a, text("skipped"));
      const wire = pair.send(pair.a, text("target"));
      const bad = new Uint8Array(wire);
      bad[position % bad.length]! ^= 1 << bit;
      const before = serializeSession(pair.b.session!);
      let accepted: string | undefined;
      try { accepted = str(pair.receive(pair.b, pair.a, bad)); } catch { /* expected */ }
      expect(accepted).toBeUndefined();
      expect(serializeSession(pair.b.session!)).toEqual(before);
      expect(str(pair.receive(pair.b, pair.a, wire))).toBe("target");
    }), { numRuns: 60 });
  });

  it("ENC-RATCHET-010: forward secrecy: a snapshot taken after receiving cannot decrypt those messages again", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), (count) => {
      const pair = new SessionPair();
      const wires = Array.from({ length: count }, (_, i) => pair.send(pair.a, text(`m${i}`)));
      for (const wire of wires) pair.receive(pair.b, pair.a, wire);
      const snapshot = pair.b.session!;
      for (const wire of wires) {
        let thrown: unknown;
        try { decryptPairwise(provider, { local: pair.b.device.local, session: snapshot, sender: pair.a.device.verified, preKeys: pair.b.device.lookup }, wire); } catch (error) { thrown = error; }
        expect(isKabarError(thrown, ErrorCode.DUPLICATE_MESSAGE)).toBe(true);
      }
    }), { numRuns: 10 });
  });

  it("ENC-RATCHET-011: post-compromise security: a stolen state stops decrypting after one round trip", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), (before, after) => {
      const pair = new SessionPair();
      for (let i = 0; i < before; i++) pair.receive(pair.b, pair.a, pair.send(pair.a, text("pre")));
      const stolen = pair.b.session!;
      const tryStolen = (wire: Uint8Array) => {
        try {
          decryptPairwise(provider, { local: pair.b.device.local, session: stolen, sender: pair.a.device.verified, preKeys: pair.b.device.lookup }, wire);
          return true;
        } catch { return false; }
      };
      // Bob's current ratchet key was stolen with the state, so Alice's answer to it is still exposed.
      pair.receive(pair.a, pair.b, pair.send(pair.b, text("stale key")));
      const exposed = pair.send(pair.a, text("exposed"));
      expect(tryStolen(exposed)).toBe(true);
      // One round trip heals: Bob receives (fresh ratchet key from his RNG), answers, Alice answers that.
      pair.receive(pair.b, pair.a, exposed);
      pair.receive(pair.a, pair.b, pair.send(pair.b, text("fresh key")));
      for (let i = 0; i < after; i++) {
        const healed = pair.send(pair.a, text(`healed${i}`));
        expect(tryStolen(healed)).toBe(false);
        pair.receive(pair.b, pair.a, healed);
      }
    }), { numRuns: 10 });
  });
});
