import { describe, expect, it } from "vitest";
import { ErrorCode } from "@kabar/protocol";
import { newSession } from "@kabar/server";
import { makeHarness, rejects, TestAccount } from "./support/core-harness.js";
import { x25519Public } from "./support/keys.js";

async function anonymous(h: Awaited<ReturnType<typeof makeHarness>>) {
  const s = newSession();
  await h.call(s, "hello", { versions: [1], clientName: "t" });
  return s;
}

describe("accounts and device lists", () => {
  it("SERVER-DEVICES-001 registers an account whose id is SHA-256 of the identity key and serves the list verbatim", async () => {
    const h = await makeHarness();
    const alice = new TestAccount([1]);
    const s = await anonymous(h);
    const list = alice.deviceList();
    const res = await h.call(s, "registerAccount", { identityKey: alice.identity.publicKey, deviceList: list });
    expect(Buffer.from(res.accountId).equals(Buffer.from(alice.accountId))).toBe(true);
    const authed = await h.connect(alice);
    const got = await h.call(authed, "getDeviceList", { accountId: alice.accountId });
    expect(Buffer.from(got.deviceList!.body).equals(Buffer.from(list.body))).toBe(true);
    expect(Buffer.from(got.deviceList!.signature).equals(Buffer.from(list.signature))).toBe(true);
    await rejects(h.call(s, "registerAccount", { identityKey: alice.identity.publicKey, deviceList: list }), ErrorCode.ACCOUNT_EXISTS);
    await h.close();
  });

  it("SERVER-DEVICES-001 rejects forged lists and certificates and stores nothing", async () => {
    const h = await makeHarness();
    const s = await anonymous(h);
    const before = await h.store.snapshot();
    const alice = new TestAccount([1]);
    const list = alice.deviceList();
    const flipped = { body: list.body, signature: Uint8Array.from(list.signature, (b, i) => (i === 0 ? b ^ 1 : b)) };
    await rejects(h.call(s, "registerAccount", { identityKey: alice.identity.publicKey, deviceList: flipped }), ErrorCode.SIGNATURE_INVALID);
    // A list signed by another identity key.
    const mallory = new TestAccount([1]);
    await rejects(h.call(s, "registerAccount", { identityKey: alice.identity.publicKey, deviceList: mallory.deviceList() }), ErrorCode.SIGNATURE_INVALID);
    // A certificate naming another account.
    const bob = new TestAccount([]);
    bob.addDevice(1, { accountId: mallory.accountId });
    await rejects(h.call(s, "registerAccount", { identityKey: bob.identity.publicKey, deviceList: bob.deviceList() }), ErrorCode.CERTIFICATE_INVALID);
    // A certificate with a low-order device identity key.
    const carol = new TestAccount([]);
    carol.addDevice(1, { deviceIdentityKey: new Uint8Array(32) });
    await rejects(h.call(s, "registerAccount", { identityKey: carol.identity.publicKey, deviceList: carol.deviceList() }), ErrorCode.CERTIFICATE_INVALID);
    // The first list must be version 1 with exactly one device.
    const dave = new TestAccount([1, 2]);
    await rejects(h.call(s, "registerAccount", { identityKey: dave.identity.publicKey, deviceList: dave.deviceList() }), ErrorCode.FRAME_FIELD_INVALID);
    const erin = new TestAccount([1]);
    await rejects(h.call(s, "registerAccount", { identityKey: erin.identity.publicKey, deviceList: erin.deviceList({ version: 2n }) }), ErrorCode.FRAME_FIELD_INVALID);
    expect(await h.store.snapshot()).toEqual(before);
    await h.close();
  });

  it("SERVER-DEVICES-002 a published list needs a strictly greater version; stale lists change nothing", async () => {
    const h = await makeHarness();
    const alice = new TestAccount([1]);
    const s = await h.connect(alice);
    alice.addDevice(2);
    const published = await h.call(s, "publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1, 2] }) });
    expect(published.version).toBe(2n);
    expect(published.seq).toBe(1n);
    const before = await h.store.snapshot();
    await rejects(h.call(s, "publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1], version: 2n }) }), ErrorCode.DEVICE_LIST_STALE);
    await rejects(h.call(s, "publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1], version: 1n }) }), ErrorCode.DEVICE_LIST_STALE);
    expect(await h.store.snapshot()).toEqual(before);
    await h.close();
  });

  it("SERVER-DEVICES-003 a device id is never reused with other keys or after removal", async () => {
    const h = await makeHarness();
    const alice = new TestAccount([1]);
    const s = await h.connect(alice);
    alice.addDevice(2);
    await h.call(s, "publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1, 2] }) });
    await h.call(s, "publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1] }) });
    const before = await h.store.snapshot();
    await rejects(h.call(s, "publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1, 2] }) }), ErrorCode.CERTIFICATE_INVALID);
    alice.addDevice(1);
    await rejects(h.call(s, "publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1] }) }), ErrorCode.CERTIFICATE_INVALID);
    expect(await h.store.snapshot()).toEqual(before);
    await h.close();
  });

  it("SERVER-DEVICES-004 a published list is signalled in the logs of the account and its contacts", async () => {
    const h = await makeHarness();
    const alice = new TestAccount([1]);
    const bob = new TestAccount([1]);
    const sa = await h.connect(alice);
    const sb = await h.connect(bob);
    await h.call(sa, "createConversation", { conversationId: new Uint8Array(16).fill(1), kind: 1, memberAccountIds: [bob.accountId] });
    alice.addDevice(2);
    await h.call(sa, "publishDeviceList", { deviceList: alice.deviceList({ deviceIds: [1, 2] }) });
    const diff = await h.call(sb, "getDifference", { seq: 1n, limit: 0 });
    expect(diff.result?.$case).toBe("difference");
    const update = diff.result?.$case === "difference" ? diff.result.value.updates[0]! : undefined;
    expect(update?.kind?.$case).toBe("deviceList");
    expect(h.pushes.some((p) => p.kind === "deviceList")).toBe(true);
    await h.close();
  });
});

describe("prekeys", () => {
  it("SERVER-PREKEY-002 verifies prekey signatures and rejects low-order or mis-sized keys, storing nothing", async () => {
    const h = await makeHarness();
    const alice = new TestAccount([1]);
    const s = await h.connect(alice);
    const before = await h.store.snapshot();
    const good = alice.signedPreKey(1);
    await rejects(h.call(s, "uploadPrekeys", {
      signedPrekey: { ...good, signature: new Uint8Array(64) }, kemPrekeys: [], oneTimePrekeys: [], lastResortKemPrekey: undefined,
    }), ErrorCode.SIGNATURE_INVALID);
    await rejects(h.call(s, "uploadPrekeys", {
      signedPrekey: alice.signedPreKey(1, 1, new Uint8Array(32)), kemPrekeys: [], oneTimePrekeys: [], lastResortKemPrekey: undefined,
    }), ErrorCode.KEY_INVALID);
    const lowOrder = Buffer.from("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", "hex");
    for (const bad of [new Uint8Array(32), new Uint8Array(lowOrder), new Uint8Array(31)]) {
      await rejects(h.call(s, "uploadPrekeys", {
        signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: [...alice.oneTimePreKeys(1, 2), { id: 9, publicKey: bad }], lastResortKemPrekey: undefined,
      }), ErrorCode.KEY_INVALID);
    }
    await rejects(h.call(s, "uploadPrekeys", {
      signedPrekey: undefined, kemPrekeys: [{ ...alice.kemPreKey(1, 1), publicKey: new Uint8Array(1184) }], oneTimePrekeys: [], lastResortKemPrekey: undefined,
    }), ErrorCode.SIGNATURE_INVALID);
    await rejects(h.call(s, "uploadPrekeys", {
      signedPrekey: undefined, kemPrekeys: [alice.kemPreKey(1, 1, false, new Uint8Array(1000))], oneTimePrekeys: [], lastResortKemPrekey: undefined,
    }), ErrorCode.KEY_INVALID);
    expect(await h.store.snapshot()).toEqual(before);
    await h.close();
  });

  it("SERVER-PREKEY-001 hands out each one-time prekey at most once, then the last-resort KEM key", async () => {
    const h = await makeHarness();
    const alice = new TestAccount([1]);
    const bob = new TestAccount([1]);
    const sa = await h.connect(alice);
    const sb = await h.connect(bob);
    await h.call(sa, "uploadPrekeys", {
      signedPrekey: alice.signedPreKey(1), kemPrekeys: [alice.kemPreKey(1, 1), alice.kemPreKey(1, 2)],
      oneTimePrekeys: alice.oneTimePreKeys(1, 3), lastResortKemPrekey: alice.kemPreKey(1, 99, true),
    });
    const seenOneTime: number[] = [];
    const seenKem: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { bundles } = await h.call(sb, "claimPrekeys", { accountId: alice.accountId, deviceIds: [] });
      expect(bundles).toHaveLength(1);
      const b = bundles[0]!;
      if (b.oneTimePrekey) seenOneTime.push(b.oneTimePrekey.id);
      seenKem.push(b.kemPrekey!.id);
      expect(b.kemPrekey!.lastResort).toBe(b.kemPrekey!.id === 99);
    }
    expect(seenOneTime).toEqual([1, 2, 3]);
    expect(seenKem).toEqual([1, 2, 99, 99, 99]);
    await h.close();
  });

  it("SERVER-PREKEY-001 concurrent claims never receive the same one-time prekey", async () => {
    const h = await makeHarness();
    const alice = new TestAccount([1]);
    const sa = await h.connect(alice);
    await h.call(sa, "uploadPrekeys", {
      signedPrekey: alice.signedPreKey(1), kemPrekeys: [], oneTimePrekeys: alice.oneTimePreKeys(1, 20), lastResortKemPrekey: alice.kemPreKey(1, 99, true),
    });
    const claimers = await Promise.all(Array.from({ length: 6 }, () => h.connect(new TestAccount([1]))));
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => h.call(claimers[i % 6]!, "claimPrekeys", { accountId: alice.accountId, deviceIds: [1] })));
    const ids = results.map((r) => r.bundles[0]!.oneTimePrekey?.id).filter((id): id is number => id !== undefined);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    await h.close();
  });

  it("SERVER-PREKEY-005 claims are rate limited per claiming account with retry_after_ms", async () => {
    const h = await makeHarness({ limits: { claimsPerMinute: 3 } });
    const alice = new TestAccount([1]);
    const sa = await h.connect(alice);
    await h.call(sa, "uploadPrekeys", { signedPrekey: alice.signedPreKey(1), kemPrekeys: [], oneTimePrekeys: alice.oneTimePreKeys(1, 10), lastResortKemPrekey: alice.kemPreKey(1, 9, true) });
    const sb = await h.connect(new TestAccount([1]));
    for (let i = 0; i < 3; i++) await h.call(sb, "claimPrekeys", { accountId: alice.accountId, deviceIds: [] });
    const before = await h.store.snapshot();
    const error = await rejects(h.call(sb, "claimPrekeys", { accountId: alice.accountId, deviceIds: [] }), ErrorCode.RATE_LIMITED);
    expect(error.error.retryAfterMs).toBeGreaterThan(0);
    expect(await h.store.snapshot()).toEqual(before);
    h.clock.advance(20_000);
    await h.call(sb, "claimPrekeys", { accountId: alice.accountId, deviceIds: [] });
    await h.close();
  });

  it("AUTHZ-ACCESS-001 claiming an unknown account or device is NOT_FOUND; no prekeys is PREKEYS_UNAVAILABLE", async () => {
    const h = await makeHarness();
    const alice = new TestAccount([1]);
    const sa = await h.connect(alice);
    await rejects(h.call(sa, "claimPrekeys", { accountId: new TestAccount().accountId, deviceIds: [] }), ErrorCode.NOT_FOUND);
    await rejects(h.call(sa, "claimPrekeys", { accountId: alice.accountId, deviceIds: [5] }), ErrorCode.NOT_FOUND);
    await rejects(h.call(sa, "claimPrekeys", { accountId: alice.accountId, deviceIds: [] }), ErrorCode.PREKEYS_UNAVAILABLE);
    await h.close();
  });
});


describe("prekey storage limits", () => {
  it("SERVER-PREKEY-003 a stored prekey id cannot be reused with another key; identical re-uploads are no-ops", async () => {
    const h = await makeHarness();
    const alice = new TestAccount([1]);
    const s = await h.connect(alice);
    const keys = alice.oneTimePreKeys(1, 3);
    await h.call(s, "uploadPrekeys", { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: keys, lastResortKemPrekey: undefined });
    const again = await h.call(s, "uploadPrekeys", { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: keys, lastResortKemPrekey: undefined });
    expect(again.oneTimePrekeys).toBe(3);
    const snap = await h.store.snapshot();
    await rejects(h.call(s, "uploadPrekeys", { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: [{ id: 2, publicKey: x25519Public() }], lastResortKemPrekey: undefined }), ErrorCode.KEY_INVALID);
    expect(await h.store.snapshot()).toEqual(snap);
    await h.close();
  });

  it("SERVER-PREKEY-004 uploads beyond the stored maximum are PREKEY_LIMIT and store nothing", async () => {
    const h = await makeHarness({ limits: { maxStoredPreKeys: 5 } });
    const alice = new TestAccount([1]);
    const s = await h.connect(alice);
    await h.call(s, "uploadPrekeys", { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: alice.oneTimePreKeys(1, 4), lastResortKemPrekey: undefined });
    const snap = await h.store.snapshot();
    await rejects(h.call(s, "uploadPrekeys", { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: alice.oneTimePreKeys(10, 2), lastResortKemPrekey: undefined }), ErrorCode.PREKEY_LIMIT);
    expect(await h.store.snapshot()).toEqual(snap);
    await h.close();
  });
});
