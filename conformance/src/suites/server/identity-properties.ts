// SERVER-PREKEY and SERVER-DEVICES: one-time prekeys under concurrent
// claims, prekey upload checks, and signed device lists.
import fc from "fast-check";
import { ErrorCode, type PreKeyBundle } from "@kabar/protocol";
import { defineProperty } from "../../registry/property-registry.js";
import { KitAccount, newEd25519, newX25519Public, randomBytesOf } from "../../wire-client/keys.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import { check, expectOk, expectRejected, hex, inWorld, sameBytes } from "./support.js";

const LAST_RESORT_ID = 1000;

defineProperty({
  id: "server.prekeys.one-time-once",
  rules: ["SERVER-PREKEY-001"],
  mode: "server",
  profile: "core",
  description: "Several accounts claim one device's prekeys concurrently: each one-time X25519 and KEM prekey is handed out at most once, as long as any is left, and the last-resort KEM prekey once none is left.",
  numRuns: 20,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.nat(6), fc.nat(4), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), (oneTime, kem, claimsPerClaimer) =>
      inWorld(target, transcript, async (world) => {
        const bob = await world.account();
        await bob.connections[0]!.call("uploadPrekeys", {
          signedPrekey: bob.account.signedPreKey(1, 1),
          kemPrekeys: Array.from({ length: kem }, (_, i) => bob.account.kemPreKey(1, i + 1)),
          oneTimePrekeys: bob.account.oneTimePreKeys(1, oneTime),
          lastResortKemPrekey: bob.account.kemPreKey(1, LAST_RESORT_ID, true),
        });
        const claimers = [];
        for (let i = 0; i < claimsPerClaimer.length; i++) claimers.push(await world.account());
        const bundles: PreKeyBundle[] = (await Promise.all(claimers.flatMap((c, i) =>
          Array.from({ length: claimsPerClaimer[i]! }, () => c.connections[0]!.call("claimPrekeys", { accountId: bob.account.accountId, deviceIds: [] })),
        ))).flatMap((r) => r.bundles);
        const total = claimsPerClaimer.reduce((a, b) => a + b, 0);
        check("SERVER-PREKEY-001", bundles.length === total, `${total} claims returned ${bundles.length} bundles`);
        const oneTimeIds = bundles.flatMap((b) => (b.oneTimePrekey !== undefined ? [b.oneTimePrekey.id] : []));
        check("SERVER-PREKEY-001", new Set(oneTimeIds).size === oneTimeIds.length, `one-time prekeys handed out more than once: [${oneTimeIds.join(", ")}]`);
        check("SERVER-PREKEY-001", oneTimeIds.length === Math.min(oneTime, total), `${total} claims of ${oneTime} one-time prekeys handed out ${oneTimeIds.length}`);
        const kemIds = bundles.map((b) => b.kemPrekey?.id ?? -1);
        const oneTimeKem = kemIds.filter((id) => id !== LAST_RESORT_ID);
        check("SERVER-PREKEY-001", new Set(oneTimeKem).size === oneTimeKem.length, `one-time KEM prekeys handed out more than once: [${kemIds.join(", ")}]`);
        check("SERVER-PREKEY-001", oneTimeKem.length === Math.min(kem, total) && kemIds.every((id) => id !== -1), `${total} claims of ${kem} KEM prekeys + last resort handed out [${kemIds.join(", ")}]`);
        // One more claim after exhaustion: the last-resort key again.
        if (total >= kem) {
          const again = await claimers[0]!.connections[0]!.call("claimPrekeys", { accountId: bob.account.accountId, deviceIds: [] });
          check("SERVER-PREKEY-001", again.bundles[0]?.kemPrekey?.id === LAST_RESORT_ID, "the last-resort KEM prekey was not handed out again after the one-time KEM prekeys ran out");
        }
      }),
    ),
});

type BadUpload = "signed-signature" | "kem-signature" | "signed-length" | "one-time-length" | "kem-length" | "one-time-zero" | "reuse-id";

defineProperty({
  id: "server.prekeys.upload-checks",
  rules: ["SERVER-PREKEY-002", "SERVER-PREKEY-003"],
  mode: "server",
  profile: "core",
  description: "Prekey uploads with a bad signature (SIGNATURE_INVALID), a wrong-length or all-zero key, or a reused id with another key (KEY_INVALID) store nothing, seen through later claims; re-uploading an identical key is a no-op.",
  numRuns: 20,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constantFrom<BadUpload>("signed-signature", "kem-signature", "signed-length", "one-time-length", "kem-length", "one-time-zero", "reuse-id"), fc.integer({ min: 1, max: 3 }), (bad, good) =>
      inWorld(target, transcript, async (world) => {
        const bob = await world.account();
        const a = bob.account;
        const stored = a.oneTimePreKeys(1, good);
        const signed = a.signedPreKey(1, 1);
        const base = await bob.connections[0]!.call("uploadPrekeys", { signedPrekey: signed, kemPrekeys: [a.kemPreKey(1, 1)], oneTimePrekeys: stored, lastResortKemPrekey: a.kemPreKey(1, LAST_RESORT_ID, true) });
        const again = await bob.connections[0]!.call("uploadPrekeys", { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: stored, lastResortKemPrekey: undefined });
        check("SERVER-PREKEY-003", again.oneTimePrekeys === base.oneTimePrekeys, `re-uploading identical one-time prekeys changed the count from ${base.oneTimePrekeys} to ${again.oneTimePrekeys}`);
        const fresh = a.oneTimePreKeys(100, 2);
        const x = newX25519Public();
        const request = {
          "signed-signature": { signedPrekey: { id: 2, publicKey: x, signature: randomBytesOf(64) }, kemPrekeys: [], oneTimePrekeys: fresh, lastResortKemPrekey: undefined },
          "kem-signature": { signedPrekey: undefined, kemPrekeys: [{ ...a.kemPreKey(1, 2), signature: new KitAccount().kemPreKey(1, 2).signature }], oneTimePrekeys: fresh, lastResortKemPrekey: undefined },
          "signed-length": { signedPrekey: a.signedPreKey(1, 2, randomBytesOf(31)), kemPrekeys: [], oneTimePrekeys: fresh, lastResortKemPrekey: undefined },
          "one-time-length": { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: [...fresh, { id: 200, publicKey: randomBytesOf(33) }], lastResortKemPrekey: undefined },
          "kem-length": { signedPrekey: undefined, kemPrekeys: [a.kemPreKey(1, 2, false, randomBytesOf(1183))], oneTimePrekeys: fresh, lastResortKemPrekey: undefined },
          "one-time-zero": { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: [...fresh, { id: 200, publicKey: new Uint8Array(32) }], lastResortKemPrekey: undefined },
          "reuse-id": { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: [...fresh, { id: stored[0]!.id, publicKey: newX25519Public() }], lastResortKemPrekey: undefined },
        }[bad];
        const rule = bad === "reuse-id" ? "SERVER-PREKEY-003" : "SERVER-PREKEY-002";
        const code = bad.endsWith("signature") ? ErrorCode.SIGNATURE_INVALID : ErrorCode.KEY_INVALID;
        expectRejected(rule, await bob.connections[0]!.attempt("uploadPrekeys", request), code, `an upload with ${bad}`);
        // Nothing of it was stored: claims hand out exactly the good keys.
        const claimer = await world.account();
        const handed: number[] = [];
        for (let i = 0; i < good + 1; i++) {
          const bundle = (await claimer.connections[0]!.call("claimPrekeys", { accountId: a.accountId, deviceIds: [1] })).bundles[0]!;
          if (bundle.oneTimePrekey !== undefined) handed.push(bundle.oneTimePrekey.id);
          check(rule, bundle.signedPrekey?.id === 1 && sameBytes(bundle.signedPrekey.publicKey, signed.publicKey), "the rejected upload replaced the signed prekey");
          if (i === 0) check(rule, bundle.kemPrekey?.id === 1, `the rejected upload changed the KEM prekeys: got id ${bundle.kemPrekey?.id}`);
        }
        check(rule, handed.length === good && handed.every((id) => id < 100), `after the rejected upload, claims handed out one-time ids [${handed.join(", ")}]; only [${stored.map((k) => k.id).join(", ")}] were accepted`);
      }),
    ),
});

type ListOp = { readonly kind: "add" } | { readonly kind: "remove" } | { readonly kind: "stale"; readonly back: number } | { readonly kind: "forged-list" } | { readonly kind: "forged-certificate" } | { readonly kind: "reuse-id" };

defineProperty({
  id: "server.devices.list-integrity",
  rules: ["SERVER-DEVICES-001", "SERVER-DEVICES-002", "SERVER-DEVICES-003", "SERVER-DEVICES-004"],
  mode: "server",
  profile: "core",
  description: "Device lists published in random order, valid or not: the server serves the last accepted list byte for byte, rejects a stale version with DEVICE_LIST_STALE, a forged list or certificate, and a reused device id with other keys, without changing the list or the log; accepted lists reach the account's log and its conversation partners' logs.",
  numRuns: 20,
  run: ({ target, transcript }) =>
    fc.asyncProperty(
      fc.array(fc.oneof(
        fc.constant<ListOp>({ kind: "add" }), fc.constant<ListOp>({ kind: "remove" }), fc.nat(2).map<ListOp>((back) => ({ kind: "stale", back })),
        fc.constant<ListOp>({ kind: "forged-list" }), fc.constant<ListOp>({ kind: "forged-certificate" }), fc.constant<ListOp>({ kind: "reuse-id" }),
      ), { minLength: 1, maxLength: 8 }),
      (ops) =>
        inWorld(target, transcript, async (world) => {
          const alice = await world.account();
          const partner = await world.account();
          await world.conversation(alice.connections[0]!, [partner.account]);
          const a = alice.account;
          const me = alice.connections[0]!;
          const reader = partner.connections[0]!;
          let current = (await reader.call("getDeviceList", { accountId: a.accountId })).deviceList!;
          let version = 1n;
          let ids = [1];
          let nextId = 2;
          let published = 0;
          for (const op of ops) {
            const seqBefore = (await me.call("getState", {})).state!.seq;
            let list;
            let expected: { code: ErrorCode; rule: string } | undefined;
            if (op.kind === "add" || op.kind === "remove") {
              if (op.kind === "add") {
                if (ids.length >= 4) continue;
                a.addDevice(nextId);
                ids = [...ids, nextId++];
              } else {
                if (ids.length <= 1) continue;
                ids = ids.slice(0, -1);
              }
              list = a.deviceList({ deviceIds: ids, version: version + 1n });
            } else if (op.kind === "stale") {
              list = a.deviceList({ deviceIds: ids, version: version - BigInt(Math.min(op.back, Number(version) - 1)) });
              expected = { code: ErrorCode.DEVICE_LIST_STALE, rule: "SERVER-DEVICES-002" };
            } else if (op.kind === "forged-list") {
              list = a.deviceList({ deviceIds: ids, version: version + 1n, signer: newEd25519() });
              expected = { code: ErrorCode.SIGNATURE_INVALID, rule: "SERVER-DEVICES-001" };
            } else if (op.kind === "forged-certificate") {
              a.addDevice(90, { signer: newEd25519() });
              list = a.deviceList({ deviceIds: [...ids, 90], version: version + 1n });
              a.devices.delete(90);
              expected = { code: ErrorCode.CERTIFICATE_INVALID, rule: "SERVER-DEVICES-001" };
            } else {
              const kept = a.devices.get(1)!;
              a.addDevice(1);
              list = a.deviceList({ deviceIds: ids, version: version + 1n });
              a.devices.set(1, kept);
              expected = { code: ErrorCode.CERTIFICATE_INVALID, rule: "SERVER-DEVICES-003" };
            }
            a.version = version;
            const outcome = await me.attempt("publishDeviceList", { deviceList: list });
            if (expected === undefined) {
              const value = expectOk<"publishDeviceList">("SERVER-DEVICES-001", outcome, `publishing a valid list of version ${version + 1n}`);
              version += 1n;
              a.version = version;
              current = list;
              published++;
              check("SERVER-DEVICES-004", value.seq > seqBefore, `the accepted list was answered with seq ${value.seq}, the log was at ${seqBefore}`);
            } else {
              expectRejected(expected.rule, outcome, expected.code, `publishing a list (${op.kind})`);
              const seqAfter = (await me.call("getState", {})).state!.seq;
              check(expected.rule, seqAfter === seqBefore, `a rejected list (${op.kind}) moved the log from ${seqBefore} to ${seqAfter}`);
            }
            const served = (await reader.call("getDeviceList", { accountId: a.accountId })).deviceList!;
            check(expected?.rule ?? "SERVER-DEVICES-001", sameBytes(served.body, current.body) && sameBytes(served.signature, current.signature),
              () => `after ${op.kind}, the served list (body ${hex(served.body).slice(0, 40)}…) is not byte for byte the last accepted one`);
          }
          for (const [who, connection] of [["publisher", me], ["partner", reader]] as const) {
            const changes = (await readWholeLog(connection)).updates.filter((u) => u.kind?.$case === "deviceList" && sameBytes(u.kind.value.accountId, a.accountId));
            check("SERVER-DEVICES-004", changes.length === published, `the ${who}'s log records ${changes.length} device-list changes of the account; ${published} lists were accepted after the conversation started`);
          }
        }),
    ),
});
