// Crypto properties of this area: each sends encryption cases (kinds in
// docs/spec/encryption-cases.md) built from fast-check values
// and checks the outcome against the rule, computing expected values from
// the spec's formulas with node:crypto where the rule fixes them
// (group-file-backup-model.ts): sender keys (ENC-SENDERKEY-*,
// ENC-STATE-002), attachments (ENC-ATTACH-*) and the key backup
// (ENC-BACKUP-*).
import fc from "fast-check";
import { ErrorCode, errorCodeName } from "@kabar/protocol";
import { defineProperty, type PropertyContext } from "../../registry/property-registry.js";
import { expectRule, RuleViolation } from "../../registry/rule-violation.js";
import type { CryptoCaseFields } from "../../targets/target-types.js";
import { expectCompleted, expectOutput, expectRejected, hex, unhex } from "./expect-case.js";
import {
  aeadOpen, aeadSeal, attachmentCiphertext, backupBlob, backupMaster, CHUNK, chainKeyAt, chainStep, concat, decodeChain, edPublic, edSign, encodeChain, encodeEntries,
  hkdf, hmac, recoveryText, senderHeader, senderMessage, senderMessageKeys, senderSigned, sha256, signedMessage, sortEntries, u32be, u64be, u8,
  type ModelChain, type ModelMessage,
} from "./group-file-backup-model.js";

type Ctx = PropertyContext<"crypto">;
/** Fixed-length keys and ids: random bytes whose shrinking would only cost time (each shrink step reruns the case). */
const bytes = (n: number) => fc.noShrink(fc.uint8Array({ minLength: n, maxLength: n }));
const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
const MAX_U32 = 0xffffffff;

// ---------------------------------------------------------------- sender keys

/** A chain the kit holds (with the signing seed), at a modest iteration so jumps stay far from 2^32-1. */
const chainArb = (owner: boolean, maxIteration = 1_000_000) =>
  fc.record({
    conversationId: bytes(16), distributionId: bytes(16), accountId: bytes(32), deviceId: fc.integer({ min: 0, max: MAX_U32 }),
    chainKey: bytes(32), iteration: fc.integer({ min: 0, max: maxIteration }), seed: bytes(32),
  }).map(({ seed, ...c }) => ({ seed, chain: { ...c, signingPublic: edPublic(seed), signingPrivate: owner ? seed : undefined, skipped: [] } as ModelChain }));

/** Parses a chain output; an unparseable one breaks ENC-STATE-002. */
function outputChain(outputs: CryptoCaseFields, what: string): ModelChain {
  const parsed = decodeChain(unhex(outputs.chain));
  if (typeof parsed === "string") throw new RuleViolation("ENC-STATE-002", `${what}: the output chain is not ENC-STATE-002 format 1 (${parsed})`);
  return parsed;
}

/** The identity fields two chains must share. */
function expectSameIdentity(rule: string, got: ModelChain, want: ModelChain, what: string): void {
  expectRule(rule, eq(got.conversationId, want.conversationId) && eq(got.distributionId, want.distributionId) && eq(got.accountId, want.accountId) && got.deviceId === want.deviceId && eq(got.signingPublic, want.signingPublic),
    `${what}: conversation id, distribution id, sender or signing key changed in the output chain`);
}

defineProperty({
  id: "crypto.sender-key.create",
  rules: ["ENC-SENDERKEY-001", "ENC-STATE-002"],
  mode: "crypto",
  profile: "groups",
  description: "sender-key.create returns an ENC-STATE-002 owner chain for the given conversation and device with a 16-byte distribution id, 32-byte chain key, iteration 0, no skipped keys and a signing key pair that matches; two chains never share distribution id, chain key or signing key.",
  numRuns: 20,
  run: (context: Ctx) =>
    fc.asyncProperty(bytes(16), bytes(32), fc.integer({ min: 0, max: MAX_U32 }), async (conversationId, accountId, deviceId) => {
      const inputs = { conversation_id: hex(conversationId), account_id: hex(accountId), device_id: deviceId };
      const chains = [];
      for (let i = 0; i < 2; i++) {
        const chain = outputChain(await expectCompleted(context, "ENC-SENDERKEY-001", "sender-key.create", inputs, "creating a chain"), "sender-key.create");
        expectRule("ENC-STATE-002", eq(chain.conversationId, conversationId) && eq(chain.accountId, accountId) && chain.deviceId === deviceId, "sender-key.create: the chain does not carry the conversation id, account id and device id at their ENC-STATE-002 offsets");
        expectRule("ENC-SENDERKEY-001", chain.iteration === 0, `sender-key.create: the chain starts at iteration ${chain.iteration}, expected 0`);
        expectRule("ENC-SENDERKEY-001", chain.skipped.length === 0, "sender-key.create: a fresh chain holds skipped keys");
        expectRule("ENC-SENDERKEY-001", chain.signingPrivate !== undefined && eq(edPublic(chain.signingPrivate), chain.signingPublic), "sender-key.create: the chain's signing public key is not the Ed25519 key of its private seed");
        chains.push(chain);
      }
      const [a, b] = chains as [ModelChain, ModelChain];
      expectRule("ENC-SENDERKEY-001", !eq(a.distributionId, b.distributionId), "two chains got the same distribution id (not fresh random)");
      expectRule("ENC-SENDERKEY-001", !eq(a.chainKey, b.chainKey), "two chains got the same chain key (not random)");
      expectRule("ENC-SENDERKEY-001", !eq(a.signingPublic, b.signingPublic), "two chains got the same signing key (not a fresh key pair)");
    }),
});

defineProperty({
  id: "crypto.sender-key.encrypt",
  rules: ["ENC-SENDERKEY-001", "ENC-SENDERKEY-002", "ENC-STATE-002"],
  mode: "crypto",
  profile: "groups",
  description: "sender-key.encrypt on a kit-built owner chain produces exactly the spec's message: AEAD key and nonce from HMAC(CK, 0x01) and HKDF info \"kabar-v1 sender-key message-keys\", the 76-byte header as AD, the deterministic Ed25519 signature over \"kabar-v1 sender-key\" || header || ciphertext, and the chain advanced to HMAC(CK, 0x02), iteration + 1.",
  numRuns: 25,
  run: (context: Ctx) =>
    fc.asyncProperty(chainArb(true), fc.uint8Array({ minLength: 1, maxLength: 200 }), async ({ chain, seed }, plaintext) => {
      const out = await expectCompleted(context, "ENC-SENDERKEY-001", "sender-key.encrypt", { chain: hex(encodeChain(chain)), plaintext: hex(plaintext) }, "encrypting with an owner chain");
      const step = chainStep(chain.chainKey);
      const { key, nonce } = senderMessageKeys(step.messageKey);
      const header = senderHeader(chain, chain.iteration);
      const want = aeadSeal(key, nonce, plaintext, header);
      const got = unhex(out.ciphertext);
      expectOutput("ENC-SENDERKEY-002", out, "distribution_id", hex(chain.distributionId), "sender-key.encrypt");
      expectOutput("ENC-SENDERKEY-002", out, "iteration", chain.iteration, "sender-key.encrypt");
      // GCM's ciphertext body depends on key and nonce only, its tag also on the AD.
      expectRule("ENC-SENDERKEY-001", got.length === want.length && eq(got.subarray(0, plaintext.length), want.subarray(0, plaintext.length)),
        "the ciphertext is not AES-256-GCM under the key and nonce of HKDF(0^32, HMAC(CK, 0x01), \"kabar-v1 sender-key message-keys\", 44)");
      expectRule("ENC-SENDERKEY-002", eq(got, want), "the GCM tag does not authenticate the 76-byte canonical header as associated data");
      expectOutput("ENC-SENDERKEY-002", out, "signature", hex(edSign(seed, senderSigned(header, got))), "the signature over \"kabar-v1 sender-key\" || header || ciphertext");
      const next = outputChain(out, "sender-key.encrypt");
      expectSameIdentity("ENC-STATE-002", next, chain, "sender-key.encrypt");
      expectRule("ENC-SENDERKEY-001", eq(next.chainKey, step.chainKey) && next.iteration === chain.iteration + 1, "the chain does not advance to HMAC(CK, 0x02) and iteration + 1");
      expectRule("ENC-STATE-002", next.signingPrivate !== undefined && eq(next.signingPrivate, seed), "the output owner chain lost its signing private key");
    }),
});

type Expected = { plaintext: Uint8Array } | { rejected: ErrorCode };
const codeName = (code: ErrorCode): string => errorCodeName(code);

/** Runs sender-key.receive on `chain` with `messages`; checks each result; returns the output chain. */
async function receive(context: Ctx, rule: string, chain: ModelChain, messages: readonly { message: ModelMessage; expect: Expected; what: string }[]): Promise<ModelChain> {
  const out = await expectCompleted(context, rule, "sender-key.receive", { chain: hex(encodeChain(chain)), messages: messages.map((m) => ({ ...m.message })) }, "receiving sender-key messages");
  const results = Array.isArray(out.results) ? out.results : [];
  expectRule(rule, results.length === messages.length, `sender-key.receive answered ${results.length} results for ${messages.length} messages`);
  messages.forEach((m, i) => {
    const result = results[i] as CryptoCaseFields | undefined;
    const got = result === undefined ? "nothing" : result.rejected !== undefined ? `rejection ${String(result.rejected)}` : `plaintext ${String(result.plaintext).slice(0, 40)}`;
    if ("plaintext" in m.expect) expectRule(rule, result?.plaintext === hex(m.expect.plaintext), `message ${i} (${m.what}): got ${got}, expected its plaintext`);
    else expectRule(rule, result?.rejected === codeName(m.expect.rejected), `message ${i} (${m.what}): got ${got}, expected rejection ${codeName(m.expect.rejected)}`);
  });
  return outputChain(out, "sender-key.receive");
}

const receiverOf = (chain: ModelChain): ModelChain => ({ ...chain, signingPrivate: undefined });

defineProperty({
  id: "crypto.sender-key.signature",
  rules: ["ENC-SENDERKEY-002"],
  mode: "crypto",
  profile: "groups",
  description: "A receiver decrypts a correctly signed message and rejects with SIGNATURE_INVALID one with a flipped bit in ciphertext or signature, one signed for another iteration or another sender device, and a badly signed message even when it is also too far ahead or a duplicate (signature before key derivation).",
  numRuns: 20,
  run: (context: Ctx) =>
    fc.asyncProperty(chainArb(false), fc.integer({ min: 0, max: 20 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), fc.integer({ min: 0, max: 7 }), bytes(32),
      async ({ chain, seed }, jump, plaintext, position, bit, otherSeed) => {
        const at = chain.iteration + jump;
        const good = senderMessage(chain, seed, at, plaintext);
        const flip = (h: string): string => { const b = unhex(h); b[position % b.length]! ^= 1 << bit; return hex(b); };
        const otherDevice = { ...chain, deviceId: (chain.deviceId + 1) >>> 0 };
        const forgedDevice = senderMessage(otherDevice, seed, at, plaintext);
        const far = { ...signedMessage(chain, seed, at + 3000, unhex(good.ciphertext)), signature: hex(edSign(otherSeed, new Uint8Array(8))) };
        const bad = (message: ModelMessage, what: string) => ({ message, what, expect: { rejected: ErrorCode.SIGNATURE_INVALID } as Expected });
        await receive(context, "ENC-SENDERKEY-002", chain, [
          bad({ ...good, ciphertext: flip(good.ciphertext) }, "flipped ciphertext bit"),
          bad({ ...good, signature: flip(good.signature) }, "flipped signature bit"),
          bad({ ...good, iteration: at + 1 }, "signed for another iteration"),
          bad(forgedDevice, "signed over a header naming another sender device"),
          bad(far, "badly signed and 3000 ahead"),
          { message: good, what: "the correctly signed message", expect: { plaintext } },
          bad({ ...good, signature: hex(edSign(otherSeed, senderSigned(senderHeader(chain, at), unhex(good.ciphertext)))) }, "the same message again, signed by another key"),
        ]);
      }),
});

defineProperty({
  id: "crypto.sender-key.bounds",
  rules: ["ENC-SENDERKEY-004"],
  mode: "crypto",
  profile: "groups",
  description: "A receiver accepts a jump of up to 2,000 iterations, rejects 2,001 ahead with MESSAGE_TOO_FAR_AHEAD, a replay with DUPLICATE_MESSAGE, iteration 2^32-1 with COUNTER_EXHAUSTED and a validly signed message that fails the AEAD with DECRYPT_FAILED, keeps the newest 2,000 skipped keys (oldest evicted), and the chain after the failures is exactly the chain the good messages alone produce.",
  numRuns: 15,
  run: (context: Ctx) =>
    fc.asyncProperty(
      chainArb(false), fc.oneof({ arbitrary: fc.integer({ min: 0, max: 40 }), weight: 2 }, { arbitrary: fc.constantFrom(2000, 1999, 1990), weight: 2 }, { arbitrary: fc.integer({ min: 0, max: 2000 }), weight: 1 }), fc.integer({ min: 0, max: 40 }), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 32 }),
      async ({ chain, seed }, jump, more, pick, plaintext) => {
        const c = chain.iteration;
        const m1 = senderMessage(chain, seed, c + jump, plaintext);
        const m2 = senderMessage(chain, seed, c + jump + 1 + more, plaintext);
        // Skipped keys after m1 and m2: [c, c+jump) then (c+jump, c+jump+more]; the newest 2,000 stay.
        const skippedAll = [...Array.from({ length: jump }, (_, i) => c + i), ...Array.from({ length: more }, (_, i) => c + jump + 1 + i)];
        const kept = skippedAll.slice(Math.max(0, skippedAll.length - 2000));
        const evicted = skippedAll.slice(0, skippedAll.length - kept.length);
        const probeOld = evicted.length > 0 ? evicted[pick % evicted.length]! : undefined;
        const probeKept = kept.length > 0 ? kept[pick % kept.length]! : undefined;
        const afterM1 = c + jump + 1;
        const good = (message: ModelMessage, what: string) => ({ message, what, expect: { plaintext } as Expected });
        const bad = (message: ModelMessage, code: ErrorCode, what: string) => ({ message, what, expect: { rejected: code } as Expected });
        const garbage = new Uint8Array(plaintext.length + 16).fill(0xa5);
        const sequence = [
          good(m1, `${jump} ahead of the chain`),
          bad(signedMessage(chain, seed, afterM1 + 2001, garbage), ErrorCode.MESSAGE_TOO_FAR_AHEAD, "2,001 ahead of the chain, validly signed"),
          bad(m1, ErrorCode.DUPLICATE_MESSAGE, "a replay of the first message"),
          bad(signedMessage(chain, seed, MAX_U32, garbage), ErrorCode.COUNTER_EXHAUSTED, "iteration 2^32-1, validly signed"),
          bad(signedMessage(chain, seed, afterM1 + 7, garbage), ErrorCode.DECRYPT_FAILED, "validly signed but not decrypting, 7 ahead"),
          good(m2, `${more} ahead of the chain`),
          ...(probeOld !== undefined ? [bad(senderMessage(chain, seed, probeOld, plaintext), ErrorCode.DUPLICATE_MESSAGE, `skipped iteration ${probeOld}, evicted by the 2,000 bound`)] : []),
          ...(probeKept !== undefined ? [good(senderMessage(chain, seed, probeKept, plaintext), `skipped iteration ${probeKept}, kept`)] : []),
          ...(probeKept !== undefined ? [bad(senderMessage(chain, seed, probeKept, plaintext), ErrorCode.DUPLICATE_MESSAGE, `skipped iteration ${probeKept} again`)] : []),
        ];
        const out = await receive(context, "ENC-SENDERKEY-004", receiverOf(chain), sequence);
        // The chain must be what the good messages alone make of it.
        const ck = chainKeyAt(chain, c + jump + 2 + more);
        const remaining = kept.filter((i) => i !== probeKept);
        expectSameIdentity("ENC-SENDERKEY-004", out, chain, "sender-key.receive");
        expectRule("ENC-SENDERKEY-004", out.iteration === c + jump + 2 + more && eq(out.chainKey, ck), `the chain is at iteration ${out.iteration}, expected ${c + jump + 2 + more} with the chain key the good messages give`);
        expectRule("ENC-SENDERKEY-004", out.skipped.length <= 2000, `the chain keeps ${out.skipped.length} skipped keys, more than 2,000`);
        const got = new Map(out.skipped.map((s) => [s.iteration, s.messageKey]));
        const wrong = remaining.filter((i) => !eq(got.get(i) ?? new Uint8Array(), chainStep(chainKeyAt(chain, i)).messageKey));
        expectRule("ENC-SENDERKEY-004", wrong.length === 0 && got.size === remaining.length, `the chain's skipped keys are not exactly the ${remaining.length} the good messages leave (${wrong.length} missing or wrong, ${out.skipped.length} stored)`);
      }),
});

defineProperty({
  id: "crypto.sender-key.distribution",
  rules: ["ENC-SENDERKEY-003"],
  mode: "crypto",
  profile: "groups",
  description: "sender-key.accept-distribution makes a receiver chain attributed to the pairwise session's peer with the distribution's fields and no private key, which then decrypts that sender's messages; a conversation id, distribution id, chain key or signing key of another length is rejected with KEY_INVALID.",
  numRuns: 30,
  run: (context: Ctx) =>
    fc.asyncProperty(chainArb(false), fc.constantFrom("conversation_id", "distribution_id", "chain_key", "signing_key"), fc.integer({ min: 0, max: 64 }), fc.uint8Array({ minLength: 1, maxLength: 32 }),
      async ({ chain, seed }, field, length, plaintext) => {
        const inputs = {
          version: 1, conversation_id: hex(chain.conversationId), distribution_id: hex(chain.distributionId), iteration: chain.iteration,
          chain_key: hex(chain.chainKey), signing_key: hex(chain.signingPublic), sender_account_id: hex(chain.accountId), sender_device_id: chain.deviceId,
        };
        const out = outputChain(await expectCompleted(context, "ENC-SENDERKEY-003", "sender-key.accept-distribution", inputs, "accepting a distribution"), "sender-key.accept-distribution");
        expectRule("ENC-SENDERKEY-003", eq(out.accountId, chain.accountId) && out.deviceId === chain.deviceId, "the chain is not attributed to the pairwise session's peer");
        expectRule("ENC-SENDERKEY-003", eq(encodeChain(out), encodeChain(chain)), "the receiver chain does not hold exactly the distribution's conversation id, distribution id, chain key, iteration and signing key (and no private key)");
        await receive(context, "ENC-SENDERKEY-003", out, [{ message: senderMessage(chain, seed, chain.iteration + 1, plaintext), what: "the sender's next message", expect: { plaintext } }]);
        const want = { conversation_id: 16, distribution_id: 16, chain_key: 32, signing_key: 32 }[field];
        const bad = length === want ? want + 1 : length;
        await expectRejected(context, "ENC-SENDERKEY-003", "sender-key.accept-distribution", { ...inputs, [field]: hex(new Uint8Array(bad).fill(7)) }, [ErrorCode.KEY_INVALID], `a distribution whose ${field} is ${bad} bytes`);
      }),
});

defineProperty({
  id: "crypto.sender-key.rotation",
  rules: ["ENC-SENDERKEY-005"],
  mode: "crypto",
  profile: "groups",
  description: "A new chain for the same conversation and device has a new distribution id, chain key and signing key, and a receiver rejects with SENDER_KEY_NOT_FOUND a message (validly signed with its chain's key) under a distribution id it does not hold.",
  numRuns: 20,
  run: (context: Ctx) =>
    fc.asyncProperty(chainArb(false), bytes(16), fc.uint8Array({ minLength: 1, maxLength: 32 }), async ({ chain, seed }, otherId, plaintext) => {
      const inputs = { conversation_id: hex(chain.conversationId), account_id: hex(chain.accountId), device_id: chain.deviceId };
      const first = outputChain(await expectCompleted(context, "ENC-SENDERKEY-005", "sender-key.create", inputs, "creating a chain"), "sender-key.create");
      const second = outputChain(await expectCompleted(context, "ENC-SENDERKEY-005", "sender-key.create", inputs, "creating the rotated chain"), "sender-key.create");
      expectRule("ENC-SENDERKEY-005", !eq(first.distributionId, second.distributionId) && !eq(first.chainKey, second.chainKey) && !eq(first.signingPublic, second.signingPublic),
        "the rotated chain reuses the distribution id, chain key or signing key of the previous one");
      const unknown = eq(otherId, chain.distributionId) ? otherId.map((b) => b ^ 1) : otherId;
      // Signed over the header of the receiver's own chain, so only the distribution id is wrong.
      const m = senderMessage(chain, seed, chain.iteration, plaintext);
      await receive(context, "ENC-SENDERKEY-005", chain, [
        { message: { ...m, distribution_id: hex(unknown) }, what: "under an unknown distribution id", expect: { rejected: ErrorCode.SENDER_KEY_NOT_FOUND } },
        { message: m, what: "under the chain's distribution id", expect: { plaintext } },
      ]);
    }),
});

/** The malformations of a serialized chain the decoder must reject, one of each kind per run. */
const malformed = fc.tuple(
  fc.record({ kind: fc.constant("format" as const), at: fc.integer({ min: 0, max: 255 }).filter((v) => v !== 1) }),
  fc.record({ kind: fc.constant("truncated" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("trailing" as const), at: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("flag" as const), at: fc.integer({ min: 2, max: 255 }) }),
  fc.record({ kind: fc.constant("too-many-skipped" as const), at: fc.integer({ min: 2001, max: 2003 }) }),
);

defineProperty({
  id: "crypto.sender-key.state-codec",
  rules: ["ENC-STATE-002"],
  mode: "crypto",
  profile: "groups",
  description: "A kit-built ENC-STATE-002 chain (owner or receiver, with skipped keys) round-trips byte for byte through state.sender-key-roundtrip; an unknown format byte, a has_private byte other than 0/1, more than 2,000 skipped keys, truncated input or trailing bytes are rejected with KEY_INVALID.",
  numRuns: 20,
  run: (context: Ctx) =>
    fc.asyncProperty(chainArb(false, MAX_U32 - 1), fc.boolean(), fc.array(fc.record({ iteration: fc.integer({ min: 0, max: MAX_U32 - 1 }), messageKey: bytes(32) }), { maxLength: 5 }), malformed,
      async ({ chain, seed }, owner, skipped, breakages) => {
        const full: ModelChain = { ...chain, signingPrivate: owner ? seed : undefined, skipped };
        const encoded = encodeChain(full);
        const out = await expectCompleted(context, "ENC-STATE-002", "state.sender-key-roundtrip", { chain: hex(encoded) }, "a well-formed chain");
        expectOutput("ENC-STATE-002", out, "chain", hex(encoded), "the chain round trip");
        for (const bad of breakages) {
          let broken: Uint8Array;
          const flagAt = 1 + 16 + 16 + 32 + 4 + 32 + 4 + 32;
          switch (bad.kind) {
            case "format": broken = concat(u8(bad.at), encoded.subarray(1)); break;
            case "truncated": broken = encoded.subarray(0, bad.at % encoded.length); break;
            case "trailing": broken = concat(encoded, new Uint8Array(bad.at)); break;
            case "flag": broken = concat(encoded.subarray(0, flagAt), u8(bad.at), encoded.subarray(flagAt + 1)); break;
            case "too-many-skipped": {
              const many = Array.from({ length: bad.at }, (_, i) => ({ iteration: i, messageKey: new Uint8Array(32).fill(i & 0xff) }));
              broken = encodeChain({ ...full, skipped: many });
              break;
            }
        }
        await expectRejected(context, "ENC-STATE-002", "state.sender-key-roundtrip", { chain: hex(broken) }, [ErrorCode.KEY_INVALID], `a chain with ${bad.kind} (${bad.at})`);
        }
      }),
});

// ---------------------------------------------------------------- attachments

/** Plaintext sizes: the edges of ENC-ATTACH-002 and a few arbitrary ones, at most 3 chunks. */
const attachmentSize = fc.oneof(fc.constantFrom(0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK), fc.integer({ min: 0, max: 3 * CHUNK }));
/** A plaintext of `size` bytes from a short fast-check pattern (cheap to generate and shrink). */
const fill = (size: number, pattern: Uint8Array): Uint8Array => {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (pattern[i % pattern.length]! + Math.floor(i / pattern.length)) & 0xff;
  return out;
};

defineProperty({
  id: "crypto.attachment.encrypt",
  rules: ["ENC-ATTACH-001", "ENC-ATTACH-002", "ENC-ATTACH-003", "ENC-ATTACH-004"],
  mode: "crypto",
  profile: "files",
  description: "attachment.encrypt with an explicit key and file id produces exactly the spec's ciphertext (20-byte header, K_file from HKDF(file_id, key, \"kabar-v1 attachment\"), 64 KiB chunks with nonce u32be(last) || u64be(i) and AD header || u64be(i) || u8(last), one empty chunk for an empty file) and a pointer with the key, the size and SHA-256 of the whole ciphertext; without them, key and file id are fresh random.",
  numRuns: 5,
  run: (context: Ctx) =>
    fc.asyncProperty(bytes(32), bytes(16), fc.integer({ min: 0, max: 3 * CHUNK }), fc.uint8Array({ minLength: 1, maxLength: 16 }), async (key, fileId, anySize, pattern) => {
      // Every edge size of ENC-ATTACH-002 in each run, plus one arbitrary size.
      for (const size of [...EDGE_SIZES, anySize]) await checkAttachment(context, key, fileId, fill(size, pattern));
      const plaintext = fill(anySize, pattern);
      const fresh = [];
      for (let i = 0; i < 2; i++) fresh.push(await expectCompleted(context, "ENC-ATTACH-001", "attachment.encrypt", { plaintext: hex(plaintext.subarray(0, 64)) }, "encrypting with a fresh key"));
      const [a, b] = fresh as [CryptoCaseFields, CryptoCaseFields];
      expectRule("ENC-ATTACH-001", unhex(a.key).length === 32 && a.key !== b.key, "two files got the same key, or a key that is not 32 bytes");
      expectRule("ENC-ATTACH-001", a.file_id !== b.file_id && unhex(a.file_id).length === 16 && hex(unhex(a.ciphertext).subarray(4, 20)) === a.file_id, "two files got the same file id, or the header does not carry it");
    }),
});

const EDGE_SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK];

/** Encrypts `plaintext` with explicit key and file id and checks every byte of the result against ENC-ATTACH-001..004. */
async function checkAttachment(context: Ctx, key: Uint8Array, fileId: Uint8Array, plaintext: Uint8Array): Promise<void> {
  const size = plaintext.length;
  const out = await expectCompleted(context, "ENC-ATTACH-001", "attachment.encrypt", { key: hex(key), file_id: hex(fileId), plaintext: hex(plaintext) }, `encrypting ${size} bytes`);
  const got = unhex(out.ciphertext);
  const header = concat(u32be(1), fileId);
  expectRule("ENC-ATTACH-001", eq(got.subarray(0, 20), header), "the ciphertext does not start with u32be(1) || file_id");
  const chunks = Math.max(1, Math.ceil(size / CHUNK));
  expectRule("ENC-ATTACH-002", got.length === 20 + size + 16 * chunks, `a ${size}-byte file gave ${got.length} ciphertext bytes, expected ${20 + size + 16 * chunks} (${chunks} chunks)`);
  const fileKey = hkdf(fileId, key, "kabar-v1 attachment", 32);
  for (let i = 0; i < chunks; i++) {
    const last = i === chunks - 1 ? 1 : 0;
    const piece = plaintext.subarray(i * CHUNK, Math.min(size, (i + 1) * CHUNK));
    const nonce = concat(u32be(last), u64be(i));
    const want = aeadSeal(fileKey, nonce, piece, concat(header, u64be(i), u8(last)));
    const offset = 20 + i * (CHUNK + 16);
    const chunk = got.subarray(offset, offset + want.length);
    if (eq(chunk, want)) continue;
    // Chunk 0 tells a wrong key from a wrong nonce or AD: GCM's body depends on key and nonce only, so
    // under K_file it matches for one of the two last flags; with no body, K_file opens it under some flag/AD.
    if (i === 0) {
      const flip = concat(u32be(1 - last), u64be(0));
      const keyOk = piece.length > 0
        ? [nonce, flip].some((n) => eq(chunk.subarray(0, piece.length), aeadSeal(fileKey, n, piece, new Uint8Array()).subarray(0, piece.length)))
        : [nonce, flip].some((n) => [0, 1].some((l) => aeadOpen(fileKey, n, chunk, concat(header, u64be(0), u8(l))) !== undefined));
      expectRule("ENC-ATTACH-001", keyOk, `chunk 0 is not encrypted under K_file = HKDF(file_id, key, "kabar-v1 attachment", 32)`);
    }
    throw new RuleViolation("ENC-ATTACH-003", `chunk ${i} of ${chunks} does not use nonce u32be(${last}) || u64be(${i}) and AD header || u64be(${i}) || u8(${last})`);
  }
  expectOutput("ENC-ATTACH-004", out, "key", hex(key), "the pointer");
  expectOutput("ENC-ATTACH-004", out, "size", size, "the pointer");
  expectOutput("ENC-ATTACH-004", out, "digest", hex(sha256(got)), "the pointer's SHA-256 over the whole ciphertext including the header");
}

defineProperty({
  id: "crypto.attachment.digest",
  rules: ["ENC-ATTACH-006"],
  mode: "crypto",
  profile: "files",
  description: "attachment.decrypt releases a kit-built file whose SHA-256 matches the pointer's digest and rejects with DECRYPT_FAILED the same file under a digest with one flipped bit, and a different, self-consistent file under the same key (another file id) with the first file's digest.",
  numRuns: 8,
  run: (context: Ctx) =>
    fc.asyncProperty(bytes(32), bytes(16), bytes(16), attachmentSize, fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.nat(), fc.integer({ min: 0, max: 7 }),
      async (key, fileId, otherId, size, pattern, position, bit) => {
        const plaintext = fill(size, pattern);
        const ciphertext = attachmentCiphertext(key, fileId, plaintext);
        const digest = sha256(ciphertext);
        const pointer = { key: hex(key), size };
        const out = await expectCompleted(context, "ENC-ATTACH-006", "attachment.decrypt", { ...pointer, digest: hex(digest), ciphertext: hex(ciphertext) }, "a file whose digest matches");
        expectOutput("ENC-ATTACH-006", out, "plaintext", hex(plaintext), "the decrypted file");
        const flipped = new Uint8Array(digest);
        flipped[position % 32]! ^= 1 << bit;
        await expectRejected(context, "ENC-ATTACH-006", "attachment.decrypt", { ...pointer, digest: hex(flipped), ciphertext: hex(ciphertext) }, [ErrorCode.DECRYPT_FAILED], "the file under a digest with one flipped bit");
        const other = attachmentCiphertext(key, eq(otherId, fileId) ? otherId.map((b) => b ^ 1) : otherId, fill(size, pattern.map((b) => b ^ 0x55)));
        await expectRejected(context, "ENC-ATTACH-006", "attachment.decrypt", { ...pointer, digest: hex(digest), ciphertext: hex(other) }, [ErrorCode.DECRYPT_FAILED], "another valid file under the same key with the first file's digest");
      }),
});

// ---------------------------------------------------------------- key backup

/** A text that must parse to the same secret: case, spaces and dashes changed. */
const respell = (text: string, seeds: readonly number[]): string => {
  let out = "";
  const chars = text.replace(/ /g, "");
  for (let i = 0; i < chars.length; i++) {
    const s = seeds[i % seeds.length]!;
    out += s % 3 === 0 ? chars[i]!.toLowerCase() : chars[i]!;
    if (s % 5 === 0) out += ["-", " ", "  ", " - ", "--"][(s >> 3) % 5];
  }
  return out;
};

defineProperty({
  id: "crypto.backup.recovery-secret",
  rules: ["ENC-BACKUP-001"],
  mode: "crypto",
  profile: "history",
  description: "A 32-byte secret formats as RFC 4648 base32 in 13 upper-case groups of 4 separated by spaces; any respelling in case, spaces and dashes parses back; a character outside base32, a wrong length or non-zero trailing bits are rejected with BACKUP_INVALID; created secrets are 32 fresh bytes shown in that form.",
  numRuns: 40,
  run: (context: Ctx) =>
    fc.asyncProperty(bytes(32), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.nat(), fc.constantFrom("0", "1", "8", "9", "=", "!", "É", "_"), fc.integer({ min: 1, max: 15 }), fc.boolean(),
      async (secret, seeds, position, stray, padding, longer) => {
        const text = recoveryText(secret);
        const formatted = await expectCompleted(context, "ENC-BACKUP-001", "backup.secret-format", { secret: hex(secret) }, "formatting a secret");
        expectOutput("ENC-BACKUP-001", formatted, "text", text, "the display form");
        const parse = (t: string) => ({ text: t });
        const parsed = await expectCompleted(context, "ENC-BACKUP-001", "backup.secret-parse", parse(respell(text, seeds)), "parsing a respelled secret");
        expectOutput("ENC-BACKUP-001", parsed, "secret", hex(secret), "the parsed secret");
        const plain = text.replace(/ /g, "");
        const at = position % 52;
        await expectRejected(context, "ENC-BACKUP-001", "backup.secret-parse", parse(plain.slice(0, at) + stray + plain.slice(at + 1)), [ErrorCode.BACKUP_INVALID], `a secret with ${JSON.stringify(stray)} at ${at}`);
        await expectRejected(context, "ENC-BACKUP-001", "backup.secret-parse", parse(longer ? plain + "A" : plain.slice(0, 51)), [ErrorCode.BACKUP_INVALID], `a secret of ${longer ? 53 : 51} characters`);
        // The last character carries 1 bit of the secret and 4 zero bits.
        const lastValue = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".indexOf(plain[51]!);
        const badLast = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[lastValue | padding]!;
        await expectRejected(context, "ENC-BACKUP-001", "backup.secret-parse", parse(plain.slice(0, 51) + badLast), [ErrorCode.BACKUP_INVALID], `a secret whose trailing bits are ${padding}`);
        const created = await expectCompleted(context, "ENC-BACKUP-001", "backup.secret-create", {}, "creating a secret");
        const again = await expectCompleted(context, "ENC-BACKUP-001", "backup.secret-create", {}, "creating another secret");
        expectRule("ENC-BACKUP-001", unhex(created.secret).length === 32 && created.text === recoveryText(unhex(created.secret)), "a created secret is not 32 bytes shown in the display form");
        expectRule("ENC-BACKUP-001", created.secret !== again.secret, "two created secrets are equal");
      }),
});

defineProperty({
  id: "crypto.backup.master-key",
  rules: ["ENC-BACKUP-002"],
  mode: "crypto",
  profile: "history",
  description: "backup.master-key is scrypt(secret, \"kabar-v1 backup scrypt\" || account_id, N = 2^15, r = 8, p = 1, 32), recomputed by the kit.",
  numRuns: 3,
  run: (context: Ctx) =>
    fc.asyncProperty(bytes(32), bytes(32), async (secret, accountId) => {
      const out = await expectCompleted(context, "ENC-BACKUP-002", "backup.master-key", { secret: hex(secret), account_id: hex(accountId) }, "deriving the master key");
      expectOutput("ENC-BACKUP-002", out, "master", hex(backupMaster(secret, accountId)), "the master key");
    }),
});

/** Backup entries with distinct ids; ids favour characters whose UTF-16 and UTF-8 orders differ. */
const entriesArb = fc.uniqueArray(
  fc.record({
    id: fc.oneof(
      { arbitrary: fc.string({ maxLength: 6, unit: "binary" }).filter((s) => Buffer.from(s, "utf8").toString("utf8") === s), weight: 1 },
      { arbitrary: fc.array(fc.constantFrom("a", "é", "\uE000", "\uFFFD", "😀", "𝄞", "z", "\u0000"), { maxLength: 3 }).map((a) => a.join("")), weight: 3 },
    ),
    value: fc.uint8Array({ maxLength: 40 }),
  }),
  { selector: (e) => e.id, maxLength: 8 },
);
const blobArb = fc.record({ master: bytes(32), accountId: bytes(32), version: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), salt: bytes(16), nonce: bytes(12), entries: entriesArb });

defineProperty({
  id: "crypto.backup.seal",
  rules: ["ENC-BACKUP-002", "ENC-BACKUP-003"],
  mode: "crypto",
  profile: "history",
  description: "backup.seal with an explicit salt and nonce produces exactly \"KBK1\" || u64be(version) || salt || nonce || AEAD(HKDF(salt, master, \"kabar-v1 backup encryption\"), nonce, entries in ascending UTF-8 id order, \"KBK1\" || account_id || u64be(version)) || HMAC(HKDF(salt, master, \"kabar-v1 backup mac\"), account_id || everything before).",
  numRuns: 30,
  run: (context: Ctx) =>
    fc.asyncProperty(blobArb, async (b) => {
      const out = await expectCompleted(context, "ENC-BACKUP-003", "backup.seal", {
        master: hex(b.master), account_id: hex(b.accountId), version: b.version.toString(), salt: hex(b.salt), nonce: hex(b.nonce),
        entries: b.entries.map((e) => ({ id: e.id, value: hex(e.value) })),
      }, "sealing a backup");
      const entries = encodeEntries(sortEntries(b.entries));
      const want = backupBlob(b.master, b.accountId, b, entries);
      const got = unhex(out.blob);
      if (eq(got, want)) return;
      const prefix = concat(new TextEncoder().encode("KBK1"), u64be(b.version), b.salt, b.nonce);
      expectRule("ENC-BACKUP-003", got.length === want.length, `the blob is ${got.length} bytes, expected ${want.length}`);
      expectRule("ENC-BACKUP-003", eq(got.subarray(0, 40), prefix), "the blob does not start with \"KBK1\" || u64be(version) || salt || nonce");
      // GCM body = keystream XOR entries: recover what they encrypted under the spec's encryption key.
      const enc = hkdf(b.salt, b.master, "kabar-v1 backup encryption", 32);
      const stream = aeadSeal(enc, b.nonce, new Uint8Array(entries.length), new Uint8Array());
      const theirs = got.subarray(40, 40 + entries.length).map((x, i) => x ^ stream[i]!);
      if (!eq(theirs, entries)) {
        const plausible = theirs.length >= 4 && Buffer.from(theirs).readUInt32BE(0) === b.entries.length;
        throw new RuleViolation(plausible ? "ENC-BACKUP-003" : "ENC-BACKUP-002", plausible ? "the entries are not u32be(count) then u16be(len) || id || u32be(len) || value in ascending byte order of the UTF-8 ids" : "the entries are not encrypted under HKDF(salt, master, \"kabar-v1 backup encryption\", 32)");
      }
      expectRule("ENC-BACKUP-003", eq(got.subarray(0, got.length - 32), want.subarray(0, want.length - 32)), "the AEAD tag does not authenticate \"KBK1\" || account_id || u64be(version)");
      const body = want.subarray(0, want.length - 32);
      const mac = hkdf(b.salt, b.master, "kabar-v1 backup mac", 32);
      const tail = got.subarray(got.length - 32);
      expectRule("ENC-BACKUP-003", eq(tail, hmac(mac, concat(b.accountId, body))) || !eq(tail, hmac(mac, body)), "the HMAC does not cover account_id || everything before it");
      throw new RuleViolation("ENC-BACKUP-002", "the trailing HMAC is not keyed with HKDF(salt, master, \"kabar-v1 backup mac\", 32)");
    }),
});

/** Ways to break a blob that the spec's HMAC (or AEAD, or entry decoding) must catch. */
const tamperArb = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constantFrom("wrong-account" as const, "wrong-master" as const, "magic" as const, "aead" as const, "trailing" as const, "count" as const, "utf8" as const, "order" as const, "too-many" as const, "short" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
);

defineProperty({
  id: "crypto.backup.open",
  rules: ["ENC-BACKUP-004"],
  mode: "crypto",
  profile: "history",
  description: "backup.open returns the entries of a kit-sealed blob in ascending id order, and rejects with BACKUP_INVALID a flipped bit anywhere, the wrong master key or account, and blobs whose HMAC holds but whose magic, AEAD or entry encoding (trailing bytes, wrong count, invalid UTF-8 id, ids out of order, over 100,000 entries) is wrong.",
  numRuns: 40,
  run: (context: Ctx) =>
    fc.asyncProperty(blobArb, tamperArb, bytes(32), async (b, t, other) => {
      const sorted = sortEntries(b.entries);
      const entries = encodeEntries(sorted);
      const blob = backupBlob(b.master, b.accountId, b, entries);
      const base = { master: hex(b.master), account_id: hex(b.accountId) };
      const out = await expectCompleted(context, "ENC-BACKUP-004", "backup.open", { ...base, blob: hex(blob) }, "opening a kit-sealed blob");
      expectOutput("ENC-BACKUP-004", out, "version", b.version.toString(), "the opened version");
      expectOutput("ENC-BACKUP-004", out, "entries", sorted.map((e) => ({ id: e.name, value: hex(e.value) })), "the opened entries");
      const otherKey = eq(other, b.master) || eq(other, b.accountId) ? other.map((x) => x ^ 1) : other;
      let inputs: CryptoCaseFields;
      const reblob = (raw: Uint8Array) => ({ ...base, blob: hex(backupBlob(b.master, b.accountId, b, raw)) });
      switch (t.kind) {
        case "flip": { const x = new Uint8Array(blob); x[t.at % x.length]! ^= 1 << t.bit; inputs = { ...base, blob: hex(x) }; break; }
        case "wrong-account": inputs = { ...base, account_id: hex(otherKey), blob: hex(blob) }; break;
        case "wrong-master": inputs = { ...base, master: hex(otherKey), blob: hex(blob) }; break;
        case "magic": inputs = { ...base, blob: hex(backupBlob(b.master, b.accountId, { ...b, magic: new TextEncoder().encode(["KBK2", "kbk1", "KBK0", "XBK1"][t.at % 4]) }, entries)) }; break;
        case "aead": { const sealed = aeadSeal(hkdf(b.salt, b.master, "kabar-v1 backup encryption", 32), b.nonce, entries, concat(new TextEncoder().encode("KBK1"), b.accountId, u64be(b.version))); sealed[t.at % sealed.length]! ^= 1 << t.bit; inputs = { ...base, blob: hex(backupBlob(b.master, b.accountId, b, entries, sealed)) }; break; }
        case "trailing": inputs = reblob(concat(entries, new Uint8Array(1 + (t.at % 4)))); break;
        case "count": inputs = reblob(concat(u32be(sorted.length + 1 + (t.at % 2)), entries.subarray(4))); break;
        case "utf8": { const bad = [...sorted.map((e) => ({ id: e.id, value: e.value })), { id: Uint8Array.of(0xff, 0xfe, t.at & 0x7f), value: new Uint8Array(1) }]; inputs = reblob(encodeEntries(bad)); break; }
        case "order": {
          const two = sorted.length >= 2 ? sorted : sortEntries([{ id: "a", value: new Uint8Array(1) }, { id: "b", value: new Uint8Array(2) }]);
          const swapped = [two[1]!, two[0]!, ...two.slice(2)];
          inputs = reblob(encodeEntries(swapped));
          break;
        }
        case "too-many": inputs = reblob(concat(u32be(100_001 + (t.at % 1000)), new Uint8Array(0))); break;
        case "short": inputs = { ...base, blob: hex(blob.subarray(0, t.at % blob.length)) }; break;
      }
      await expectRejected(context, "ENC-BACKUP-004", "backup.open", inputs, [ErrorCode.BACKUP_INVALID], `a blob with ${t.kind} (${t.at % 1000})`);
      const macFlipped = new Uint8Array(blob);
      macFlipped[blob.length - 1 - (t.at % 32)]! ^= 1 << t.bit;
      await expectRejected(context, "ENC-BACKUP-004", "backup.open", { ...base, blob: hex(macFlipped) }, [ErrorCode.BACKUP_INVALID], "a blob with one flipped bit in its HMAC");
    }),
});

defineProperty({
  id: "crypto.backup.rollback",
  rules: ["ENC-BACKUP-005"],
  mode: "crypto",
  profile: "history",
  description: "backup.open of a valid kit-sealed blob of version v succeeds when the latest version written is v (or unknown) and is rejected with BACKUP_INVALID when it is any other version.",
  numRuns: 30,
  run: (context: Ctx) =>
    fc.asyncProperty(blobArb, fc.oneof(fc.bigInt({ min: 1n, max: 3n }), fc.bigInt({ min: 1n, max: (1n << 64n) - 1n })), async (b, delta) => {
      const blob = hex(backupBlob(b.master, b.accountId, b, encodeEntries(sortEntries(b.entries))));
      const base = { master: hex(b.master), account_id: hex(b.accountId), blob };
      const same = await expectCompleted(context, "ENC-BACKUP-005", "backup.open", { ...base, expected_version: b.version.toString() }, "opening the latest version written");
      expectOutput("ENC-BACKUP-005", same, "version", b.version.toString(), "the opened version");
      await expectCompleted(context, "ENC-BACKUP-005", "backup.open", base, "opening without a known latest version");
      const other = (b.version + delta) % (1n << 64n);
      await expectRejected(context, "ENC-BACKUP-005", "backup.open", { ...base, expected_version: other.toString() }, [ErrorCode.BACKUP_INVALID], `a blob of version ${b.version} when the latest written is ${other}`);
    }),
});
