// SYNC log limits and retention: a log at the top of its range
// (SYNC-LOG-003), differences from before the oldest kept update
// (SYNC-DIFF-003), and differences of large updates within the frame limit
// (SYNC-DIFF-005). The first two need a log state no request reaches in a
// test's lifetime: they set it up with the target's log fixtures
// (sync-log-fixtures.ts) where it offers them, and otherwise check only
// what a fresh log shows, saying so in the transcript.
import fc from "fast-check";
import { ErrorCode, MAX_SEQUENCE, errorCodeName, type AccountUpdate, type GetDifferenceResponse } from "@kabar/protocol";
import { ConformanceError } from "../../errors.js";
import { defineProperty } from "../../registry/property-registry.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import type { WireConnection } from "../../wire-client/wire-connection.js";
import { check, expectOk, expectRejected, hex, idBytes, inWorld, messagesOf, outcomeText, sameBytes } from "./support.js";
import { logFixturesOf } from "./sync-log-fixtures.js";

const json = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v));

function keyOf(update: AccountUpdate): string {
  return update.kind?.$case === "message" ? hex(update.kind.value.clientMessageId) : `${update.kind?.$case ?? "none"}@${update.seq}`;
}

/** What a device observes of its log from `from` on (a fast-forwarded log cannot be read from 0) and of its state. */
async function observeFrom(connection: WireConnection, from: bigint): Promise<string> {
  const state = (await connection.call("getState", {})).state;
  const log = await readWholeLog(connection, from);
  return json({ state, log: log.updates, seq: log.seq });
}

defineProperty({
  id: "server.sync.log-top",
  rules: ["SYNC-LOG-003"],
  mode: "server",
  profile: "core",
  description: "A member's log brought to 2^63-1 minus a little room (log fixture; on targets without one only sends on a fresh log are checked for increasing seqs): sends fill the room at the top seqs, then every further send is SEQUENCE_INVALID and changes nothing; the log never wraps.",
  numRuns: 6,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constantFrom("sender" as const, "recipient" as const), fc.nat(3), fc.integer({ min: 1, max: 3 }), (full, room, extra) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const fixtures = logFixturesOf(target);
        const send = (n: number) => alice.connections[0]!.attempt("sendMessage", { conversationId, clientMessageId: idBytes(n, 63), ciphertext: Uint8Array.of(n & 0xff, 0x63), epoch: 0n });
        if (fixtures === undefined) {
          transcript.add("note", "the target offers no log fixture: SYNC-LOG-003 is checked only as increasing seqs on a fresh log");
          let previous = 0n;
          for (let n = 0; n < room + extra; n++) {
            const value = expectOk<"sendMessage">("SYNC-LOG-003", await send(n), `send ${n}`);
            check("SYNC-LOG-003", value.seq > previous, `send ${n} got seq ${value.seq} after ${previous}`);
            previous = value.seq;
          }
          return;
        }
        const filled = full === "sender" ? alice : bob;
        const other = full === "sender" ? bob : alice;
        const base = MAX_SEQUENCE - BigInt(room);
        await fixtures.fastForward(filled.account.accountId, base);
        const state = (await filled.connections[0]!.call("getState", {})).state!;
        if (state.seq !== base) throw new ConformanceError("HARNESS", `the log fixture left the log at ${state.seq}, not ${base}`);
        transcript.add("note", `the ${full}'s log stands at 2^63-1-${room}`);
        for (let n = 0; n < room; n++) {
          const value = expectOk<"sendMessage">("SYNC-LOG-003", await send(n), `send ${n + 1} of ${room} into a log with room for ${room}`);
          if (full === "sender") check("SYNC-LOG-003", value.seq === base + BigInt(n + 1), `send ${n + 1} into the log at 2^63-1-${room} got seq ${value.seq}`);
        }
        const top = await readWholeLog(filled.connections[0]!, base);
        check("SYNC-LOG-003", top.seq === MAX_SEQUENCE && top.updates.length === room && top.updates.every((u, i) => u.seq === base + BigInt(i + 1)),
          () => `after filling the room the ${full}'s log is at ${top.seq} with updates [${top.updates.map((u) => u.seq).join(", ")}] after 2^63-1-${room}`);
        for (let n = room; n < room + extra; n++) {
          const before = [await observeFrom(filled.connections[0]!, base), await observeFrom(other.connections[0]!, 0n)];
          expectRejected("SYNC-LOG-003", await send(n), ErrorCode.SEQUENCE_INVALID, `a send that would take the ${full}'s log past 2^63-1`);
          const after = [await observeFrom(filled.connections[0]!, base), await observeFrom(other.connections[0]!, 0n)];
          check("SYNC-LOG-003", after[0] === before[0] && after[1] === before[1], () => `a send refused at the top of the ${full}'s log changed what the devices observe: before ${before.join(" / ").slice(0, 400)} after ${after.join(" / ").slice(0, 400)}`);
        }
      }),
    ),
});

defineProperty({
  id: "server.sync.difference-too-long",
  rules: ["SYNC-DIFF-003"],
  mode: "server",
  profile: "core",
  description: "Sends, then the log's oldest updates are no longer kept (log fixture; on targets without one only a server's own DifferenceTooLong answers are checked): GetDifference from every point before the oldest kept update is DifferenceTooLong with the current seq and an oldest_seq from which the difference is complete; from every later point the updates follow without a gap.",
  numRuns: 10,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.nat(9), fc.constantFrom(0, 1, 3), (count, trimPoint, limit) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const c = alice.connections[0]!;
        for (let n = 0; n < count; n++) await c.call("sendMessage", { conversationId, clientMessageId: idBytes(n, 33), ciphertext: Uint8Array.of(n, 3, 3), epoch: 0n });
        const whole = await readWholeLog(c);
        const current = whole.seq;
        const keys = new Map(whole.updates.map((u) => [u.seq, keyOf(u)]));
        const fixtures = logFixturesOf(target);
        let trimmed = 0n;
        if (fixtures === undefined) transcript.add("note", "the target offers no log fixture: nothing is trimmed, only DifferenceTooLong answers the server gives on its own are checked");
        else {
          trimmed = BigInt(trimPoint) % (current + 1n);
          await fixtures.trim(alice.account.accountId, trimmed);
          transcript.add("note", `updates up to seq ${trimmed} of ${current} are no longer kept`);
        }
        const checkFollows = (what: string, from: bigint, result: GetDifferenceResponse["result"]) => {
          check("SYNC-DIFF-003", result?.$case === "difference" || result?.$case === "slice", `${what}: expected updates, got ${result?.$case}`);
          const updates = result.value.updates;
          check("SYNC-DIFF-003", updates.length > 0 && updates.every((u, i) => u.seq === from + BigInt(i + 1) && keys.get(u.seq) === keyOf(u)),
            () => `${what}: got updates [${updates.map((u) => u.seq).join(", ")}], the log after ${from} is [${[...keys.keys()].filter((s) => s > from).join(", ")}]`);
        };
        for (let seq = 0n; seq <= current; seq++) {
          const what = `GetDifference{seq ${seq}, limit ${limit}} with updates up to ${trimmed} of ${current} no longer kept`;
          const outcome = await c.attempt("getDifference", { seq, limit });
          check("SYNC-DIFF-003", outcome.ok, () => `${what}: ${outcomeText(outcome)}`);
          const result = outcome.value.result;
          if (seq === current) {
            check("SYNC-DIFF-003", result?.$case === "empty", `${what}: expected DifferenceEmpty at the current seq, got ${result?.$case}`);
            continue;
          }
          if (result?.$case === "tooLong") {
            const { seq: now, oldestSeq } = result.value;
            check("SYNC-DIFF-003", now === current, `${what}: DifferenceTooLong says the current seq is ${now}`);
            check("SYNC-DIFF-003", oldestSeq > seq && oldestSeq >= trimmed && oldestSeq <= current, `${what}: DifferenceTooLong with oldest_seq ${oldestSeq}`);
            // The client continues from oldest_seq: the rest must be there.
            const rest = await c.attempt("getDifference", { seq: oldestSeq, limit });
            check("SYNC-DIFF-003", rest.ok, () => `GetDifference from the oldest_seq ${oldestSeq} it reported: ${outcomeText(rest)}`);
            if (oldestSeq === current) check("SYNC-DIFF-003", rest.value.result?.$case === "empty", `GetDifference from the oldest_seq ${oldestSeq} (the current seq): ${rest.value.result?.$case}`);
            else checkFollows(`GetDifference from the oldest_seq ${oldestSeq} it reported`, oldestSeq, rest.value.result);
            continue;
          }
          check("SYNC-DIFF-003", seq >= trimmed, `${what}: expected DifferenceTooLong, got ${result?.$case}`);
          checkFollows(what, seq, result);
        }
      }),
    ),
});

/** Records the byte length of every binary frame `connection` receives from now on. */
function frameSizes(connection: WireConnection): number[] {
  const sizes: number[] = [];
  connection.socket.on("message", (data: Buffer, isBinary: boolean) => {
    if (isBinary) sizes.push(data.length);
  });
  return sizes;
}

defineProperty({
  id: "server.sync.difference-frame-limit",
  rules: ["SYNC-DIFF-005"],
  mode: "server",
  profile: "core",
  description: "Messages near max_message_bytes whose total exceeds the frame limit, read by a device with GetDifference at limit 0 or the maximum: every response frame is within the advertised max_frame_bytes, every response while updates are pending carries at least one, and following them yields the whole log.",
  numRuns: 3,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 80, max: 100 }), fc.integer({ min: 1, max: 7 }), fc.boolean(), (percent, step, useMax) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const limits = world.helloAck!.limits!;
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        // Enough messages of 80 to 100 % of max_message_bytes to exceed one frame by half again.
        const count = Math.min(64, Math.ceil((1.5 * limits.maxFrameBytes) / (0.8 * limits.maxMessageBytes)));
        const sent = new Map<string, number>();
        for (let first = 0; first < count; first += 8) {
          await Promise.all(Array.from({ length: Math.min(8, count - first) }, async (_, k) => {
            const n = first + k;
            const length = Math.max(1, Math.floor((limits.maxMessageBytes * Math.min(100, percent + ((n * step) % 21))) / 100));
            const id = idBytes(n, 55);
            sent.set(hex(id), length);
            await alice.connections[0]!.call("sendMessage", { conversationId, clientMessageId: id, ciphertext: new Uint8Array(length).fill(n & 0xff), epoch: 0n });
          }));
        }
        // A fresh connection: no pushes of the sends arrive on it, so every frame it receives is a response.
        const reader = await world.login(bob.account, 1);
        const sizes = frameSizes(reader);
        const limit = useMax ? limits.maxDifferenceLimit : 0;
        const updates: AccountUpdate[] = [];
        let seq = 0n;
        for (let guard = 0; guard < 4 * count + 8; guard++) {
          const framesBefore = sizes.length;
          const outcome = await reader.attempt("getDifference", { seq, limit });
          const frame = sizes.slice(framesBefore);
          check("SYNC-DIFF-005", frame.every((s) => s <= limits.maxFrameBytes), `GetDifference{seq ${seq}, limit ${limit}} was answered with a frame of ${Math.max(...frame)} bytes; max_frame_bytes is ${limits.maxFrameBytes}`);
          check("SYNC-DIFF-005", outcome.ok, () => `GetDifference{seq ${seq}, limit ${limit}} with large updates pending: ${outcome.ok ? "" : errorCodeName(outcome.error.code)}`);
          const result = outcome.value.result;
          if (result?.$case === "empty") break;
          check("SYNC-DIFF-005", result?.$case === "difference" || result?.$case === "slice", `GetDifference{seq ${seq}, limit ${limit}} with large updates pending answered ${result?.$case}`);
          check("SYNC-DIFF-005", result.value.updates.length > 0, `GetDifference{seq ${seq}, limit ${limit}}: ${result.$case} without updates while updates are pending`);
          check("SYNC-DIFF-005", result.value.updates.every((u, i) => u.seq === seq + BigInt(i + 1)), `GetDifference{seq ${seq}}: updates [${result.value.updates.map((u) => u.seq).join(", ")}] do not follow ${seq}`);
          updates.push(...result.value.updates);
          seq = result.value.seq;
          if (result.$case === "difference") break;
        }
        const messages = messagesOf(updates);
        check("SYNC-DIFF-005", messages.length === sent.size && messages.every((m) => sent.get(hex(m.message.clientMessageId)) === m.message.ciphertext.length),
          `following the responses yielded ${messages.length} of ${sent.size} messages`);
      }),
    ),
});
