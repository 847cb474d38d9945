// Client behaviour under an adversarial server: the adversary
// (src/adversary/) sits between the adapter's devices and the reference
// server and replays, reorders, withholds or tampers with what the server
// sends, injects a device the account never signed into served device
// lists, and swaps attachment chunks between documents. Each property
// checks what the adapter says its users see.
import fc from "fast-check";
import { AdapterEventKind, DeviceCertificateBody, DeviceListBody, encodeMessage, decodeMessage, type Frame, type InboxEntry } from "@kabar/protocol";
import type { AdapterClient } from "../../../adapter/adapter-client.js";
import { isAdapterRefusal } from "../../../adapter/adapter-client.js";
import { pushedUpdate, startAdversary, type Adversary, type AdversaryEvent, type AdversaryScript, honest } from "../../../adversary/adversary.js";
import { defineProperty } from "../../../registry/property-registry.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import type { ClientTarget } from "../../../targets/target-types.js";
import { aliceAndBob, shownMessages, shownTexts, syncAll, within, type Person } from "./client-world.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
/** Distinct texts, so a text names one message. */
const texts = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

interface Scene {
  readonly adapter: AdapterClient;
  readonly adversary: Adversary;
  readonly alice: Person;
  readonly bob: Person;
  readonly conversation: string;
  readonly devices: string[];
}

/** Alice and Bob in a direct conversation, every connection through a fresh adversary that is honest until the property arms it. */
async function withScene<T>(target: ClientTarget, body: (scene: Scene) => Promise<T>): Promise<T> {
  const adversary = await startAdversary(await target.serverUrl(), honest);
  try {
    const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url);
    await adapter.call("syncNow", { device: bob.devices[0]! });
    await adapter.call("sendText", { device: bob.devices[0]!, conversation, text: "hello" });
    const devices = [alice.devices[0]!, bob.devices[0]!];
    await syncAll(adapter, devices, 1);
    return await body({ adapter, adversary, alice, bob, conversation, devices });
  } finally {
    await adversary.close();
  }
}

/** Every device shows `expected` (texts, in order) in the conversation, each once; else throws for `rule`. */
async function expectShown(scene: Scene, expected: readonly string[], rule: string, how: string, duplicateRule = rule): Promise<void> {
  for (const device of scene.devices) {
    const shown = await shownTexts(scene.adapter, device, scene.conversation);
    const twice = shown.find((t, i) => shown.indexOf(t) !== i);
    if (twice !== undefined) throw new RuleViolation(duplicateRule, `${how}: device ${device} shows ${JSON.stringify(twice)} twice: ${JSON.stringify(shown)}`);
    if (shown.join("\u0000") !== expected.join("\u0000")) throw new RuleViolation(rule, `${how}: device ${device} shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expected)}`);
  }
}

/** Polls (without SyncNow) until every device shows `expected`; returns the complaint after `ms`. */
function shownWithin(scene: Scene, expected: readonly string[], ms: number): Promise<string | undefined> {
  return within(ms, async () => {
    for (const device of scene.devices) {
      const shown = await shownTexts(scene.adapter, device, scene.conversation);
      if (shown.join("\u0000") !== expected.join("\u0000")) return `device ${device} shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expected)}`;
    }
    return undefined;
  });
}

const isToClient = (e: AdversaryEvent): boolean => e.direction === "to-client";
const isMessageUpdate = (frame: Frame): boolean => pushedUpdate(frame)?.kind?.$case === "message";

defineProperty({
  id: "client.adversary.replayed-pushes",
  rules: ["CLIENT-DEDUP-001", "CLIENT-DEDUP-002", "CLIENT-DEDUP-003", "SYNC-APPLY-002"],
  mode: "client",
  profile: "core",
  numRuns: 4,
  description: "The adversary pushes chosen account updates and inbox entries a second time, right away or after the next frame, and serves every inbox entry again in later FetchInbox answers; every device still shows each message exactly once, in order, and no replay has a visible effect (no undecryptable notice).",
  run: ({ target }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(fc.constantFrom("now", "later", "no"), { minLength: 12, maxLength: 12 }), async (n, plan) =>
      withScene(target, async (scene) => {
        const held = new Map<number, Frame[]>();
        let pushes = 0;
        const before = await undecryptableNotices(scene);
        // Every inbox entry served to a device, by device: later FetchInbox answers carry them again, first.
        const served = new Map<string, InboxEntry[]>();
        scene.adversary.setScript((e) => {
          if (!isToClient(e)) return undefined;
          const later = held.get(e.connection) ?? [];
          held.delete(e.connection);
          const kind = e.frame.kind;
          if (kind?.$case === "response" && kind.value.result?.$case === "fetchInbox") {
            const who = `${e.account}.${e.device}`;
            const old = served.get(who) ?? [];
            const fresh = kind.value.result.value.entries;
            served.set(who, [...old, ...fresh.filter((f) => !old.some((o) => o.inboxSeq === f.inboxSeq))]);
            if (old.length === 0) return [e.frame, ...later];
            const replayed = old.filter((o) => fresh.length === 0 || o.inboxSeq < fresh[0]!.inboxSeq);
            return [{ kind: { $case: "response", value: { ...kind.value, result: { $case: "fetchInbox", value: { ...kind.value.result.value, entries: [...replayed, ...fresh] } } } } }, ...later];
          }
          const isPush = kind?.$case === "push" && (kind.value.body?.$case === "update" || kind.value.body?.$case === "inbox");
          const choice = isPush ? plan[pushes++ % plan.length]! : "no";
          if (choice === "later") held.set(e.connection, [e.frame]);
          return [e.frame, ...(choice === "now" ? [e.frame] : []), ...later];
        });
        const sent = texts(n, "r");
        for (const [i, t] of sent.entries()) await scene.adapter.call("sendText", { device: i % 2 === 0 ? scene.alice.devices[0]! : scene.bob.devices[0]!, conversation: scene.conversation, text: t });
        const expected = ["hello", ...sent];
        await shownWithin(scene, expected, 1_500);
        await expectShown(scene, expected, "CLIENT-DEDUP-001", "with replayed pushes, before SyncNow", "CLIENT-DEDUP-003");
        await syncAll(scene.adapter, scene.devices);
        await expectShown(scene, expected, "CLIENT-DEDUP-001", "with replayed pushes, after SyncNow", "CLIENT-DEDUP-003");
        const after = await undecryptableNotices(scene);
        const fresh = after.filter((n) => !before.includes(n));
        // A replayed update or inbox entry that was processed again shows as a failed decryption:
        // charged to every rule of the property (which replay caused it is not visible).
        if (fresh.length > 0) throw new Error(`replayed updates or inbox entries had a visible effect: ${fresh.slice(0, 3).join("; ")}`);
      })),
});

/** The undecryptable notices every device of the scene shows, as `device: detail`. */
async function undecryptableNotices(scene: Scene): Promise<string[]> {
  const out: string[] = [];
  for (const device of scene.devices) {
    for (const e of (await scene.adapter.call("getVisibleState", { device })).events) if (e.kind === AdapterEventKind.UNDECRYPTABLE) out.push(`${device}: ${e.detail}`);
  }
  return out;
}

defineProperty({
  id: "client.adversary.reordered-pushes",
  rules: ["CLIENT-APPLY-001", "CLIENT-ORDER-001", "SYNC-APPLY-001"],
  mode: "client",
  profile: "core",
  numRuns: 4,
  description: "The adversary holds chosen message-update pushes back until the next message-update push on the same connection passes (so they arrive after later updates; the first one on each connection always is), and never delivers held pushes no later one releases; after SyncNow every device shows every message once, in server order.",
  run: ({ target }) =>
    fc.asyncProperty(fc.integer({ min: 2, max: 5 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), async (n, plan) =>
      withScene(target, async (scene) => {
        const held = new Map<number, Frame[]>();
        const pushes = new Map<number, number>();
        scene.adversary.setScript((e) => {
          if (!isToClient(e) || !isMessageUpdate(e.frame)) return undefined;
          const index = pushes.get(e.connection) ?? 0;
          pushes.set(e.connection, index + 1);
          const later = held.get(e.connection) ?? [];
          if (index === 0 || plan[index % plan.length]) {
            held.set(e.connection, [...later, e.frame]);
            return [];
          }
          held.delete(e.connection);
          return [e.frame, ...later];
        });
        const sent = texts(n, "o");
        for (const [i, t] of sent.entries()) await scene.adapter.call("sendText", { device: i % 3 === 2 ? scene.bob.devices[0]! : scene.alice.devices[0]!, conversation: scene.conversation, text: t });
        await syncAll(scene.adapter, scene.devices);
        // Charged to both sequence rules (CLIENT-APPLY-001 and SYNC-APPLY-001 say the same).
        await expectShown(scene, ["hello", ...sent], "CLIENT-APPLY-001", "with reordered pushes, after SyncNow", "CLIENT-APPLY-001").catch((error: unknown) => {
          throw new Error((error as Error).message);
        });
      })),
});

defineProperty({
  id: "client.adversary.withheld-update-gap",
  rules: ["CLIENT-APPLY-003", "SYNC-APPLY-003"],
  mode: "client",
  profile: "core",
  numRuns: 4,
  description: "The adversary never pushes chosen message updates, so a later push reveals a gap; every device fetches the difference and shows the withheld messages, in order, without being told to sync, and still after SyncNow.",
  run: ({ target }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), async (n, plan) =>
      withScene(target, async (scene) => {
        const seen = new Map<number, number>();
        let armed = true;
        scene.adversary.setScript((e) => {
          if (!armed || !isToClient(e) || !isMessageUpdate(e.frame)) return undefined;
          const index = seen.get(e.connection) ?? 0;
          seen.set(e.connection, index + 1);
          return index < n && plan[index % plan.length] ? [] : undefined;
        });
        const sent = texts(n, "g");
        for (const t of sent) await scene.adapter.call("sendText", { device: scene.alice.devices[0]!, conversation: scene.conversation, text: t });
        armed = false;
        // The last message is always pushed: it reveals any gap before it.
        await scene.adapter.call("sendText", { device: scene.alice.devices[0]!, conversation: scene.conversation, text: "last" });
        const expected = ["hello", ...sent, "last"];
        const complaint = await shownWithin(scene, expected, 1_500);
        // Failures are charged to both gap rules (CLIENT-APPLY-003 and SYNC-APPLY-003 say the same).
        if (complaint !== undefined) throw new Error(`after a pushed update revealed a gap, without SyncNow: ${complaint}`);
        await syncAll(scene.adapter, scene.devices, 1);
        await expectShown(scene, expected, "CLIENT-APPLY-003", "after SyncNow").catch((error: unknown) => {
          throw new Error((error as Error).message);
        });
      })),
});

defineProperty({
  id: "client.adversary.tampered-ciphertext",
  rules: ["ENC-RATCHET-004"],
  mode: "client",
  profile: "core",
  numRuns: 4,
  description: "The adversary flips one byte of one message's ciphertext wherever the server serves it (pushes and differences); no device shows that message, and every device still shows all the others, in order (the chain is unchanged by the failure).",
  run: ({ target }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.nat(), fc.nat(), fc.nat({ max: 7 }), async (n, pick, position, bit) =>
      withScene(target, async (scene) => {
        const order: string[] = [];
        const victimIndex = pick % n;
        const tamper = (update: NonNullable<ReturnType<typeof pushedUpdate>>) => {
          if (update.kind?.$case !== "message") return update;
          const id = hex(update.kind.value.clientMessageId);
          if (!order.includes(id)) order.push(id);
          if (order.indexOf(id) !== victimIndex) return update;
          const ciphertext = Uint8Array.from(update.kind.value.ciphertext);
          ciphertext[position % ciphertext.length]! ^= 1 << bit;
          return { ...update, kind: { $case: "message" as const, value: { ...update.kind.value, ciphertext } } };
        };
        scene.adversary.setScript((e) => {
          const kind = e.frame.kind;
          if (!isToClient(e)) return undefined;
          if (kind?.$case === "push" && kind.value.body?.$case === "update" && kind.value.body.value.update !== undefined) {
            return [{ kind: { $case: "push", value: { body: { $case: "update", value: { update: tamper(kind.value.body.value.update) } } } } }];
          }
          if (kind?.$case === "response" && kind.value.result?.$case === "getDifference") {
            const result = kind.value.result.value.result;
            if (result?.$case === "difference" || result?.$case === "slice") {
              const value = { ...result.value, updates: result.value.updates.map(tamper) };
              return [{ kind: { $case: "response", value: { ...kind.value, result: { $case: "getDifference", value: { result: { ...result, value } as typeof result } } } } }];
            }
          }
          return undefined;
        });
        const sent = texts(n, "t");
        for (const t of sent) await scene.adapter.call("sendText", { device: scene.alice.devices[0]!, conversation: scene.conversation, text: t });
        await scene.adapter.call("sendText", { device: scene.alice.devices[0]!, conversation: scene.conversation, text: "after" });
        await syncAll(scene.adapter, scene.devices);
        const victim = sent[victimIndex]!;
        const expected = ["hello", ...sent.filter((t) => t !== victim), "after"];
        for (const device of scene.devices) {
          const shown = await shownTexts(scene.adapter, device, scene.conversation);
          if (shown.includes(victim)) throw new RuleViolation("ENC-RATCHET-004", `device ${device} shows ${JSON.stringify(victim)} although its ciphertext was tampered with`);
          const visible = shown.filter((t) => t !== "");
          if (visible.join("\u0000") !== expected.join("\u0000")) throw new RuleViolation("ENC-RATCHET-004", `after one tampered ciphertext device ${device} shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expected)}`);
        }
      })),
});

const INJECTED_DEVICE = 99;

/** Adds a device `INJECTED_DEVICE` (a copy of the first certificate under a new id) to a served list, keeping the signature. */
function injectDevice(list: { body: Uint8Array; signature: Uint8Array }): { body: Uint8Array; signature: Uint8Array } {
  const body = decodeMessage(DeviceListBody, list.body);
  const first = body.devices[0];
  if (first === undefined || body.devices.some((d) => decodeMessage(DeviceCertificateBody, d.body).deviceId === INJECTED_DEVICE)) return list;
  const certificate = decodeMessage(DeviceCertificateBody, first.body);
  const forged = { body: encodeMessage(DeviceCertificateBody, { ...certificate, deviceId: INJECTED_DEVICE }), signature: first.signature };
  return { body: encodeMessage(DeviceListBody, { ...body, devices: [...body.devices, forged] }), signature: list.signature };
}

defineProperty({
  id: "client.adversary.injected-device",
  rules: ["CLIENT-TRUST-001"],
  mode: "client",
  profile: "core",
  numRuns: 3,
  description: "After Alice holds Bob's signed device list, the adversary adds a device Bob never signed to every list of Bob's it serves to Alice while Bob links a second device; Alice never claims prekeys for, nor sends keys to, the injected device, while her messages to Bob go on.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), async (n) =>
      withScene(target, async (scene) => {
        const offences: string[] = [];
        let injected = 0;
        const bob = scene.bob.account;
        scene.adversary.setScript((e) => {
          const kind = e.frame.kind;
          if (e.direction === "to-server") {
            const body = kind?.$case === "request" ? kind.value.body : undefined;
            if (body?.$case === "claimPrekeys" && hex(body.value.accountId) === bob && body.value.deviceIds.includes(INJECTED_DEVICE)) offences.push(`claimed prekeys of the injected device ${INJECTED_DEVICE}`);
            if (body?.$case === "sendToDevices" && hex(body.value.accountId) === bob && body.value.messages.some((m) => m.deviceId === INJECTED_DEVICE)) offences.push(`sent a ciphertext to the injected device ${INJECTED_DEVICE}`);
            return undefined;
          }
          if (e.account === bob) return undefined;
          if (kind?.$case === "response" && kind.value.result?.$case === "getDeviceList") {
            const list = kind.value.result.value.deviceList;
            if (list === undefined || hex(decodeMessage(DeviceListBody, list.body).accountId) !== bob) return undefined;
            injected++;
            return [{ kind: { $case: "response", value: { ...kind.value, result: { $case: "getDeviceList", value: { deviceList: injectDevice(list) } } } } }];
          }
          if (kind?.$case === "push" && kind.value.body?.$case === "deviceList" && kind.value.body.value.deviceList !== undefined) {
            const list = kind.value.body.value.deviceList;
            if (hex(decodeMessage(DeviceListBody, list.body).accountId) !== bob) return undefined;
            injected++;
            return [{ kind: { $case: "push", value: { body: { $case: "deviceList", value: { deviceList: injectDevice(list) } } } } }];
          }
          return undefined;
        });
        const linked = await scene.adapter.call("linkDevice", { account: bob, approverDevice: scene.bob.devices[0]!, approve: true });
        const sent = texts(n, "i");
        let failure: unknown;
        try {
          for (const t of sent) await scene.adapter.call("sendText", { device: scene.alice.devices[0]!, conversation: scene.conversation, text: t });
          await syncAll(scene.adapter, [...scene.devices, linked.device]);
        } catch (error) {
          // A refused send is allowed (the forged list is rejected); what was sent before it is checked first.
          if (!isAdapterRefusal(error)) throw error;
          failure = error;
        }
        transcript.add("note", `sending after the forged lists: ${failure === undefined ? "accepted" : (failure as Error).message}`);
        if (offences.length > 0) throw new RuleViolation("CLIENT-TRUST-001", `Alice's device ${offences[0]} that Bob's signed list never named`);
        // Delivery to Bob is not required: the server may refuse a send to his
        // previous list once his real list moved on. Keys must never go to the forgery.
        transcript.add("note", `the adversary served ${injected} forged device lists of Bob's`);
      })),
});

const CHUNK = 65_536;
const HEADER = 20;
const TAG = 16;

defineProperty({
  id: "client.adversary.swapped-attachment-chunk",
  rules: ["ENC-ATTACH-005", "ENC-ATTACH-006"],
  mode: "client",
  profile: "files",
  numRuns: 3,
  description: "Alice sends two documents of the same size; when Bob downloads the first, the adversary serves one attachment chunk of the second in its place; Bob's FetchDocument fails (or returns exactly the original), and his visible state never shows another document digest.",
  run: ({ target }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 150_000 }), fc.nat(), fc.integer({ min: 0, max: 250 }), async (size, chunkPick, fill) =>
      withScene(target, async (scene) => {
        const { adapter, alice, conversation } = scene;
        const bobDevice = scene.bob.devices[0]!;
        const first = Uint8Array.from({ length: size }, (_, i) => (fill + i) & 0xff);
        const second = Uint8Array.from({ length: size }, (_, i) => (fill + 7 + i * 3) & 0xff);
        const requests = new Map<string, { blob: string; offset: number }>();
        const recorded = new Map<string, Map<number, Uint8Array>>();
        // Before arming, downloads are recorded (the honest copy of the second
        // document); after, any other blob is the first document: its chunk is swapped.
        let armed = false;
        const chunks = Math.max(1, Math.ceil(size / CHUNK));
        const chunk = chunkPick % chunks;
        const from = HEADER + chunk * (CHUNK + TAG);
        const to = from + CHUNK + TAG;
        let swapped = 0;
        scene.adversary.setScript((e) => {
          const kind = e.frame.kind;
          if (e.direction === "to-server") {
            if (kind?.$case === "request" && kind.value.body?.$case === "downloadRange") {
              requests.set(`${e.connection}:${kind.value.requestId}`, { blob: hex(kind.value.body.value.blobId), offset: Number(kind.value.body.value.offset) });
            }
            return undefined;
          }
          if (kind?.$case !== "response" || kind.value.result?.$case !== "downloadRange") return undefined;
          const request = requests.get(`${e.connection}:${kind.value.requestId}`);
          if (request === undefined) return undefined;
          const data = kind.value.result.value.data;
          if (!armed || recorded.has(request.blob)) {
            const byOffset = recorded.get(request.blob) ?? new Map<number, Uint8Array>();
            byOffset.set(request.offset, data);
            recorded.set(request.blob, byOffset);
            return undefined;
          }
          const donor = [...recorded.values()][0]?.get(request.offset);
          if (donor === undefined || donor.length !== data.length) return undefined;
          const mixed = Uint8Array.from(data);
          for (let i = Math.max(from, request.offset); i < Math.min(to, request.offset + data.length); i++) mixed[i - request.offset] = donor[i - request.offset]!;
          swapped++;
          return [{ kind: { $case: "response", value: { ...kind.value, result: { $case: "downloadRange", value: { ...kind.value.result.value, data: mixed } } } } }];
        });
        const a = await adapter.call("sendDocument", { device: alice.devices[0]!, conversation, content: first, fileName: "a.bin", mediaType: "application/octet-stream" });
        const b = await adapter.call("sendDocument", { device: alice.devices[0]!, conversation, content: second, fileName: "b.bin", mediaType: "application/octet-stream" });
        await syncAll(adapter, [bobDevice], 2);
        // An honest download of the second document, which the adversary records.
        const honestCopy = await adapter.call("fetchDocument", { device: bobDevice, conversation, message: b.message });
        if (hex(honestCopy.sha256) !== hex(b.sha256)) throw new RuleViolation("ENC-ATTACH-006", "an untouched document did not download intact");
        armed = true;
        let fetched: Uint8Array | undefined;
        try {
          fetched = (await adapter.call("fetchDocument", { device: bobDevice, conversation, message: a.message })).content;
        } catch (error) {
          if (!isAdapterRefusal(error)) throw error;
        }
        if (swapped === 0) return; // the client read the document from somewhere the adversary did not touch
        if (fetched !== undefined && hex(fetched) !== hex(first)) {
          throw new RuleViolation("ENC-ATTACH-005", `with chunk ${chunk} taken from another document, FetchDocument returned ${fetched.length} bytes that are not the document (expected a rejection)`);
        }
        const shown = (await shownMessages(adapter, bobDevice, conversation)).find((m) => m.message === a.message);
        if (shown !== undefined && shown.documentSha256.length > 0 && hex(shown.documentSha256) !== hex(a.sha256)) {
          throw new RuleViolation("ENC-ATTACH-006", `Bob's visible state shows document digest ${hex(shown.documentSha256).slice(0, 12)} for a document whose content hashes to ${hex(a.sha256).slice(0, 12)}`);
        }
      })),
});
