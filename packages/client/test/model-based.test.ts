import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventually } from "./support/clients.js";
import { startRealServer } from "./support/real-server.js";
import { ChangeMembersCommand } from "./model/commands/change-members.js";
import { LinkDeviceCommand } from "./model/commands/link-device.js";
import { RemoveDeviceCommand } from "./model/commands/remove-device.js";
import { DeleteMessageCommand } from "./model/commands/delete-message.js";
import { EditTextCommand } from "./model/commands/edit-text.js";
import { GoOfflineCommand } from "./model/commands/go-offline.js";
import { GoOnlineCommand } from "./model/commands/go-online.js";
import { MarkReadCommand } from "./model/commands/mark-read.js";
import { ReactCommand } from "./model/commands/react.js";
import { RestartDeviceCommand } from "./model/commands/restart-device.js";
import { RestartServerCommand } from "./model/commands/restart-server.js";
import { SendTextCommand } from "./model/commands/send-text.js";
import { clientOf, key } from "./model/commands/shared.js";
import { expectedView, type Model } from "./model/model.js";
import { actualView, buildWorld, closeWorld } from "./model/world.js";

// Three accounts: two with two devices, one with a single device; links can add up to three per account.
const DEVICES = [2, 2, 1] as const;
const device = fc.tuple(fc.integer({ min: 0, max: DEVICES.length - 1 }), fc.integer({ min: 0, max: 2 }));
const text = fc.string({ minLength: 1, maxLength: 12 });
const emoji = fc.constantFrom("👍", "❤️", "😂");

const send = fc.tuple(device, text).map(([[a, d], t]) => new SendTextCommand(a, d, t));
const edit = fc.tuple(device, fc.nat(), text).map(([[a, d], p, t]) => new EditTextCommand(a, d, p, t));
const react = fc.tuple(device, fc.nat(), emoji, fc.boolean()).map(([[a, d], p, e, r]) => new ReactCommand(a, d, p, e, r));
// Repeated entries weight the mix towards conversation traffic.
const commands = [
  send, send, send, send, edit, edit, react, react,
  fc.tuple(device, fc.nat()).map(([[a, d], p]) => new DeleteMessageCommand(a, d, p)),
  fc.tuple(device, fc.nat()).map(([[a, d], p]) => new MarkReadCommand(a, d, p)),
  fc.tuple(fc.integer({ min: 1, max: 2 }), fc.boolean()).map(([a, add]) => new ChangeMembersCommand(a, add)),
  device.map(([a, d]) => new GoOfflineCommand(a, d)),
  device.map(([a, d]) => new GoOnlineCommand(a, d)),
  device.map(([a, d]) => new RestartDeviceCommand(a, d)),
  fc.constant(new RestartServerCommand()),
  fc.integer({ min: 0, max: DEVICES.length - 1 }).map((a) => new LinkDeviceCommand(a)),
  device.map(([a, d]) => new RemoveDeviceCommand(a, d)),
];

describe("model-based convergence against the reference server", () => {
  it("CLIENT-ORDER-001 CLIENT-DEDUP-003 every device converges to the model: nothing shown twice, nothing missing", async () => {
    let runs = 0;
    let executed = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30, size: "large" }), async (cmds) => {
        runs++;
        const server = await startRealServer();
        const dir = mkdtempSync(join(tmpdir(), "kabar-model-"));
        const world = await buildWorld(server, DEVICES, dir);
        const model: Model = {
          members: new Set(DEVICES.map((_, i) => i)), log: [], accounts: [...DEVICES],
          devices: new Map(DEVICES.flatMap((count, a) => Array.from({ length: count }, (_, d) => [key(a, d), { online: true, queue: [] }] as const))),
        };
        try {
          await fc.asyncModelRun(() => ({ model, real: world }), cmds);
          executed += model.log.length;
          if (process.env.MODEL_LOG) console.log(String(cmds), `-> ${model.log.length} sequenced events`);
          // Bring everyone back and let them settle.
          for (const [k, state] of model.devices) {
            const [a, d] = k.split(":").map(Number) as [number, number];
            if (!state.online) await new GoOnlineCommand(a, d).run(model, world);
          }
          for (const k of model.devices.keys()) {
            const [a, d] = k.split(":").map(Number) as [number, number];
            const expected = expectedView(model, a);
            const client = clientOf(world, a, d);
            await eventually(async () => {
              await client.sync();
              const actual = await actualView(world, client);
              if (process.env.MODEL_LOG && JSON.stringify(actual) !== JSON.stringify(expected)) console.log(`device ${a}:${d} parked=${await client.pendingDecryption()} outbox=${await client.outboxSize()} failures=${world.failures.join(";")}`);
              expect(new Set(actual.messages.map((m) => m.id)).size).toBe(actual.messages.length);
              expect(actual).toEqual(expected);
            }, 15_000);
          }
        } finally {
          await closeWorld(world);
          await server.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.MODEL_RUNS ?? 30), endOnFailure: true, ...(process.env.MODEL_PATH ? { path: process.env.MODEL_PATH } : {}) },
    );
    console.log(`model-based convergence: ${runs} runs, ${executed} sequenced events checked on every device`);
  }, 300_000);
});
