// More client rules seen through the adversary (as an honest observer or a
// forger): the content id must match the id the server deduplicated on,
// device-set changes are surfaced, removed members get no new keys, and
// every connection is authenticated with a fresh signature.
import fc from "fast-check";
import { AdapterEventKind, SenderKeyMessage, decodeMessage } from "@kabar/protocol";
import { pushedUpdate, startAdversary, honest } from "../../../adversary/adversary.js";
import { defineProperty } from "../../../registry/property-registry.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import { freshAdapter, person, shownTexts, syncAll, aliceAndBob } from "./client-world.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

defineProperty({
  id: "client.adversary.swapped-message-id",
  rules: ["CLIENT-DEDUP-004"],
  mode: "client",
  profile: "core",
  numRuns: 3,
  description: "The adversary serves one message under another client message id than the one inside its encrypted content (in pushes and differences); no device shows it, and the messages around it still show.",
  run: ({ target }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.nat(), async (n, pick) => {
      const adversary = await startAdversary(await target.serverUrl(), honest);
      try {
        const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url);
        const devices = [alice.devices[0]!, bob.devices[0]!];
        await syncAll(adapter, devices, 1);
        const order: string[] = [];
        const victim = pick % n;
        const forge = <U extends NonNullable<ReturnType<typeof pushedUpdate>>>(update: U): U => {
          if (update.kind?.$case !== "message") return update;
          const id = hex(update.kind.value.clientMessageId);
          if (!order.includes(id)) order.push(id);
          if (order.indexOf(id) !== victim) return update;
          const other = Uint8Array.from(update.kind.value.clientMessageId);
          other[0]! ^= 0xff;
          return { ...update, kind: { $case: "message", value: { ...update.kind.value, clientMessageId: other } } };
        };
        adversary.setScript((e) => {
          const kind = e.frame.kind;
          if (e.direction !== "to-client") return undefined;
          if (kind?.$case === "push" && kind.value.body?.$case === "update" && kind.value.body.value.update !== undefined) {
            return [{ kind: { $case: "push", value: { body: { $case: "update", value: { update: forge(kind.value.body.value.update) } } } } }];
          }
          if (kind?.$case === "response" && kind.value.result?.$case === "getDifference") {
            const result = kind.value.result.value.result;
            if (result?.$case === "difference" || result?.$case === "slice") {
              const value = { ...result.value, updates: result.value.updates.map(forge) };
              return [{ kind: { $case: "response", value: { ...kind.value, result: { $case: "getDifference", value: { result: { ...result, value } as typeof result } } } } }];
            }
          }
          return undefined;
        });
        const sent = Array.from({ length: n }, (_, i) => `m${i}`);
        for (const t of sent) await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: t });
        await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: "after" });
        await syncAll(adapter, devices);
        const expected = [...sent.filter((_, i) => i !== victim), "after"];
        for (const device of devices) {
          const shown = await shownTexts(adapter, device, conversation);
          if (shown.includes(sent[victim]!)) throw new RuleViolation("CLIENT-DEDUP-004", `device ${device} shows ${JSON.stringify(sent[victim])}, served under a client message id that differs from its content's`);
          if (shown.join("\u0000") !== expected.join("\u0000")) throw new RuleViolation("CLIENT-DEDUP-004", `device ${device} shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expected)}`);
        }
      } finally {
        await adversary.close();
      }
    }),
});

defineProperty({
  id: "client.trust.device-added-notice",
  rules: ["CLIENT-TRUST-002"],
  mode: "client",
  profile: "core",
  numRuns: 2,
  description: "When a contact links a new device, the other account's device shows a device-added notice for that contact once it has synced and messaged them again.",
  run: ({ target }) =>
    fc.asyncProperty(fc.constant(null), async () => {
      const { adapter, alice, bob, conversation } = await aliceAndBob(target);
      await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: "before" });
      await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!], 1);
      await adapter.call("linkDevice", { account: bob.account, approverDevice: bob.devices[0]!, approve: true });
      await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: "after" });
      await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!]);
      const events = (await adapter.call("getVisibleState", { device: alice.devices[0]! })).events;
      if (!events.some((e) => e.kind === AdapterEventKind.DEVICE_ADDED && (e.account === "" || e.account === bob.account))) {
        throw new RuleViolation("CLIENT-TRUST-002", `Bob linked a device but Alice's device shows no device-added notice (events: ${JSON.stringify(events.map((e) => AdapterEventKind[e.kind]))})`);
      }
    }),
});

defineProperty({
  id: "client.group.removed-member-gets-no-keys",
  rules: ["CLIENT-GROUP-001"],
  mode: "client",
  profile: "groups",
  numRuns: 3,
  description: "After a member is removed from a group, the remaining sender sends under a new sender-key chain (new distribution id), hands it to the remaining members before its next message, and sends nothing to any device of the removed member.",
  run: ({ target }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), async (n) => {
      const adversary = await startAdversary(await target.serverUrl(), honest);
      try {
        const adapter = await freshAdapter(target, adversary.url);
        const [alice, bob, carol] = [await person(adapter, "alice"), await person(adapter, "bob"), await person(adapter, "carol")];
        const toCarol: string[] = [];
        let toBobBeforeSend = false;
        let removed = false;
        let sendsSeen = 0;
        const chainsBefore = new Set<string>();
        const chainsAfter = new Set<string>();
        adversary.setScript((e) => {
          const body = e.direction === "to-server" && e.frame.kind?.$case === "request" ? e.frame.kind.value.body : undefined;
          if (e.account !== alice.account || body === undefined) return undefined;
          if (body.$case === "sendMessage") {
            // The sender-key message names its chain (distribution id) in clear.
            try {
              const chain = hex(decodeMessage(SenderKeyMessage, body.value.ciphertext).distributionId);
              (removed ? chainsAfter : chainsBefore).add(chain);
            } catch {
              // not a sender-key message: nothing to compare
            }
          }
          if (!removed) return undefined;
          if (body.$case === "sendToDevices" && hex(body.value.accountId) === carol.account) toCarol.push(`SendToDevices to Carol's devices ${body.value.messages.map((m) => m.deviceId).join(",")}`);
          if (body.$case === "sendToDevices" && hex(body.value.accountId) === bob.account && sendsSeen === 0) toBobBeforeSend = true;
          if (body.$case === "sendMessage") sendsSeen++;
          return undefined;
        });
        const { conversation } = await adapter.call("createConversation", { device: alice.devices[0]!, kind: 2, members: [bob.account, carol.account], title: "g" });
        await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: "to all" });
        await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!, carol.devices[0]!], 1);
        await adapter.call("changeMembers", { device: alice.devices[0]!, conversation, remove: [carol.account] });
        removed = true;
        for (let i = 0; i < n; i++) await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: `only us ${i}` });
        await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!], 1);
        if (toCarol.length > 0) throw new RuleViolation("CLIENT-GROUP-001", `after Carol was removed, Alice's device sent her keys: ${toCarol[0]}`);
        const reused = [...chainsAfter].filter((c) => chainsBefore.has(c));
        if (reused.length > 0) throw new RuleViolation("CLIENT-GROUP-001", `after Carol was removed, Alice's device kept sending under the chain Carol holds (distribution id ${reused[0]!.slice(0, 12)})`);
        if (!toBobBeforeSend) throw new RuleViolation("CLIENT-GROUP-001", "after Carol was removed, Alice's device sent to the group without first handing a new sending key to Bob");
        const shown = await shownTexts(adapter, bob.devices[0]!, conversation);
        if (!shown.includes(`only us ${n - 1}`)) throw new RuleViolation("CLIENT-GROUP-001", `Bob cannot read Alice's messages under her new sending key: he shows ${JSON.stringify(shown)}`);
      } finally {
        await adversary.close();
      }
    }),
});

defineProperty({
  id: "client.conn.fresh-signature-per-connection",
  rules: ["CLIENT-CONN-002"],
  mode: "client",
  profile: "core",
  numRuns: 2,
  description: "The adversary cuts every connection several times; each device authenticates every new connection with a new signature, and messages sent across the cuts all arrive.",
  run: ({ target }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), async (cuts) => {
      const adversary = await startAdversary(await target.serverUrl(), honest);
      try {
        const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url);
        const devices = [alice.devices[0]!, bob.devices[0]!];
        await syncAll(adapter, devices, 1);
        const signatures = new Map<string, string[]>();
        adversary.setScript((e) => {
          const body = e.direction === "to-server" && e.frame.kind?.$case === "request" ? e.frame.kind.value.body : undefined;
          if (body?.$case === "authenticate") {
            const key = `${hex(body.value.accountId).slice(0, 12)}.${body.value.deviceId}`;
            signatures.set(key, [...(signatures.get(key) ?? []), hex(body.value.signature)]);
          }
          return undefined;
        });
        const sent: string[] = [];
        for (let i = 0; i < cuts; i++) {
          adversary.disconnectAll();
          sent.push(`c${i}`);
          await adapter.call("syncNow", { device: alice.devices[0]! });
          await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: `c${i}` });
        }
        await syncAll(adapter, devices);
        for (const [device, list] of signatures) {
          if (new Set(list).size !== list.length) throw new RuleViolation("CLIENT-CONN-002", `device ${device} authenticated two connections with the same signature`);
        }
        if (signatures.size === 0) throw new RuleViolation("CLIENT-CONN-002", "no device authenticated again after its connection was cut");
        const shown = await shownTexts(adapter, bob.devices[0]!, conversation);
        if (shown.join() !== sent.join()) throw new RuleViolation("CLIENT-CONN-002", `across cut connections Bob shows ${JSON.stringify(shown)}, expected ${JSON.stringify(sent)}`);
      } finally {
        await adversary.close();
      }
    }),
});
