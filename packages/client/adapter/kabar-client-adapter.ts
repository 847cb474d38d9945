// The conformance adapter of the reference client: performs the operations
// of proto/kabar/conformance/v1/adapter.proto with real `KabarClient`s, one
// per device, each on its own in-memory store, all talking to the server the
// kit names in Reset (or --server). Handles: accounts, conversations and
// messages are the lower-case hex of their protocol ids (CONF-HANDLE-002),
// devices are `<account prefix>.<device id>`. The I/O loop is in main.ts.
import { createCipheriv, createHash } from "node:crypto";
import { Readable } from "node:stream";
import { CRYPTO_CASE_HANDLERS, deterministicRandom, NodeCryptoProvider, runCryptoCase, type CaseFields, type CryptoProvider } from "@kabar/crypto";
import {
  AdapterConversationKind, AdapterErrorKind, AdapterEventKind, AdapterKind, AdapterProfile, AdapterVisibleState, ErrorCode, Invoice, LinkingPayload, PaymentReceipt,
  decodeMessage, encodeMessage, isKabarError, type AdapterRequest, type AdapterResponse, type AdapterVisibleConversation, type AdapterVisibleEvent,
  type AdapterVisibleMessage,
} from "@kabar/protocol";
import { examplePayReceiptKey, KabarClient, MemoryClientStore, type KabarClientOptions, type MessageRecord, type Random, type SocketFactory, type SyncEngine } from "../src/index.js";
import { installMutant, randomFor, replayedMessages, socketFactoryFor, type ClientAdapterMutant } from "./adapter-mutants.js";

type Op = NonNullable<AdapterRequest["op"]>;
type Result = NonNullable<AdapterResponse["result"]>;

/** An operation the adapter refuses, with its AdapterError kind. */
class Refusal extends Error {
  constructor(readonly kind: AdapterErrorKind, message: string, readonly code: ErrorCode = 0 as ErrorCode) {
    super(message);
  }
}

/** Runs one encryption case with @kabar/crypto (kinds: docs/spec/encryption-cases.md). */
async function runCryptoCaseOp(kind: string, inputsJson: string): Promise<{ outcome: { $case: "outputsJson"; value: string } | { $case: "rejected"; value: ErrorCode }; rejectionMessage: string }> {
  if (!Object.hasOwn(CRYPTO_CASE_HANDLERS, kind)) throw new Refusal(AdapterErrorKind.UNSUPPORTED, `no encryption case kind ${kind}`);
  let inputs: CaseFields;
  try {
    inputs = JSON.parse(inputsJson) as CaseFields;
  } catch {
    throw new Refusal(AdapterErrorKind.INVALID_REQUEST, "inputs_json is not JSON");
  }
  try {
    return { outcome: { $case: "outputsJson", value: JSON.stringify(await runCryptoCase(kind, inputs)) }, rejectionMessage: "" };
  } catch (error) {
    if (!isKabarError(error)) throw error;
    return { outcome: { $case: "rejected", value: error.code }, rejectionMessage: error.message };
  }
}

interface Device {
  readonly handle: string;
  readonly account: string;
  readonly client: KabarClient;
  readonly events: AdapterVisibleEvent[];
  /** Plaintext SHA-256 of documents this device sent or verified, by message handle. */
  readonly documents: Map<string, Uint8Array>;
  offline: boolean;
}

/** Adapter options. */
export interface ClientAdapterOptions {
  /** Server URL used when Reset names none. */
  readonly serverUrl?: string;
  /** A test-only broken variant (see adapter-mutants.ts). */
  readonly mutant?: ClientAdapterMutant;
  /** Per-request timeout of the SDK's connection, in ms. */
  readonly requestTimeoutMs?: number;
}

const VERSION = "0.1.0";
/** SyncNow waits at most this long for a connection (CONF-ADAPTER-004: answer within the kit's 10 s). */
const SYNC_LIMIT_MS = 6_000;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest());

/** The reference client behind the adapter contract. */
export class KabarClientAdapter {
  private serverUrl: string;
  private devices = new Map<string, Device>();
  private accounts = new Map<string, string[]>();
  private readonly provider: CryptoProvider;
  private readonly socketFactory: SocketFactory | undefined;
  /** The seed of the last Reset (CONF-ADAPTER-009), and how many clients were made since. */
  private seed: bigint | undefined;
  private clientsMade = 0;

  constructor(private readonly options: ClientAdapterOptions = {}) {
    this.serverUrl = options.serverUrl ?? "";
    this.provider = installMutant(options.mutant);
    this.socketFactory = socketFactoryFor(options.mutant);
  }

  /**
   * CONF-ADAPTER-009: after a Reset with a non-zero seed, every key and id a new client makes
   * comes from the seed and the client's ordinal since the Reset, so the
   * same operations after the same Reset give the same handles. Mutant runs
   * keep their (patched) provider and the system's randomness.
   */
  private seededRandomness(): { provider: CryptoProvider; random: Random } | undefined {
    if (this.seed === undefined || this.seed === 0n || this.options.mutant !== undefined) return undefined;
    const ordinal = this.clientsMade++;
    const stream = (label: string) =>
      deterministicRandom(new Uint8Array(createHash("sha256").update(`kabar-adapter ${label} ${this.seed} ${ordinal}`).digest()));
    const bytes = stream("ids");
    const floats = stream("jitter");
    return {
      provider: new NodeCryptoProvider({ random: stream("keys") }),
      random: { bytes: (length) => bytes(length), float: () => Buffer.from(floats(6)).readUIntBE(0, 6) / 2 ** 48 },
    };
  }

  /** Performs one request; never throws. */
  async handle(op: Op): Promise<Result> {
    try {
      return await this.perform(op);
    } catch (error) {
      if (error instanceof Refusal) return { $case: "error", value: { kind: error.kind, message: error.message, code: error.code } };
      if (isKabarError(error)) return { $case: "error", value: { kind: AdapterErrorKind.OPERATION_FAILED, message: error.message, code: error.code } };
      return { $case: "error", value: { kind: AdapterErrorKind.INTERNAL, message: (error as Error)?.message ?? String(error), code: 0 as ErrorCode } };
    }
  }

  /** Closes every client (Reset and exit). */
  async closeAll(): Promise<void> {
    const devices = [...this.devices.values()];
    this.devices = new Map();
    this.accounts = new Map();
    await Promise.all(devices.map((d) => d.client.close().catch(() => undefined)));
  }

  private clientOptions(): KabarClientOptions {
    if (this.serverUrl === "") throw new Refusal(AdapterErrorKind.INVALID_REQUEST, "no server URL: Reset named none and the adapter got no --server");
    const seeded = this.seededRandomness();
    return {
      url: this.serverUrl, store: new MemoryClientStore(), provider: seeded?.provider ?? this.provider, backoff: { baseMs: 5, maxMs: 100 },
      ...(seeded !== undefined ? { random: seeded.random } : {}),
      requestTimeoutMs: this.options.requestTimeoutMs ?? 7_000, preKeyBatch: 5,
      // The kit's server offers only the test provider example-pay (docs/spec/payments.md).
      paymentProviderKeys: { "example-pay": examplePayReceiptKey(this.provider) },
      ...(this.socketFactory !== undefined ? { socketFactory: this.socketFactory } : {}),
      ...(randomFor(this.options.mutant) !== undefined ? { random: randomFor(this.options.mutant)! } : {}),
    };
  }

  private device(handle: string): Device {
    const device = this.devices.get(handle);
    if (device === undefined) throw new Refusal(AdapterErrorKind.UNKNOWN_HANDLE, `unknown device ${JSON.stringify(handle)}`);
    return device;
  }

  private account(handle: string): string {
    if (!this.accounts.has(handle)) throw new Refusal(AdapterErrorKind.UNKNOWN_HANDLE, `unknown account ${JSON.stringify(handle)}`);
    return handle;
  }

  private async conversation(device: Device, handle: string): Promise<string> {
    if (!/^[0-9a-f]{32}$/.test(handle) || (await device.client.conversation(handle)) === undefined) {
      throw new Refusal(AdapterErrorKind.UNKNOWN_HANDLE, `device ${device.handle} knows no conversation ${JSON.stringify(handle)}`);
    }
    return handle;
  }

  private async message(device: Device, conversation: string, handle: string): Promise<string> {
    if (!/^[0-9a-f]{32}$/.test(handle)) throw new Refusal(AdapterErrorKind.UNKNOWN_HANDLE, `unknown message ${JSON.stringify(handle)}`);
    const known = (await device.client.messages(conversation)).some((m) => m.messageId === handle && m.seq > 0);
    if (!known) throw new Refusal(AdapterErrorKind.UNKNOWN_HANDLE, `device ${device.handle} shows no message ${handle}`);
    return handle;
  }

  private adopt(client: KabarClient): Device {
    const account = client.accountId;
    const device: Device = { handle: `${account.slice(0, 12)}.${client.deviceId}`, account, client, events: [], documents: new Map(), offline: false };
    const notice = (kind: AdapterEventKind, accountId: string, conversation: string, detail: string) => device.events.push({ kind, account: accountId, conversation, detail });
    client.on("identityChange", (change) => {
      const who = hex(change.accountId);
      if (change.firstSeen || this.options.mutant === "hides-device-changes") return;
      for (const id of change.added) notice(AdapterEventKind.DEVICE_ADDED, who, "", `device ${id} added`);
      for (const id of change.removed) notice(AdapterEventKind.DEVICE_REMOVED, who, "", `device ${id} removed`);
      for (const id of change.rekeyed) notice(AdapterEventKind.IDENTITY_CHANGED, who, "", `device ${id} re-keyed`);
    });
    client.on("untrustedDeviceList", (event) => notice(AdapterEventKind.UNDECRYPTABLE, event.accountId, "", `device list rejected: ${event.error.message}`));
    client.on("decryptFailed", (event) => notice(AdapterEventKind.UNDECRYPTABLE, "", "", `${event.source} seq ${event.seq}: ${event.error.message}`));
    client.on("membership", (event) => {
      if (event.added.length + event.removed.length > 0) notice(AdapterEventKind.MEMBERS_CHANGED, event.actor, event.conversation.id, "members changed");
    });
    this.devices.set(device.handle, device);
    const list = this.accounts.get(account) ?? [];
    list.push(device.handle);
    this.accounts.set(account, list);
    return device;
  }

  private async perform(op: Op): Promise<Result> {
    switch (op.$case) {
      case "describe":
        return {
          $case: "describe",
          value: {
            implementation: "kabar-client-js", version: VERSION, specVersion: "1", kind: AdapterKind.CLIENT, contractVersion: 1,
            profiles: [AdapterProfile.CORE, AdapterProfile.GROUPS, AdapterProfile.FILES, AdapterProfile.HISTORY, AdapterProfile.PAYMENTS],
          },
        };
      case "reset":
        await this.closeAll();
        this.seed = op.value.seed;
        this.clientsMade = 0;
        if (op.value.serverUrl !== "") this.serverUrl = op.value.serverUrl;
        else if (this.options.serverUrl !== undefined) this.serverUrl = this.options.serverUrl;
        return { $case: "reset", value: {} };
      case "createAccount": {
        const client = await KabarClient.register(this.clientOptions());
        const device = this.adopt(client);
        return { $case: "createAccount", value: { account: device.account, device: device.handle } };
      }
      case "linkDevice": {
        const account = this.account(op.value.account);
        const approver = this.device(op.value.approverDevice);
        if (approver.account !== account) throw new Refusal(AdapterErrorKind.INVALID_REQUEST, "the approver is not a device of that account");
        const options = this.clientOptions();
        const request = await KabarClient.requestLink(options);
        const linkingPayload = encodeMessage(LinkingPayload, request.payload);
        if (!op.value.approve) return { $case: "linkDevice", value: { device: "", linkingPayload } };
        const shareHistory = this.options.mutant !== "no-history-handover";
        const approval = await approver.client.approveLink(request.payload, { shareHistory });
        const client = await request.complete(approval).catch(async (error: unknown) => {
          // Mutant only: open the device although the account's list does not certify its keys (CLIENT-LINK-003).
          if (this.options.mutant !== "skips-own-certificate-check" || !isKabarError(error, ErrorCode.DEVICE_UNTRUSTED)) throw error;
          return KabarClient.open(options);
        });
        const device = this.adopt(client);
        if (shareHistory) await approver.client.completePendingHandovers();
        return { $case: "linkDevice", value: { device: device.handle, linkingPayload } };
      }
      case "approveLink": {
        // CLIENT-LINK-001: the approver verifies the payload the kit hands it before certifying anything.
        const approver = this.device(op.value.approverDevice);
        let payload: LinkingPayload;
        try {
          payload = decodeMessage(LinkingPayload, op.value.linkingPayload);
        } catch (error) {
          throw new Refusal(AdapterErrorKind.INVALID_REQUEST, `linking payload does not decode: ${(error as Error).message}`);
        }
        const approval = await approver.client.approveLink(payload, { shareHistory: false });
        return { $case: "approveLink", value: { deviceId: approval.deviceId } };
      }
      case "sendText": {
        const device = this.device(op.value.device);
        const conversation = await this.conversation(device, op.value.conversation);
        if (this.options.mutant === "drops-offline-sends" && device.offline) return { $case: "sendText", value: { message: hex(sha256(Buffer.from(op.value.text))).slice(0, 32) } };
        return { $case: "sendText", value: { message: await device.client.sendText(conversation, op.value.text) } };
      }
      case "editText": {
        const device = this.device(op.value.device);
        const conversation = await this.conversation(device, op.value.conversation);
        await device.client.editText(conversation, await this.message(device, conversation, op.value.message), op.value.text);
        return { $case: "editText", value: {} };
      }
      case "deleteMessage": {
        const device = this.device(op.value.device);
        const conversation = await this.conversation(device, op.value.conversation);
        await device.client.deleteMessage(conversation, await this.message(device, conversation, op.value.message));
        return { $case: "deleteMessage", value: {} };
      }
      case "react": {
        const device = this.device(op.value.device);
        const conversation = await this.conversation(device, op.value.conversation);
        await device.client.react(conversation, await this.message(device, conversation, op.value.message), op.value.emoji, op.value.remove);
        return { $case: "react", value: {} };
      }
      case "markRead": {
        const device = this.device(op.value.device);
        const conversation = await this.conversation(device, op.value.conversation);
        await device.client.markRead(conversation, await this.message(device, conversation, op.value.message));
        return { $case: "markRead", value: {} };
      }
      case "sendDocument": {
        const device = this.device(op.value.device);
        const conversation = await this.conversation(device, op.value.conversation);
        const content = op.value.content;
        // CLIENT-FILES-001: a generated document is produced as a stream and hashed on the way.
        const generated = op.value.generatedSize > 0n ? generatedDocument(Number(op.value.generatedSize), op.value.generatedSeed) : undefined;
        const message = await device.client.sendDocument(conversation, generated?.stream ?? Readable.from([Buffer.from(content)]), {
          fileName: op.value.fileName || "document.bin", mediaType: op.value.mediaType || "application/octet-stream",
        });
        const digest = generated?.digest() ?? sha256(content);
        device.documents.set(message, digest);
        return { $case: "sendDocument", value: { message, sha256: digest } };
      }
      case "fetchDocument": {
        const device = this.device(op.value.device);
        const conversation = await this.conversation(device, op.value.conversation);
        const message = await this.message(device, conversation, op.value.message);
        if (op.value.digestOnly) {
          // CLIENT-FILES-001: stream, decrypt and hash without holding the document.
          const hash = createHash("sha256");
          for await (const chunk of await device.client.openDocument(conversation, message)) hash.update(chunk as Uint8Array);
          const digest = new Uint8Array(hash.digest());
          device.documents.set(message, digest);
          return { $case: "fetchDocument", value: { content: new Uint8Array(0), sha256: digest } };
        }
        const content = await this.download(device, conversation, message);
        return { $case: "fetchDocument", value: { content, sha256: sha256(content) } };
      }
      case "syncNow": {
        const device = this.device(op.value.device);
        if (!device.offline) await this.bounded(device.client.sync(), SYNC_LIMIT_MS, "SyncNow: not connected and caught up within the time limit");
        return { $case: "syncNow", value: {} };
      }
      case "goOffline": {
        const device = this.device(op.value.device);
        device.offline = true;
        device.client.goOffline();
        return { $case: "goOffline", value: {} };
      }
      case "goOnline": {
        const device = this.device(op.value.device);
        device.offline = false;
        await device.client.goOnline();
        return { $case: "goOnline", value: {} };
      }
      case "createConversation": {
        const device = this.device(op.value.device);
        const members = op.value.members.map((m) => this.account(m));
        const kind = op.value.kind === AdapterConversationKind.GROUP ? "group" : op.value.kind === AdapterConversationKind.DIRECT ? "direct" : undefined;
        if (kind === undefined) throw new Refusal(AdapterErrorKind.INVALID_REQUEST, "conversation kind is unspecified");
        return { $case: "createConversation", value: { conversation: await device.client.createConversation(kind, members) } };
      }
      case "changeMembers": {
        const device = this.device(op.value.device);
        const conversation = await this.conversation(device, op.value.conversation);
        await device.client.changeMembers(conversation, { add: op.value.add.map((m) => this.account(m)), remove: op.value.remove.map((m) => this.account(m)) });
        return { $case: "changeMembers", value: {} };
      }
      case "getVisibleState":
        return { $case: "getVisibleState", value: await this.visibleState(this.device(op.value.device)) };
      case "getStateDigest": {
        const state = await this.visibleState(this.device(op.value.device));
        // CONF-DIGEST-001: the canonical encoding is the standard proto3
        // encoding of the state without events, lists already in order.
        const canonical = encodeMessage(AdapterVisibleState, { conversations: state.conversations, events: [] });
        return { $case: "getStateDigest", value: { sha256: sha256(canonical), canonical } };
      }
      case "payInvoice": {
        // PAY-RECEIPT-002: the SDK shows the payment as done only with a verified receipt (else RECEIPT_INVALID).
        const device = this.device(op.value.device);
        let invoice: Invoice;
        try {
          invoice = decodeMessage(Invoice, op.value.invoice);
        } catch (error) {
          throw new Refusal(AdapterErrorKind.INVALID_REQUEST, `invoice does not decode: ${(error as Error).message}`);
        }
        const paid = await device.client.payInvoice(invoice, op.value.providerToken);
        return { $case: "payInvoice", value: { receipt: encodeMessage(PaymentReceipt, paid.receipt) } };
      }
      case "cryptoCase":
        return { $case: "cryptoCase", value: await runCryptoCaseOp(op.value.kind, op.value.inputsJson) };
      case "setUpBackup": {
        // CLIENT-HISTORY-003: a new recovery secret, and a first backup sealed under it.
        const device = this.device(op.value.device);
        const setup = await device.client.enableBackup();
        return { $case: "setUpBackup", value: { recoverySecret: setup.recoverySecret } };
      }
      case "restoreBackup": {
        // A new device that gets no handover: its history can only come from the key backup.
        const account = this.account(op.value.account);
        const approver = this.device(op.value.approverDevice);
        if (approver.account !== account) throw new Refusal(AdapterErrorKind.INVALID_REQUEST, "the approver is not a device of that account");
        const request = await KabarClient.requestLink(this.clientOptions());
        const device = this.adopt(await request.complete(await approver.client.approveLink(request.payload, { shareHistory: false })));
        // Catch up first, so the earlier messages wait for their keys; the restore then decrypts them.
        await this.bounded(device.client.sync(), SYNC_LIMIT_MS, "RestoreBackup: not connected and caught up within the time limit");
        try {
          await device.client.restoreFromBackup(op.value.recoverySecret);
        } catch (error) {
          if (!isKabarError(error)) throw error;
          return { $case: "restoreBackup", value: { device: device.handle, rejected: error.code } };
        }
        return { $case: "restoreBackup", value: { device: device.handle, rejected: 0 as ErrorCode } };
      }
      default:
        throw new Refusal(AdapterErrorKind.UNSUPPORTED, `${op.$case} is not an operation of a client adapter`);
    }
  }

  /** Resolves with `work`, or refuses with UNAVAILABLE after `ms`. */
  private async bounded<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Refusal(AdapterErrorKind.OPERATION_FAILED, message, ErrorCode.UNAVAILABLE)), ms);
    });
    try {
      return await Promise.race([work, limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Downloads and verifies a document; the SDK authenticates every chunk and checks the digest (ENC-ATTACH-005/006). */
  private async download(device: Device, conversation: string, message: string): Promise<Uint8Array> {
    const stream = await device.client.openDocument(conversation, message);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
    } catch (error) {
      if (this.options.mutant !== "keeps-corrupt-document") throw error;
    }
    const content = new Uint8Array(Buffer.concat(chunks));
    device.documents.set(message, sha256(content));
    return content;
  }

  private async visibleState(device: Device): Promise<AdapterVisibleState> {
    const conversations: AdapterVisibleConversation[] = [];
    for (const record of await device.client.conversations()) {
      let shown = (await device.client.messages(record.id)).filter((m) => m.seq > 0);
      if (this.options.mutant === "orders-by-message-id") shown = [...shown].sort((a, b) => byBytes(a.messageId, b.messageId));
      const messages: AdapterVisibleMessage[] = [];
      for (const m of shown) messages.push(await this.visibleMessage(device, m));
      if (this.options.mutant === "shows-replay-twice") {
        const engine = (device.client as unknown as { ctx: { engine: SyncEngine } }).ctx.engine;
        for (const again of replayedMessages.get(engine) ?? []) {
          const original = messages.find((m) => m.message === again.messageId);
          if (again.conversationId === record.id && original !== undefined) messages.push(original);
        }
      }
      conversations.push({
        conversation: record.id,
        members: [...record.members].sort(byBytes),
        messages,
        readMarkers: Object.entries(record.readMarkers).map(([account, marker]) => ({ account, message: marker.messageId })).sort((a, b) => byBytes(a.account, b.account)),
        title: "",
      });
    }
    conversations.sort((a, b) => byBytes(a.conversation, b.conversation));
    return { conversations, events: [...device.events] };
  }

  private async visibleMessage(device: Device, m: MessageRecord): Promise<AdapterVisibleMessage> {
    const deleted = m.deleteSeq > 0;
    let documentSha256: Uint8Array = new Uint8Array(0);
    if (m.document !== undefined && !deleted) {
      // What the user sees of a document is its verified content: fetch it
      // once (the reference client previews documents), remember the hash.
      if (!device.documents.has(m.messageId) && !device.offline) {
        await this.download(device, m.conversationId, m.messageId).catch(() => device.documents.set(m.messageId, new Uint8Array(0)));
      }
      documentSha256 = device.documents.get(m.messageId) ?? new Uint8Array(0);
    }
    return {
      message: m.messageId, sender: m.sender, text: deleted ? "" : (m.text ?? ""), edited: m.editSeq > 0 && !deleted, deleted,
      reactions: deleted ? [] : Object.values(m.reactions).filter((r) => r.present).map((r) => ({ account: r.account, emoji: r.emoji }))
        .sort((a, b) => byBytes(a.account, b.account) || byBytes(a.emoji, b.emoji)),
      documentSha256,
    };
  }
}

/**
 * The generated document of AdapterSendDocumentRequest.generated_size (docs/spec/conformance.md):
 * the AES-128-CTR keystream under SHA-256("kabar-generated-" + seed)[0..16], counter from 0,
 * as a stream of 1 MiB chunks, with its SHA-256 once the stream has ended.
 */
function generatedDocument(size: number, seed: number): { stream: Readable; digest(): Uint8Array } {
  const key = createHash("sha256").update(`kabar-generated-${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  const hash = createHash("sha256");
  let left = size;
  const chunk = 1024 * 1024;
  const stream = new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, left);
      left -= n;
      const bytes = cipher.update(Buffer.alloc(n));
      hash.update(bytes);
      this.push(bytes);
    },
  });
  let digest: Uint8Array | undefined;
  return { stream, digest: () => (digest ??= new Uint8Array(hash.digest())) };
}
