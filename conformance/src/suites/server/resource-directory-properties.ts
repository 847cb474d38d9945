// Authorization of logs and inboxes (AUTHZ-ACCESS-002), the end of a
// removed device (SERVER-DEVICES-005), the prekey storage bound and claim
// rate limit (SERVER-PREKEY-004, -005), content the server never inspects
// (SERVER-NOPLAIN-001) and error messages that never echo key material or
// ciphertext (WIRE-ERROR-002).
import fc from "fast-check";
import { DeviceCertificateBody, ErrorCode, MAX_PREKEYS_PER_UPLOAD, decodeMessage, MAX_STORED_PREKEYS, errorCodeName, type ProtocolError } from "@kabar/protocol";
import { defineProperty } from "../../registry/property-registry.js";
import { RuleViolation } from "../../registry/rule-violation.js";
import { KitAccount, newEd25519, newX25519Public, randomBytesOf } from "../../wire-client/keys.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import type { WireConnection } from "../../wire-client/wire-connection.js";
import { check, expectOk, expectRejected, hex, idBytes, inWorld, messagesOf, outcomeText, sameBytes } from "./support.js";

/** A ciphertext that names the device it was addressed to and the send it belongs to. */
const tagged = (deviceId: number, send: number, body: Uint8Array): Uint8Array => Uint8Array.from([deviceId, send, ...body]);

async function wholeInbox(connection: WireConnection) {
  return (await connection.call("fetchInbox", { afterSeq: 0n, limit: 0 })).entries;
}

defineProperty({
  id: "server.authz.own-log-and-inbox",
  rules: ["AUTHZ-ACCESS-002"],
  mode: "server",
  profile: "core",
  description: "Per-device messages to a two-device account: each device fetches exactly the entries addressed to it; one device acknowledging leaves the other's inbox whole; an outsider fetches nothing, cannot acknowledge (ACK_INVALID) and its log holds none of the account's conversation messages.",
  numRuns: 8,
  run: ({ target, transcript }) =>
    fc.asyncProperty(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 5 }),
      fc.constantFrom(1, 2), fc.nat(5), fc.integer({ min: 1, max: 3 }),
      (sends, acker, ackAt, conversationMessages) =>
        inWorld(target, transcript, async (world) => {
          const alice = await world.account({ devices: 2 });
          const bob = await world.account();
          const eve = await world.account();
          const b = bob.connections[0]!;
          for (const [n, body] of sends.entries()) {
            await b.call("sendToDevices", {
              clientMessageId: idBytes(n, 21), accountId: alice.account.accountId, deviceListVersion: alice.account.version,
              messages: [1, 2].map((deviceId) => ({ deviceId, ciphertext: tagged(deviceId, n, body) })),
            });
          }
          const { conversationId } = await world.conversation(b, [alice.account]);
          for (let n = 0; n < conversationMessages; n++) await b.call("sendMessage", { conversationId, clientMessageId: idBytes(n, 22), ciphertext: new Uint8Array([0xc0, n]), epoch: 0n });
          for (const deviceId of [1, 2]) {
            const entries = await wholeInbox(alice.connections[deviceId - 1]!);
            const expected = sends.map((body, n) => hex(tagged(deviceId, n, body)));
            const got = entries.map((e) => hex(e.ciphertext));
            check("AUTHZ-ACCESS-002", got.join(",") === expected.join(","), () => `device ${deviceId} fetched [${got.join(", ")}]; the entries addressed to it are [${expected.join(", ")}]`);
          }
          // One device acknowledges part of its inbox: the other device's inbox is untouched.
          const ackConnection = alice.connections[acker - 1]!;
          const own = await wholeInbox(ackConnection);
          const upTo = own[Math.min(ackAt, own.length - 1)]!.inboxSeq;
          await ackConnection.call("ackInbox", { upToSeq: upTo });
          const other = acker === 1 ? 2 : 1;
          const otherEntries = await wholeInbox(alice.connections[other - 1]!);
          check("AUTHZ-ACCESS-002", otherEntries.length === sends.length, `device ${acker} acknowledging up to ${upTo} left device ${other} with ${otherEntries.length} of ${sends.length} entries`);
          // The outsider: nothing to fetch, nothing to acknowledge, none of the conversation in its log.
          const e = eve.connections[0]!;
          const eveInbox = await wholeInbox(e);
          check("AUTHZ-ACCESS-002", eveInbox.length === 0, `an outsider fetched ${eveInbox.length} inbox entries addressed to another account`);
          expectRejected("AUTHZ-ACCESS-002", await e.attempt("ackInbox", { upToSeq: BigInt(sends.length) }), ErrorCode.ACK_INVALID, "an outsider acknowledging inbox entries it never received");
          const otherAfter = await wholeInbox(alice.connections[other - 1]!);
          check("AUTHZ-ACCESS-002", otherAfter.length === sends.length, "an outsider's acknowledgement removed entries of another account's inbox");
          const eveMessages = messagesOf((await readWholeLog(e)).updates);
          check("AUTHZ-ACCESS-002", eveMessages.length === 0, `an outsider's log holds ${eveMessages.length} messages of a conversation it is not in`);
          const aliceMessages = messagesOf((await readWholeLog(alice.connections[1]!)).updates).filter((m) => sameBytes(m.message.conversationId, conversationId));
          check("AUTHZ-ACCESS-002", aliceMessages.length === conversationMessages, `a member's log holds ${aliceMessages.length} of the ${conversationMessages} conversation messages`);
        }),
    ),
});

defineProperty({
  id: "server.devices.removed-device-revoked",
  rules: ["SERVER-DEVICES-005"],
  mode: "server",
  profile: "core",
  description: "A list dropping devices ends their open connections (a ProtocolError push with AUTH_FAILED, then close 4403), they can no longer authenticate (AUTH_FAILED), and their prekeys are no longer handed out (claims name only the kept devices; naming a removed one is NOT_FOUND).",
  numRuns: 6,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.nat(3), (count, drop, oneTime) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account({ devices: count, prekeys: true, oneTimePreKeys: oneTime });
        const ids = Array.from({ length: count }, (_, i) => i + 1);
        let removed = ids.filter((id) => id > 1 && drop[id - 2] === true);
        if (removed.length === 0) removed = [count];
        const kept = ids.filter((id) => !removed.includes(id));
        const claimer = await world.account();
        await alice.connections[0]!.call("publishDeviceList", { deviceList: alice.account.deviceList({ deviceIds: kept }) });
        for (const id of removed) {
          const connection = alice.connections[id - 1]!;
          // The publisher has its answer, so the removal is committed: the removed device may no longer be served.
          const served = await connection.attempt("getState", {}).catch(() => undefined);
          check("SERVER-DEVICES-005", served === undefined || !served.ok, `removed device ${id} is still served (GetState succeeded) after the list dropping it was accepted`);
          const closed = await Promise.race([connection.closed, new Promise<undefined>((done) => setTimeout(() => done(undefined), 5_000).unref())]);
          check("SERVER-DEVICES-005", closed !== undefined, `the connection of removed device ${id} is still open 5 s after the list dropping it was accepted`);
          check("SERVER-DEVICES-005", closed.code === 4403, `the connection of removed device ${id} closed with code ${closed.code}, not 4403`);
          const pushed = connection.pushes.some((p) => p.$case === "error" && p.value.code === ErrorCode.AUTH_FAILED);
          check("SERVER-DEVICES-005", pushed, `removed device ${id} got no ProtocolError push with AUTH_FAILED before its connection closed`);
          const { connection: again, challenge } = await world.connectHello(`removed/${id}`);
          expectRejected("SERVER-DEVICES-005", await again.attempt("authenticate", { accountId: alice.account.accountId, deviceId: id, signature: alice.account.authSignature(challenge, id) }),
            ErrorCode.AUTH_FAILED, `authenticating removed device ${id}`);
        }
        const bundles = (await claimer.connections[0]!.call("claimPrekeys", { accountId: alice.account.accountId, deviceIds: [] })).bundles;
        const handed = bundles.map((b) => (b.certificate === undefined ? -1 : decodeMessage(DeviceCertificateBody, b.certificate.body).deviceId)).sort((x, y) => x - y);
        check("SERVER-DEVICES-005", handed.join(",") === kept.join(","), `after removing [${removed.join(", ")}], a claim handed out bundles of devices [${handed.join(", ")}]; the list names [${kept.join(", ")}]`);
        expectRejected("SERVER-DEVICES-005", await claimer.connections[0]!.attempt("claimPrekeys", { accountId: alice.account.accountId, deviceIds: [removed[0]!] }), ErrorCode.NOT_FOUND,
          `claiming the prekeys of removed device ${removed[0]}`);
      }),
    ),
});

type Kind = "one-time" | "kem";

/** `count` prekeys of `kind` for device 1 of `account`, ids from `from`. */
function prekeysOf(account: KitAccount, kind: Kind, from: number, count: number) {
  return kind === "one-time"
    ? { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: account.oneTimePreKeys(from, count), lastResortKemPrekey: undefined }
    : { signedPrekey: undefined, kemPrekeys: Array.from({ length: count }, (_, i) => account.kemPreKey(1, from + i)), oneTimePrekeys: [], lastResortKemPrekey: undefined };
}

async function storedCount(connection: WireConnection, kind: Kind): Promise<number> {
  const counts = await connection.call("uploadPrekeys", { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: [], lastResortKemPrekey: undefined });
  return kind === "one-time" ? counts.oneTimePrekeys : counts.kemPrekeys;
}

defineProperty({
  id: "server.prekeys.stored-limit",
  rules: ["SERVER-PREKEY-004"],
  mode: "server",
  profile: "core",
  description: "A device filled to near MAX_STORED_PREKEYS one-time prekeys of one kind: an upload that would exceed the maximum is PREKEY_LIMIT and stores none of its keys; an upload reaching it exactly is accepted.",
  numRuns: 3,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constantFrom<Kind>("one-time", "kem"), fc.integer({ min: 1, max: MAX_PREKEYS_PER_UPLOAD - 1 }), fc.integer({ min: 1, max: 50 }), (kind, gap, extra) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const c = alice.connections[0]!;
        const fill = MAX_STORED_PREKEYS - gap;
        let next = 10_000;
        for (let stored = 0; stored < fill;) {
          const n = Math.min(MAX_PREKEYS_PER_UPLOAD, fill - stored);
          expectOk<"uploadPrekeys">("SERVER-PREKEY-004", await c.attempt("uploadPrekeys", prekeysOf(alice.account, kind, next, n)), `uploading ${n} ${kind} prekeys (${stored + n} of ${MAX_STORED_PREKEYS})`);
          next += n;
          stored += n;
        }
        check("SERVER-PREKEY-004", (await storedCount(c, kind)) === fill, `the device should hold ${fill} ${kind} prekeys`);
        const over = Math.min(MAX_PREKEYS_PER_UPLOAD, gap + extra);
        expectRejected("SERVER-PREKEY-004", await c.attempt("uploadPrekeys", prekeysOf(alice.account, kind, next, over)), ErrorCode.PREKEY_LIMIT,
          `uploading ${over} ${kind} prekeys onto ${fill} stored (maximum ${MAX_STORED_PREKEYS})`);
        const after = await storedCount(c, kind);
        check("SERVER-PREKEY-004", after === fill, `the rejected upload changed the stored ${kind} prekeys from ${fill} to ${after}`);
        expectOk<"uploadPrekeys">("SERVER-PREKEY-004", await c.attempt("uploadPrekeys", prekeysOf(alice.account, kind, next + over, gap)), `uploading ${gap} ${kind} prekeys to reach exactly ${MAX_STORED_PREKEYS}`);
        check("SERVER-PREKEY-004", (await storedCount(c, kind)) === MAX_STORED_PREKEYS, `the device should hold exactly ${MAX_STORED_PREKEYS} ${kind} prekeys`);
      }),
    ),
});

/** The claim rate the kit requires a limit below (SERVER-PREKEY-005): claims of one bundle per minute. */
const CLAIM_BOUND = 1_000;

defineProperty({
  id: "server.prekeys.claim-rate-limit",
  rules: ["SERVER-PREKEY-005"],
  mode: "server",
  profile: "core",
  description: `One account claims one bundle at a time: within ${CLAIM_BOUND} claims a claim is RATE_LIMITED with a non-zero retry_after_ms; rate-limited claims hand out no one-time prekey (the target's stored count drops only by the claims that succeeded); another account can still claim.`,
  numRuns: 2,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 8, max: 32 }), (oneTime, batch) =>
      inWorld(target, transcript, async (world) => {
        const decoy = await world.account({ prekeys: true });
        const alice = await world.account({ prekeys: true, oneTimePreKeys: oneTime });
        const claimer = (await world.account()).connections[0]!;
        const claim = (accountId: Uint8Array) => claimer.attempt("claimPrekeys", { accountId, deviceIds: [1] });
        let limited: ProtocolError | undefined;
        for (let sent = 0; sent < CLAIM_BOUND + batch && limited === undefined; sent += batch) {
          const outcomes = await Promise.all(Array.from({ length: batch }, () => claim(decoy.account.accountId)));
          for (const o of outcomes) {
            if (o.ok) continue;
            if (o.error.code !== ErrorCode.RATE_LIMITED) throw new RuleViolation("SERVER-PREKEY-005", `a claim failed with ${outcomeText(o)}`);
            limited ??= o.error;
          }
        }
        check("SERVER-PREKEY-005", limited !== undefined, `${CLAIM_BOUND + batch} claims by one account within seconds were never RATE_LIMITED`);
        check("SERVER-PREKEY-005", limited.retryAfterMs > 0, "RATE_LIMITED came with retry_after_ms 0");
        // Claims of alice while limited: only the ones that succeed may take a one-time prekey.
        let succeeded = 0;
        let limitedAgain = false;
        for (let i = 0; i < 50 && !limitedAgain; i++) {
          const o = await claim(alice.account.accountId);
          if (o.ok) succeeded++;
          else if (o.error.code === ErrorCode.RATE_LIMITED) {
            limitedAgain = true;
            check("SERVER-PREKEY-005", o.error.retryAfterMs > 0, "RATE_LIMITED came with retry_after_ms 0");
          } else throw new RuleViolation("SERVER-PREKEY-005", `a claim failed with ${outcomeText(o)}`);
        }
        check("SERVER-PREKEY-005", limitedAgain, "a limited account was no longer limited within 50 further claims");
        const left = await storedCount(alice.connections[0]!, "one-time");
        check("SERVER-PREKEY-005", left === Math.max(0, oneTime - succeeded), `${succeeded} successful claims of ${oneTime} one-time prekeys left ${left}: a rate-limited claim handed out a key`);
        const other = (await world.account()).connections[0]!;
        expectOk<"claimPrekeys">("SERVER-PREKEY-005", await other.attempt("claimPrekeys", { accountId: decoy.account.accountId, deviceIds: [1] }), "a claim by another account while the first is limited");
      }),
    ),
});

defineProperty({
  id: "server.noplain.opaque-content",
  rules: ["SERVER-NOPLAIN-001"],
  mode: "server",
  profile: "core",
  description: "Arbitrary bytes as conversation and per-device ciphertexts (not protobuf, not UTF-8, anything) are accepted and delivered byte-identical: the server never parses end-to-end content.",
  numRuns: 10,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 600 }), { minLength: 1, maxLength: 4 }), fc.uint8Array({ minLength: 1, maxLength: 600 }), (contents, direct) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const a = alice.connections[0]!;
        const { conversationId } = await world.conversation(a, [bob.account]);
        for (const [n, ciphertext] of contents.entries()) {
          const sent = await a.attempt("sendMessage", { conversationId, clientMessageId: idBytes(n, 23), ciphertext, epoch: 0n });
          check("SERVER-NOPLAIN-001", sent.ok, () => `the ciphertext ${hex(ciphertext).slice(0, 64)} was refused: ${outcomeText(sent)}`);
        }
        const got = messagesOf((await readWholeLog(bob.connections[0]!)).updates).map((m) => hex(m.message.ciphertext));
        check("SERVER-NOPLAIN-001", got.join(",") === contents.map(hex).join(","), "the conversation ciphertexts were not delivered byte-identical");
        const sent = await a.attempt("sendToDevices", { clientMessageId: idBytes(99, 23), accountId: bob.account.accountId, deviceListVersion: bob.account.version, messages: [{ deviceId: 1, ciphertext: direct }] });
        check("SERVER-NOPLAIN-001", sent.ok, () => `the per-device ciphertext ${hex(direct).slice(0, 64)} was refused: ${outcomeText(sent)}`);
        const inbox = await wholeInbox(bob.connections[0]!);
        check("SERVER-NOPLAIN-001", inbox.length === 1 && sameBytes(inbox[0]!.ciphertext, direct), "the per-device ciphertext was not delivered byte-identical");
      }),
    ),
});

/** Whether `message` shows 8 consecutive bytes of `secret`, in hex, base64 or base64url. */
function leaks(message: string, secret: Uint8Array): string | undefined {
  const lower = message.toLowerCase();
  for (let i = 0; i + 8 <= secret.length; i++) {
    const window = Buffer.from(secret.subarray(i, i + 8)).toString("hex");
    if (lower.includes(window)) return `hex ${window}`;
  }
  for (let shift = 0; shift < 3; shift++) {
    const tail = Buffer.from(secret.subarray(shift));
    for (const encoding of ["base64", "base64url"] as const) {
      const text = tail.toString(encoding).replace(/=+$/, "");
      for (let i = 0; i + 12 <= text.length; i += 4) if (message.includes(text.slice(i, i + 12))) return `${encoding} ${text.slice(i, i + 12)}`;
    }
  }
  return undefined;
}

type Bad = "signed-prekey-signature" | "one-time-length" | "kem-signature" | "oversized-ciphertext" | "unknown-conversation" | "forged-list" | "auth-signature";

defineProperty({
  id: "server.errors.no-secrets-in-messages",
  rules: ["WIRE-ERROR-002"],
  mode: "server",
  profile: "core",
  description: "Requests rejected because of their keys, signatures or ciphertexts (bad prekey signatures, wrong-length keys, oversized or misaddressed ciphertexts, forged device lists, wrong authentication signatures): no error message shows 8 consecutive bytes of them in hex or base64.",
  numRuns: 10,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constantFrom<Bad>("signed-prekey-signature", "one-time-length", "kem-signature", "oversized-ciphertext", "unknown-conversation", "forged-list", "auth-signature"), fc.uint8Array({ minLength: 16, maxLength: 64 }), (bad, content) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const a = alice.connections[0]!;
        const account = alice.account;
        let secrets: Uint8Array[];
        let outcome: { ok: true; value: unknown } | { ok: false; error: ProtocolError };
        switch (bad) {
          case "signed-prekey-signature": {
            const key = { id: 7, publicKey: newX25519Public(), signature: randomBytesOf(64) };
            secrets = [key.publicKey, key.signature];
            outcome = await a.attempt("uploadPrekeys", { signedPrekey: key, kemPrekeys: [], oneTimePrekeys: [], lastResortKemPrekey: undefined });
            break;
          }
          case "one-time-length": {
            const key = { id: 8, publicKey: Uint8Array.from([...content, 1]).subarray(0, 33) };
            secrets = [key.publicKey];
            outcome = await a.attempt("uploadPrekeys", { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: [key], lastResortKemPrekey: undefined });
            break;
          }
          case "kem-signature": {
            const key = { ...account.kemPreKey(1, 9), signature: new KitAccount().kemPreKey(1, 9).signature };
            secrets = [key.publicKey.subarray(0, 64), key.signature];
            outcome = await a.attempt("uploadPrekeys", { signedPrekey: undefined, kemPrekeys: [key], oneTimePrekeys: [], lastResortKemPrekey: undefined });
            break;
          }
          case "oversized-ciphertext": {
            const bob = await world.account();
            const { conversationId } = await world.conversation(a, [bob.account]);
            const max = world.helloAck!.limits!.maxMessageBytes;
            const ciphertext = new Uint8Array(max + 1);
            ciphertext.set(content);
            secrets = [content];
            outcome = await a.attempt("sendMessage", { conversationId, clientMessageId: idBytes(1, 24), ciphertext, epoch: 0n });
            break;
          }
          case "unknown-conversation":
            secrets = [content];
            outcome = await a.attempt("sendMessage", { conversationId: randomBytesOf(16), clientMessageId: idBytes(2, 24), ciphertext: content, epoch: 0n });
            break;
          case "forged-list": {
            const list = account.deviceList({ deviceIds: [1], version: 2n, signer: newEd25519() });
            secrets = [list.signature, list.body];
            outcome = await a.attempt("publishDeviceList", { deviceList: list });
            break;
          }
          case "auth-signature": {
            const { connection, challenge } = await world.connectHello("bad-auth");
            const signature = account.authSignature(randomBytesOf(challenge.length), 1);
            secrets = [signature, challenge];
            outcome = await connection.attempt("authenticate", { accountId: account.accountId, deviceId: 1, signature });
            break;
          }
        }
        check("WIRE-ERROR-002", !outcome.ok, `the request (${bad}) should have been rejected`);
        const message = (outcome as { ok: false; error: ProtocolError }).error.message;
        for (const secret of secrets) {
          const shown = leaks(message, secret);
          check("WIRE-ERROR-002", shown === undefined, () => `the ${errorCodeName((outcome as { ok: false; error: ProtocolError }).error.code)} message for ${bad} shows the request's bytes (${shown}): "${message.slice(0, 200)}"`);
        }
      }),
    ),
});
