// SYNC-INBOX: per-device inboxes fed by SendToDevices, fetched and
// acknowledged in random order, checked against a model per device.
import fc from "fast-check";
import { ErrorCode } from "@kabar/protocol";
import { defineProperty } from "../../registry/property-registry.js";
import { check, expectOk, expectRejected, expectUnchanged, hex, idBytes, inWorld, observeAll, sameBytes } from "./support.js";

type InboxOp =
  | { readonly kind: "send"; readonly length: number }
  | { readonly kind: "fetch"; readonly device: number; readonly after: number }
  | { readonly kind: "ack"; readonly device: number; readonly back: number }
  | { readonly kind: "ack-beyond"; readonly device: number; readonly by: number }
  | { readonly kind: "send-missing"; readonly skip: number };

const op: fc.Arbitrary<InboxOp> = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 200 }).map((length) => ({ kind: "send" as const, length })), weight: 4 },
  { arbitrary: fc.record({ device: fc.nat(2), after: fc.nat(4) }).map((r) => ({ kind: "fetch" as const, ...r })), weight: 3 },
  { arbitrary: fc.record({ device: fc.nat(2), back: fc.nat(3) }).map((r) => ({ kind: "ack" as const, ...r })), weight: 3 },
  { arbitrary: fc.record({ device: fc.nat(2), by: fc.integer({ min: 1, max: 5 }) }).map((r) => ({ kind: "ack-beyond" as const, ...r })), weight: 1 },
  { arbitrary: fc.nat(2).map((skip) => ({ kind: "send-missing" as const, skip })), weight: 1 },
);

defineProperty({
  id: "server.sync.inbox-model",
  rules: ["SYNC-INBOX-001", "SYNC-INBOX-002", "SYNC-INBOX-003", "SYNC-INBOX-004"],
  mode: "server",
  profile: "core",
  description: "SendToDevices to every device of an account, fetches and acks in random order: each inbox numbers its entries from 1 without gaps, returns the unacknowledged ones in order, never moves the acknowledged point back, rejects acks beyond the latest with ACK_INVALID, and a send missing a device is RECIPIENTS_MISMATCH storing nothing.",
  numRuns: 20,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.array(op, { minLength: 1, maxLength: 18 }), (devices, ops) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account({ devices });
        const sender = alice.connections[0]!;
        const model = bob.connections.map(() => ({ entries: [] as { seq: bigint; id: string; ciphertext: Uint8Array }[], latest: 0n, acked: 0n }));
        let n = 0;
        for (const o of ops) {
          if (o.kind === "send") {
            const id = idBytes(n++, 5);
            const messages = bob.connections.map((_, d) => ({ deviceId: d + 1, ciphertext: Uint8Array.from({ length: o.length }, (_, i) => (d * 17 + i + n) & 0xff) }));
            expectOk<"sendToDevices">("SYNC-INBOX-002", await sender.attempt("sendToDevices", { clientMessageId: id, accountId: bob.account.accountId, messages, deviceListVersion: 0n }), "a SendToDevices naming every device");
            messages.forEach((m, d) => {
              const inbox = model[d]!;
              inbox.latest += 1n;
              inbox.entries.push({ seq: inbox.latest, id: hex(id), ciphertext: m.ciphertext });
            });
          } else if (o.kind === "send-missing") {
            const skip = o.skip % devices;
            const before = await observeAll(bob.connections);
            const messages = bob.connections.map((_, d) => ({ deviceId: d + 1, ciphertext: new Uint8Array([1, 2, 3]) })).filter((_, d) => d !== skip);
            const outcome = await sender.attempt("sendToDevices", { clientMessageId: idBytes(n++, 5), accountId: bob.account.accountId, messages, deviceListVersion: 0n });
            const error = expectRejected("SYNC-INBOX-002", outcome, ErrorCode.RECIPIENTS_MISMATCH, `SendToDevices without device ${skip + 1}`);
            check("SYNC-INBOX-002", error.recipientsMismatch?.missingDeviceIds.includes(skip + 1) === true, `RECIPIENTS_MISMATCH does not list the missing device ${skip + 1}`);
            await expectUnchanged("SYNC-INBOX-002", bob.connections, before, "a SendToDevices missing a device");
          } else if (o.kind === "fetch") {
            const d = o.device % devices;
            const inbox = model[d]!;
            const after = inbox.acked + BigInt(o.after) > inbox.latest ? inbox.acked : inbox.acked + BigInt(o.after);
            const response = await bob.connections[d]!.call("fetchInbox", { afterSeq: after, limit: 0 });
            const expected = inbox.entries.filter((e) => e.seq > after);
            const got = response.entries;
            check("SYNC-INBOX-004", got.length === expected.length, `device ${d + 1} fetched ${got.length} entries after ${after}, ${expected.length} are unacknowledged`);
            got.forEach((e, i) => {
              check("SYNC-INBOX-001", e.inboxSeq === expected[i]!.seq, `device ${d + 1}: entry ${i} after ${after} has inbox_seq ${e.inboxSeq}, expected ${expected[i]!.seq}`);
              check("SYNC-INBOX-004", hex(e.clientMessageId) === expected[i]!.id && sameBytes(e.ciphertext, expected[i]!.ciphertext), `device ${d + 1}: entry ${e.inboxSeq} is not the one sent`);
            });
          } else if (o.kind === "ack") {
            const d = o.device % devices;
            const inbox = model[d]!;
            // Any point up to the latest, also one below the acknowledged point.
            const upTo = inbox.latest - BigInt(Math.min(o.back, Number(inbox.latest)));
            const response = await bob.connections[d]!.call("ackInbox", { upToSeq: upTo });
            if (upTo > inbox.acked) inbox.acked = upTo;
            check("SYNC-INBOX-003", response.ackedSeq === inbox.acked, `device ${d + 1}: ack up to ${upTo} answered acked_seq ${response.ackedSeq}, expected ${inbox.acked}`);
            inbox.entries = inbox.entries.filter((e) => e.seq > inbox.acked);
          } else {
            const d = o.device % devices;
            const inbox = model[d]!;
            const before = await observeAll([bob.connections[d]!]);
            expectRejected("SYNC-INBOX-003", await bob.connections[d]!.attempt("ackInbox", { upToSeq: inbox.latest + BigInt(o.by) }), ErrorCode.ACK_INVALID, `device ${d + 1}: ack beyond the latest entry ${inbox.latest}`);
            await expectUnchanged("SYNC-INBOX-003", [bob.connections[d]!], before, "an ack beyond the latest entry");
          }
        }
        for (const [d, connection] of bob.connections.entries()) {
          const state = (await connection.call("getState", {})).state!;
          check("SYNC-INBOX-001", state.inboxSeq === model[d]!.latest, `device ${d + 1}: inbox_seq ${state.inboxSeq}, ${model[d]!.latest} entries were stored`);
        }
      }),
    ),
});
