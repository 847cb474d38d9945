// SYNC sending rules: idempotent retries (through a fault proxy that cuts
// the connection before the response), fan-out to every device of every
// member, gap-free sequence numbers under concurrent writers, byte-identical
// ciphertexts, message size limits, durability across a crash, and
// ciphertexts the server must neither inspect nor route by.
import fc from "fast-check";
import { ErrorCode, encodeFrame } from "@kabar/protocol";
import { startFaultProxy, type FaultAction } from "../../proxy/fault-proxy.js";
import { defineProperty } from "../../registry/property-registry.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import { ConnectionClosedError, type WireConnection } from "../../wire-client/wire-connection.js";
import { check, checkGapFree, expectOk, expectRejected, expectUnchanged, hex, idBytes, inWorld, messagesOf, observeAll, outcomeText, sameBytes } from "./support.js";

const bodyBytes = (n: number, length = 8): Uint8Array => Uint8Array.from({ length }, (_, i) => (n * 31 + i * 7 + 1) & 0xff);

defineProperty({
  id: "server.sync.send-idempotent",
  rules: ["SYNC-SEND-002", "SYNC-SEND-003"],
  mode: "server",
  profile: "core",
  description: "Sends with reused client message ids, some retried after the fault proxy cut the connection before the response: the same id and bytes return the first response and store nothing new; the same id with other bytes is IDEMPOTENCY_CONFLICT.",
  numRuns: 15,
  run: ({ target, transcript }) =>
    fc.asyncProperty(
      fc.array(fc.record({ id: fc.nat(3), body: fc.nat(2), device: fc.nat(1), cut: fc.boolean() }), { minLength: 2, maxLength: 10 }),
      (sends) =>
        inWorld(target, transcript, async (world) => {
          let cutNext = false;
          const proxy = await startFaultProxy(target.url, (event): FaultAction => {
            if (cutNext && event.direction === "to-client") {
              cutNext = false;
              return { kind: "disconnect" };
            }
            return { kind: "pass" };
          });
          try {
            const alice = await world.account({ devices: 2 });
            const bob = await world.account();
            const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
            const viaProxy: (WireConnection | undefined)[] = [undefined, undefined];
            const deviceConnection = async (index: number): Promise<WireConnection> => {
              const existing = viaProxy[index];
              if (existing?.isOpen === true) return existing;
              const fresh = await world.login(alice.account, index + 1, proxy.url);
              viaProxy[index] = fresh;
              return fresh;
            };
            const first = new Map<number, { body: number; seq: bigint; serverTimeMs: bigint }>();
            for (const send of sends) {
              const request = { conversationId, clientMessageId: idBytes(send.id), ciphertext: bodyBytes(send.body), epoch: 0n };
              let connection = await deviceConnection(send.device);
              let outcome;
              cutNext = send.cut;
              try {
                outcome = await connection.attempt("sendMessage", request);
              } catch (error) {
                if (!(error instanceof ConnectionClosedError)) throw error;
                // The response was lost: retry on a new connection, as a client must.
                transcript.add("note", `connection cut before the response of id ${send.id}; retrying`);
                cutNext = false;
                connection = await deviceConnection(send.device);
                outcome = await connection.attempt("sendMessage", request);
              }
              cutNext = false;
              const earlier = first.get(send.id);
              if (earlier === undefined) {
                const value = expectOk<"sendMessage">("SYNC-SEND-002", outcome, `first send of id ${send.id}`);
                first.set(send.id, { body: send.body, seq: value.seq, serverTimeMs: value.serverTimeMs });
              } else if (earlier.body === send.body) {
                const value = expectOk<"sendMessage">("SYNC-SEND-002", outcome, `retry of id ${send.id} with the same bytes`);
                check("SYNC-SEND-002", value.seq === earlier.seq && value.serverTimeMs === earlier.serverTimeMs, `retry of id ${send.id} answered seq ${value.seq} time ${value.serverTimeMs}, the first send ${earlier.seq} time ${earlier.serverTimeMs}`);
              } else {
                expectRejected("SYNC-SEND-003", outcome, ErrorCode.IDEMPOTENCY_CONFLICT, `id ${send.id} reused with other bytes`);
              }
            }
            // The proxied logins displaced the sender's direct connections: read through a new one.
            const senderView = await world.login(alice.account, 1);
            for (const [who, connection] of [["sender", senderView], ["recipient", bob.connections[0]!]] as const) {
              const messages = messagesOf((await readWholeLog(connection)).updates);
              check("SYNC-SEND-002", messages.length === first.size, `the ${who}'s log holds ${messages.length} messages for ${first.size} distinct client message ids`);
              for (const [id, sent] of first) {
                const stored = messages.filter((m) => sameBytes(m.message.clientMessageId, idBytes(id)));
                check("SYNC-SEND-002", stored.length === 1, `the ${who}'s log holds id ${id} ${stored.length} times`);
                check("SYNC-SEND-003", sameBytes(stored[0]!.message.ciphertext, bodyBytes(sent.body)), `the ${who}'s log holds id ${id} with bytes other than the first send's`);
              }
            }
          } finally {
            await proxy.close();
          }
        }),
    ),
});

defineProperty({
  id: "server.sync.fan-out",
  rules: ["SYNC-SEND-001", "SYNC-LOG-001", "SYNC-LOG-004", "SYNC-NOPLAIN-001", "AUTHZ-ACCESS-003"],
  mode: "server",
  profile: "core",
  description: "Members with several devices, some offline, send in concurrent batches: every member's log holds each message once, byte-identical, with the sender taken from the connection, at gap-free sequence numbers; the response seq is the update's seq in the sender's log; outsiders get nothing (pushes: server.sync.push-on-commit).",
  numRuns: 12,
  run: ({ target, transcript }) =>
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 }),
      fc.array(fc.array(fc.record({ member: fc.nat(2), device: fc.nat(2), length: fc.integer({ min: 1, max: 300 }) }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
      (deviceCounts, batches, offline) =>
        inWorld(target, transcript, async (world) => {
          const members: Awaited<ReturnType<typeof world.account>>[] = [];
          for (const devices of deviceCounts) members.push(await world.account({ devices }));
          const outsider = await world.account();
          const { conversationId } = await world.conversation(members[0]!.connections[0]!, members.slice(1).map((m) => m.account));
          // Offline devices disconnect now and read their logs only at the end.
          const online = members.map((m, mi) => m.connections.map((_, di) => !offline[mi * 3 + di]));
          for (const [mi, m] of members.entries()) for (const [di, c] of m.connections.entries()) if (!online[mi]![di]) await c.close();
          const sent: { member: number; device: number; id: Uint8Array; ciphertext: Uint8Array; seq: bigint }[] = [];
          let counter = 0;
          for (const batch of batches) {
            const results = await Promise.all(batch.map(async (s) => {
              let mi = s.member % members.length;
              let di = s.device % members[mi]!.connections.length;
              if (!online[mi]![di]) {
                const firstOnline = online.flatMap((row, i) => row.map((on, j) => [i, j, on] as const)).find(([, , on]) => on);
                if (firstOnline === undefined) return undefined;
                [mi, di] = [firstOnline[0], firstOnline[1]];
              }
              const n = counter++;
              const id = idBytes(n, 7);
              const ciphertext = Uint8Array.from({ length: s.length }, (_, i) => (n * 13 + i) & 0xff);
              const response = await members[mi]!.connections[di]!.call("sendMessage", { conversationId, clientMessageId: id, ciphertext, epoch: 0n });
              return { member: mi, device: di, id, ciphertext, seq: response.seq };
            }));
            for (const r of results) if (r !== undefined) sent.push(r);
          }
          // Every device, the offline ones reconnecting, reads the whole log.
          for (const [mi, m] of members.entries()) {
            for (const deviceId of m.account.devices.keys()) {
              const connection = online[mi]![deviceId - 1] ? m.connections[deviceId - 1]! : await world.login(m.account, deviceId);
              const who = `member ${mi + 1} device ${deviceId}`;
              const log = await readWholeLog(connection);
              const messages = messagesOf(log.updates);
              // Missing messages first: a log that lacks some also has gaps, and the more specific finding is the fan-out.
              check("SYNC-SEND-001", messages.length === sent.length, `${who} sees ${messages.length} of ${sent.length} messages`);
              checkGapFree("SYNC-LOG-001", log.updates, 0n, who);
              for (const s of sent) {
                const found = messages.filter((x) => sameBytes(x.message.clientMessageId, s.id) && sameBytes(x.message.senderAccountId, members[s.member]!.account.accountId));
                check("SYNC-SEND-001", found.length === 1, `${who} sees message ${hex(s.id)} ${found.length} times`);
                const message = found[0]!.message;
                check("SYNC-NOPLAIN-001", sameBytes(message.ciphertext, s.ciphertext), `${who} got message ${hex(s.id)} with other bytes than sent`);
                check("AUTHZ-ACCESS-003", message.senderDeviceId === s.device + 1, `${who}: message ${hex(s.id)} names sender device ${message.senderDeviceId}, sent by ${s.device + 1}`);
                check("SYNC-LOG-004", sameBytes(message.conversationId, conversationId), `${who}: message ${hex(s.id)} names another conversation`);
                if (mi === s.member) check("SYNC-SEND-001", found[0]!.update.seq === s.seq, `the response to ${hex(s.id)} said seq ${s.seq}, the sender's log has it at ${found[0]!.update.seq}`);
              }
            }
          }
          const outsiderLog = await readWholeLog(outsider.connections[0]!);
          check("SYNC-LOG-004", messagesOf(outsiderLog.updates).length === 0, "an account outside the conversation received its messages");
        }),
    ),
});

defineProperty({
  id: "server.sync.message-size",
  rules: ["SYNC-SEND-005", "WIRE-ERROR-001"],
  mode: "server",
  profile: "core",
  description: "An empty ciphertext is FRAME_FIELD_INVALID and one over the advertised max_message_bytes MESSAGE_TOO_LARGE, neither changing what any device observes; accepted ciphertexts up to the limit are served byte for byte.",
  numRuns: 8,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 0, max: 64 }), (over, under) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const max = world.helloAck!.limits!.maxMessageBytes;
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const devices = [alice.connections[0]!, bob.connections[0]!];
        const before = await observeAll(devices);
        const empty = await alice.connections[0]!.attempt("sendMessage", { conversationId, clientMessageId: idBytes(1), ciphertext: new Uint8Array(0), epoch: 0n });
        expectRejected("SYNC-SEND-005", empty, ErrorCode.FRAME_FIELD_INVALID, "an empty ciphertext");
        await expectUnchanged("WIRE-ERROR-001", devices, before, "an empty ciphertext");
        const big = await alice.connections[0]!.attempt("sendMessage", { conversationId, clientMessageId: idBytes(2), ciphertext: new Uint8Array(max + over).fill(7), epoch: 0n });
        expectRejected("SYNC-SEND-005", big, ErrorCode.MESSAGE_TOO_LARGE, `a ciphertext of max_message_bytes + ${over}`);
        await expectUnchanged("WIRE-ERROR-001", devices, before, "an oversized ciphertext");
        const exact = Uint8Array.from({ length: max - under }, (_, i) => (i * 151 + under) & 0xff);
        const fits = await alice.connections[0]!.attempt("sendMessage", { conversationId, clientMessageId: idBytes(3), ciphertext: exact, epoch: 0n });
        check("SYNC-SEND-005", fits.ok, () => `a ciphertext of max_message_bytes - ${under} was rejected: ${outcomeText(fits)}`);
        const stored = messagesOf((await readWholeLog(bob.connections[0]!)).updates);
        check("SYNC-SEND-005", stored.length === 1 && sameBytes(stored[0]!.message.ciphertext, exact), "the accepted ciphertext is not served byte for byte");
      }),
    ),
});

defineProperty({
  id: "server.sync.durable-acks",
  rules: ["SYNC-LOG-002"],
  mode: "server",
  profile: "core",
  description: "Concurrent sends, then the server is killed (restart with crash): every acknowledged send is still in the log afterwards, exactly once, at the seq it was acknowledged with.",
  numRuns: 3,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 }), (count, writers) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account({ devices: Math.min(writers, 3) });
        const bob = await world.account();
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const acknowledged: { id: Uint8Array; seq: bigint }[] = [];
        await Promise.all(Array.from({ length: count }, async (_, n) => {
          const id = idBytes(n, 99);
          const response = await alice.connections[n % alice.connections.length]!.call("sendMessage", { conversationId, clientMessageId: id, ciphertext: bodyBytes(n, 32), epoch: 0n });
          acknowledged.push({ id, seq: response.seq });
        }));
        transcript.add("note", `${acknowledged.length} sends acknowledged; killing the server`);
        await world.close();
        world.url = await target.restart({ crash: true });
        const after = await world.login(alice.account, 1);
        const log = messagesOf((await readWholeLog(after)).updates);
        for (const a of acknowledged) {
          const found = log.filter((m) => sameBytes(m.message.clientMessageId, a.id));
          check("SYNC-LOG-002", found.length === 1, `acknowledged send ${hex(a.id)} (seq ${a.seq}) is in the log ${found.length} times after the crash`);
          check("SYNC-LOG-002", found[0]!.update.seq === a.seq, `acknowledged send ${hex(a.id)} was at seq ${a.seq}, after the crash at ${found[0]!.update.seq}`);
        }
      }),
    ),
});

type OpaqueCiphertext =
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "routing-json" }
  | { readonly kind: "nested-frame" };

const opaqueCiphertext: fc.Arbitrary<OpaqueCiphertext> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({ kind: "bytes" as const, bytes })),
  fc.constantFrom(Uint8Array.of(0), Uint8Array.of(0xff, 0xfe, 0xfd), Uint8Array.of(0xc3), Uint8Array.of(0x0a, 0x00, 0x12)).map((bytes) => ({ kind: "bytes" as const, bytes })),
  fc.string({ minLength: 1, maxLength: 80 }).map((text) => ({ kind: "text" as const, text })),
  fc.constant({ kind: "routing-json" as const }),
  fc.constant({ kind: "nested-frame" as const }),
);

defineProperty({
  id: "server.sync.ciphertext-opaque",
  rules: ["SYNC-SEND-006"],
  mode: "server",
  profile: "core",
  description: "Ciphertexts that are random bytes, invalid UTF-8, plain text, JSON naming another conversation and account, or an encoded Kabar frame addressed elsewhere are all accepted in SendMessage and SendToDevices, served byte for byte, and routed by the request's metadata only: nothing reaches the conversation or account their content names.",
  numRuns: 10,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.array(opaqueCiphertext, { minLength: 1, maxLength: 6 }), (generated) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const carol = await world.account();
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const elsewhere = await world.conversation(alice.connections[0]!, [carol.account]);
        const misleading = { conversationId: elsewhere.conversationId, clientMessageId: idBytes(900), ciphertext: Uint8Array.of(1), epoch: 0n };
        const bytesOf = (c: OpaqueCiphertext): Uint8Array => {
          switch (c.kind) {
            case "bytes":
              return c.bytes;
            case "text":
              return new TextEncoder().encode(c.text);
            case "routing-json":
              return new TextEncoder().encode(JSON.stringify({ conversation_id: hex(elsewhere.conversationId), to: hex(carol.account.accountId), body: "hello" }));
            case "nested-frame":
              return encodeFrame({ kind: { $case: "request", value: { requestId: 1n, body: { $case: "sendMessage", value: misleading } } } });
          }
        };
        // Every case carries one ciphertext that reads as routing metadata.
        const ciphertexts = [...generated, { kind: "routing-json" as const }].map(bytesOf);
        for (const [n, ciphertext] of ciphertexts.entries()) {
          const outcome = await alice.connections[0]!.attempt("sendMessage", { conversationId, clientMessageId: idBytes(n, 606), ciphertext, epoch: 0n });
          check("SYNC-SEND-006", outcome.ok, () => `SendMessage with a ${ciphertext.length}-byte ciphertext ${hex(ciphertext.slice(0, 24))}… was rejected by its content: ${outcomeText(outcome)}`);
        }
        const entry = ciphertexts[0]!;
        const device = await alice.connections[0]!.attempt("sendToDevices", { clientMessageId: idBytes(999, 606), accountId: bob.account.accountId, messages: [{ deviceId: 1, ciphertext: entry }], deviceListVersion: 0n });
        check("SYNC-SEND-006", device.ok, () => `SendToDevices with the ciphertext ${hex(entry.slice(0, 24))}… was rejected: ${outcomeText(device)}`);
        const received = messagesOf((await readWholeLog(bob.connections[0]!)).updates);
        check("SYNC-SEND-006", received.length === ciphertexts.length, `the recipient's log holds ${received.length} of ${ciphertexts.length} messages`);
        received.forEach((m, i) => {
          check("SYNC-SEND-006", sameBytes(m.message.conversationId, conversationId), `message ${i} is filed under another conversation`);
          check("SYNC-SEND-006", sameBytes(m.message.ciphertext, ciphertexts[i]!), `message ${i} was served as ${hex(m.message.ciphertext.slice(0, 24))}…, sent as ${hex(ciphertexts[i]!.slice(0, 24))}…`);
        });
        const inbox = await bob.connections[0]!.call("fetchInbox", { afterSeq: 0n, limit: 0 });
        check("SYNC-SEND-006", inbox.entries.length === 1 && sameBytes(inbox.entries[0]!.ciphertext, entry), "the inbox entry is not the ciphertext sent");
        const carolLog = messagesOf((await readWholeLog(carol.connections[0]!)).updates);
        check("SYNC-SEND-006", carolLog.length === 0, `the account the ciphertexts name received ${carolLog.length} messages`);
        const carolInbox = await carol.connections[0]!.call("fetchInbox", { afterSeq: 0n, limit: 0 });
        check("SYNC-SEND-006", carolInbox.entries.length === 0, "the account the ciphertexts name received inbox entries");
      }),
    ),
});
