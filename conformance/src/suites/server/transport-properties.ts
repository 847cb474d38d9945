// TRANSPORT and the connection half of WIRE: Hello, authentication,
// displacement, malformed frames and connection limits.
import fc from "fast-check";
import { ErrorCode, MAX_DIFFERENCE_LIMIT, MAX_FILE_BYTES, MAX_FRAME_BYTES, MAX_IN_FLIGHT, MAX_MESSAGE_BYTES, MAX_PART_BYTES, MAX_PARTS, MAX_RANGE_BYTES, MAX_REQUEST_ID, errorCodeName, type ProtocolError } from "@kabar/protocol";
import { concatBytes, lengthDelimited, tag, varintField } from "../../generators/wire-writer.js";
import { defineProperty } from "../../registry/property-registry.js";
import { KitAccount, randomBytesOf } from "../../wire-client/keys.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import { ConnectionClosedError } from "../../wire-client/wire-connection.js";
import { answerQueries, chargeableToken, EXAMPLE_PAY } from "../../wire-client/payments.js";
import { check, expectRejected, expectUnchanged, hex, idBytes, inWorld, messagesOf, observeAll, outcomeText, sameBytes } from "./support.js";

defineProperty({
  id: "server.transport.hello",
  rules: ["TRANSPORT-HELLO-001", "TRANSPORT-HELLO-002", "TRANSPORT-HELLO-003", "TRANSPORT-HELLO-004"],
  mode: "server",
  profile: "core",
  description: "Requests before Hello get HELLO_REQUIRED; Hello picks the highest common version or answers VERSION_UNSUPPORTED selecting none; a second Hello is FRAME_FIELD_INVALID; advertised limits stay within the protocol maximums.",
  numRuns: 25,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 8 }), fc.constantFrom("getState", "ping", "getDifference", "registerAccount"), (versions, early) =>
      inWorld(target, transcript, async (world) => {
        const connection = await world.connect("hello");
        const before = early === "ping" ? await connection.attempt("ping", { nonce: 7n })
          : early === "getState" ? await connection.attempt("getState", {})
            : early === "getDifference" ? await connection.attempt("getDifference", { seq: 0n, limit: 0 })
              : await connection.attempt("registerAccount", { identityKey: new KitAccount().identity.publicKey, deviceList: undefined });
        expectRejected("TRANSPORT-HELLO-003", before, ErrorCode.HELLO_REQUIRED, `${early} before Hello`);
        const outcome = await connection.attempt("hello", { versions, clientName: "kabar-conformance" });
        if (!versions.includes(1)) {
          expectRejected("TRANSPORT-HELLO-002", outcome, ErrorCode.VERSION_UNSUPPORTED, `Hello{versions [${versions.join(", ")}]}`);
          if (connection.isOpen) {
            try {
              const next = await connection.attempt("getState", {});
              expectRejected("TRANSPORT-HELLO-002", next, [ErrorCode.HELLO_REQUIRED], "a request after VERSION_UNSUPPORTED (no version may be selected)");
            } catch (error) {
              if (!(error instanceof ConnectionClosedError)) throw error;
            }
          }
          return;
        }
        check("TRANSPORT-HELLO-001", outcome.ok && outcome.value.version === 1, () => `Hello{versions [${versions.join(", ")}]}: ${outcome.ok ? `version ${outcome.value.version}` : outcomeText(outcome)}`);
        const ack = outcome.value;
        const limits = ack.limits;
        check("TRANSPORT-HELLO-004", limits !== undefined && limits.maxFrameBytes <= MAX_FRAME_BYTES && limits.maxInFlight <= MAX_IN_FLIGHT && limits.maxMessageBytes <= MAX_MESSAGE_BYTES && limits.maxDifferenceLimit <= MAX_DIFFERENCE_LIMIT,
          `HelloAck limits exceed the protocol maximums: ${JSON.stringify(limits)}`);
        const files = ack.fileLimits;
        check("TRANSPORT-HELLO-004", files === undefined || (files.partSize <= MAX_PART_BYTES && files.maxParts <= MAX_PARTS && files.maxFileBytes <= BigInt(MAX_FILE_BYTES) && files.maxRangeBytes <= MAX_RANGE_BYTES),
          () => `HelloAck file_limits exceed the protocol maximums: ${JSON.stringify(files, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`);
        const second = await connection.attempt("hello", { versions: [1], clientName: "again" });
        expectRejected("TRANSPORT-HELLO-001", second, ErrorCode.FRAME_FIELD_INVALID, "a second Hello");
      }),
    ),
});

type AuthCase = "bad-signature" | "other-challenge" | "unknown-account" | "unknown-device" | "removed-device" | "wrong-device-key";

defineProperty({
  id: "server.transport.auth",
  rules: ["TRANSPORT-AUTH-001", "TRANSPORT-AUTH-002", "TRANSPORT-AUTH-003"],
  mode: "server",
  profile: "core",
  description: "Challenges are fresh 32-byte values; Authenticate with a bad signature, another connection's challenge, an unknown account, an unknown or removed device gets the same AUTH_FAILED; requests acting for a device before authentication get AUTH_REQUIRED; the rightful device authenticates.",
  numRuns: 25,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constantFrom<AuthCase>("bad-signature", "other-challenge", "unknown-account", "unknown-device", "removed-device", "wrong-device-key"), fc.constantFrom("getState", "sendMessage", "fetchInbox", "uploadPrekeys"), (bad, early) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account({ devices: 2 });
        const a = alice.account;
        await alice.connections[0]!.call("publishDeviceList", { deviceList: a.deviceList({ deviceIds: [1], version: 3n }) });
        const first = await world.connectHello("auth-1");
        const second = await world.connectHello("auth-2");
        check("TRANSPORT-AUTH-001", first.challenge.length === 32 && second.challenge.length === 32 && !Buffer.from(first.challenge).equals(Buffer.from(second.challenge)), "challenges are not fresh 32-byte values");
        const c = first.connection;
        const unauth = early === "getState" ? await c.attempt("getState", {})
          : early === "sendMessage" ? await c.attempt("sendMessage", { conversationId: randomBytesOf(16), clientMessageId: idBytes(1), ciphertext: new Uint8Array([1]), epoch: 0n })
            : early === "fetchInbox" ? await c.attempt("fetchInbox", { afterSeq: 0n, limit: 0 })
              : await c.attempt("uploadPrekeys", { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: [], lastResortKemPrekey: undefined });
        expectRejected("TRANSPORT-AUTH-003", unauth, ErrorCode.AUTH_REQUIRED, `${early} before Authenticate`);
        const stranger = new KitAccount();
        const attempt = {
          "bad-signature": { accountId: a.accountId, deviceId: 1, signature: randomBytesOf(64) },
          "other-challenge": { accountId: a.accountId, deviceId: 1, signature: a.authSignature(second.challenge, 1) },
          "unknown-account": { accountId: stranger.accountId, deviceId: 1, signature: stranger.authSignature(first.challenge, 1) },
          "unknown-device": { accountId: a.accountId, deviceId: 7, signature: a.authSignature(first.challenge, 1) },
          "removed-device": { accountId: a.accountId, deviceId: 2, signature: a.authSignature(first.challenge, 2) },
          "wrong-device-key": { accountId: a.accountId, deviceId: 1, signature: a.authSignature(first.challenge, 2) },
        }[bad];
        const failed = await c.attempt("authenticate", attempt);
        const rule = bad === "other-challenge" ? "TRANSPORT-AUTH-001" : "TRANSPORT-AUTH-002";
        const e1 = expectRejected(rule, failed, ErrorCode.AUTH_FAILED, `Authenticate with ${bad}`);
        // Compare with a plain bad signature on a third connection: identical answers.
        const third = await world.connectHello("auth-3");
        const e2 = expectRejected("TRANSPORT-AUTH-002", await third.connection.attempt("authenticate", { accountId: a.accountId, deviceId: 1, signature: randomBytesOf(64) }), ErrorCode.AUTH_FAILED, "Authenticate with a random signature");
        check("TRANSPORT-AUTH-002", e1.message === e2.message && e1.rule === e2.rule, `AUTH_FAILED differs between ${bad} ("${e1.message}", ${e1.rule}) and a bad signature ("${e2.message}", ${e2.rule})`);
        if (c.isOpen) {
          const after = await c.attempt("getState", {});
          check("TRANSPORT-AUTH-002", !after.ok, "a connection whose Authenticate failed could read state");
        }
        const good = await second.connection.attempt("authenticate", { accountId: a.accountId, deviceId: 1, signature: a.authSignature(second.challenge, 1) });
        check("TRANSPORT-AUTH-002", good.ok, () => `the rightful device could not authenticate: ${outcomeText(good)}`);
      }),
    ),
});

defineProperty({
  id: "server.transport.displacement",
  rules: ["TRANSPORT-CONN-003"],
  mode: "server",
  profile: "core",
  description: "A second connection authenticating as the same device displaces the first: Displaced push, close code 4409, and the newer connection keeps working.",
  numRuns: 5,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), (times) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        let older = alice.connections[0]!;
        for (let i = 0; i < times; i++) {
          const newer = await world.login(alice.account, 1);
          const closed = await Promise.race([older.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 3_000))]);
          check("TRANSPORT-CONN-003", closed !== undefined && closed.code === 4409, `the displaced connection ${closed === undefined ? "stayed open" : `closed with ${closed.code}`}, expected close code 4409`);
          check("TRANSPORT-CONN-003", older.pushes.some((p) => p.$case === "displaced"), "the displaced connection got no Displaced push");
          const state = await newer.attempt("getState", {});
          check("TRANSPORT-CONN-003", state.ok, "the newer connection does not work after displacing the older one");
          older = newer;
        }
      }),
    ),
});

type BadFrame = "text" | "request-id-zero" | "request-id-too-big" | "unknown-body" | "truncated" | "wrong-wire-type-id" | "varint-overflow";

function frameOfRequest(requestFields: Uint8Array): Uint8Array {
  return lengthDelimited(1, requestFields);
}

defineProperty({
  id: "server.transport.bad-frames",
  rules: ["TRANSPORT-CONN-002", "WIRE-FRAME-001", "WIRE-FRAME-003", "WIRE-FRAME-004", "WIRE-ERROR-001"],
  mode: "server",
  profile: "core",
  description: "Malformed frames on an authenticated connection: the right code on the request id when readable, else a ProtocolError push and a close; text messages are FRAME_UNKNOWN_BODY and a close; unknown bodies FRAME_UNKNOWN_BODY; nothing any device observes changes.",
  numRuns: 30,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constantFrom<BadFrame>("text", "request-id-zero", "request-id-too-big", "unknown-body", "truncated", "wrong-wire-type-id", "varint-overflow"), fc.integer({ min: 1, max: 1_000_000 }), (bad, requestId) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const observer = await world.login(bob.account, 1);
        const before = await observeAll([observer]);
        const c = alice.connections[0]!;
        const id = BigInt(requestId);
        const send = lengthDelimited(13, concatBytes(lengthDelimited(1, conversationId), lengthDelimited(2, idBytes(1)), lengthDelimited(3, new Uint8Array([1, 2, 3]))));
        let expectCode: ErrorCode;
        let readable = true;
        let bytes: Uint8Array | string;
        switch (bad) {
          case "text":
            bytes = "hello";
            expectCode = ErrorCode.FRAME_UNKNOWN_BODY;
            readable = false;
            break;
          case "request-id-zero":
            bytes = frameOfRequest(concatBytes(varintField(1, 0), send));
            expectCode = ErrorCode.FRAME_FIELD_INVALID;
            readable = false;
            break;
          case "request-id-too-big":
            bytes = frameOfRequest(concatBytes(varintField(1, MAX_REQUEST_ID + 1n), send));
            expectCode = ErrorCode.FRAME_FIELD_INVALID;
            readable = false;
            break;
          case "unknown-body":
            bytes = frameOfRequest(concatBytes(varintField(1, id), lengthDelimited(99, new Uint8Array([8, 1]))));
            expectCode = ErrorCode.FRAME_UNKNOWN_BODY;
            break;
          case "truncated": {
            const whole = frameOfRequest(concatBytes(varintField(1, id), send));
            bytes = whole.subarray(0, whole.length - 2);
            expectCode = ErrorCode.FRAME_TRUNCATED;
            break;
          }
          case "wrong-wire-type-id":
            bytes = frameOfRequest(concatBytes(lengthDelimited(1, new Uint8Array([1])), send));
            expectCode = ErrorCode.FRAME_WIRE_TYPE_INVALID;
            readable = false;
            break;
          case "varint-overflow":
            bytes = frameOfRequest(concatBytes(varintField(1, id), lengthDelimited(13, concatBytes(lengthDelimited(1, conversationId), lengthDelimited(2, idBytes(1)), lengthDelimited(3, new Uint8Array([1])), tag(4, 0), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])))));
            expectCode = ErrorCode.FRAME_VARINT_OVERFLOW;
            break;
        }
        const rule = bad === "text" ? "WIRE-FRAME-001" : bad.startsWith("request-id") ? "WIRE-FRAME-003" : bad === "unknown-body" ? "WIRE-FRAME-004" : "TRANSPORT-CONN-002";
        const codes = bad === "truncated" ? [ErrorCode.FRAME_TRUNCATED, ErrorCode.FRAME_LENGTH_OUT_OF_BOUNDS] : [expectCode];
        if (readable && typeof bytes !== "string") {
          let response;
          try {
            response = await c.sendFrameBytes(bytes, id, bad);
          } catch (error) {
            // Not answered on a readable request id: the answering itself is TRANSPORT-CONN-002, whatever the code.
            check("TRANSPORT-CONN-002", false, `${bad}: no response on request id ${id} (${(error as Error).message})`);
          }
          const result = response.result;
          check(rule, result?.$case === "error" && codes.includes(result.value.code), () => `${bad}: expected ${codes.map(errorCodeName).join(" or ")} on request ${id}, got ${result?.$case === "error" ? errorCodeName(result.value.code) : result?.$case}`);
        } else {
          c.sendRaw(bytes);
          const closed = await Promise.race([c.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 3_000))]);
          const pushed = c.pushes.find((p): p is { $case: "error"; value: ProtocolError } => p.$case === "error");
          const answered = c.strayResponses.find((r) => r.result?.$case === "error");
          // A request id the server could read as 0 or too big may be answered on that id; otherwise push and close.
          const viaResponse = answered?.result?.$case === "error" && codes.includes(answered.result.value.code);
          check(rule, viaResponse || (pushed !== undefined && codes.includes(pushed.value.code)), () => `${bad}: expected ${codes.map(errorCodeName).join(" or ")} as a push, got ${pushed === undefined ? "none" : errorCodeName(pushed.value.code)}`);
          if (!viaResponse) check(rule, closed !== undefined, `${bad}: the connection stayed open after a frame whose request id cannot be read`);
        }
        await expectUnchanged("WIRE-ERROR-001", [observer], before, `a malformed frame (${bad})`);
        const log = messagesOf((await readWholeLog(observer)).updates);
        check("WIRE-ERROR-001", log.length === 0, `a malformed frame (${bad}) stored a message`);
      }),
    ),
});

defineProperty({
  id: "server.transport.limits",
  rules: ["WIRE-FRAME-002", "TRANSPORT-CONN-001"],
  mode: "server",
  profile: "core",
  description: "A frame above the advertised max_frame_bytes is refused (FRAME_TOO_LARGE or close 1009) without effect; a burst of sends beyond max_in_flight gets TOO_MANY_IN_FLIGHT or success for each; pings faster than the advertised requests_per_second get RATE_LIMITED with a retry delay once more than rate x (t + 2) were sent within t seconds; exactly the accepted sends are stored.",
  numRuns: 3,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 8 }), (over, extra, lateSends) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const limits = world.helloAck!.limits!;
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const before = await observeAll([bob.connections[0]!]);
        const c = await world.login(alice.account, 1);
        const id = c.nextRequestId();
        const big = lengthDelimited(1, concatBytes(varintField(1, id), lengthDelimited(13, concatBytes(lengthDelimited(1, conversationId), lengthDelimited(2, idBytes(1)), lengthDelimited(3, new Uint8Array(limits.maxFrameBytes + over))))));
        let refused = false;
        try {
          const response = await c.sendFrameBytes(big, id, "oversized");
          refused = response.result?.$case === "error" && response.result.value.code === ErrorCode.FRAME_TOO_LARGE;
        } catch (error) {
          refused = error instanceof ConnectionClosedError && error.closeCode === 1009;
        }
        check("WIRE-FRAME-002", refused, `a frame of max_frame_bytes + ${over} was neither FRAME_TOO_LARGE nor closed with 1009`);
        await expectUnchanged("WIRE-FRAME-002", [bob.connections[0]!], before, "an oversized frame");
        const checkRejection = (error: ProtocolError, what: string) => {
          check("TRANSPORT-CONN-001", error.code === ErrorCode.TOO_MANY_IN_FLIGHT || error.code === ErrorCode.RATE_LIMITED, `${what} was rejected with ${errorCodeName(error.code)}`);
          if (error.code === ErrorCode.RATE_LIMITED) check("TRANSPORT-CONN-001", error.retryAfterMs > 0, `${what}: RATE_LIMITED without retry_after_ms`);
        };
        // In flight: fire a burst without waiting.
        const sender = await world.login(alice.account, 1);
        const burst = limits.maxInFlight + extra;
        const outcomes = await Promise.all(Array.from({ length: burst }, (_, n) => sender.attempt("sendMessage", { conversationId, clientMessageId: idBytes(n, 21), ciphertext: new Uint8Array([n & 0xff]), epoch: 0n })));
        let accepted = outcomes.filter((o) => o.ok).length;
        for (const o of outcomes) if (!o.ok) checkRejection(o.error, "a burst send");
        transcript.add("note", `burst of ${burst}: ${accepted} accepted, ${burst - accepted} rejected`);
        // Rate: pings in windows of max_in_flight on a fresh connection, as fast as the kit can.
        // A connection that sent more than rate x (t + 2) requests within t seconds exceeded the
        // advertised rate (a burst allowance of up to two seconds' worth), so one must be RATE_LIMITED.
        const rate = limits.requestsPerSecond;
        const pinger = await world.login(alice.account, 1);
        const windowSize = Math.max(1, Math.min(limits.maxInFlight, 64));
        const cap = Math.min(20_000, Math.max(5 * rate, 1_000));
        const started = performance.now();
        let sent = 0;
        let limited = false;
        while (!limited && sent < cap) {
          const batch = await Promise.all(Array.from({ length: windowSize }, () => pinger.request("ping", { nonce: BigInt(sent++) })));
          for (const { result } of batch) {
            if (result?.$case === "pong") continue;
            check("TRANSPORT-CONN-001", result?.$case === "error", `a ping was answered with ${result?.$case}`);
            checkRejection(result.value, "a ping");
            if (result.value.code === ErrorCode.RATE_LIMITED) limited = true;
          }
          const seconds = (performance.now() - started) / 1000;
          check("TRANSPORT-CONN-001", limited || sent <= rate * (seconds + 2), () => `${sent} pings within ${seconds.toFixed(2)} s on one connection (advertised requests_per_second ${rate}) and none was RATE_LIMITED`);
        }
        transcript.add("note", limited ? `RATE_LIMITED after ${sent} pings` : `the kit could not outpace requests_per_second ${rate} within ${sent} pings: the rate half is inconclusive`);
        if (limited) {
          // Sends while the connection is rate limited: each is stored exactly when accepted.
          const late = await Promise.all(Array.from({ length: lateSends }, (_, n) => pinger.attempt("sendMessage", { conversationId, clientMessageId: idBytes(n, 22), ciphertext: new Uint8Array([n & 0xff]), epoch: 0n })));
          for (const o of late) if (!o.ok) checkRejection(o.error, "a send while rate limited");
          accepted += late.filter((o) => o.ok).length;
        }
        const stored = messagesOf((await readWholeLog(bob.connections[0]!)).updates).length;
        check("TRANSPORT-CONN-001", stored === accepted, `${accepted} sends were accepted but ${stored} are stored`);
      }),
    ),
});

defineProperty({
  id: "server.transport.advertised-limits-enforced",
  rules: ["TRANSPORT-HELLO-004"],
  mode: "server",
  profile: "core",
  description: "The advertised max_message_bytes is the enforced one: a SendMessage at or below it is stored, one above it gets MESSAGE_TOO_LARGE and changes nothing.",
  numRuns: 3,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 1, max: 64 }), (under, over) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const limits = world.helloAck!.limits!;
        const max = limits.maxMessageBytes;
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const c = alice.connections[0]!;
        const fits = await c.attempt("sendMessage", { conversationId, clientMessageId: idBytes(1, 31), ciphertext: new Uint8Array(Math.max(1, max - under)).fill(7), epoch: 0n });
        check("TRANSPORT-HELLO-004", fits.ok, () => `a ciphertext of ${Math.max(1, max - under)} bytes (advertised max_message_bytes ${max}) was refused: ${outcomeText(fits)}`);
        const before = await observeAll([bob.connections[0]!]);
        const tooBig = await c.attempt("sendMessage", { conversationId, clientMessageId: idBytes(2, 31), ciphertext: new Uint8Array(max + over).fill(8), epoch: 0n });
        expectRejected("TRANSPORT-HELLO-004", tooBig, ErrorCode.MESSAGE_TOO_LARGE, `a ciphertext of ${max + over} bytes (advertised max_message_bytes ${max})`);
        await expectUnchanged("TRANSPORT-HELLO-004", [bob.connections[0]!], before, "a message above the advertised max_message_bytes");
      }),
    ),
});

type ActingCase = "send" | "publish-other-list";

defineProperty({
  id: "server.transport.acting-identity",
  rules: ["TRANSPORT-AUTH-004"],
  mode: "server",
  profile: "core",
  description: "The acting account and device come only from the connection's authentication: a message stored from a connection names that connection's account and device as sender, and a device list of another account (validly signed by that account) published on the connection is refused and leaves that account's list unchanged.",
  numRuns: 6,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constantFrom<ActingCase>("send", "publish-other-list"), fc.constantFrom(1, 2), fc.integer({ min: 1, max: 1000 }), (what, deviceId, n) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account({ devices: 2 });
        const bob = await world.account({ devices: 2 });
        const c = alice.connections[deviceId - 1]!;
        const { conversationId } = await world.conversation(c, [bob.account]);
        if (what === "send") {
          await c.call("sendMessage", { conversationId, clientMessageId: idBytes(n, 41), ciphertext: new Uint8Array([n & 0xff, 1]), epoch: 0n });
          const seen = messagesOf((await readWholeLog(bob.connections[0]!)).updates);
          check("TRANSPORT-AUTH-004", seen.length === 1, `Bob's log holds ${seen.length} messages after one send`);
          const m = seen[0]!.message;
          check("TRANSPORT-AUTH-004", sameBytes(m.senderAccountId, alice.account.accountId) && m.senderDeviceId === deviceId,
            () => `a message sent on Alice's device ${deviceId} connection names sender ${hex(m.senderAccountId).slice(0, 8)}/${m.senderDeviceId}`);
          return;
        }
        // Bob's next list (version 3, device 2 removed), signed by Bob, submitted on Alice's connection.
        const bobList = async () => (await bob.connections[0]!.call("getDeviceList", { accountId: bob.account.accountId })).deviceList;
        const listBefore = await bobList();
        const before = await observeAll([bob.connections[0]!]);
        const outcome = await c.attempt("publishDeviceList", { deviceList: bob.account.deviceList({ deviceIds: [1], version: 3n }) });
        check("TRANSPORT-AUTH-004", !outcome.ok, "Alice's connection published a device list for Bob's account");
        const listAfter = await bobList();
        check("TRANSPORT-AUTH-004", listBefore !== undefined && listAfter !== undefined && sameBytes(listBefore.body, listAfter.body) && sameBytes(listBefore.signature, listAfter.signature), "Bob's device list changed after Alice's connection submitted one for Bob");
        await expectUnchanged("TRANSPORT-AUTH-004", [bob.connections[0]!], before, "a device list for another account");
      }),
    ),
});

defineProperty({
  id: "server.transport.in-flight-forced",
  rules: ["TRANSPORT-CONN-001"],
  mode: "server",
  profile: "payments",
  description: "With max_in_flight PayInvoice requests held open by an unanswered pre-checkout query, every further request on the connection gets TOO_MANY_IN_FLIGHT and a send among them stores nothing; once the merchant answers, the held requests complete.",
  numRuns: 2,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 6 }), (extra) =>
      inWorld(target, transcript, async (world) => {
        const merchant = await world.account();
        const payer = await world.account();
        const limits = world.helloAck!.limits!;
        const held = limits.maxInFlight;
        const { conversationId } = await world.conversation(payer.connections[0]!, [merchant.account]);
        const c = payer.connections[0]!;
        // One invoice per held payment, so no server serializes them.
        const invoices = Array.from({ length: held }, () => ({
          invoiceId: randomBytesOf(16), merchantAccountId: merchant.account.accountId, title: "Kit order", description: "in flight", currency: "EUR",
          prices: [{ label: "one", amount: 100n }], providerId: EXAMPLE_PAY, payload: new Uint8Array([1]), expiresAtMs: BigInt(Date.now() + 3_600_000),
        }));
        await Promise.all(invoices.map((invoice) => merchant.connections[0]!.call("publishInvoice", { invoice })));
        let allHeld: () => void = () => undefined;
        const holding = new Promise<void>((resolve) => (allHeld = resolve));
        const answering = answerQueries(merchant.connections[0]!, () => undefined);
        const stopCounting = merchant.connections[0]!.onPush(() => answering.queries.length >= held && allHeld());
        try {
          const pays = Array.from({ length: held }, (_, n) => c.attempt("payInvoice", { idempotencyKey: idBytes(n, 91), invoiceId: invoices[n]!.invoiceId, providerToken: chargeableToken(n) }));
          const settled = Promise.allSettled(pays).then(() => "settled" as const);
          const state = await Promise.race([holding.then(() => "held" as const), settled]);
          if (state !== "held") {
            transcript.add("note", `only ${answering.queries.length} of ${held} payments reached the merchant as pre-checkout queries: in-flight check not forced`);
            return;
          }
          const over = await Promise.all(Array.from({ length: extra }, (_, n) => n % 2 === 0
            ? c.attempt("sendMessage", { conversationId, clientMessageId: idBytes(n, 92), ciphertext: new Uint8Array([n]), epoch: 0n })
            : c.attempt("getState", {})));
          for (const [n, o] of over.entries()) expectRejected("TRANSPORT-CONN-001", o, ErrorCode.TOO_MANY_IN_FLIGHT, `request ${held + n + 1} with ${held} (max_in_flight) PayInvoice requests in flight`);
        } finally {
          stopCounting();
          for (const query of answering.queries) await merchant.connections[0]!.attempt("answerPrecheckout", { queryId: query.queryId, ok: false, errorMessage: "kit" }).catch(() => undefined);
          answering.stop();
        }
        const stored = messagesOf((await readWholeLog(merchant.connections[0]!)).updates).length;
        check("TRANSPORT-CONN-001", stored === 0, `${stored} sends rejected with TOO_MANY_IN_FLIGHT are stored`);
      }),
    ),
});
