// Client behaviour against the reference server: convergence of every
// device to the model (model-based), sends while offline, and history on a
// newly linked device.
import fc from "fast-check";
import { defineProperty } from "../../../registry/property-registry.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import type { ClientTarget } from "../../../targets/target-types.js";
import { digests, freshAdapter, linkDevice, person, shownTexts, syncAll, aliceAndBob } from "./client-world.js";
import {
  CheckConvergedCommand, DeleteCommand, EditCommand, ForeignEditCommand, MarkReadCommand, ReactCommand, SendCommand, ToggleOnlineCommand,
} from "./commands/convergence-commands.js";
import { checkConverged, emptyConvergenceModel, type ConvergenceModel, type ConvergenceReal } from "./convergence-model.js";

const text = fc.string({ minLength: 1, maxLength: 12 });
const deviceIndex = fc.nat({ max: 2 });
const messageIndex = fc.nat({ max: 20 });
const emoji = fc.constantFrom("👍", "❤️", "😂");

async function convergenceSetup(target: ClientTarget): Promise<{ model: ConvergenceModel; real: ConvergenceReal }> {
  const adapter = await freshAdapter(target);
  const alice = await person(adapter, "alice");
  const bob = await person(adapter, "bob");
  await linkDevice(adapter, alice);
  const { conversation } = await adapter.call("createConversation", { device: alice.devices[0]!, kind: 1, members: [bob.account] });
  const devices = [alice.devices[0]!, alice.devices[1]!, bob.devices[0]!];
  await syncAll(adapter, devices, 1);
  // Every device sends once while online: the SDK needs the network to set
  // up its sending keys, after which sends made offline are queued.
  const model = emptyConvergenceModel();
  for (const [d, handle] of devices.entries()) {
    const sent = await adapter.call("sendText", { device: handle, conversation, text: `hi from d${d}` });
    model.order.push({ id: sent.message, sender: model.deviceAccount[d]!, text: `hi from d${d}`, edited: false, deleted: false, reactions: new Set(), offline: false });
  }
  return { model, real: { adapter, accounts: [alice.account, bob.account], devices, conversation } };
}

defineProperty({
  id: "client.convergence.model",
  // CLIENT-APPLY-001 and CLIENT-APPLY-006 are checked where the adversary can break them (reordered
  // pushes, server-closed connections); this model charges the rules named here.
  rules: ["CLIENT-ORDER-001", "CLIENT-APPLY-002", "CLIENT-DEDUP-003", "CLIENT-AUTH-001", "CLIENT-SEND-001"],
  mode: "client",
  profile: "core",
  numRuns: 10,
  description:
    "Random sends, edits, deletes, reactions, read markers, forged edits and offline periods across two devices of one account and one of another; after SyncNow everywhere every device shows exactly the model (server order, nothing twice, nothing missing, last writer by sequence) and all state digests are equal.",
  run: ({ target, replayPath }) =>
    fc.asyncProperty(
      fc.commands(
        [
          fc.tuple(deviceIndex, text).map(([d, t]) => new SendCommand(d, t)),
          fc.tuple(deviceIndex, text).map(([d, t]) => new SendCommand(d, t)),
          fc.tuple(deviceIndex, messageIndex, text).map(([d, m, t]) => new EditCommand(d, m, t)),
          fc.tuple(deviceIndex, messageIndex).map(([d, m]) => new DeleteCommand(d, m)),
          fc.tuple(deviceIndex, messageIndex, emoji, fc.boolean()).map(([d, m, e, r]) => new ReactCommand(d, m, e, r)),
          fc.tuple(deviceIndex, messageIndex).map(([d, m]) => new MarkReadCommand(d, m)),
          fc.tuple(deviceIndex, messageIndex).map(([d, m]) => new ForeignEditCommand(d, m)),
          deviceIndex.map((d) => new ToggleOnlineCommand(d)),
          fc.constant(new CheckConvergedCommand()),
        ],
        { maxCommands: 16, ...(replayPath !== undefined ? { replayPath } : {}) },
      ),
      async (commands) => {
        let world: { model: ConvergenceModel; real: ConvergenceReal } | undefined;
        await fc.asyncModelRun(async () => (world = await convergenceSetup(target)), commands);
        await checkConverged(world!.model, world!.real);
      },
    ),
});

defineProperty({
  id: "client.send.offline-then-online",
  rules: ["CLIENT-SEND-001", "CLIENT-APPLY-006"],
  mode: "client",
  profile: "core",
  numRuns: 4,
  description: "Texts sent while a device is offline are queued and, once it is online again, every device shows each of them exactly once, in the order they were sent, after the messages the device missed.",
  run: ({ target }) =>
    fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 4 }), fc.array(text, { maxLength: 3 }), async (offlineTexts, missed) => {
      const { adapter, alice, bob, conversation } = await aliceAndBob(target);
      await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: "before" });
      // Bob sends once online first: the SDK sets up its sending keys then.
      await adapter.call("syncNow", { device: bob.devices[0]! });
      await adapter.call("sendText", { device: bob.devices[0]!, conversation, text: "online" });
      await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!], 1);
      await adapter.call("goOffline", { device: bob.devices[0]! });
      for (const t of offlineTexts) await adapter.call("sendText", { device: bob.devices[0]!, conversation, text: t });
      for (const t of missed) await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: t });
      await adapter.call("goOnline", { device: bob.devices[0]! });
      const devices = [alice.devices[0]!, bob.devices[0]!];
      await syncAll(adapter, devices);
      const expected = ["before", "online", ...missed, ...offlineTexts];
      for (const d of devices) {
        const shown = await shownTexts(adapter, d, conversation);
        if (shown.join("\u0000") !== expected.join("\u0000")) {
          const rule = shown.length > expected.length ? "CLIENT-SEND-001" : offlineTexts.some((t) => !shown.includes(t)) ? "CLIENT-SEND-001" : "CLIENT-APPLY-006";
          throw new RuleViolation(rule, `device ${d} shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expected)}`);
        }
      }
    }),
});

defineProperty({
  id: "client.history.new-device",
  rules: ["CLIENT-HISTORY-001"],
  mode: "client",
  profile: "history",
  numRuns: 3,
  description: "A device linked after messages were exchanged shows, after SyncNow, the whole history with the same state digest as the account's first device.",
  run: ({ target }) =>
    fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), text), { minLength: 1, maxLength: 4 }), async (script) => {
      const { adapter, alice, bob, conversation } = await aliceAndBob(target, undefined, 2);
      await adapter.call("syncNow", { device: bob.devices[0]! });
      for (const [fromAlice, t] of script) await adapter.call("sendText", { device: fromAlice ? alice.devices[0]! : bob.devices[0]!, conversation, text: t });
      await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!], 1);
      const laptop = await linkDevice(adapter, alice);
      await syncAll(adapter, [alice.devices[0]!, laptop, alice.devices[0]!, laptop], 1);
      const expected = script.map(([, t]) => t);
      const shown = await shownTexts(adapter, laptop, conversation);
      if (shown.join("\u0000") !== expected.join("\u0000")) {
        throw new RuleViolation("CLIENT-HISTORY-001", `the new device shows ${JSON.stringify(shown)}; the history is ${JSON.stringify(expected)}`);
      }
      const [first, second] = await digests(adapter, [alice.devices[0]!, laptop]);
      if (first !== second) throw new RuleViolation("CLIENT-HISTORY-001", `the new device's state digest ${second!.slice(0, 12)} differs from the first device's ${first!.slice(0, 12)}`);
    }),
});
