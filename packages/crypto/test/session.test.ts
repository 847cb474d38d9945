import { describe, expect, it } from "vitest";
import { ErrorCode, PairwiseMessage } from "@kabar/protocol";
import { decryptPairwise, encryptPairwise, initiateSession, type DecryptPairwiseResult } from "../src/session/session-cipher.js";
import type { SessionState } from "../src/session/session-state.js";
import { createAccountIdentity } from "../src/identity/account-identity.js";
import { NodeCryptoProvider } from "../src/provider/node-provider.js";
import { signedPreKeySignedBytes } from "../src/session/prekeys.js";
import { signDeviceList, verifyDeviceList } from "../src/identity/device-list.js";
import { expectKabarError, makeDevice, provider, str, text, type TestDevice } from "./fixtures.js";

function start(alice: TestDevice, bob: TestDevice, withOneTime = true): SessionState {
  return initiateSession(provider, { local: alice.local, bundle: bob.bundle(withOneTime), remoteIdentityKey: bob.account.keyPair.publicKey });
}

function receive(to: TestDevice, from: TestDevice, session: SessionState | undefined, bytes: Uint8Array): DecryptPairwiseResult {
  return decryptPairwise(provider, { local: to.local, session, sender: from.verified, preKeys: to.lookup }, bytes);
}

describe("PQXDH session setup", () => {
  it("ENC-X3DH-003/004/005: both sides derive the same keys, with and without a one-time prekey", () => {
    for (const withOneTime of [true, false]) {
      const alice = makeDevice(), bob = makeDevice(provider, 2);
      let a = start(alice, bob, withOneTime);
      const first = encryptPairwise(provider, a, text("hello bob"));
      a = first.session;
      const got = receive(bob, alice, undefined, first.message);
      expect(str(got.plaintext)).toBe("hello bob");
      // ENC-X3DH-005: both sides bind the same 142-byte AD: initiator first, then responder.
      expect(got.session.associatedData).toEqual(a.associatedData);
      expect(a.associatedData.length).toBe(142);
      expect(Buffer.from(a.associatedData).includes(Buffer.from(alice.local.keys.identity.publicKey))).toBe(true);
      expect(Buffer.from(a.associatedData).indexOf(Buffer.from(alice.local.accountId))).toBe(4);
      expect(got.consumedOneTimePreKeyId !== undefined).toBe(withOneTime);
      const reply = encryptPairwise(provider, got.session, text("hi alice"));
      expect(PairwiseMessage.decode(reply.message).kind?.$case).toBe("ratchet");
      const back = receive(alice, bob, a, reply.message);
      expect(str(back.plaintext)).toBe("hi alice");
      expect(back.session.pendingPreKey).toBeUndefined();
      const after = encryptPairwise(provider, back.session, text("again"));
      expect(PairwiseMessage.decode(after.message).kind?.$case).toBe("ratchet");
    }
  });

  it("ENC-X3DH-001: forged signed prekey or KEM prekey signature is rejected with SIGNATURE_INVALID", () => {
    const alice = makeDevice(), bob = makeDevice();
    const bundle = bob.bundle();
    const badSpk = { ...bundle, signedPrekey: { ...bundle.signedPrekey!, signature: new Uint8Array(64) } };
    expectKabarError(() => initiateSession(provider, { local: alice.local, bundle: badSpk, remoteIdentityKey: bob.account.keyPair.publicKey }), ErrorCode.SIGNATURE_INVALID);
    const kem = bundle.kemPrekey!;
    const flipped = new Uint8Array(kem.publicKey); flipped[5]! ^= 1;
    const badKem = { ...bundle, kemPrekey: { ...kem, publicKey: flipped } };
    expectKabarError(() => initiateSession(provider, { local: alice.local, bundle: badKem, remoteIdentityKey: bob.account.keyPair.publicKey }), ErrorCode.SIGNATURE_INVALID);
    // Key-type confusion: the X25519 prekey's signature does not verify as a KEM prekey signature.
    const confused = { ...bundle, signedPrekey: { ...bundle.signedPrekey!, signature: kem.signature } };
    expectKabarError(() => initiateSession(provider, { local: alice.local, bundle: confused, remoteIdentityKey: bob.account.keyPair.publicKey }), ErrorCode.SIGNATURE_INVALID);
  });

  it("ENC-X3DH-002: a bundle certified by another identity key is UNTRUSTED_IDENTITY", () => {
    const alice = makeDevice(), bob = makeDevice();
    const other = createAccountIdentity(provider);
    expectKabarError(() => initiateSession(provider, { local: alice.local, bundle: bob.bundle(), remoteIdentityKey: other.keyPair.publicKey }), ErrorCode.UNTRUSTED_IDENTITY);
  });

  it("ENC-X3DH-002: with a verified device list, a listed device is accepted and an unlisted one is DEVICE_UNTRUSTED", () => {
    const alice = makeDevice();
    const bob = makeDevice(provider, 2);
    const bobOther = makeDevice(provider, 3, bob.account);
    const list = verifyDeviceList(provider, signDeviceList(provider, bob.account, 1n, [bob.bundle(false).certificate!]), bob.account.keyPair.publicKey);
    const ok = initiateSession(provider, { local: alice.local, bundle: bob.bundle(), remoteIdentityKey: bob.account.keyPair.publicKey, remoteDeviceList: list });
    expect(ok.remote.deviceId).toBe(2);
    expectKabarError(() => initiateSession(provider, { local: alice.local, bundle: bobOther.bundle(), remoteIdentityKey: bob.account.keyPair.publicKey, remoteDeviceList: list }), ErrorCode.DEVICE_UNTRUSTED);
    const forged = { ...bob.bundle(), certificate: { ...bob.bundle().certificate!, signature: new Uint8Array(64) } };
    expectKabarError(() => initiateSession(provider, { local: alice.local, bundle: forged, remoteIdentityKey: bob.account.keyPair.publicKey, remoteDeviceList: list }), ErrorCode.SIGNATURE_INVALID);
  });

  it("ENC-KEY-003: a low-order signed prekey is rejected with KEY_INVALID", () => {
    const alice = makeDevice(), bob = makeDevice();
    const bundle = bob.bundle();
    // A correctly signed all-zero prekey: the signature is fine, the key is not.
    const zero = new Uint8Array(32);
    const signature = provider.ed25519Sign(bob.local.keys.signing, signedPreKeySignedBytes(7, zero));
    const bad = { ...bundle, signedPrekey: { id: 7, publicKey: zero, signature } };
    expectKabarError(() => initiateSession(provider, { local: alice.local, bundle: bad, remoteIdentityKey: bob.account.keyPair.publicKey }), ErrorCode.KEY_INVALID);
  });

  it("ENC-KEY-003: the protocol layer rejects an all-zero DH result even from a lenient provider", () => {
    class Lenient extends NodeCryptoProvider {
      override x25519(): Uint8Array { return new Uint8Array(32); }
    }
    const lenient = new Lenient();
    const alice = makeDevice(), bob = makeDevice();
    expectKabarError(() => initiateSession(lenient, { local: alice.local, bundle: bob.bundle(), remoteIdentityKey: bob.account.keyPair.publicKey }), ErrorCode.KEY_INVALID);
  });

  it("ENC-X3DH-008: a message from a different claimed sender or to another device fails, state untouched", () => {
    const alice = makeDevice(), bob = makeDevice(), mallory = makeDevice(), carol = makeDevice();
    const a = start(alice, bob);
    const first = encryptPairwise(provider, a, text("x"));
    expectKabarError(() => receive(bob, mallory, undefined, first.message), ErrorCode.DEVICE_UNTRUSTED);
    // Prekey ids are random 32-bit values in practice (ENC-X3DH-001), so Carol does not hold Bob's.
    carol.signed.clear();
    expectKabarError(() => receive(carol, alice, undefined, first.message), ErrorCode.WRONG_RECIPIENT);
    // Bob still accepts the genuine message afterwards.
    expect(str(receive(bob, alice, undefined, first.message).plaintext)).toBe("x");
  });

  it("ENC-X3DH-007: a replayed session start whose one-time prekey was consumed is DUPLICATE_MESSAGE", () => {
    const alice = makeDevice(), bob = makeDevice();
    const first = encryptPairwise(provider, start(alice, bob), text("x"));
    const got = receive(bob, alice, undefined, first.message);
    bob.oneTime.delete(got.consumedOneTimePreKeyId!);
    expectKabarError(() => receive(bob, alice, undefined, first.message), ErrorCode.DUPLICATE_MESSAGE);
  });

  it("ENC-X3DH-006: repeated PreKeyMessages before the first reply all decrypt in the same session", () => {
    const alice = makeDevice(), bob = makeDevice();
    let a = start(alice, bob);
    const m1 = encryptPairwise(provider, a, text("1")); a = m1.session;
    const m2 = encryptPairwise(provider, a, text("2")); a = m2.session;
    const r1 = receive(bob, alice, undefined, m1.message);
    bob.oneTime.delete(r1.consumedOneTimePreKeyId!);
    const r2 = receive(bob, alice, r1.session, m2.message);
    expect(str(r2.plaintext)).toBe("2");
    expectKabarError(() => receive(bob, alice, r2.session, m1.message), ErrorCode.DUPLICATE_MESSAGE);
  });

  it("ENC-X3DH-009: a replayed session start without a one-time prekey is DUPLICATE_MESSAGE once its base key is remembered", () => {
    const alice = makeDevice(), bob = makeDevice();
    const seen = new Set<string>();
    const lookup = { ...bob.lookup, baseKeySeen: (key: Uint8Array) => seen.has(Buffer.from(key).toString("hex")) };
    const first = encryptPairwise(provider, start(alice, bob, false), text("x"));
    const got = decryptPairwise(provider, { local: bob.local, session: undefined, sender: alice.verified, preKeys: lookup }, first.message);
    seen.add(Buffer.from(got.acceptedBaseKey!).toString("hex"));
    // With the session gone (or replaced), the replay is still recognised.
    expectKabarError(() => decryptPairwise(provider, { local: bob.local, session: undefined, sender: alice.verified, preKeys: lookup }, first.message), ErrorCode.DUPLICATE_MESSAGE);
  });

  it("ENC-VERSION-001: an unknown ciphertext version is CIPHERTEXT_VERSION_UNSUPPORTED", () => {
    const alice = makeDevice(), bob = makeDevice();
    const first = encryptPairwise(provider, start(alice, bob), text("x"));
    const decoded = PairwiseMessage.decode(first.message);
    if (decoded.kind?.$case !== "prekey") throw new Error("expected prekey");
    for (const version of [0, 2]) {
      const outer = PairwiseMessage.encode({ kind: { $case: "prekey", value: { ...decoded.kind.value, version } } }).finish();
      expectKabarError(() => receive(bob, alice, undefined, outer), ErrorCode.CIPHERTEXT_VERSION_UNSUPPORTED);
      const inner = PairwiseMessage.encode({ kind: { $case: "prekey", value: { ...decoded.kind.value, message: { ...decoded.kind.value.message!, version } } } }).finish();
      expectKabarError(() => receive(bob, alice, undefined, inner), ErrorCode.CIPHERTEXT_VERSION_UNSUPPORTED);
    }
  });
});
