import { describe, expect, it } from "vitest";
import { ErrorCode } from "@kabar/protocol";
import { newSession } from "@kabar/server";
import { makeHarness, rejects, TestAccount } from "./support/core-harness.js";

describe("hello and authentication", () => {
  it("TRANSPORT-HELLO-001 TRANSPORT-HELLO-004 picks the highest common version and advertises limits", async () => {
    const h = await makeHarness();
    const ack = await h.call(newSession(), "hello", { versions: [7, 1, 3], clientName: "t" });
    expect(ack.version).toBe(1);
    expect(ack.challenge.length).toBe(32);
    expect(ack.limits?.maxInFlight).toBeGreaterThan(0);
    await h.close();
  });

  it("TRANSPORT-HELLO-002 rejects with VERSION_UNSUPPORTED when no version is shared", async () => {
    const h = await makeHarness();
    await rejects(h.call(newSession(), "hello", { versions: [2, 3], clientName: "t" }), ErrorCode.VERSION_UNSUPPORTED);
    await h.close();
  });

  it("TRANSPORT-HELLO-001 WIRE-FIELD-001 a second Hello, more than 8 versions or a client_name over 64 bytes are FRAME_FIELD_INVALID", async () => {
    const h = await makeHarness();
    const s = newSession();
    await h.call(s, "hello", { versions: [1], clientName: "t" });
    await rejects(h.call(s, "hello", { versions: [1], clientName: "t" }), ErrorCode.FRAME_FIELD_INVALID);
    await rejects(h.call(newSession(), "hello", { versions: [1, 2, 3, 4, 5, 6, 7, 8, 9], clientName: "t" }), ErrorCode.FRAME_FIELD_INVALID);
    await rejects(h.call(newSession(), "hello", { versions: [1], clientName: "é".repeat(33) }), ErrorCode.FRAME_FIELD_INVALID);
    await h.close();
  });

  it("TRANSPORT-HELLO-003 requests before Hello get HELLO_REQUIRED", async () => {
    const h = await makeHarness();
    await rejects(h.call(newSession(), "ping", { nonce: 1n }), ErrorCode.HELLO_REQUIRED);
    await rejects(h.call(newSession(), "getState", {}), ErrorCode.HELLO_REQUIRED);
    await h.close();
  });

  it("TRANSPORT-AUTH-003 requests needing a device before Authenticate get AUTH_REQUIRED", async () => {
    const h = await makeHarness();
    const s = newSession();
    await h.call(s, "hello", { versions: [1], clientName: "t" });
    await rejects(h.call(s, "getState", {}), ErrorCode.AUTH_REQUIRED);
    await h.close();
  });

  it("TRANSPORT-AUTH-001 issues a fresh challenge per connection", async () => {
    const h = await makeHarness();
    const a = await h.call(newSession(), "hello", { versions: [1], clientName: "t" });
    const b = await h.call(newSession(), "hello", { versions: [1], clientName: "t" });
    expect(Buffer.compare(a.challenge, b.challenge)).not.toBe(0);
    await h.close();
  });

  it("TRANSPORT-AUTH-002 SERVER-DEVICES-005 accepts a valid device signature and rejects replayed, forged or removed-device signatures", async () => {
    const h = await makeHarness();
    const alice = new TestAccount([1]);
    await h.register(alice);
    const s1 = newSession();
    const ack1 = await h.call(s1, "hello", { versions: [1], clientName: "t" });
    const state = await h.call(s1, "authenticate", { accountId: alice.accountId, deviceId: 1, signature: alice.authSignature(ack1.challenge, 1) });
    expect(state.seq).toBe(0n);
    // A signature over another connection's challenge does not authenticate this one.
    const s2 = newSession();
    await h.call(s2, "hello", { versions: [1], clientName: "t" });
    await rejects(h.call(s2, "authenticate", { accountId: alice.accountId, deviceId: 1, signature: alice.authSignature(ack1.challenge, 1) }), ErrorCode.AUTH_FAILED);
    // Unknown device id and unknown account look the same.
    const s3 = newSession();
    const ack3 = await h.call(s3, "hello", { versions: [1], clientName: "t" });
    await rejects(h.call(s3, "authenticate", { accountId: alice.accountId, deviceId: 2, signature: alice.authSignature(ack3.challenge, 1) }), ErrorCode.AUTH_FAILED);
    const mallory = new TestAccount([1]);
    await rejects(h.call(s3, "authenticate", { accountId: mallory.accountId, deviceId: 1, signature: mallory.authSignature(ack3.challenge, 1) }), ErrorCode.AUTH_FAILED);
    // A device removed from the signed list can no longer authenticate.
    alice.addDevice(2);
    await h.call(s1, "publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1, 2] }) });
    const s4 = await h.connect(alice, 2);
    await h.call(s4, "publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [2] }) });
    const s5 = newSession();
    const ack5 = await h.call(s5, "hello", { versions: [1], clientName: "t" });
    await rejects(h.call(s5, "authenticate", { accountId: alice.accountId, deviceId: 1, signature: alice.authSignature(ack5.challenge, 1) }), ErrorCode.AUTH_FAILED);
    await h.close();
  });

  it("TRANSPORT-AUTH-001 an expired challenge gets CHALLENGE_INVALID", async () => {
    const h = await makeHarness();
    const alice = new TestAccount([1]);
    await h.register(alice);
    const s = newSession();
    const ack = await h.call(s, "hello", { versions: [1], clientName: "t" });
    h.clock.advance(61_000);
    await rejects(h.call(s, "authenticate", { accountId: alice.accountId, deviceId: 1, signature: alice.authSignature(ack.challenge, 1) }), ErrorCode.CHALLENGE_INVALID);
    await h.close();
  });
});
