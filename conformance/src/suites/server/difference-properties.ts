// SYNC-DIFF: model-based. Sends and GetDifference requests interleave; each
// answer is checked against a model of the log.
import fc from "fast-check";
import { defineProperty } from "../../registry/property-registry.js";
import { readWholeLog } from "../../wire-client/wire-world.js";
import { GetDifferenceCommand } from "./difference/get-difference-command.js";
import type { DifferenceModel, DifferenceReal } from "./difference/difference-model.js";
import { SendCommand } from "./difference/send-command.js";
import { inWorld } from "./support.js";

const commands = [
  fc.integer({ min: 1, max: 64 }).map((n) => new SendCommand(n)),
  fc.integer({ min: 1, max: 4 }).map((n) => new SendCommand(n)),
  fc.tuple(
    fc.oneof({ arbitrary: fc.nat(12).map((back) => ({ kind: "back" as const, back })), weight: 5 }, { arbitrary: fc.integer({ min: 1, max: 3 }).map((ahead) => ({ kind: "ahead" as const, ahead })), weight: 1 }),
    fc.oneof({ arbitrary: fc.integer({ min: 1, max: 5 }).map((limit) => ({ kind: "small" as const, limit })), weight: 5 }, { arbitrary: fc.constant({ kind: "default" as const }), weight: 2 }, { arbitrary: fc.integer({ min: 1, max: 1000 }).map((by) => ({ kind: "over" as const, by })), weight: 1 }),
  ).map(([point, limit]) => new GetDifferenceCommand(point, limit)),
];

defineProperty({
  id: "server.sync.difference-model",
  rules: ["SYNC-DIFF-001", "SYNC-DIFF-002", "SYNC-DIFF-004"],
  mode: "server",
  profile: "core",
  description: "Sends interleaved with GetDifference at random points and limits: DifferenceEmpty at the current seq, Difference or a contiguous DifferenceSlice otherwise, limit 0 as 100, limits above the advertised maximum FRAME_FIELD_INVALID, a seq ahead of the log SEQUENCE_INVALID.",
  numRuns: 25,
  run: ({ target, transcript, replayPath }) =>
    fc.asyncProperty(fc.commands(commands, { maxCommands: 25, ...(replayPath !== undefined ? { replayPath } : {}) }), fc.nat(1_000_000), (cmds, salt) =>
      inWorld(target, transcript, async (world) => {
        const alice = await world.account();
        const bob = await world.account();
        const { conversationId } = await world.conversation(alice.connections[0]!, [bob.account]);
        const maxLimit = world.helloAck!.limits!.maxDifferenceLimit;
        let last: { model: DifferenceModel; real: DifferenceReal } | undefined;
        await fc.asyncModelRun(async () => {
          const log = await readWholeLog(alice.connections[0]!);
          const model: DifferenceModel = { updates: log.updates.map((u) => ({ seq: u.seq, key: u.kind?.$case ?? "none" })), seq: log.seq, maxLimit, sent: 0 };
          const real: DifferenceReal = { connection: alice.connections[0]!, conversationId, salt };
          last = { model, real };
          return { model, real };
        }, cmds);
        // Then a sweep: one more message, and the difference from every point of the log.
        const { model, real } = last!;
        await new SendCommand(3).run(model, real);
        for (let back = 0; back <= Number(model.seq); back++) await new GetDifferenceCommand({ kind: "back", back }, { kind: "default" }).run(model, real);
      }),
    ),
});
