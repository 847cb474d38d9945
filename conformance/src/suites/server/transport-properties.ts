// TRANSPORT and the connection half of WIRE: Hello, authentication,
// displacement, malformed frames and connection limits.
import fc from "fast-check";
import { ErrorCode, MAX_DIFFERENCE_LIMIT, MAX_FRAME_BYTES, MAX_IN_FLIGHT, MAX_MESSAGE_BYTES, MAX_REQUEST_ID, errorCodeName, type ProtocolError } from "@kabar/protocol";
import { concatBytes, lengthDelimited, tag, varintField } from "../../generators/wire-writer.js";
import { defineProperty } from "../../registry/property-registry.js";
import { KitAccount, randomBytesOf } from "../../wire-client/keys.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import { ConnectionClosedError } from "../../wire-client/wire-connection.js";
import { check, expectRejected, expectUnchanged, idBytes, inWorld, messagesOf, observeAll, outcomeText } from "./support.js";

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
            check(rule, false, `${bad}: no response on request id ${id} (${(error as Error).message})`);
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
  description: "A frame above the advertised max_frame_bytes is refused (FRAME_TOO_LARGE or close 1009) without effect; a burst of sends beyond max_in_flight gets TOO_MANY_IN_FLIGHT or success for each, and exactly the successful ones are stored.",
  numRuns: 4,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 40 }), (over, extra) =>
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
        // In flight: fire a burst without waiting.
        const sender = await world.login(alice.account, 1);
        const burst = limits.maxInFlight + extra;
        const outcomes = await Promise.all(Array.from({ length: burst }, (_, n) => sender.attempt("sendMessage", { conversationId, clientMessageId: idBytes(n, 21), ciphertext: new Uint8Array([n & 0xff]), epoch: 0n })));
        const accepted = outcomes.filter((o) => o.ok).length;
        for (const o of outcomes) {
          if (!o.ok) {
            check("TRANSPORT-CONN-001", o.error.code === ErrorCode.TOO_MANY_IN_FLIGHT || o.error.code === ErrorCode.RATE_LIMITED, `a burst send was rejected with ${errorCodeName(o.error.code)}`);
            if (o.error.code === ErrorCode.RATE_LIMITED) check("TRANSPORT-CONN-001", o.error.retryAfterMs > 0, "RATE_LIMITED without retry_after_ms");
          }
        }
        const stored = messagesOf((await readWholeLog(bob.connections[0]!)).updates).length;
        check("TRANSPORT-CONN-001", stored === accepted, `${accepted} burst sends were accepted but ${stored} are stored`);
        transcript.add("note", `burst of ${burst}: ${accepted} accepted, ${burst - accepted} rejected`);
      }),
    ),
});
