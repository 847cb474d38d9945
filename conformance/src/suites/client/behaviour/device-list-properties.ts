// Device lists and sends seen through the adversary: an older, genuinely
// signed device list replayed after a newer one was accepted (rollback), an
// older list served to a newly linked device that its account's list does
// not name yet, and a send rejected with RECIPIENTS_MISMATCH because the
// sender's device was kept from learning of a membership change.
import fc from "fast-check";
import { AdapterErrorKind, DeviceCertificateBody, DeviceListBody, decodeMessage, encodeMessage, ErrorCode, LinkingPayload, type Frame, type SignedDeviceList } from "@kabar/protocol";
import { isAdapterRefusal } from "../../../adapter/adapter-client.js";
import { pushedUpdate, type AdversaryEvent } from "../../../adversary/adversary.js";
import { ConformanceError } from "../../../errors.js";
import { defineProperty } from "../../../registry/property-registry.js";
import { RuleViolation } from "../../../registry/rule-violation.js";
import type { ClientTarget } from "../../../targets/target-types.js";
import { aliceAndBob, freshAdapter, person, shownTexts, syncAll, withAdversary } from "./client-world.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const text = fc.string({ minLength: 1, maxLength: 8 });

/** The signed device list a to-client frame carries (GetDeviceList answer or device-list push), if any. */
function servedList(frame: Frame): SignedDeviceList | undefined {
  const kind = frame.kind;
  if (kind?.$case === "response" && kind.value.result?.$case === "getDeviceList") return kind.value.result.value.deviceList;
  if (kind?.$case === "push" && kind.value.body?.$case === "deviceList") return kind.value.body.value.deviceList;
  return undefined;
}

/** The frame with its device list replaced by `list`. */
function withList(frame: Frame, list: SignedDeviceList): Frame {
  const kind = frame.kind;
  if (kind?.$case === "response" && kind.value.result?.$case === "getDeviceList") return { kind: { $case: "response", value: { ...kind.value, result: { $case: "getDeviceList", value: { deviceList: list } } } } };
  return { kind: { $case: "push", value: { body: { $case: "deviceList", value: { deviceList: list } } } } };
}

const listBody = (list: SignedDeviceList) => decodeMessage(DeviceListBody, list.body);
const listDevices = (list: SignedDeviceList): number[] => listBody(list).devices.map((d) => decodeMessage(DeviceCertificateBody, d.body).deviceId);

/** Records every signed list of `account` the server serves anyone: version -> list. */
function recordLists(account: () => string, into: Map<bigint, SignedDeviceList>): (e: AdversaryEvent) => void {
  return (e) => {
    if (e.direction !== "to-client") return;
    const list = servedList(e.frame);
    if (list === undefined) return;
    const body = listBody(list);
    if (hex(body.accountId) === account()) into.set(body.version, list);
  };
}

defineProperty({
  id: "client.trust.no-device-list-rollback",
  rules: ["CLIENT-TRUST-003"],
  mode: "client",
  profile: "core",
  numRuns: 2,
  description:
    "After Alice's device has accepted Bob's device list naming his second device, the adversary pushes and serves her Bob's older (genuinely signed) list instead; when Alice then starts a new conversation with Bob, her key distributions still reach every device of the newer list.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 2 }), async (count) =>
      withAdversary(target, async (adversary) => {
        const texts = Array.from({ length: count }, (_, i) => `r${i}`);
        const lists = new Map<bigint, SignedDeviceList>();
        let bobAccount = "";
        const record = recordLists(() => bobAccount, lists);
        let rollback: { list: SignedDeviceList; injected: boolean } | undefined;
        let aliceAccount = "";
        const distributions: number[][] = [];
        adversary.setScript((e) => {
          record(e);
          if (rollback === undefined || e.account !== aliceAccount) return undefined;
          const kind = e.frame.kind;
          if (e.direction === "to-server") {
            if (kind?.$case === "request" && kind.value.body?.$case === "sendToDevices" && hex(kind.value.body.value.accountId) === bobAccount) distributions.push(kind.value.body.value.messages.map((m) => m.deviceId));
            return undefined;
          }
          const list = servedList(e.frame);
          if (list !== undefined && hex(listBody(list).accountId) === bobAccount) return [withList(e.frame, rollback.list)];
          if (rollback.injected) return undefined;
          rollback.injected = true;
          return [e.frame, withList(e.frame, rollback.list)];
        });
        const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url);
        aliceAccount = alice.account;
        bobAccount = bob.account;
        await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: "hello" });
        await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!], 1);
        const linked = await adapter.call("linkDevice", { account: bob.account, approverDevice: bob.devices[0]!, approve: true });
        // Bob's new device writes to Alice: her device must verify it, under Bob's newer list.
        await syncAll(adapter, [linked.device], 1);
        await adapter.call("sendText", { device: linked.device, conversation, text: "from the new device" });
        await syncAll(adapter, [alice.devices[0]!, linked.device, alice.devices[0]!]);
        const shown = await shownTexts(adapter, alice.devices[0]!, conversation);
        if (!shown.includes("from the new device")) throw new Error(`Alice's device never shows the text of Bob's newly linked device (shows ${JSON.stringify(shown)}); the rollback cannot be tried`);
        const versions = [...lists.keys()].sort((a, b) => (a < b ? -1 : 1));
        if (versions.length < 2) throw new ConformanceError("HARNESS", `the server served only Bob's list versions ${versions.join(",")}; two are needed`);
        const newest = lists.get(versions.at(-1)!)!;
        const oldest = lists.get(versions[0]!)!;
        const expected = listDevices(newest);
        rollback = { list: oldest, injected: false };
        transcript.add("note", `rolling Bob's list back from version ${versions.at(-1)} (devices ${expected.join(",")}) to ${versions[0]} (devices ${listDevices(oldest).join(",")})`);
        const fresh = await adapter.call("createConversation", { device: alice.devices[0]!, kind: 1, members: [bob.account] });
        for (const t of texts) await adapter.call("sendText", { device: alice.devices[0]!, conversation: fresh.conversation, text: t }).catch((error: unknown) => {
          if (!isAdapterRefusal(error)) throw error;
        });
        await syncAll(adapter, [alice.devices[0]!], 1);
        transcript.add("note", `Alice's SendToDevices to Bob after the rollback named devices ${distributions.map((d) => `[${d.join(",")}]`).join(" ") || "(none)"}`);
        const short = distributions.find((d) => expected.some((id) => !d.includes(id)));
        if (short !== undefined) {
          throw new RuleViolation("CLIENT-TRUST-003", `after Bob's list version ${versions.at(-1)} (devices ${expected.join(",")}) was accepted, Alice's device took the older version ${versions[0]}: it sent keys to Bob's devices ${short.join(",")} only`);
        }
      })),
});

defineProperty({
  id: "client.link.own-certificate-check",
  rules: ["CLIENT-LINK-003"],
  mode: "client",
  profile: "core",
  numRuns: 2,
  description:
    "While Alice links a new device, the adversary serves the new device her account's previous signed list (genuine, but without the new device's certificate); LinkDevice does not hand back a usable device.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constantFrom("push-too", "answers-only"), async (how) =>
      withAdversary(target, async (adversary) => {
        const lists = new Map<bigint, SignedDeviceList>();
        let aliceAccount = "";
        const record = recordLists(() => aliceAccount, lists);
        let old: { list: SignedDeviceList; devices: number[] } | undefined;
        let served = 0;
        adversary.setScript((e) => {
          record(e);
          if (old === undefined || e.direction !== "to-client" || e.account !== aliceAccount || e.device === undefined || old.devices.includes(e.device)) return undefined;
          const list = servedList(e.frame);
          if (list === undefined || hex(listBody(list).accountId) !== aliceAccount) return undefined;
          if (how === "answers-only" && e.frame.kind?.$case === "push") return [];
          served++;
          return [withList(e.frame, old.list)];
        });
        const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url);
        aliceAccount = alice.account;
        // Bob writes to Alice, so the server serves Alice's current list.
        await syncAll(adapter, [bob.devices[0]!], 1);
        await adapter.call("sendText", { device: bob.devices[0]!, conversation, text: "hi" });
        await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!], 1);
        const newest = [...lists.entries()].sort(([a], [b]) => (a < b ? 1 : -1))[0];
        if (newest === undefined) throw new ConformanceError("HARNESS", "the server served no device list of Alice's");
        old = { list: newest[1], devices: listDevices(newest[1]) };
        let linked: string | undefined;
        try {
          linked = (await adapter.call("linkDevice", { account: alice.account, approverDevice: alice.devices[0]!, approve: true })).device;
        } catch (error) {
          if (!isAdapterRefusal(error)) throw error;
          transcript.add("note", `LinkDevice refused: ${(error as Error).message}`);
        }
        transcript.add("note", `the adversary served the new device Alice's list version ${listBody(old.list).version} (devices ${old.devices.join(",")}) ${served} times`);
        if (served === 0) throw new RuleViolation("CLIENT-LINK-003", "the new device never fetched its account's device list before it was handed back: it did not check that the list certifies its own keys");
        if (linked !== undefined && linked !== "") {
          throw new RuleViolation("CLIENT-LINK-003", `LinkDevice handed back device ${linked} although every list of its account it was served (version ${listBody(old.list).version}, devices ${old.devices.join(",")}) lacks its certificate`);
        }
      })),
});

defineProperty({
  id: "client.send.recipients-mismatch",
  rules: ["CLIENT-SEND-002"],
  mode: "client",
  profile: "groups",
  numRuns: 2,
  description:
    "The adversary keeps Alice's device from hearing that Bob added Carol to their group (membership pushes withheld), so her next sends are rejected with RECIPIENTS_MISMATCH; she catches up, sends again under the same client message id, and Bob and Carol show every text, once, in order.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), async (count) =>
      withAdversary(target, async (adversary) => {
        const texts = Array.from({ length: count }, (_, i) => `s${i}`);
        const adapter = await freshAdapter(target, adversary.url);
        const [alice, bob, carol] = [await person(adapter, "alice"), await person(adapter, "bob"), await person(adapter, "carol")];
        let armed = false;
        const sends = new Map<string, string>();
        const mismatched: string[] = [];
        const accepted: string[] = [];
        adversary.setScript((e) => {
          if (e.account !== alice.account) return undefined;
          const kind = e.frame.kind;
          if (e.direction === "to-server") {
            if (kind?.$case === "request" && kind.value.body?.$case === "sendMessage") sends.set(`${e.connection}:${kind.value.requestId}`, hex(kind.value.body.value.clientMessageId));
            return undefined;
          }
          if (kind?.$case === "response") {
            const id = sends.get(`${e.connection}:${kind.value.requestId}`);
            if (id !== undefined) {
              if (kind.value.result?.$case === "error" && kind.value.result.value.code === ErrorCode.RECIPIENTS_MISMATCH) mismatched.push(id);
              else if (kind.value.result?.$case === "sendMessage") accepted.push(id);
            }
          }
          if (armed && pushedUpdate(e.frame)?.kind?.$case === "conversation") return [];
          return undefined;
        });
        const { conversation } = await adapter.call("createConversation", { device: alice.devices[0]!, kind: 2, members: [bob.account], title: "g" });
        await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: "before" });
        await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!], 1);
        armed = true;
        await adapter.call("changeMembers", { device: bob.devices[0]!, conversation, add: [carol.account] });
        for (const t of texts) await adapter.call("sendText", { device: alice.devices[0]!, conversation, text: t });
        await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!, carol.devices[0]!, alice.devices[0]!]);
        armed = false;
        await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!, carol.devices[0]!], 1);
        transcript.add("note", `rejected with RECIPIENTS_MISMATCH: ${mismatched.map((m) => m.slice(0, 8)).join(",") || "none"}; accepted: ${accepted.map((m) => m.slice(0, 8)).join(",")}`);
        const lost = [...new Set(mismatched)].filter((id) => !accepted.includes(id));
        if (lost.length > 0) throw new RuleViolation("CLIENT-SEND-002", `Alice's sends ${lost.map((m) => m.slice(0, 8)).join(", ")} were rejected with RECIPIENTS_MISMATCH and never sent again under the same client message id`);
        for (const [who, device, expected] of [["Bob", bob.devices[0]!, ["before", ...texts]], ["Carol", carol.devices[0]!, texts]] as const) {
          const shown = await shownTexts(adapter, device, conversation);
          if (shown.join("\u0000") !== expected.join("\u0000")) {
            throw new RuleViolation("CLIENT-SEND-002", `after Alice's sends met RECIPIENTS_MISMATCH (${mismatched.length}), ${who}'s device shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expected)}`);
          }
        }
      })),
});

const PART = 524_288;

defineProperty({
  id: "client.files.resume-after-drop",
  rules: ["CLIENT-FILES-002"],
  mode: "client",
  profile: "files",
  numRuns: 2,
  description:
    "The adversary lets only part 0 of Alice's upload through and closes every connection right after the server acknowledged it, and once more right after Bob's device received the first range of its download; Alice's device asks GetUpload and sends again only parts it reports missing (never an acknowledged one), Bob's device re-requests only ranges it did not receive, and the document arrives intact.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: PART - 1 }), fc.nat({ max: 250 }), async (fullParts, tail, fill) =>
      withAdversary(target, async (adversary) => {
        const { adapter, alice, bob, conversation } = await aliceAndBob(target, adversary.url);
        await syncAll(adapter, [alice.devices[0]!, bob.devices[0]!], 1);
        const content = Uint8Array.from({ length: fullParts * PART + tail }, (_, i) => (fill + i * 7) & 0xff);
        const requests = new Map<string, { kind: "part"; index: number } | { kind: "range"; offset: bigint }>();
        const acked = new Set<number>();
        const received = new Set<bigint>();
        const after = { parts: [] as number[], ranges: [] as bigint[], missing: undefined as number[] | undefined };
        let uploadCut = false;
        let closed = false;
        let downloadCut = false;
        adversary.setScript((e) => {
          const kind = e.frame.kind;
          const key = `${e.connection}:${kind?.$case === "request" || kind?.$case === "response" ? kind.value.requestId : ""}`;
          if (e.direction === "to-server" && kind?.$case === "request") {
            const body = kind.value.body;
            if (body?.$case === "uploadPart" && e.account === alice.account) {
              // Until the cut only part 0 reaches the server; the others are lost on the way.
              if (!closed && body.value.partIndex !== 0) return [];
              requests.set(key, { kind: "part", index: body.value.partIndex });
              if (uploadCut) after.parts.push(body.value.partIndex);
            }
            if (body?.$case === "downloadRange" && e.account === bob.account) {
              requests.set(key, { kind: "range", offset: body.value.offset });
              if (downloadCut) after.ranges.push(body.value.offset);
            }
            return undefined;
          }
          if (kind?.$case !== "response") return undefined;
          if (uploadCut && after.missing === undefined && e.account === alice.account && kind.value.result?.$case === "getUpload") after.missing = kind.value.result.value.missingParts;
          const request = requests.get(key);
          if (request === undefined || kind.value.result?.$case === "error") return undefined;
          // The first acknowledgement of each kind is forwarded, then every connection is closed
          // (once the proxy has written it: setImmediate runs after this frame is relayed).
          if (request.kind === "part") {
            acked.add(request.index);
            if (!uploadCut) {
              uploadCut = true;
              setImmediate(() => {
                closed = true;
                adversary.disconnectAll();
              });
            }
          } else {
            if (!downloadCut) {
              downloadCut = true;
              received.add(request.offset);
              setImmediate(() => adversary.disconnectAll());
            }
          }
          return undefined;
        });
        const sent = await adapter.call("sendDocument", { device: alice.devices[0]!, conversation, content, fileName: "big.bin", mediaType: "application/octet-stream" });
        await syncAll(adapter, [bob.devices[0]!], 2);
        const fetched = await adapter.call("fetchDocument", { device: bob.devices[0]!, conversation, message: sent.message });
        if (hex(fetched.sha256) !== hex(sent.sha256)) throw new RuleViolation("CLIENT-FILES-002", "after dropped connections the document did not arrive intact");
        transcript.add("note", `upload: acknowledged parts ${[...acked].join(",")}; after the cut GetUpload said missing ${after.missing?.join(",") ?? "(not asked)"} and parts ${after.parts.join(",")} were sent; download: ranges re-requested after the cut ${after.ranges.join(",")}`);
        if (after.parts.length > 0 && after.missing === undefined) throw new RuleViolation("CLIENT-FILES-002", `after the connection dropped Alice's device sent parts ${after.parts.join(",")} again without asking GetUpload which are missing`);
        const needless = after.parts.filter((p) => after.missing !== undefined && !after.missing.includes(p));
        if (needless.length > 0) throw new RuleViolation("CLIENT-FILES-002", `after the connection dropped Alice's device sent parts ${needless.join(",")} that GetUpload did not report missing`);
        const again = after.ranges.filter((o) => received.has(o));
        if (again.length > 0) throw new RuleViolation("CLIENT-FILES-002", `after the connection dropped Bob's device downloaded again the range at offset ${again[0]} it had already received`);
      })),
});

defineProperty({
  id: "client.link.verifies-payload-signature",
  rules: ["CLIENT-LINK-001"],
  mode: "client",
  profile: "core",
  numRuns: 3,
  description:
    "Alice's device is handed (ApproveLink) a linking payload from LinkDevice with one bit of its signature, nonce or device keys flipped; it refuses it and publishes no device list, and then approves the untouched payload.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(fc.constantFrom("signature", "nonce", "deviceIdentityKey", "deviceSigningKey"), fc.nat(), fc.nat({ max: 7 }), async (field, position, bit) =>
      withAdversary(target, async (adversary) => {
        let publishes = 0;
        adversary.setScript((e) => {
          if (e.direction === "to-server" && e.frame.kind?.$case === "request" && e.frame.kind.value.body?.$case === "publishDeviceList") publishes++;
          return undefined;
        });
        const adapter = await freshAdapter(target, adversary.url);
        const alice = await person(adapter, "alice");
        const { linkingPayload } = await adapter.call("linkDevice", { account: alice.account, approverDevice: alice.devices[0]!, approve: false });
        const payload = decodeMessage(LinkingPayload, linkingPayload);
        const bytes = Uint8Array.from(payload[field]);
        bytes[position % bytes.length]! ^= 1 << bit;
        const tampered = encodeMessage(LinkingPayload, { ...payload, [field]: bytes });
        const before = publishes;
        let certified: number | undefined;
        try {
          certified = (await adapter.call("approveLink", { approverDevice: alice.devices[0]!, linkingPayload: tampered })).deviceId;
        } catch (error) {
          if (!isAdapterRefusal(error)) throw error;
          // ENC-ID-006 names the code: lengths are unchanged, so the signature is what fails.
          if (error.kind !== AdapterErrorKind.OPERATION_FAILED || error.code !== ErrorCode.SIGNATURE_INVALID) {
            throw new RuleViolation("CLIENT-LINK-001", `a linking payload with an altered ${field} was refused with ${error.message}, not SIGNATURE_INVALID`);
          }
          transcript.add("note", `the tampered payload (${field}, byte ${position % bytes.length}, bit ${bit}) was refused: ${(error as Error).message}`);
        }
        if (certified !== undefined || publishes > before) {
          throw new RuleViolation("CLIENT-LINK-001", `Alice's device approved a linking payload whose ${field} was altered (byte ${position % bytes.length}, bit ${bit}) and ${publishes > before ? "published a device list" : `certified device ${certified}`}`);
        }
        // The untouched payload is approved: the refusal above was the signature check, not a refusal of everything.
        await adapter.call("approveLink", { approverDevice: alice.devices[0]!, linkingPayload });
        if (publishes === before) throw new Error("approving the untouched payload published no device list");
      })),
});

defineProperty({
  id: "client.link.approve-from-linked-device",
  rules: ["CLIENT-LINK-002"],
  mode: "client",
  profile: "core",
  numRuns: 1,
  description:
    "A device linked to Alice's account is asked to approve a further device: it either does (the account identity key was handed over, and the third device then exchanges messages) or refuses with DEVICE_UNTRUSTED; nothing else.",
  run: ({ target, transcript }) =>
    fc.asyncProperty(text, async (t) => {
      const { adapter, alice, bob, conversation } = await aliceAndBob(target);
      const second = await adapter.call("linkDevice", { account: alice.account, approverDevice: alice.devices[0]!, approve: true });
      let third: string | undefined;
      try {
        third = (await adapter.call("linkDevice", { account: alice.account, approverDevice: second.device, approve: true })).device;
      } catch (error) {
        if (!isAdapterRefusal(error)) throw error;
        if (error.code !== ErrorCode.DEVICE_UNTRUSTED) throw new RuleViolation("CLIENT-LINK-002", `a linked device asked to approve another refused with ${error.message}, not DEVICE_UNTRUSTED`);
        transcript.add("note", "the linked device does not hold the account identity key (allowed)");
        return;
      }
      await syncAll(adapter, [third, bob.devices[0]!], 1);
      await adapter.call("sendText", { device: third, conversation, text: t });
      await syncAll(adapter, [bob.devices[0]!, third, bob.devices[0]!]);
      const shown = await shownTexts(adapter, bob.devices[0]!, conversation);
      if (!shown.includes(t)) throw new RuleViolation("CLIENT-LINK-002", `a device approved by a linked device sent ${JSON.stringify(t)}, but Bob's device shows ${JSON.stringify(shown)}`);
    }),
});
