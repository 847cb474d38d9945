// Races: fast-check's scheduler picks the order in which concurrent requests
// are issued on several connections, so an interleaving that breaks a rule
// shrinks to the fewest requests and replays from the seed. All requests are
// in flight together; the server must serialise them correctly whatever
// order they arrive in.
import fc from "fast-check";
import type { PreKeyBundle } from "@kabar/protocol";
import { defineProperty } from "../../registry/property-registry.js";
import type { WireConnection } from "../../wire-client/wire-connection.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import { check, checkGapFree, expectOk, hex, idBytes, inWorld, messagesOf, sameBytes } from "./support.js";

const bodyOf = (id: number): Uint8Array => Uint8Array.from({ length: 12 }, (_, i) => (id * 53 + i * 11 + 5) & 0xff);

defineProperty({
  id: "server.races.concurrent-duplicate-sends",
  rules: ["SYNC-SEND-002", "SYNC-LOG-001"],
  mode: "server",
  profile: "core",
  description:
    "Two devices of one account send, all at once in an order fast-check's scheduler picks, messages that reuse client message ids: every copy of an id gets the first copy's response, each id is stored once, and the log stays gap-free.",
  numRuns: 15,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.scheduler(), fc.array(fc.record({ id: fc.nat(3), device: fc.nat(1) }), { minLength: 2, maxLength: 8 }), (s, sends) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account({ devices: 2 });
        const bob = await world.account();
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const pending = sends.map((send, i) =>
          s.schedule(Promise.resolve(), `send #${i}: id ${send.id} from device ${send.device + 1}`).then(() =>
            alice.connections[send.device]!.attempt("sendMessage", { conversationId, clientMessageId: idBytes(send.id), ciphertext: bodyOf(send.id), epoch: 0n }),
          ),
        );
        await s.waitIdle();
        const outcomes = await Promise.all(pending);
        transcript.add("note", `issue order: ${s.report().map((t) => t.label).join(", ")}`);
        const first = new Map<number, { seq: bigint; serverTimeMs: bigint; index: number }>();
        for (const [i, outcome] of outcomes.entries()) {
          const id = sends[i]!.id;
          const value = expectOk<"sendMessage">("SYNC-SEND-002", outcome, `send #${i} of id ${id}`);
          const earlier = first.get(id);
          if (earlier === undefined) first.set(id, { seq: value.seq, serverTimeMs: value.serverTimeMs, index: i });
          else
            check("SYNC-SEND-002", value.seq === earlier.seq && value.serverTimeMs === earlier.serverTimeMs,
              `concurrent copies #${earlier.index} and #${i} of id ${id} were answered differently: seq ${earlier.seq} / ${value.seq}, time ${earlier.serverTimeMs} / ${value.serverTimeMs}`);
        }
        for (const [who, connection] of [["sender", alice.connections[0]!], ["recipient", bob.connections[0]!]] as const) {
          const log = (await readWholeLog(connection)).updates;
          checkGapFree("SYNC-LOG-001", log, 0n, `the ${who}'s log`);
          const messages = messagesOf(log);
          check("SYNC-SEND-002", messages.length === first.size, `the ${who}'s log holds ${messages.length} messages for ${first.size} distinct client message ids`);
          for (const id of first.keys()) {
            const stored = messages.filter((m) => sameBytes(m.message.clientMessageId, idBytes(id)));
            check("SYNC-SEND-002", stored.length === 1, `the ${who}'s log holds id ${id} ${stored.length} times`);
          }
        }
        const senderLog = messagesOf((await readWholeLog(alice.connections[0]!)).updates);
        for (const [id, response] of first) {
          const stored = senderLog.find((m) => sameBytes(m.message.clientMessageId, idBytes(id)));
          check("SYNC-SEND-002", stored?.update.seq === response.seq, `id ${id} was answered with seq ${response.seq} but stored at seq ${stored?.update.seq}`);
        }
      }),
    ),
});

defineProperty({
  id: "server.races.claims-during-upload",
  rules: ["SERVER-PREKEY-001"],
  mode: "server",
  profile: "core",
  description:
    "Claims by several accounts race with the device uploading more one-time prekeys, in an order fast-check's scheduler picks: no one-time prekey is handed out twice or lost, so draining afterwards hands out exactly the ones left.",
  numRuns: 15,
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.scheduler(), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), (s, initial, added, claims) =>
      inWorld(target, transcript, async (world) => {
        const bob = await world.account();
        const device = bob.connections[0]!;
        await device.call("uploadPrekeys", {
          signedPrekey: bob.account.signedPreKey(1, 1),
          kemPrekeys: [],
          oneTimePrekeys: bob.account.oneTimePreKeys(1, initial),
          lastResortKemPrekey: bob.account.kemPreKey(1, 1000, true),
        });
        const claimers: WireConnection[] = [];
        for (let i = 0; i < claims; i++) claimers.push((await world.account()).connections[0]!);
        const claim = (connection: WireConnection): Promise<PreKeyBundle[]> =>
          connection.call("claimPrekeys", { accountId: bob.account.accountId, deviceIds: [] }).then((r) => r.bundles);
        const upload = s.schedule(Promise.resolve(), `upload ${added} one-time prekeys`).then(() =>
          device.call("uploadPrekeys", { signedPrekey: undefined, kemPrekeys: [], oneTimePrekeys: bob.account.oneTimePreKeys(100, added), lastResortKemPrekey: undefined }),
        );
        const racing = claimers.map((c, i) => s.schedule(Promise.resolve(), `claim #${i}`).then(() => claim(c)));
        await s.waitIdle();
        await upload;
        const raced = (await Promise.all(racing)).flat();
        transcript.add("note", `issue order: ${s.report().map((t) => t.label).join(", ")}`);
        const handed = raced.flatMap((b) => (b.oneTimePrekey !== undefined ? [b.oneTimePrekey] : []));
        const uploaded = initial + added;
        check("SERVER-PREKEY-001", handed.length >= Math.min(claims, initial), `${claims} racing claims got ${handed.length} one-time prekeys although ${initial} were stored before any claim`);
        // Drain what is left, one claim per fresh account (claims are rate-limited per claimer).
        const drained = [];
        for (let i = 0; i <= uploaded - handed.length; i++) {
          const drainer = await world.account();
          drained.push(...(await claim(drainer.connections[0]!)).flatMap((b) => (b.oneTimePrekey !== undefined ? [b.oneTimePrekey] : [])));
        }
        const all = [...handed, ...drained];
        const ids = all.map((k) => `${k.id}:${hex(k.publicKey).slice(0, 8)}`);
        check("SERVER-PREKEY-001", new Set(ids).size === ids.length, `one-time prekeys handed out more than once: [${ids.join(", ")}]`);
        check("SERVER-PREKEY-001", all.length === uploaded, `${uploaded} one-time prekeys were uploaded but claims handed out ${all.length} in total (${handed.length} during the race, ${drained.length} draining afterwards)`);
      }),
    ),
});
