// Crypto properties of the double ratchet (ENC-RATCHET-*): each builds
// sessions in the ENC-STATE-001 layout from a fast-check seed, seals
// messages with the kit's own model (ratchet-model.ts, node:crypto only),
// sends encryption cases (kinds ratchet.* in docs/spec/encryption-cases.md)
// and checks outcomes, output states and rejection codes against the rule.
import fc from "fast-check";
import { decodeMessage, ErrorCode, errorCodeName, PairwiseMessage } from "@kabar/protocol";
import type { PropertyContext } from "../../registry/property-registry.js";
import { defineProperty } from "../../registry/property-registry.js";
import { RuleViolation } from "../../registry/rule-violation.js";
import type { CryptoCaseFields } from "../../targets/target-types.js";
import { concatBytes, lengthDelimited, varintField } from "../../generators/wire-writer.js";
import { expectCompleted, expectRejected, hex, unhex } from "./expect-case.js";
import {
  aeadOpen, advance, buildSession, canonicalHeader, chainMessage, chainStep, containsBytes, derive, kdfRk, MAX_CHAINS, MAX_COUNTER, MAX_SKIP, MAX_SKIPPED,
  newChainMessage, pairwiseOf, parseState, ratchetFields, remoteRatchetPrivate, sameBytes, serializeState, x25519, x25519Public,
  type KitChain, type KitSession,
} from "./ratchet-model.js";

type Ctx = PropertyContext<"crypto">;

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
// Seeds only name keys: shrinking them finds nothing simpler, so they do not shrink.
const seedArb = fc.noShrink(key32);
const plaintextArb = fc.uint8Array({ maxLength: 48 });
const STATE_UNCHANGED = "ENC-RATCHET-006";
/** The X25519 point u = 0: every DH with it is all zero (ENC-KEY-003). */
const LOW_ORDER_KEY = new Uint8Array(32);

const b2h = (b: Uint8Array): string => hex(b);

function parsed(rule: string, bytes: Uint8Array, what: string): KitSession {
  try {
    return parseState(bytes);
  } catch (error) {
    throw new RuleViolation(rule, `${what}: the returned session is not an ENC-STATE-001 session (${(error as Error).message})`);
  }
}

async function decrypt(context: Ctx, rule: string, state: Uint8Array | null, wire: Uint8Array, what: string): Promise<{ plaintext: Uint8Array; state: Uint8Array }> {
  const out = await expectCompleted(context, rule, "ratchet.decrypt", { state: state === null ? null : b2h(state), message: b2h(wire) }, what);
  if (typeof out.plaintext !== "string" || typeof out.state !== "string") throw new RuleViolation(rule, `${what}: outputs lack plaintext or state`);
  return { plaintext: unhex(out.plaintext), state: unhex(out.state) };
}

async function decryptExpecting(context: Ctx, rule: string, state: Uint8Array, wire: Uint8Array, plaintext: Uint8Array, what: string): Promise<Uint8Array> {
  const out = await decrypt(context, rule, state, wire, what);
  if (!sameBytes(out.plaintext, plaintext)) throw new RuleViolation(rule, `${what}: decrypted to ${b2h(out.plaintext)}, expected ${b2h(plaintext)}`);
  return out.state;
}

type Received = { readonly plaintext: Uint8Array } | { readonly error: string };

async function receive(context: Ctx, rule: string, state: Uint8Array | null, wires: readonly Uint8Array[], what: string): Promise<{ results: Received[]; state: Uint8Array | null }> {
  const out: CryptoCaseFields = await expectCompleted(context, rule, "ratchet.receive", { state: state === null ? null : b2h(state), messages: wires.map(b2h) }, what);
  const results = out.results;
  if (!Array.isArray(results) || results.length !== wires.length) throw new RuleViolation(rule, `${what}: expected ${wires.length} results, got ${JSON.stringify(results)?.slice(0, 200)}`);
  const mapped = results.map((r): Received => {
    const entry = r as { plaintext?: unknown; error?: unknown } | null;
    if (entry !== null && typeof entry === "object" && typeof entry.plaintext === "string") return { plaintext: unhex(entry.plaintext) };
    if (entry !== null && typeof entry === "object" && typeof entry.error === "string") return { error: entry.error };
    throw new RuleViolation(rule, `${what}: result ${JSON.stringify(r)} is neither {plaintext} nor {error}`);
  });
  if (out.state !== null && typeof out.state !== "string") throw new RuleViolation(rule, `${what}: output state is neither null nor hex`);
  return { results: mapped, state: out.state === null ? null : unhex(out.state) };
}

/**
 * Delivers `wire` to the stored session `state`: it must be rejected with
 * one of `codes` (charged to `rule`), the stored session must stay
 * byte-identical (ENC-RATCHET-006), and ratchet.decrypt must reject it the
 * same way.
 */
async function expectFailure(context: Ctx, rule: string, state: Uint8Array, wire: Uint8Array, codes: readonly ErrorCode[], what: string): Promise<void> {
  const names = codes.map(errorCodeName);
  const out = await receive(context, rule, state, [wire], what);
  const result = out.results[0]!;
  if (!("error" in result)) throw new RuleViolation(rule, `${what}: decrypted to ${b2h(result.plaintext)}; expected rejection with ${names.join(" or ")}`);
  if (!names.includes(result.error)) throw new RuleViolation(rule, `${what}: rejected with ${result.error}; expected ${names.join(" or ")}`);
  if (out.state === null || !sameBytes(out.state, state)) throw new RuleViolation(STATE_UNCHANGED, `${what}: rejected with ${result.error}, but the stored session changed`);
  await expectRejected(context, rule, "ratchet.decrypt", { state: b2h(state), message: b2h(wire) }, codes, what);
}

function describeState(s: KitSession): string {
  return `chains ${JSON.stringify(s.chains.map((c) => c.index))}, ${s.skipped.length} skipped keys, sending index ${s.sendingIndex}, previous ${s.previousCounter}`;
}

// ---------------------------------------------------------------- ENC-RATCHET-001, -002: the KDFs

defineProperty({
  id: "crypto.ratchet.kdf",
  rules: ["ENC-RATCHET-001", "ENC-RATCHET-002"],
  mode: "crypto",
  profile: "core",
  numRuns: 30,
  description: "ratchet.kdf-rk is HKDF(rk, dh, \"kabar-v1 ratchet root\", 64) split 32/32, and ratchet.chain-step gives MK = HMAC(CK, 0x01), next CK = HMAC(CK, 0x02) and the AEAD key and nonce of HKDF(0^32, MK, \"kabar-v1 ratchet message-keys\", 44).",
  run: (context) =>
    fc.asyncProperty(key32, key32, key32, async (rootKey, dh, chainKey) => {
      const root = await expectCompleted(context, "ENC-RATCHET-001", "ratchet.kdf-rk", { rootKey: b2h(rootKey), dhOutput: b2h(dh) }, "KDF_RK");
      const want = kdfRk(rootKey, dh);
      for (const [name, value] of [["rootKey", want.rootKey], ["chainKey", want.chainKey]] as const) {
        if (String(root[name]).toLowerCase() !== b2h(value)) throw new RuleViolation("ENC-RATCHET-001", `KDF_RK(${b2h(rootKey)}, ${b2h(dh)}): ${name} is ${JSON.stringify(root[name])}, expected ${b2h(value)}`);
      }
      const step = await expectCompleted(context, "ENC-RATCHET-002", "ratchet.chain-step", { chainKey: b2h(chainKey) }, "chain step");
      const expected = chainStep(chainKey);
      for (const [name, value] of [["messageKey", expected.messageKey], ["nextChainKey", expected.nextChainKey], ["aeadKey", expected.aeadKey], ["nonce", expected.nonce]] as const) {
        if (String(step[name]).toLowerCase() !== b2h(value)) throw new RuleViolation("ENC-RATCHET-002", `chain step of ${b2h(chainKey)}: ${name} is ${JSON.stringify(step[name])}, expected ${b2h(value)}`);
      }
    }),
});

// ---------------------------------------------------------------- ENC-RATCHET-002, -003: what a message is

const sendingIndexArb = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: MAX_COUNTER }));
const u32Arb = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 0xffffffff }));

defineProperty({
  id: "crypto.ratchet.message-keys-and-header",
  rules: ["ENC-RATCHET-002", "ENC-RATCHET-003"],
  mode: "crypto",
  profile: "core",
  numRuns: 30,
  description: "ratchet.encrypt seals under the ENC-RATCHET-002 keys of the sending chain with AD = session AD || the 45-byte header of the sent fields and advances the chain; ratchet.decrypt opens a kit-sealed message whose fields come in any order, and rejects a ratchet key that is not 32 bytes with DECRYPT_FAILED.",
  run: (context) =>
    fc.asyncProperty(
      seedArb, sendingIndexArb, u32Arb, plaintextArb, fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 3 }),
      fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }),
      fc.oneof(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 33, max: 64 })),
      async (seed, sendingIndex, previousCounter, plaintext, chainIndex, ahead, order, badKeyLength) => {
        const session = buildSession(seed, { chainIndexes: [chainIndex], sendingIndex, previousCounter });
        const state = serializeState(session);
        // Sending: the kit opens what the implementation sealed.
        const sent = await expectCompleted(context, "ENC-RATCHET-003", "ratchet.encrypt", { state: b2h(state), plaintext: b2h(plaintext) }, `encrypt at counter ${sendingIndex}`);
        let message;
        try {
          const wire = decodeMessage(PairwiseMessage, unhex(sent.message));
          if (wire.kind?.$case !== "ratchet") throw new Error("not a ratchet message");
          message = wire.kind.value;
        } catch (error) {
          throw new RuleViolation("ENC-RATCHET-003", `encrypt output message is not a strictly decodable PairwiseMessage{ratchet}: ${(error as Error).message}`);
        }
        const header = { version: message.version, ratchetKey: message.ratchetKey, counter: message.counter, previousCounter: message.previousCounter };
        const fields = JSON.stringify({ version: header.version, ratchetKey: b2h(header.ratchetKey), counter: header.counter, previousCounter: header.previousCounter });
        const wantFields = JSON.stringify({ version: 1, ratchetKey: b2h(session.ratchetPublic), counter: sendingIndex, previousCounter });
        if (fields !== wantFields) throw new RuleViolation("ENC-RATCHET-003", `sent header ${fields}, expected ${wantFields}`);
        const step = chainStep(session.sendingChainKey!);
        const opened = aeadOpen(step.aeadKey, step.nonce, message.ciphertext, concatBytes(session.ad, canonicalHeader(header)));
        if (opened === undefined || !sameBytes(opened, plaintext)) {
          // Whose fault: the keys (002) or the associated data (003)?
          const own = await expectCompleted(context, "ENC-RATCHET-002", "ratchet.chain-step", { chainKey: b2h(session.sendingChainKey!) }, "chain step of the sending chain");
          const ownOpen = aeadOpen(unhex(own.aeadKey), unhex(own.nonce), message.ciphertext, concatBytes(session.ad, canonicalHeader(header)));
          if (ownOpen !== undefined) throw new RuleViolation("ENC-RATCHET-002", `the message at counter ${sendingIndex} is sealed under keys other than those of HMAC/HKDF over the sending chain key`);
          throw new RuleViolation("ENC-RATCHET-003", `the message at counter ${sendingIndex} does not open under the ENC-RATCHET-002 keys with AD = session AD || canonical header`);
        }
        const next = parsed("ENC-RATCHET-002", unhex(sent.state), "after encrypt");
        if (next.sendingChainKey === undefined || !sameBytes(next.sendingChainKey, step.nextChainKey) || next.sendingIndex !== sendingIndex + 1) {
          throw new RuleViolation("ENC-RATCHET-002", `after encrypt the sending chain is ${next.sendingChainKey === undefined ? "gone" : b2h(next.sendingChainKey)} at ${next.sendingIndex}, expected HMAC(CK, 0x02) = ${b2h(step.nextChainKey)} at ${sendingIndex + 1}`);
        }
        // Receiving: fields in any order, every field explicit.
        const counter = chainIndex + ahead;
        const m = chainMessage(seed, session, 0, counter, previousCounter, plaintext);
        const all = [varintField(1, 1), lengthDelimited(2, m.header.ratchetKey), varintField(3, counter), varintField(4, previousCounter), lengthDelimited(5, m.ciphertext)];
        const shuffled = pairwiseOf(order.map((i) => all[i]!));
        await decryptExpecting(context, "ENC-RATCHET-003", state, shuffled, plaintext, `a message at counter ${counter} with its fields in order ${order.join(",")}`);
        // A ratchet key of another length.
        const badKey = concatBytes(m.header.ratchetKey, new Uint8Array(32)).subarray(0, badKeyLength);
        const bad = pairwiseOf([varintField(1, 1), lengthDelimited(2, badKey), varintField(3, counter), varintField(4, previousCounter), lengthDelimited(5, m.ciphertext)]);
        await expectFailure(context, "ENC-RATCHET-003", state, bad, [ErrorCode.DECRYPT_FAILED], `a message with a ${badKeyLength}-byte ratchet key`);
      },
    ),
});

// ---------------------------------------------------------------- ENC-RATCHET-001: the DH step

const chainIndexesArb = fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: MAX_CHAINS - 1 });

defineProperty({
  id: "crypto.ratchet.dh-step",
  rules: ["ENC-RATCHET-001"],
  mode: "crypto",
  profile: "core",
  numRuns: 25,
  description: "A message under a new ratchet key decrypts with (RK', CKr) = KDF_RK(RK, DH(s, R)); the new session holds a fresh key pair s' with (RK'', CKs) = KDF_RK(RK', DH(s', R)), previous counter = old sending counter, sending counter 0, the new receiving chain and the finished chain's keys up to previous_counter as skipped keys.",
  run: (context) =>
    fc.asyncProperty(
      seedArb, chainIndexesArb, fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), plaintextArb,
      async (seed, chainIndexes, previousCounter, more, counter, finishAhead, plaintext) => {
        const sendingIndex = previousCounter + 1 + more;
        const skipped = chainIndexes.flatMap((index, chain) => (index > 1 ? [[chain, index - 2] as const] : []));
        const session = buildSession(seed, { chainIndexes, skipped, sendingIndex, previousCounter });
        const state = serializeState(session);
        const last = session.chains[session.chains.length - 1];
        const headerPrevious = last === undefined ? finishAhead : last.index + finishAhead;
        const remote = derive(seed, "new remote ratchet");
        const m = newChainMessage(session, remote, counter, headerPrevious, plaintext);
        const what = `a message at counter ${counter} (previous ${headerPrevious}) under a new ratchet key to a session with ${describeState(session)}`;
        const next = parsed("ENC-RATCHET-001", await decryptExpecting(context, "ENC-RATCHET-001", state, m.wire, plaintext, what), what);
        const fail = (message: string): never => { throw new RuleViolation("ENC-RATCHET-001", `${what}: ${message}`); };
        if (!sameBytes(x25519Public(next.ratchetPrivate), next.ratchetPublic)) fail("the new ratchet public key is not X25519 of the new private key");
        if (sameBytes(next.ratchetPublic, session.ratchetPublic)) fail("the ratchet key pair did not change");
        const sending = kdfRk(m.received.rootKey, x25519(next.ratchetPrivate, m.header.ratchetKey));
        if (!sameBytes(next.rootKey, sending.rootKey)) fail(`root key is ${b2h(next.rootKey)}, expected RK'' = ${b2h(sending.rootKey)}`);
        if (next.sendingChainKey === undefined || !sameBytes(next.sendingChainKey, sending.chainKey)) fail(`sending chain key is ${next.sendingChainKey === undefined ? "absent" : b2h(next.sendingChainKey)}, expected CKs = ${b2h(sending.chainKey)}`);
        if (next.previousCounter !== sendingIndex || next.sendingIndex !== 0) fail(`previous counter ${next.previousCounter} and sending counter ${next.sendingIndex}, expected ${sendingIndex} and 0`);
        // Receiving chains and skipped keys.
        const chainId = (c: KitChain): string => `${b2h(c.ratchetKey)}:${b2h(c.chainKey)}:${c.index}`;
        const wantChains: KitChain[] = session.chains.map((c, i) => {
          if (i !== session.chains.length - 1 || headerPrevious <= c.index) return c;
          return { ratchetKey: c.ratchetKey, chainKey: advance(c.chainKey, headerPrevious - c.index).chainKey, index: headerPrevious };
        });
        wantChains.push({ ratchetKey: m.header.ratchetKey, chainKey: m.nextChainKey, index: counter + 1 });
        const gotChains = next.chains.map(chainId).sort();
        if (JSON.stringify(gotChains) !== JSON.stringify(wantChains.map(chainId).sort())) fail(`receiving chains ${JSON.stringify(next.chains.map((c) => c.index))} differ from the expected ${JSON.stringify(wantChains.map((c) => c.index))} (keys or counters)`);
        const skippedId = (k: { ratchetKey: Uint8Array; counter: number; messageKey: Uint8Array }): string => `${b2h(k.ratchetKey)}:${k.counter}:${b2h(k.messageKey)}`;
        const wantSkipped = [...session.skipped];
        if (last !== undefined) advance(last.chainKey, Math.max(0, headerPrevious - last.index)).messageKeys.forEach((messageKey, i) => wantSkipped.push({ ratchetKey: last.ratchetKey, counter: last.index + i, messageKey }));
        m.messageKeys.forEach((messageKey, i) => wantSkipped.push({ ratchetKey: m.header.ratchetKey, counter: i, messageKey }));
        if (JSON.stringify(next.skipped.map(skippedId).sort()) !== JSON.stringify(wantSkipped.map(skippedId).sort())) fail(`skipped keys (${next.skipped.length}) differ from the expected ${wantSkipped.length}`);
        for (const [name, a, b] of [["session AD", next.ad, session.ad], ["base key", next.baseKey, session.baseKey], ["local account", next.local.accountId, session.local.accountId], ["remote identity", next.remote.identityKey, session.remote.identityKey]] as const) {
          if (!sameBytes(a, b)) fail(`${name} changed`);
        }
      },
    ),
});

// ---------------------------------------------------------------- ENC-RATCHET-004, -006: malformed messages

type Malformation = { kind: "flip"; at: number; bit: number } | { kind: "short"; length: number } | { kind: "duplicate"; validLast: boolean } | { kind: "truncate"; cut: number } | { kind: "wire-type" };
const malformationArb: fc.Arbitrary<Malformation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("short" as const), length: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ kind: fc.constant("duplicate" as const), validLast: fc.boolean() }),
  fc.record({ kind: fc.constant("truncate" as const), cut: fc.integer({ min: 1, max: 200 }) }),
  fc.constant({ kind: "wire-type" as const }),
);

function malformed(m: { wire: Uint8Array; ciphertext: Uint8Array; header: { version: number; ratchetKey: Uint8Array; counter: number; previousCounter: number } }, bad: Malformation): { wire: Uint8Array; what: string } {
  const head = [varintField(1, m.header.version), lengthDelimited(2, m.header.ratchetKey), varintField(3, m.header.counter), varintField(4, m.header.previousCounter)];
  switch (bad.kind) {
    case "flip": {
      const ct = new Uint8Array(m.ciphertext);
      const at = bad.at % ct.length;
      ct[at]! ^= 1 << bad.bit;
      return { wire: pairwiseOf([...head, lengthDelimited(5, ct)]), what: `ciphertext with bit ${bad.bit} of byte ${at} of ${ct.length} flipped` };
    }
    case "short": {
      // The first bytes of a real ciphertext: shorter than a tag.
      return { wire: pairwiseOf([...head, lengthDelimited(5, m.ciphertext.subarray(0, bad.length))]), what: `a ${bad.length}-byte ciphertext` };
    }
    case "duplicate": {
      const forged = new Uint8Array(m.ciphertext);
      forged[0]! ^= 0xff;
      const twice = bad.validLast ? [lengthDelimited(5, forged), lengthDelimited(5, m.ciphertext)] : [lengthDelimited(5, m.ciphertext), lengthDelimited(5, forged)];
      return { wire: pairwiseOf([...head, ...twice]), what: `the ciphertext field twice (the valid one ${bad.validLast ? "last" : "first"})` };
    }
    case "truncate": {
      const cut = 1 + ((bad.cut - 1) % (m.wire.length - 1));
      return { wire: m.wire.subarray(0, m.wire.length - cut), what: `the envelope without its last ${cut} bytes` };
    }
    case "wire-type":
      return { wire: pairwiseOf([varintField(1, m.header.version), varintField(2, 7), lengthDelimited(2, m.header.ratchetKey), varintField(3, m.header.counter), varintField(4, m.header.previousCounter), lengthDelimited(5, m.ciphertext)]), what: "ratchet_key also sent as a varint (wrong wire type)" };
  }
}

defineProperty({
  id: "crypto.ratchet.malformed-rejected",
  rules: ["ENC-RATCHET-004", "ENC-RATCHET-006"],
  mode: "crypto",
  profile: "core",
  numRuns: 40,
  description: "A message on a known or a new chain with a flipped ciphertext or tag bit, a ciphertext under 16 bytes, a duplicated field, a truncated envelope or a wrong wire type is rejected with DECRYPT_FAILED and leaves the stored session byte-identical.",
  run: (context) =>
    fc.asyncProperty(seedArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 3 }), fc.boolean(), plaintextArb, malformationArb,
      async (seed, chains, index, ahead, newChain, plaintext, bad) => {
        const session = buildSession(seed, { chainIndexes: Array.from({ length: chains }, () => index), skipped: [[0, Math.max(0, index - 1)]], sendingIndex: 3, previousCounter: 1 });
        const state = serializeState(session);
        const m = newChain ? newChainMessage(session, derive(seed, "new remote ratchet"), ahead, index, plaintext) : chainMessage(seed, session, chains - 1, index + ahead, 0, plaintext);
        const { wire, what } = malformed(m, bad);
        await expectFailure(context, "ENC-RATCHET-004", state, wire, [ErrorCode.DECRYPT_FAILED], `${newChain ? "new-chain" : "known-chain"} message with ${what}`);
      }),
});

// ---------------------------------------------------------------- ENC-RATCHET-005: duplicates and no session

defineProperty({
  id: "crypto.ratchet.duplicates",
  rules: ["ENC-RATCHET-005", "ENC-RATCHET-006"],
  mode: "crypto",
  profile: "core",
  numRuns: 30,
  description: "A message below its chain's next counter with no skipped key (never seen, or just decrypted, from the chain or from a skipped key) is rejected with DUPLICATE_MESSAGE leaving the session unchanged, and a message with no session with SESSION_NOT_FOUND.",
  run: (context) =>
    fc.asyncProperty(seedArb, fc.integer({ min: 2, max: 10 }), fc.nat(), fc.integer({ min: 0, max: 3 }), fc.constantFrom("old" as const, "chain" as const, "skipped" as const), plaintextArb,
      async (seed, index, pick, ahead, path, plaintext) => {
        const skippedCounter = pick % (index - 1);
        const session = buildSession(seed, { chainIndexes: [index, 1], skipped: [[0, skippedCounter]], sendingIndex: 0, previousCounter: 0 });
        const state = serializeState(session);
        if (path === "old") {
          const counter = skippedCounter + 1 + (pick % (index - skippedCounter - 1));
          const m = chainMessage(seed, session, 0, counter, 0, plaintext);
          await expectFailure(context, "ENC-RATCHET-005", state, m.wire, [ErrorCode.DUPLICATE_MESSAGE], `counter ${counter} below the chain's next counter ${index}, no skipped key`);
        } else {
          const counter = path === "skipped" ? skippedCounter : index + ahead;
          const m = chainMessage(seed, session, 0, counter, 0, plaintext);
          const after = await decryptExpecting(context, "ENC-RATCHET-005", state, m.wire, plaintext, `counter ${counter} (${path === "skipped" ? "a skipped key" : "from the chain"})`);
          await expectFailure(context, "ENC-RATCHET-005", after, m.wire, [ErrorCode.DUPLICATE_MESSAGE], `the same message (counter ${counter}, ${path}) again`);
        }
        const m = chainMessage(seed, session, 0, index, 0, plaintext);
        await expectRejected(context, "ENC-RATCHET-005", "ratchet.decrypt", { state: null, message: b2h(m.wire) }, [ErrorCode.SESSION_NOT_FOUND], "a ratchet message with no session");
      }),
});

// ---------------------------------------------------------------- ENC-RATCHET-006: every failure

defineProperty({
  id: "crypto.ratchet.failure-leaves-state",
  rules: ["ENC-RATCHET-006"],
  mode: "crypto",
  profile: "core",
  numRuns: 30,
  description: "After any rejected message (forged tag on a known or new chain, duplicate, too far ahead, exhausted counter, unknown version) the stored session is byte-identical, and the genuine message still decrypts from it.",
  run: (context) =>
    fc.asyncProperty(seedArb, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 5 }), fc.constantFrom("forged-known", "forged-new", "too-far", "exhausted", "version"), plaintextArb,
      async (seed, index, ahead, failure, plaintext) => {
        const session = buildSession(seed, { chainIndexes: [index + 1, index], skipped: [[0, index]], sendingIndex: 2, previousCounter: 0 });
        const state = serializeState(session);
        const genuine = failure === "forged-new" ? newChainMessage(session, derive(seed, "new remote ratchet"), ahead, index, plaintext) : chainMessage(seed, session, 1, index + ahead, 0, plaintext);
        let bad: Uint8Array;
        const h = genuine.header;
        const forged = new Uint8Array(genuine.ciphertext);
        forged[forged.length - 1]! ^= 0x80;
        switch (failure) {
          case "forged-known": case "forged-new": bad = pairwiseOf([varintField(1, 1), lengthDelimited(2, h.ratchetKey), varintField(3, h.counter), varintField(4, h.previousCounter), lengthDelimited(5, forged)]); break;
          case "too-far": bad = chainMessage(seed, session, 1, index + MAX_SKIP + 1 + ahead, 0, plaintext).wire; break;
          case "exhausted": bad = chainMessage(seed, session, 1, 0xffffffff, 0, plaintext).wire; break;
          default: bad = pairwiseOf([varintField(1, 2 + ahead), lengthDelimited(2, h.ratchetKey), varintField(3, h.counter), varintField(4, h.previousCounter), lengthDelimited(5, genuine.ciphertext)]);
        }
        const out = await receive(context, STATE_UNCHANGED, state, [bad, genuine.wire], `${failure} message, then the genuine one`);
        if (!("error" in out.results[0]!)) throw new RuleViolation(STATE_UNCHANGED, `the ${failure} message decrypted`);
        const second = out.results[1]!;
        if (!("plaintext" in second) || !sameBytes(second.plaintext, plaintext)) throw new RuleViolation(STATE_UNCHANGED, `after a rejected ${failure} message (${out.results[0].error}) the genuine message gives ${JSON.stringify("error" in second ? second.error : b2h(second.plaintext))}`);
        const single = await receive(context, STATE_UNCHANGED, state, [bad], `${failure} message alone`);
        if (single.state === null || !sameBytes(single.state, state)) throw new RuleViolation(STATE_UNCHANGED, `a rejected ${failure} message (${JSON.stringify(single.results[0])}) changed the stored session`);
      }),
});

// ---------------------------------------------------------------- ENC-RATCHET-007: MAX_SKIP

defineProperty({
  id: "crypto.ratchet.max-skip",
  rules: ["ENC-RATCHET-007", "ENC-RATCHET-006"],
  mode: "crypto",
  profile: "core",
  numRuns: 4,
  description: "A message that needs more than 2,000 message keys derived in one chain (known chain, new chain, or the chain it finishes) is rejected with MESSAGE_TOO_FAR_AHEAD leaving the session unchanged, also under a low-order ratchet key (the bound comes before any DH); exactly 2,000 is accepted.",
  run: (context) =>
    fc.asyncProperty(
      seedArb, fc.integer({ min: 0, max: 30 }), fc.oneof(fc.integer({ min: MAX_SKIP + 2, max: MAX_SKIP + 40 }), fc.integer({ min: MAX_SKIP + 2, max: 0xfffffffe - 40 })), plaintextArb,
      async (seed, index, far, plaintext) => {
        const session = buildSession(seed, { chainIndexes: [index], sendingIndex: 1, previousCounter: 0 });
        const state = serializeState(session);
        const remote = derive(seed, "new remote ratchet");
        for (const where of ["known", "new", "finished"] as const) {
          for (const gap of [MAX_SKIP, MAX_SKIP + 1, far]) {
            const m = where === "known" ? chainMessage(seed, session, 0, index + gap, 0, plaintext)
              : where === "new" ? newChainMessage(session, remote, gap, index, plaintext)
                : newChainMessage(session, remote, 0, index + gap, plaintext);
            const what = `a ${where}-chain message ${gap} keys ahead (chain at ${index})`;
            if (gap <= MAX_SKIP) await decryptExpecting(context, "ENC-RATCHET-007", state, m.wire, plaintext, what);
            else await expectFailure(context, "ENC-RATCHET-007", state, m.wire, [ErrorCode.MESSAGE_TOO_FAR_AHEAD], what);
          }
        }
        // "Before any DH": under a low-order ratchet key (whose DH is all zero,
        // KEY_INVALID by ENC-KEY-003) the bound must still be what rejects.
        for (const [counter, previous] of [[far, index], [0, index + far]] as const) {
          const wire = pairwiseOf(ratchetFields({ version: 1, ratchetKey: LOW_ORDER_KEY, counter, previousCounter: previous }, new Uint8Array(16 + plaintext.length)));
          await expectFailure(context, "ENC-RATCHET-007", state, wire, [ErrorCode.MESSAGE_TOO_FAR_AHEAD], `a message under a low-order ratchet key with counter ${counter} and previous counter ${previous} (chain at ${index}): the bound comes before any DH`);
        }
      }),
});

// ---------------------------------------------------------------- ENC-RATCHET-008: bounds

defineProperty({
  id: "crypto.ratchet.skipped-key-bound",
  rules: ["ENC-RATCHET-008"],
  mode: "crypto",
  profile: "core",
  numRuns: 4,
  description: "When two messages leave 2,000 + e skipped keys, the session keeps at most 2,000: the e oldest are evicted (their messages are rejected) while the oldest kept and the newest still decrypt.",
  run: (context) =>
    fc.asyncProperty(seedArb, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: MAX_SKIP }), plaintextArb, async (seed, excess, first, plaintext) => {
      const k1 = Math.max(excess + 1, first);
      const k2 = MAX_SKIP + excess - k1;
      const session = buildSession(seed, { chainIndexes: [0, 0], sendingIndex: 0, previousCounter: 0 });
      const out = await receive(context, "ENC-RATCHET-008", serializeState(session), [chainMessage(seed, session, 0, k1, 0, plaintext).wire, chainMessage(seed, session, 1, k2, 0, plaintext).wire], `messages ${k1} and ${k2} keys ahead on two chains`);
      if (!out.results.every((r) => "plaintext" in r) || out.state === null) throw new RuleViolation("ENC-RATCHET-008", `the two messages did not both decrypt: ${JSON.stringify(out.results.map((r) => ("error" in r ? r.error : "ok")))}`);
      const full = parsed("ENC-RATCHET-008", out.state, "after skipping");
      if (full.skipped.length > MAX_SKIPPED) throw new RuleViolation("ENC-RATCHET-008", `the session holds ${full.skipped.length} skipped keys`);
      const evicted = chainMessage(seed, session, 0, excess - 1, 0, plaintext);
      const evictedOut = await receive(context, "ENC-RATCHET-008", out.state, [evicted.wire], `the message of the newest evicted key (chain A counter ${excess - 1})`);
      if (!("error" in evictedOut.results[0]!)) throw new RuleViolation("ENC-RATCHET-008", `after ${k1 + k2} keys were skipped, the message of the ${excess} oldest key (chain A counter ${excess - 1}) still decrypts: the oldest keys were not evicted`);
      await decryptExpecting(context, "ENC-RATCHET-008", out.state, chainMessage(seed, session, 0, excess, 0, plaintext).wire, plaintext, `the oldest kept skipped key (chain A counter ${excess})`);
      await decryptExpecting(context, "ENC-RATCHET-008", out.state, chainMessage(seed, session, 1, k2 - 1, 0, plaintext).wire, plaintext, `the newest skipped key (chain B counter ${k2 - 1})`);
    }),
});

defineProperty({
  id: "crypto.ratchet.chain-bound",
  rules: ["ENC-RATCHET-008", "ENC-RATCHET-005"],
  mode: "crypto",
  profile: "core",
  numRuns: 6,
  description: "After six DH steps a session holds at most 5 receiving chains, the first retired; a replay on the retired chain is rejected with DECRYPT_FAILED, while its skipped key still decrypts and the next chain is still held.",
  run: (context) =>
    fc.asyncProperty(seedArb, plaintextArb, fc.integer({ min: 1, max: 3 }), async (seed, plaintext, counter) => {
      let state = serializeState(buildSession(seed, { chainIndexes: [], sendingIndex: 0, previousCounter: 0 }));
      const sessions: KitSession[] = [];
      const wires: Uint8Array[] = [];
      for (let i = 0; i <= MAX_CHAINS; i++) {
        const session = parsed("ENC-RATCHET-008", state, `before DH step ${i}`);
        sessions.push(session);
        const m = newChainMessage(session, remoteRatchetPrivate(seed, 100 + i), counter, i === 0 ? 0 : counter + 1, plaintext);
        wires.push(m.wire);
        state = await decryptExpecting(context, "ENC-RATCHET-008", state, m.wire, plaintext, `DH step ${i}`);
      }
      const final = parsed("ENC-RATCHET-008", state, "after six DH steps");
      const firstKey = x25519Public(remoteRatchetPrivate(seed, 100));
      if (final.chains.length > MAX_CHAINS) throw new RuleViolation("ENC-RATCHET-008", `the session holds ${final.chains.length} receiving chains`);
      if (final.chains.some((c) => sameBytes(c.ratchetKey, firstKey))) throw new RuleViolation("ENC-RATCHET-008", "after six DH steps the oldest receiving chain is still held");
      await decryptExpecting(context, "ENC-RATCHET-008", state, newChainMessage(sessions[0]!, remoteRatchetPrivate(seed, 100), 0, 0, plaintext).wire, plaintext, "the skipped key (counter 0) of the retired first chain");
      await expectFailure(context, "ENC-RATCHET-005", state, wires[0]!, [ErrorCode.DECRYPT_FAILED], "a replay of the first chain's message after the chain was retired");
      await decryptExpecting(context, "ENC-RATCHET-008", state, newChainMessage(sessions[1]!, remoteRatchetPrivate(seed, 101), counter + 1, 0, plaintext).wire, plaintext, "the next message of the second (still held) chain");
    }),
});

// ---------------------------------------------------------------- ENC-RATCHET-009: counters

defineProperty({
  id: "crypto.ratchet.counter-exhaustion",
  rules: ["ENC-RATCHET-009", "ENC-RATCHET-006"],
  mode: "crypto",
  profile: "core",
  numRuns: 15,
  description: "A sender sends counter 2^32-2 and then fails with COUNTER_EXHAUSTED; a receiver decrypts counter 2^32-2 and rejects counter 2^32-1 (known or new chain, also under a low-order ratchet key: before any DH) with COUNTER_EXHAUSTED, leaving the session unchanged.",
  run: (context) =>
    fc.asyncProperty(seedArb, fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.boolean(), plaintextArb, async (seed, back, exhaustedSender, newChain, plaintext) => {
      const top = 0xffffffff;
      const session = buildSession(seed, { chainIndexes: [top - back, MAX_COUNTER], sendingIndex: exhaustedSender ? top : MAX_COUNTER, previousCounter: 5 });
      const state = serializeState(session);
      if (exhaustedSender) {
        await expectRejected(context, "ENC-RATCHET-009", "ratchet.encrypt", { state: b2h(state), plaintext: b2h(plaintext) }, [ErrorCode.COUNTER_EXHAUSTED], "encrypt with next counter 2^32-1");
      } else {
        const sent = await expectCompleted(context, "ENC-RATCHET-009", "ratchet.encrypt", { state: b2h(state), plaintext: b2h(plaintext) }, "encrypt with next counter 2^32-2");
        const wire = decodeMessage(PairwiseMessage, unhex(sent.message));
        const counter = wire.kind?.$case === "ratchet" ? wire.kind.value.counter : undefined;
        if (counter !== MAX_COUNTER) throw new RuleViolation("ENC-RATCHET-009", `the message sent with next counter 2^32-2 carries counter ${counter}`);
        await expectRejected(context, "ENC-RATCHET-009", "ratchet.encrypt", { state: typeof sent.state === "string" ? sent.state : "", plaintext: b2h(plaintext) }, [ErrorCode.COUNTER_EXHAUSTED], "the next encrypt (counter 2^32-1)");
      }
      await decryptExpecting(context, "ENC-RATCHET-009", state, chainMessage(seed, session, 1, MAX_COUNTER, 0, plaintext).wire, plaintext, "counter 2^32-2 on a chain at 2^32-2");
      const m = newChain ? newChainMessage(session, derive(seed, "new remote ratchet"), top, 0, plaintext) : chainMessage(seed, session, 0, top, 0, plaintext);
      await expectFailure(context, "ENC-RATCHET-009", state, m.wire, [ErrorCode.COUNTER_EXHAUSTED], newChain ? "counter 2^32-1 on a new chain" : `counter 2^32-1 on a chain at 2^32-${1 + back}`);
      // "Before deriving any key": also under a low-order ratchet key (no DH may run first).
      const lowOrder = pairwiseOf(ratchetFields({ version: 1, ratchetKey: LOW_ORDER_KEY, counter: top, previousCounter: back }, m.ciphertext));
      await expectFailure(context, "ENC-RATCHET-009", state, lowOrder, [ErrorCode.COUNTER_EXHAUSTED], "counter 2^32-1 under a low-order ratchet key");
    }),
});

// ---------------------------------------------------------------- ENC-RATCHET-010: forward secrecy

defineProperty({
  id: "crypto.ratchet.forward-secrecy",
  rules: ["ENC-RATCHET-010"],
  mode: "crypto",
  profile: "core",
  numRuns: 25,
  description: "After a message decrypts (from its chain or from a skipped key), the new session contains neither its message key nor the chain key it came from, and cannot decrypt the message again.",
  run: (context) =>
    fc.asyncProperty(seedArb, fc.integer({ min: 2, max: 8 }), fc.nat(), fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.integer({ min: 0, max: 1 }), plaintextArb,
      async (seed, index, pick, ahead, fromSkipped, chain, plaintext) => {
        const skippedCounters = [pick % index, (pick + 1) % index];
        const session = buildSession(seed, { chainIndexes: [index, index + 1], skipped: [...new Set(skippedCounters)].map((c) => [chain, c] as const), sendingIndex: 1, previousCounter: 0 });
        const state = serializeState(session);
        const counter = fromSkipped ? skippedCounters[0]! : session.chains[chain]!.index + ahead;
        const m = chainMessage(seed, session, chain, counter, 0, plaintext);
        const what = `counter ${counter} ${fromSkipped ? "from a skipped key" : "from its chain"}`;
        const after = await decryptExpecting(context, "ENC-RATCHET-010", state, m.wire, plaintext, what);
        if (containsBytes(after, m.messageKey)) throw new RuleViolation("ENC-RATCHET-010", `${what}: the session after decryption still contains the message key`);
        if (m.chainKey !== undefined && containsBytes(after, m.chainKey)) throw new RuleViolation("ENC-RATCHET-010", `${what}: the session after decryption still contains the chain key the message key came from`);
        const again = await receive(context, "ENC-RATCHET-010", after, [m.wire], `${what}, again`);
        if (!("error" in again.results[0]!)) throw new RuleViolation("ENC-RATCHET-010", `${what}: the session captured after decryption decrypts the message again`);
      }),
});

// ---------------------------------------------------------------- ENC-RATCHET-011: post-compromise security

defineProperty({
  id: "crypto.ratchet.post-compromise",
  rules: ["ENC-RATCHET-011"],
  mode: "crypto",
  profile: "core",
  numRuns: 12,
  description: "Two DH steps from the same session and message generate different, valid ratchet key pairs, and a copy of the session captured before a round trip cannot decrypt the peer's next message after it.",
  run: (context) =>
    fc.asyncProperty(seedArb, fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 2 }), fc.integer({ min: 0, max: 3 }), plaintextArb, async (seed, chainIndexes, counter, plaintext) => {
      const session = buildSession(seed, { chainIndexes, sendingIndex: 2, previousCounter: 0 });
      const captured = serializeState(session);
      const last = session.chains[session.chains.length - 1];
      const m1 = newChainMessage(session, derive(seed, "post-compromise remote 1"), counter, last?.index ?? 0, plaintext);
      const real = parsed("ENC-RATCHET-011", await decryptExpecting(context, "ENC-RATCHET-011", captured, m1.wire, plaintext, "the peer's message under a new ratchet key"), "after the DH step");
      const attackerState = await decryptExpecting(context, "ENC-RATCHET-011", captured, m1.wire, plaintext, "the same message on a captured copy of the session");
      const attacker = parsed("ENC-RATCHET-011", attackerState, "the captured copy after the DH step");
      for (const s of [real, attacker]) if (!sameBytes(x25519Public(s.ratchetPrivate), s.ratchetPublic)) throw new RuleViolation("ENC-RATCHET-011", "the new ratchet public key is not X25519 of its private key");
      if (sameBytes(real.ratchetPrivate, attacker.ratchetPrivate) || sameBytes(real.ratchetPrivate, session.ratchetPrivate)) throw new RuleViolation("ENC-RATCHET-011", "two DH steps from the same session and message generated the same ratchet key pair: it is not fresh randomness");
      // The peer answers the real session's new ratchet key (a round trip).
      const m2 = newChainMessage(real, derive(seed, "post-compromise remote 2"), 0, counter + 1, plaintext);
      await decryptExpecting(context, "ENC-RATCHET-011", serializeState(real), m2.wire, plaintext, "the peer's reply after the round trip");
      const stolen = await receive(context, "ENC-RATCHET-011", attackerState, [m2.wire], "the peer's reply on the captured copy");
      if (!("error" in stolen.results[0]!)) throw new RuleViolation("ENC-RATCHET-011", "a session captured before the round trip decrypts the peer's message after it");
    }),
});

