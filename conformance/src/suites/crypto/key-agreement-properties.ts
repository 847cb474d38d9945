// Crypto properties of the session setup (ENC-X3DH-*) and the serialized
// session (ENC-STATE-001): each sends encryption cases (kinds in
// docs/spec/encryption-cases.md) built from fast-check values and checks the
// outcome against the rule, computing expected values from the spec's
// formulas with node:crypto and ML-KEM-768 where the rule fixes them.
import { createDecipheriv } from "node:crypto";
import fc from "fast-check";
import { decodeMessage, ErrorCode, PairwiseMessage, type PreKeyMessage } from "@kabar/protocol";
import { defineProperty, type PropertyContext } from "../../registry/property-registry.js";
import { RuleViolation } from "../../registry/rule-violation.js";
import type { CryptoCaseFields, CryptoCaseValue } from "../../targets/target-types.js";
import { expectCompleted, expectOutput, expectRejected, hex, unhex } from "./expect-case.js";
import {
  arbBytes32, arbDeviceId, arbInitiator, arbResponder, arbStart, bundleInputs, cat, certificateBodyOf, certify, decryptInputs, ed25519Public, ed25519Sign,
  EMPTY_RECORD, expectedAgreement, initiateInputs, kemPreKeyMessage, parseRecord, recordOf, same, sessionBaseKey, sessionLayout, signedDeviceList,
  signedPreKeyMessage, storeAfter, storeOf, x25519Public, x25519, hkdf, hmac, u32be, utf8, type Initiator, type PreKeyStore, type Responder, type SenderDevice, type StartRandomness,
} from "./key-agreement-fixtures.js";

type Context = PropertyContext<"crypto">;

/** True when AES-256-GCM `sealed` (ciphertext || tag) opens to `plaintext`. */
function aeadOpens(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): boolean {
  if (sealed.length < 16) return false;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonce);
    decipher.setAAD(ad);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return same(Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]), plaintext);
  } catch {
    return false;
  }
}

const flipBit = (bytes: Uint8Array, bit: number): Uint8Array => {
  const out = new Uint8Array(bytes);
  const index = bit % (out.length * 8);
  out[index >> 3]! ^= 1 << (index & 7);
  return out;
};

/** The initiator view of a device that also publishes a bundle. */
const asInitiator = (r: Responder): Initiator => ({ accountId: r.accountId, deviceId: r.deviceId, identityPrivate: r.identityPrivate, identityKey: r.identityKey });
/** The sender view of a device. */
const asSender = (d: { accountId: Uint8Array; deviceId: number; identityKey: Uint8Array }): SenderDevice => ({ accountId: d.accountId, deviceId: d.deviceId, identityKey: d.identityKey });
/** The local view of a responder for `x3dh.decrypt`. */
const asLocal = (r: Responder) => ({ accountId: r.accountId, deviceId: r.deviceId, identityPrivate: r.identityPrivate });

/** The PreKeyMessage inside PairwiseMessage bytes, or undefined for a ratchet message or undecodable bytes. */
function preKeyMessageOf(message: CryptoCaseValue | undefined): PreKeyMessage | undefined {
  try {
    const wire = decodeMessage(PairwiseMessage, unhex(message));
    return wire.kind?.$case === "prekey" ? wire.kind.value : undefined;
  } catch {
    return undefined;
  }
}

/** `i` starts a session with `r` and sends `plaintexts`; returns the messages and the initiator's record. */
async function startAndSend(context: Context, rule: string, i: Initiator, r: Responder, start: StartRandomness, withOneTime: boolean, plaintexts: readonly Uint8Array[]): Promise<{ messages: string[]; record: string; session: string }> {
  const started = await expectCompleted(context, rule, "x3dh.initiate", initiateInputs(i, r, start, withOneTime), "starting a session from a valid bundle");
  let record = hex(recordOf([unhex(started.session)]));
  const messages: string[] = [];
  for (const plaintext of plaintexts) {
    const sent = await expectCompleted(context, rule, "x3dh.encrypt", { record, plaintext: hex(plaintext) }, "encrypting with a new session");
    record = String(sent.record);
    messages.push(String(sent.message));
  }
  return { messages, record, session: String(started.session) };
}

/** Decrypts and requires the plaintext; returns the outputs. */
async function receive(context: Context, rule: string, inputs: CryptoCaseFields, plaintext: Uint8Array, what: string): Promise<CryptoCaseFields> {
  const out = await expectCompleted(context, rule, "x3dh.decrypt", inputs, what);
  expectOutput(rule, out, "plaintext", hex(plaintext), what);
  return out;
}

// ---------------------------------------------------------------------------
// ENC-X3DH-001

/** A point of order 8 on Curve25519: X25519 with it is all zero. */
const ORDER_8 = Uint8Array.from(Buffer.from("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", "hex"));

defineProperty({
  id: "crypto.x3dh.prekey-signatures",
  rules: ["ENC-X3DH-001"],
  mode: "crypto",
  profile: "core",
  description: "x3dh.initiate accepts a bundle whose prekeys are signed over the spec's byte strings, rejects any other signature (bit flip, other id, other context string, other signer) with SIGNATURE_INVALID and prekeys of the wrong length with KEY_INVALID, and checks signatures before using any key (a bundle with a bad signature and a low-order key is SIGNATURE_INVALID, not the KEY_INVALID of the DH).",
  numRuns: 8,
  run: (context) =>
    fc.asyncProperty(arbResponder, arbInitiator, arbStart, fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 64 }).filter((n) => n !== 32), fc.constantFrom(1183, 1185, 1088), async (r, i, start, withOneTime, bit, badLength, badKemLength) => {
      const rule = "ENC-X3DH-001";
      const base = initiateInputs(i, r, start, withOneTime);
      await expectCompleted(context, rule, "x3dh.initiate", base, "a bundle with correctly signed prekeys");
      const spkSig = unhex(base.signedPreKeySignature);
      const kemSig = unhex(base.kemPreKeySignature);
      const otherId = (r.signedPreKeyId + 1) % 2 ** 32;
      const rejected: [string, Record<string, CryptoCaseValue>, ErrorCode][] = [
        ["signed prekey signature with one bit flipped", { signedPreKeySignature: hex(flipBit(spkSig, bit)) }, ErrorCode.SIGNATURE_INVALID],
        ["KEM prekey signature with one bit flipped", { kemPreKeySignature: hex(flipBit(kemSig, bit)) }, ErrorCode.SIGNATURE_INVALID],
        ["signed prekey signed under another id", { signedPreKeySignature: hex(ed25519Sign(r.signingSeed, signedPreKeyMessage(otherId, r.signedPreKey))) }, ErrorCode.SIGNATURE_INVALID],
        ["signed prekey signed with the KEM prekey context and tag", { signedPreKeySignature: hex(ed25519Sign(r.signingSeed, kemPreKeyMessage(r.signedPreKeyId, r.signedPreKey))) }, ErrorCode.SIGNATURE_INVALID],
        ["KEM prekey signed with the signed-prekey context and tag", { kemPreKeySignature: hex(ed25519Sign(r.signingSeed, signedPreKeyMessage(r.kemPreKeyId, r.kemPreKey))) }, ErrorCode.SIGNATURE_INVALID],
        ["signed prekey signed by the account identity key instead of the device signing key", { signedPreKeySignature: hex(ed25519Sign(r.accountSeed, signedPreKeyMessage(r.signedPreKeyId, r.signedPreKey))) }, ErrorCode.SIGNATURE_INVALID],
        ["KEM prekey signature over the key without its id", { kemPreKeySignature: hex(ed25519Sign(r.signingSeed, cat(new TextEncoder().encode("kabar-v1 kem-prekey"), Uint8Array.of(0x03), r.kemPreKey))) }, ErrorCode.SIGNATURE_INVALID],
      ];
      const shortSpk = new Uint8Array(badLength).fill(9);
      const shortKem = new Uint8Array(badKemLength).fill(3);
      rejected.push(
        [`a ${badLength}-byte signed prekey, correctly signed`, { signedPreKey: hex(shortSpk), signedPreKeySignature: hex(ed25519Sign(r.signingSeed, signedPreKeyMessage(r.signedPreKeyId, shortSpk))) }, ErrorCode.KEY_INVALID],
        [`a ${badKemLength}-byte KEM prekey, correctly signed`, { kemPreKey: hex(shortKem), kemPreKeySignature: hex(ed25519Sign(r.signingSeed, kemPreKeyMessage(r.kemPreKeyId, shortKem))) }, ErrorCode.KEY_INVALID],
        // Verification comes before any use of a key: a badly signed
        // low-order prekey must not reach the DH (which would say KEY_INVALID).
        ["a low-order signed prekey with a bad signature", { signedPreKey: hex(ORDER_8), signedPreKeySignature: hex(flipBit(ed25519Sign(r.signingSeed, signedPreKeyMessage(r.signedPreKeyId, ORDER_8)), bit)) }, ErrorCode.SIGNATURE_INVALID],
        ["a low-order one-time prekey in a bundle whose signed prekey signature is bad", { signedPreKeySignature: hex(flipBit(spkSig, bit)), oneTimePreKeyId: r.oneTimePreKeyId, oneTimePreKey: hex(ORDER_8) }, ErrorCode.SIGNATURE_INVALID],
      );
      for (const [what, change, code] of rejected) await expectRejected(context, rule, "x3dh.initiate", { ...base, ...change }, [code], what);
    }),
});

// ---------------------------------------------------------------------------
// ENC-X3DH-002

defineProperty({
  id: "crypto.x3dh.bundle-certificate",
  rules: ["ENC-X3DH-002"],
  mode: "crypto",
  profile: "core",
  description: "x3dh.initiate verifies the bundle's certificate under the trusted identity key (UNTRUSTED_IDENTITY for another key, SIGNATURE_INVALID for a bad signature) and, given the account's verified device list, requires the device with its identity key in it (DEVICE_UNTRUSTED).",
  numRuns: 8,
  run: (context) =>
    fc.asyncProperty(arbResponder, arbInitiator, arbStart, fc.boolean(), fc.nat(), arbBytes32, arbDeviceId, arbBytes32, async (r, i, start, withOneTime, bit, otherSeed, otherDeviceId, otherIdentityPrivate) => {
      const rule = "ENC-X3DH-002";
      fc.pre(!same(otherSeed, r.accountSeed) && otherDeviceId !== r.deviceId && !same(otherIdentityPrivate, r.identityPrivate));
      const base = initiateInputs(i, r, start, withOneTime);
      await expectCompleted(context, rule, "x3dh.initiate", base, "a bundle certified by the trusted identity key");
      await expectRejected(context, rule, "x3dh.initiate", { ...base, certificateSignature: hex(flipBit(r.certificateSignature, bit)) }, [ErrorCode.SIGNATURE_INVALID], "a certificate with one signature bit flipped");
      const otherKey = ed25519Public(otherSeed);
      await expectRejected(context, rule, "x3dh.initiate", { ...base, remoteIdentityKey: hex(otherKey) }, [ErrorCode.UNTRUSTED_IDENTITY], "a bundle certified by an identity key other than the trusted one");
      // The same certificate body signed by another account key: names the trusted key, signature by someone else.
      await expectRejected(context, rule, "x3dh.initiate", { ...base, certificateSignature: hex(certify(otherSeed, r.certificateBody)) }, [ErrorCode.SIGNATURE_INVALID], "a certificate naming the trusted key but signed by another");
      const own = { body: r.certificateBody, signature: r.certificateSignature };
      const listed = signedDeviceList(r.accountSeed, 1n, [own]);
      await expectCompleted(context, rule, "x3dh.initiate", { ...base, deviceListBody: hex(listed.body), deviceListSignature: hex(listed.signature) }, "a bundle of a device in the verified device list");
      const otherIdentity = x25519Public(otherIdentityPrivate);
      const otherBody = certificateBodyOf(r.accountIdentityKey, otherDeviceId, ed25519Public(r.signingSeed), otherIdentity);
      const other = { body: otherBody, signature: certify(r.accountSeed, otherBody) };
      const withoutIt = signedDeviceList(r.accountSeed, 2n, [other]);
      await expectRejected(context, rule, "x3dh.initiate", { ...base, deviceListBody: hex(withoutIt.body), deviceListSignature: hex(withoutIt.signature) }, [ErrorCode.DEVICE_UNTRUSTED], "a bundle of a device absent from the verified device list");
      const sameIdBody = certificateBodyOf(r.accountIdentityKey, r.deviceId, ed25519Public(r.signingSeed), otherIdentity);
      const otherKeyList = signedDeviceList(r.accountSeed, 3n, [{ body: sameIdBody, signature: certify(r.accountSeed, sameIdBody) }]);
      await expectRejected(context, rule, "x3dh.initiate", { ...base, deviceListBody: hex(otherKeyList.body), deviceListSignature: hex(otherKeyList.signature) }, [ErrorCode.DEVICE_UNTRUSTED], "a bundle whose device id is listed with another identity key");
    }),
});

// ---------------------------------------------------------------------------
// ENC-X3DH-003, -004, -005

defineProperty({
  id: "crypto.x3dh.agreement",
  rules: ["ENC-X3DH-003", "ENC-X3DH-004", "ENC-X3DH-005"],
  mode: "crypto",
  profile: "core",
  description: "x3dh.initiate computes DH1..DH4 and the ML-KEM encapsulation of ENC-X3DH-003, the 142-byte session AD of ENC-X3DH-005, SK and the first root and sending chain keys of ENC-X3DH-004 exactly as the kit recomputes them; the responder derives the same session (it decrypts the first message).",
  numRuns: 12,
  run: (context) =>
    fc.asyncProperty(arbResponder, arbInitiator, arbStart, fc.boolean(), fc.uint8Array({ maxLength: 64 }), arbBytes32, async (r, i, start, withOneTime, plaintext, responderRatchet) => {
      const out = await expectCompleted(context, "ENC-X3DH-003", "x3dh.initiate", initiateInputs(i, r, start, withOneTime), "starting a session from a valid bundle");
      const want = expectedAgreement(i, r, start, withOneTime);
      const what = `session start ${withOneTime ? "with" : "without"} a one-time prekey`;
      for (const name of ["dh1", "dh2", "dh3", "kemCiphertext", "kemSharedSecret"] as const) expectOutput("ENC-X3DH-003", out, name, hex(want[name]), what);
      expectOutput("ENC-X3DH-003", out, "dh4", want.dh4 === undefined ? null : hex(want.dh4), what);
      expectOutput("ENC-X3DH-005", out, "associatedData", hex(want.associatedData), what);
      for (const name of ["baseKey", "sessionKey", "rootKey", "sendingChainKey"] as const) expectOutput("ENC-X3DH-004", out, name, hex(want[name]), what);
      // The responder computes the same values from its private keys.
      const sent = await expectCompleted(context, "ENC-X3DH-003", "x3dh.encrypt", { record: hex(recordOf([unhex(out.session)])), plaintext: hex(plaintext) }, "encrypting the first message");
      // ENC-X3DH-005: the session AD is the prefix of the message AD: the
      // kit opens the first message with the sending chain key it checked
      // above (message keys of ENC-RATCHET-002, header of ENC-RATCHET-003).
      const first = preKeyMessageOf(sent.message)?.message;
      if (first === undefined) throw new RuleViolation("ENC-X3DH-006", "the first message of a new session is not a PreKeyMessage with a ratchet message");
      const messageKey = hmac(want.sendingChainKey, Uint8Array.of(0x01));
      const keys = hkdf(new Uint8Array(32), messageKey, utf8("kabar-v1 ratchet message-keys"), 44);
      const header = cat(u32be(first.version), Uint8Array.of(0x02), first.ratchetKey, u32be(first.counter), u32be(first.previousCounter));
      if (!aeadOpens(keys.slice(0, 32), keys.slice(32), first.ciphertext, cat(want.associatedData, header), plaintext)) {
        throw new RuleViolation("ENC-X3DH-005", "the first message does not open under AD = session AD || header with the message key of the checked sending chain key");
      }
      const got = await receive(context, "ENC-X3DH-003", decryptInputs(asLocal(r), asSender(i), storeOf(r), EMPTY_RECORD, String(sent.message), responderRatchet), plaintext, "the responder decrypting the first message");
      // The responder starts with SPK_B as its ratchet key pair and SK as its
      // root key: after the first message's DH step its root key is
      // KDF_RK(KDF_RK(SK, DH(SPK_B, R_A)).root, DH(s', R_A)).root.
      const session = parseRecord(unhex(got.record))?.sessions[0];
      const layout = session === undefined ? undefined : sessionLayout(session);
      if (session === undefined || layout === undefined) throw new RuleViolation("ENC-X3DH-004", "the responder's record after the first message holds no session of the format-1 layout");
      const ratchetPublic = x25519Public(start.ratchetPrivate);
      const step = hkdf(want.sessionKey, x25519(r.signedPreKeyPrivate, ratchetPublic), utf8("kabar-v1 ratchet root"), 64);
      const second = hkdf(step.slice(0, 32), x25519(responderRatchet, ratchetPublic), utf8("kabar-v1 ratchet root"), 64);
      const root = session.slice(layout.baseKey + 32, layout.baseKey + 64);
      if (!same(root, second.slice(0, 32))) throw new RuleViolation("ENC-X3DH-004", `the responder's root key after the first message is ${hex(root)}, expected ${hex(second.slice(0, 32))} (SPK_B as first ratchet key pair, SK as root key)`);
    }),
});

// ---------------------------------------------------------------------------
// ENC-X3DH-006

defineProperty({
  id: "crypto.x3dh.prekey-message",
  rules: ["ENC-X3DH-006"],
  mode: "crypto",
  profile: "core",
  description: "Until it hears back the initiator wraps every message in a PreKeyMessage with version 1, its sender fields, the prekey ids, base_key = EK_A and kem_ciphertext = CT; the responder processes a repeated PreKeyMessage of its session as a ratchet message of it (one session, replay DUPLICATE_MESSAGE), and rejects a base key other than 32 bytes or a KEM ciphertext other than 1,088 bytes with DECRYPT_FAILED.",
  numRuns: 10,
  run: (context) =>
    fc.asyncProperty(
      arbResponder, arbInitiator, arbStart, fc.boolean(), fc.array(fc.uint8Array({ maxLength: 32 }), { minLength: 3, maxLength: 3 }), arbBytes32,
      fc.oneof(fc.record({ field: fc.constant("baseKey" as const), length: fc.integer({ min: 0, max: 64 }).filter((n) => n !== 32) }), fc.record({ field: fc.constant("kemCiphertext" as const), length: fc.constantFrom(0, 32, 1087, 1089, 1120) })),
      async (r, i, start, withOneTime, plaintexts, ratchet, bad) => {
        const rule = "ENC-X3DH-006";
        const { messages } = await startAndSend(context, rule, i, r, start, withOneTime, plaintexts);
        const want = expectedAgreement(i, r, start, withOneTime);
        messages.forEach((message, n) => {
          const prekey = preKeyMessageOf(message);
          const what = `message ${n + 1} before any reply`;
          if (prekey === undefined) throw new RuleViolation(rule, `${what} is not a PreKeyMessage`);
          const fields: [string, boolean][] = [
            ["version", prekey.version === 1], ["sender_account_id", same(prekey.senderAccountId, i.accountId)], ["sender_device_id", prekey.senderDeviceId === i.deviceId],
            ["sender_identity_key", same(prekey.senderIdentityKey, i.identityKey)], ["signed_prekey_id", prekey.signedPrekeyId === r.signedPreKeyId],
            ["kem_prekey_id", prekey.kemPrekeyId === r.kemPreKeyId], ["one_time_prekey_id", prekey.oneTimePrekeyId === (withOneTime ? r.oneTimePreKeyId : undefined)],
            ["base_key", same(prekey.baseKey, want.baseKey)], ["kem_ciphertext", same(prekey.kemCiphertext, want.kemCiphertext)], ["message", prekey.message !== undefined],
          ];
          const wrong = fields.filter(([, ok]) => !ok).map(([name]) => name);
          if (wrong.length > 0) throw new RuleViolation(rule, `${what}: PreKeyMessage field(s) ${wrong.join(", ")} not as the session start requires`);
        });
        const local = asLocal(r);
        const store = storeOf(r);
        const first = await receive(context, rule, decryptInputs(local, asSender(i), store, EMPTY_RECORD, messages[0]!, ratchet), plaintexts[0]!, "the first PreKeyMessage");
        const second = await receive(context, rule, decryptInputs(local, asSender(i), storeAfter(store, first), String(first.record), messages[2]!, ratchet), plaintexts[2]!, "a later PreKeyMessage of the same session (out of order)");
        const record = parseRecord(unhex(second.record));
        if (record === undefined || record.sessions.length !== 1 || sessionBaseKey(record.sessions[0]!) !== hex(want.baseKey)) {
          throw new RuleViolation(rule, `a repeated PreKeyMessage of the current session did not stay in that session: the record holds ${record?.sessions.length ?? "an unreadable list of"} session(s)`);
        }
        await receive(context, rule, decryptInputs(local, asSender(i), storeAfter(store, second), String(second.record), messages[1]!, ratchet), plaintexts[1]!, "the skipped PreKeyMessage of the same session");
        await expectRejected(context, rule, "x3dh.decrypt", decryptInputs(local, asSender(i), storeAfter(store, second), String(second.record), messages[2]!, ratchet), [ErrorCode.DUPLICATE_MESSAGE], "a PreKeyMessage of the current session decrypted twice");
        const prekey = preKeyMessageOf(messages[0])!;
        const malformed = hex(PairwiseMessage.encode({ kind: { $case: "prekey", value: { ...prekey, [bad.field]: new Uint8Array(bad.length).fill(7) } } }).finish());
        await expectRejected(context, rule, "x3dh.decrypt", decryptInputs(local, asSender(i), store, EMPTY_RECORD, malformed, ratchet), [ErrorCode.DECRYPT_FAILED], `a PreKeyMessage with a ${bad.length}-byte ${bad.field}`);
      },
    ),
});

// ---------------------------------------------------------------------------
// ENC-X3DH-007

defineProperty({
  id: "crypto.x3dh.one-time-prekey-deleted",
  rules: ["ENC-X3DH-007"],
  mode: "crypto",
  profile: "core",
  description: "After a PreKeyMessage that used a one-time prekey decrypts, the store x3dh.decrypt returns no longer holds that prekey (the others stay), a new session start naming it is rejected with DUPLICATE_MESSAGE, and further PreKeyMessages of the session that used it still decrypt.",
  numRuns: 8,
  run: (context) =>
    fc.asyncProperty(arbResponder, arbInitiator, arbStart, arbStart, fc.array(fc.uint8Array({ maxLength: 32 }), { minLength: 2, maxLength: 2 }), arbBytes32, arbBytes32, async (r, i, start, again, plaintexts, ratchet, spare) => {
      const rule = "ENC-X3DH-007";
      fc.pre(!same(start.baseKeyPrivate, again.baseKeyPrivate));
      const first = await startAndSend(context, rule, i, r, start, true, plaintexts);
      const spareId = (r.oneTimePreKeyId + 1) % 2 ** 32;
      const full = storeOf(r);
      const store: PreKeyStore = { ...full, oneTimePreKeys: [...(full.oneTimePreKeys as CryptoCaseValue[]), { id: spareId, private: hex(spare) }] };
      const local = asLocal(r);
      const got = await receive(context, rule, decryptInputs(local, asSender(i), store, EMPTY_RECORD, first.messages[0]!, ratchet), plaintexts[0]!, "a PreKeyMessage using a one-time prekey");
      const ids = Array.isArray(got.oneTimePreKeys) ? got.oneTimePreKeys.map((entry) => (entry as { id?: unknown }).id) : undefined;
      if (ids === undefined || ids.includes(r.oneTimePreKeyId) || !ids.includes(spareId)) {
        throw new RuleViolation(rule, `after the start decrypted the store's one-time prekeys are ${JSON.stringify(ids)}; expected ${spareId} only (${r.oneTimePreKeyId} deleted)`);
      }
      const after = storeAfter(store, got);
      const replay = await startAndSend(context, rule, i, r, again, true, [plaintexts[0]!]);
      await expectRejected(context, rule, "x3dh.decrypt", decryptInputs(local, asSender(i), after, String(got.record), replay.messages[0]!, ratchet), [ErrorCode.DUPLICATE_MESSAGE], "a new session start naming the deleted one-time prekey");
      await receive(context, rule, decryptInputs(local, asSender(i), after, String(got.record), first.messages[1]!, ratchet), plaintexts[1]!, "the next PreKeyMessage of the session that used the one-time prekey");
    }),
});

// ---------------------------------------------------------------------------
// ENC-X3DH-008

defineProperty({
  id: "crypto.x3dh.sender-checks",
  rules: ["ENC-X3DH-008"],
  mode: "crypto",
  profile: "core",
  description: "x3dh.decrypt rejects a PreKeyMessage whose sender fields name another account or device than the trusted sender (DEVICE_UNTRUSTED) or another identity key (UNTRUSTED_IDENTITY), one naming a signed or KEM prekey the device does not hold (WRONG_RECIPIENT), a ratchet message tried on the session of another peer (WRONG_RECIPIENT) and one whose peer identity key changed (UNTRUSTED_IDENTITY).",
  numRuns: 10,
  run: (context) =>
    fc.asyncProperty(arbResponder, arbInitiator, arbStart, fc.boolean(), fc.uint8Array({ maxLength: 32 }), arbBytes32, arbBytes32, arbDeviceId, arbBytes32, async (r, i, start, withOneTime, plaintext, ratchet, otherAccount, otherDevice, otherIdentityPrivate) => {
      const rule = "ENC-X3DH-008";
      fc.pre(!same(otherAccount, i.accountId) && otherDevice !== i.deviceId && !same(otherIdentityPrivate, i.identityPrivate));
      const otherIdentity = x25519Public(otherIdentityPrivate);
      const { messages, record: initiatorRecord } = await startAndSend(context, rule, i, r, start, withOneTime, [plaintext]);
      const local = asLocal(r);
      const store = storeOf(r);
      const trusted = asSender(i);
      const wrongSenders: [string, SenderDevice, ErrorCode][] = [
        ["another account", { ...trusted, accountId: otherAccount }, ErrorCode.DEVICE_UNTRUSTED],
        ["another device of the account", { ...trusted, deviceId: otherDevice }, ErrorCode.DEVICE_UNTRUSTED],
        ["another identity key", { ...trusted, identityKey: otherIdentity }, ErrorCode.UNTRUSTED_IDENTITY],
      ];
      for (const [what, sender, code] of wrongSenders) {
        await expectRejected(context, rule, "x3dh.decrypt", decryptInputs(local, sender, store, EMPTY_RECORD, messages[0]!, ratchet), [code], `a PreKeyMessage whose sender fields differ from the trusted sender (${what})`);
      }
      const otherSpk = { ...store, signedPreKeys: [{ id: (r.signedPreKeyId + 1) % 2 ** 32, private: hex(r.signedPreKeyPrivate) }] };
      await expectRejected(context, rule, "x3dh.decrypt", decryptInputs(local, trusted, otherSpk, EMPTY_RECORD, messages[0]!, ratchet), [ErrorCode.WRONG_RECIPIENT], "a PreKeyMessage naming a signed prekey id this device does not hold");
      const otherKem = { ...store, kemPreKeys: [{ id: (r.kemPreKeyId + 1) % 2 ** 32, seed: hex(r.kemSeed) }] };
      await expectRejected(context, rule, "x3dh.decrypt", decryptInputs(local, trusted, otherKem, EMPTY_RECORD, messages[0]!, ratchet), [ErrorCode.WRONG_RECIPIENT], "a PreKeyMessage naming a KEM prekey id this device does not hold");
      // A reply: a ratchet message from the responder to the initiator.
      const got = await receive(context, rule, decryptInputs(local, trusted, store, EMPTY_RECORD, messages[0]!, ratchet), plaintext, "a valid PreKeyMessage from the trusted sender");
      const reply = await expectCompleted(context, rule, "x3dh.encrypt", { record: String(got.record), plaintext: hex(plaintext) }, "the responder's reply");
      const initiatorLocal = { accountId: i.accountId, deviceId: i.deviceId, identityPrivate: i.identityPrivate };
      const noPreKeys: PreKeyStore = { signedPreKeys: [], kemPreKeys: [], oneTimePreKeys: [], seenBaseKeys: [] };
      const responder = asSender(r);
      const atInitiator = (sender: SenderDevice) => decryptInputs(initiatorLocal, sender, noPreKeys, initiatorRecord, String(reply.message), ratchet);
      await expectRejected(context, rule, "x3dh.decrypt", atInitiator({ ...responder, deviceId: r.deviceId === otherDevice ? otherDevice + 1 : otherDevice }), [ErrorCode.WRONG_RECIPIENT], "a ratchet message tried on the session of another peer device");
      await expectRejected(context, rule, "x3dh.decrypt", atInitiator({ ...responder, accountId: otherAccount }), [ErrorCode.WRONG_RECIPIENT], "a ratchet message tried on the session of another account");
      await expectRejected(context, rule, "x3dh.decrypt", atInitiator({ ...responder, identityKey: otherIdentity }), [ErrorCode.UNTRUSTED_IDENTITY], "a ratchet message from a peer whose identity key changed");
      await receive(context, rule, atInitiator(responder), plaintext, "the reply from the peer of the session");
    }),
});

// ---------------------------------------------------------------------------
// ENC-X3DH-009

defineProperty({
  id: "crypto.x3dh.base-key-replay",
  rules: ["ENC-X3DH-009"],
  mode: "crypto",
  profile: "core",
  description: "A session start without a one-time prekey, replayed to a responder that no longer has that session but still holds the signed prekey (and the base keys x3dh.decrypt returned), is rejected with DUPLICATE_MESSAGE instead of resetting the session.",
  numRuns: 8,
  run: (context) =>
    fc.asyncProperty(arbResponder, arbInitiator, arbStart, fc.uint8Array({ maxLength: 32 }), arbBytes32, async (r, i, start, plaintext, ratchet) => {
      const rule = "ENC-X3DH-009";
      const { messages } = await startAndSend(context, rule, i, r, start, false, [plaintext]);
      const local = asLocal(r);
      const store = storeOf(r);
      const got = await receive(context, rule, decryptInputs(local, asSender(i), store, EMPTY_RECORD, messages[0]!, ratchet), plaintext, "a session start without a one-time prekey");
      await expectRejected(context, rule, "x3dh.decrypt", decryptInputs(local, asSender(i), storeAfter(store, got), EMPTY_RECORD, messages[0]!, ratchet), [ErrorCode.DUPLICATE_MESSAGE], "the same session start replayed after the session was dropped");
    }),
});

// ---------------------------------------------------------------------------
// ENC-X3DH-010

defineProperty({
  id: "crypto.x3dh.session-record",
  rules: ["ENC-X3DH-010"],
  mode: "crypto",
  profile: "core",
  description: "Two devices that start sessions with each other at the same time converge: a PreKeyMessage with a new base key becomes the current session and keeps the old one as previous (record layout of ENC-X3DH-010), a ratchet message that fails on the current session is tried on the previous ones, and the session that decrypts becomes current on both sides.",
  numRuns: 6,
  run: (context) =>
    fc.asyncProperty(arbResponder, arbResponder, arbStart, arbStart, fc.array(fc.uint8Array({ maxLength: 32 }), { minLength: 4, maxLength: 4 }), fc.array(arbBytes32, { minLength: 4, maxLength: 4 }), async (a, b, startA, startB, texts, ratchets) => {
      const rule = "ENC-X3DH-010";
      fc.pre(!same(a.accountId, b.accountId) && !same(startA.baseKeyPrivate, startB.baseKeyPrivate));
      const aToB = await startAndSend(context, rule, asInitiator(a), b, startA, true, [texts[0]!]);
      const bToA = await startAndSend(context, rule, asInitiator(b), a, startB, true, [texts[1]!]);
      const baseA = hex(x25519Public(startA.baseKeyPrivate));
      const baseB = hex(x25519Public(startB.baseKeyPrivate));
      const bases = (record: CryptoCaseValue | undefined, what: string): string[] => {
        const parsed = parseRecord(unhex(record));
        if (parsed === undefined || !parsed.hasCurrent) throw new RuleViolation(rule, `${what}: the record is not u8(1) || u8(has_current=1) || u8(count) || sessions`);
        return parsed.sessions.map((s) => sessionBaseKey(s) ?? "?");
      };
      const expectBases = (record: CryptoCaseValue | undefined, want: string[], what: string) => {
        const got = bases(record, what);
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new RuleViolation(rule, `${what}: the record's sessions (by base key, current first) are ${got.map((k) => k.slice(0, 8)).join(", ")}; expected ${want.map((k) => k.slice(0, 8)).join(", ")}`);
      };
      // Each receives the other's start while holding its own.
      const atA = await receive(context, rule, decryptInputs(asLocal(a), asSender(b), storeOf(a), aToB.record, bToA.messages[0]!, ratchets[0]!), texts[1]!, "A receiving B's session start");
      expectBases(atA.record, [baseB, baseA], "A after B's start");
      const atB = await receive(context, rule, decryptInputs(asLocal(b), asSender(a), storeOf(b), bToA.record, aToB.messages[0]!, ratchets[1]!), texts[0]!, "B receiving A's session start");
      expectBases(atB.record, [baseA, baseB], "B after A's start");
      // A answers on its current session (B's start); B tries its current (A's start), then the previous.
      const fromA = await expectCompleted(context, rule, "x3dh.encrypt", { record: String(atA.record), plaintext: hex(texts[2]!) }, "A sending on its current session");
      const atB2 = await receive(context, rule, decryptInputs(asLocal(b), asSender(a), storeAfter(storeOf(b), atB), String(atB.record), String(fromA.message), ratchets[2]!), texts[2]!, "B receiving a message of its previous session");
      expectBases(atB2.record, [baseB, baseA], "B after the message of its previous session");
      const fromB = await expectCompleted(context, rule, "x3dh.encrypt", { record: String(atB2.record), plaintext: hex(texts[3]!) }, "B sending on its new current session");
      const atA2 = await receive(context, rule, decryptInputs(asLocal(a), asSender(b), storeAfter(storeOf(a), atA), String(fromA.record), String(fromB.message), ratchets[3]!), texts[3]!, "A receiving B's answer");
      expectBases(atA2.record, [baseB, baseA], "A after B's answer (converged)");
    }),
});

defineProperty({
  id: "crypto.x3dh.session-record-bound",
  rules: ["ENC-X3DH-010"],
  mode: "crypto",
  profile: "core",
  description: "After seven session starts from one peer device the record keeps the newest as current and the five before it as previous, newest first.",
  numRuns: 3,
  run: (context) =>
    fc.asyncProperty(arbResponder, arbInitiator, fc.array(arbStart, { minLength: 7, maxLength: 7 }), arbBytes32, async (r, i, starts, ratchet) => {
      const rule = "ENC-X3DH-010";
      const baseKeys = starts.map((s) => hex(x25519Public(s.baseKeyPrivate)));
      fc.pre(new Set(baseKeys).size === baseKeys.length);
      let record = EMPTY_RECORD;
      let store = storeOf(r);
      for (const [n, start] of starts.entries()) {
        const plaintext = Uint8Array.of(n);
        const { messages } = await startAndSend(context, rule, i, r, start, false, [plaintext]);
        const got = await receive(context, rule, decryptInputs(asLocal(r), asSender(i), store, record, messages[0]!, ratchet), plaintext, `session start ${n + 1} of 7`);
        record = String(got.record);
        store = storeAfter(store, got);
      }
      const parsed = parseRecord(unhex(record));
      const got = parsed?.sessions.map((s) => sessionBaseKey(s) ?? "?");
      const want = baseKeys.slice(1).reverse();
      if (parsed === undefined || !parsed.hasCurrent || JSON.stringify(got) !== JSON.stringify(want)) {
        throw new RuleViolation(rule, `after 7 session starts the record holds ${got === undefined ? "an unreadable list" : `${got.length} session(s) ${got.map((k) => k.slice(0, 8)).join(", ")}`}; expected the newest 6 (${want.map((k) => k.slice(0, 8)).join(", ")}), current first`);
      }
    }),
});

// ---------------------------------------------------------------------------
// ENC-STATE-001

/** Rebuilds `session` with `count` receiving chains (existing ones kept, `filler` added). */
function withChains(session: Uint8Array, count: number, filler: Uint8Array): Uint8Array | undefined {
  const layout = sessionLayout(session);
  if (layout === undefined || count < layout.chains) return undefined;
  const extra = Array.from({ length: count - layout.chains }, (_, n) => cat(filler, filler, Uint8Array.of(0, 0, 0, n)));
  const end = layout.chainCount + 1 + layout.chains * 68;
  return cat(session.slice(0, layout.chainCount), Uint8Array.of(count), session.slice(layout.chainCount + 1, end), ...extra, session.slice(end));
}

/** Rebuilds `session` with `count` skipped keys. */
function withSkipped(session: Uint8Array, count: number, filler: Uint8Array): Uint8Array | undefined {
  const layout = sessionLayout(session);
  if (layout === undefined || count < layout.skipped) return undefined;
  const entry = (n: number) => cat(filler, Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255), filler);
  const extra = Array.from({ length: count - layout.skipped }, (_, n) => entry(n + 10_000));
  const end = layout.skippedCount + 2 + layout.skipped * 68;
  return cat(session.slice(0, layout.skippedCount), Uint8Array.of(count >> 8, count & 255), session.slice(layout.skippedCount + 2, end), ...extra, session.slice(end));
}

defineProperty({
  id: "crypto.state.session-codec",
  rules: ["ENC-STATE-001"],
  mode: "crypto",
  profile: "core",
  description: "state.session-roundtrip returns a serialized session (initiator with a pending start, responder with chains and skipped keys) byte for byte, also at 5 chains and 2,000 skipped keys, and rejects an unknown format byte, 6+ chains, 2,001+ skipped keys, any truncation and trailing bytes with KEY_INVALID; a session record round-trips too.",
  numRuns: 6,
  run: (context) =>
    fc.asyncProperty(
      arbResponder, arbInitiator, arbStart, fc.boolean(), fc.array(fc.uint8Array({ maxLength: 16 }), { minLength: 2, maxLength: 2 }), arbBytes32,
      fc.integer({ min: 0, max: 255 }).filter((n) => n !== 1), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.integer({ min: 6, max: 9 }), fc.integer({ min: 2001, max: 2003 }), arbBytes32,
      async (r, i, start, withOneTime, texts, ratchet, badFormat, cut, trailing, tooManyChains, tooManySkipped, filler) => {
        const rule = "ENC-STATE-001";
        const sent = await startAndSend(context, rule, i, r, start, withOneTime, texts);
        // The responder reads the second message first: one chain, one skipped key, a sending chain.
        const got = await receive(context, rule, decryptInputs(asLocal(r), asSender(i), storeOf(r), EMPTY_RECORD, sent.messages[1]!, ratchet), texts[1]!, "the second message first");
        const responderSession = parseRecord(unhex(got.record))?.sessions[0];
        if (responderSession === undefined) throw new RuleViolation(rule, "x3dh.decrypt returned a record without a session");
        const sessions: [string, Uint8Array][] = [["the initiator's session", unhex(sent.session)], ["the responder's session", responderSession]];
        for (const [what, session] of sessions) {
          const roundTrip = async (bytes: Uint8Array, label: string) =>
            expectOutput(rule, await expectCompleted(context, rule, "state.session-roundtrip", { session: hex(bytes) }, label), "session", hex(bytes), `${label} round trip`);
          const reject = (bytes: Uint8Array, label: string) => expectRejected(context, rule, "state.session-roundtrip", { session: hex(bytes) }, [ErrorCode.KEY_INVALID], label);
          await roundTrip(session, what);
          await reject(cat(Uint8Array.of(badFormat), session.slice(1)), `${what} with format byte ${badFormat}`);
          const length = cut % session.length;
          await reject(session.slice(0, length), `${what} truncated to ${length} of ${session.length} bytes`);
          await reject(cat(session, trailing), `${what} with ${trailing.length} trailing byte(s)`);
          const five = withChains(session, 5, filler);
          const six = withChains(session, tooManyChains, filler);
          const full = withSkipped(session, 2000, filler);
          const over = withSkipped(session, tooManySkipped, filler);
          if (five === undefined || six === undefined || full === undefined || over === undefined) throw new RuleViolation(rule, `${what} does not follow the format-1 layout`);
          await roundTrip(five, `${what} with 5 receiving chains`);
          await reject(six, `${what} with ${tooManyChains} receiving chains`);
          await roundTrip(full, `${what} with 2,000 skipped keys`);
          await reject(over, `${what} with ${tooManySkipped} skipped keys`);
        }
        const record = await expectCompleted(context, rule, "state.record-roundtrip", { record: String(got.record) }, "the responder's session record");
        expectOutput(rule, record, "record", String(got.record), "session record round trip");
      },
    ),
});
