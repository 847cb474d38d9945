import { describe, expect, it } from "vitest";
import { ErrorCode } from "@kabar/protocol";
import { initiateSession } from "../src/session/session-cipher.js";
import {
  decryptWithRecord, deserializeSessionRecord, EMPTY_SESSION_RECORD, encryptWithRecord, serializeSessionRecord, type SessionRecord,
} from "../src/session/session-record.js";
import { expectKabarError, makeDevice, provider, str, text, type TestDevice } from "./fixtures.js";

interface Side { device: TestDevice; record: SessionRecord }

function send(from: Side, message: string): Uint8Array {
  const out = encryptWithRecord(provider, from.record, text(message));
  from.record = out.record;
  return out.message;
}

function receive(to: Side, from: Side, wire: Uint8Array): string {
  const out = decryptWithRecord(provider, { local: to.device.local, record: to.record, sender: from.device.verified, preKeys: to.device.lookup }, wire);
  if (out.consumedOneTimePreKeyId !== undefined) to.device.oneTime.delete(out.consumedOneTimePreKeyId);
  to.record = out.record;
  return str(out.plaintext);
}

describe("session records", () => {
  it("ENC-X3DH-010: devices that start sessions with each other at the same time converge on one session", () => {
    const alice: Side = { device: makeDevice(provider, 1), record: EMPTY_SESSION_RECORD };
    const bob: Side = { device: makeDevice(provider, 2), record: EMPTY_SESSION_RECORD };
    alice.record = { current: initiateSession(provider, { local: alice.device.local, bundle: bob.device.bundle(), remoteIdentityKey: bob.device.account.keyPair.publicKey }), previous: [] };
    bob.record = { current: initiateSession(provider, { local: bob.device.local, bundle: alice.device.bundle(), remoteIdentityKey: alice.device.account.keyPair.publicKey }), previous: [] };
    const fromAlice = send(alice, "a0"), fromBob = send(bob, "b0");
    expect(receive(bob, alice, fromAlice)).toBe("a0");
    expect(receive(alice, bob, fromBob)).toBe("b0");
    for (let round = 1; round <= 3; round++) {
      expect(receive(bob, alice, send(alice, `a${round}`))).toBe(`a${round}`);
      expect(receive(alice, bob, send(bob, `b${round}`))).toBe(`b${round}`);
    }
    expect(Buffer.from(alice.record.current!.baseKey).equals(Buffer.from(bob.record.current!.baseKey))).toBe(true);
    expect(alice.record.current!.pendingPreKey).toBeUndefined();
  });

  it("ENC-X3DH-010: a failure leaves the record unchanged and reports the current session's error; records round-trip", () => {
    const alice: Side = { device: makeDevice(provider, 1), record: EMPTY_SESSION_RECORD };
    const bob: Side = { device: makeDevice(provider, 2), record: EMPTY_SESSION_RECORD };
    alice.record = { current: initiateSession(provider, { local: alice.device.local, bundle: bob.device.bundle(), remoteIdentityKey: bob.device.account.keyPair.publicKey }), previous: [] };
    const first = send(alice, "x");
    expect(receive(bob, alice, first)).toBe("x");
    const m = send(alice, "y");
    const before = serializeSessionRecord(bob.record);
    const bad = new Uint8Array(m); bad[bad.length - 1]! ^= 1;
    expectKabarError(() => receive(bob, alice, bad), ErrorCode.DECRYPT_FAILED);
    expect(serializeSessionRecord(bob.record)).toEqual(before);
    bob.record = deserializeSessionRecord(serializeSessionRecord(bob.record));
    expect(receive(bob, alice, m)).toBe("y");
    expectKabarError(() => receive(bob, alice, m), ErrorCode.DUPLICATE_MESSAGE);
    expectKabarError(() => encryptWithRecord(provider, EMPTY_SESSION_RECORD, text("x")), ErrorCode.SESSION_NOT_FOUND);
  });
});
