// An in-memory fake client behind a conforming adapter, for the kit's own
// tests: it keeps accounts, devices and direct conversations in memory (no
// protocol, no network) and implements just the operations the
// adapter-contract properties use. With `--break <mutant>` it breaks one
// contract rule; the contract mutants run it that way. Not a reference
// client: it shows what the contract looks like from the adapter's side.
import { createHash } from "node:crypto";
import {
  AdapterErrorKind, AdapterKind, AdapterProfile, AdapterRequest, AdapterResponse, AdapterVisibleState, encodeMessage, decodeMessage,
} from "@kabar/protocol";
import { stateDigest } from "../../../adapter/state-digest.js";
import { referenceDecode } from "../../../codec/reference-codec.js";

const breakIndex = process.argv.indexOf("--break");
const broken = breakIndex >= 0 ? process.argv[breakIndex + 1] : undefined;

interface Conversation { id: string; members: string[]; messages: { id: string; sender: string; text: string }[] }
let accounts = new Map<string, string[]>(); // account -> devices
let deviceAccount = new Map<string, string>();
let conversations: Conversation[] = [];
let counter = 0;
let describeCount = 0;
let handshakeDone = false;

type Result = NonNullable<AdapterResponse["result"]>;
const fail = (kind: AdapterErrorKind, message: string): Result => ({ $case: "error", value: { kind, message, code: 0 } });

function visible(device: string): AdapterVisibleState {
  const account = deviceAccount.get(device)!;
  const convs = conversations
    .filter((c) => c.members.includes(account))
    .map((c) => ({
      conversation: c.id,
      members: broken === "unsorted-members" ? [...c.members].sort().reverse() : [...c.members].sort(),
      messages: c.messages.map((m) => ({ message: m.id, sender: m.sender, text: m.text, edited: false, deleted: false, reactions: [], documentSha256: new Uint8Array(0) })),
      readMarkers: [],
      // oversized-frame: a title that makes the response longer than 16 MiB (CONF-ADAPTER-002).
      title: broken === "oversized-frame" && c.messages.length > 0 ? "x".repeat(16 * 1024 * 1024) : "",
    }))
    .sort((a, b) => (a.conversation < b.conversation ? -1 : 1));
  return { conversations: convs, events: [] };
}

function perform(op: NonNullable<AdapterRequest["op"]>): Result {
  const known = (device: string): boolean => deviceAccount.has(device);
  switch (op.$case) {
    case "describe":
      describeCount++;
      return { $case: "describe", value: { implementation: "fake-client", version: broken === "describe-changes" && describeCount > 1 ? `0.${describeCount}` : "0.1", profiles: [AdapterProfile.CORE], specVersion: "1", kind: AdapterKind.CLIENT, contractVersion: 1 } };
    case "reset":
      if (broken !== "reset-keeps-state") {
        accounts = new Map();
        deviceAccount = new Map();
        conversations = [];
        // Handles derive from the seed, so a replay issues the same ones (CONF-ADAPTER-009).
        counter = Number(op.value.seed % 1_000_000n) * 1_000;
      }
      return { $case: "reset", value: {} };
    case "createAccount": {
      const account = `acct-${++counter}`;
      const device = broken === "empty-handles" ? "" : `dev-${++counter}`;
      accounts.set(account, [device]);
      deviceAccount.set(device, account);
      return { $case: "createAccount", value: { account, device } };
    }
    case "createConversation": {
      if (!known(op.value.device)) return fail(AdapterErrorKind.UNKNOWN_HANDLE, "unknown device");
      const id = `conv-${++counter}`;
      conversations.push({ id, members: [deviceAccount.get(op.value.device)!, ...op.value.members], messages: [] });
      return { $case: "createConversation", value: { conversation: id } };
    }
    case "sendText": {
      const conversation = conversations.find((c) => c.id === op.value.conversation);
      if (!known(op.value.device) || conversation === undefined) return fail(AdapterErrorKind.UNKNOWN_HANDLE, "unknown handle");
      const id = `msg-${++counter}`;
      conversation.messages.push({ id, sender: deviceAccount.get(op.value.device)!, text: op.value.text });
      return { $case: "sendText", value: { message: id } };
    }
    case "syncNow":
      return known(op.value.device) ? { $case: "syncNow", value: {} } : fail(AdapterErrorKind.UNKNOWN_HANDLE, "unknown device");
    case "getVisibleState":
      return known(op.value.device) ? { $case: "getVisibleState", value: visible(op.value.device) } : fail(AdapterErrorKind.UNKNOWN_HANDLE, "unknown device");
    case "getStateDigest": {
      if (!known(op.value.device)) return fail(AdapterErrorKind.UNKNOWN_HANDLE, "unknown device");
      const state = visible(op.value.device);
      const sha256 = broken === "digest-of-json" ? new Uint8Array(createHash("sha256").update(JSON.stringify(state)).digest()) : stateDigest(state);
      return { $case: "getStateDigest", value: { sha256, canonical: new Uint8Array(0) } };
    }
    case "decode": {
      // The fake's decoder is the reference one, so `codec --adapter` can be
      // tested end to end through the adapter contract.
      const outcome = referenceDecode(op.value.messageType, op.value.payload, { maxBytes: op.value.maxBytes || undefined, maxDepth: op.value.maxDepth || undefined });
      if (outcome.kind === "crashed") return fail(AdapterErrorKind.INVALID_REQUEST, outcome.message);
      return { $case: "decode", value: { outcome: outcome.kind === "accepted" ? { $case: "reencoded", value: outcome.reencoded } : { $case: "rejected", value: outcome.code } } };
    }
    default:
      if (broken === "crash-on-unsupported") process.exit(3);
      if (broken === "hang-on-unsupported") return undefined as unknown as Result;
      return fail(AdapterErrorKind.UNSUPPORTED, `${op.$case} is not implemented by the fake client`);
  }
}

function send(bytes: Uint8Array): void {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(bytes.length);
  process.stdout.write(Buffer.concat([header, bytes]));
}

let buffer = Buffer.alloc(0);
process.stdin.on("data", (chunk: Buffer) => {
  buffer = Buffer.concat([buffer, chunk]);
  while (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) {
    const length = buffer.readUInt32BE(0);
    const request = decodeMessage(AdapterRequest, buffer.subarray(4, 4 + length));
    buffer = buffer.subarray(4 + length);
    if (request.op === undefined) continue;
    const handshake = request.op.$case === "describe" || request.op.$case === "reset";
    if (!handshake) handshakeDone = true;
    if (handshakeDone && !handshake && broken === "stdout-noise") process.stdout.write("debug: got a request\n");
    const result = perform(request.op);
    if (result === undefined) continue; // hang: never answer
    const id = handshakeDone && !handshake && broken === "wrong-id" ? request.id + 1n : request.id;
    send(encodeMessage(AdapterResponse, { id, result }));
  }
});
process.stdin.on("end", () => {
  if (broken === "ignores-eof") setInterval(() => undefined, 1_000);
  else process.exit(0);
});
process.stderr.write(`fake-client ready${broken ? ` (broken: ${broken})` : ""}\n`);
