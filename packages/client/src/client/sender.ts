// The send pipeline: content -> sender-key distributions for devices that
// lack the chain (pairwise, SendToDevices) -> one SenderKeyMessage
// (SendMessage), all through the outbox so retries are idempotent.
import { Content, ErrorCode, SendMessageRequest, SendToDevicesRequest, isKabarError, type KabarError } from "@kabar/protocol";
import type { OutboxEntry } from "../store/client-store.js";
import type { OutboxRejectionHandler } from "../sync/outbox.js";
import { fromHex, toHex } from "../util/bytes.js";
import { fail } from "../util/errors.js";
import { Mutex } from "../util/mutex.js";
import type { ClientContext } from "./context.js";

type Body = NonNullable<Content["body"]>;

/** Contents are padded to a multiple of this many bytes, so ciphertext sizes say less about texts. */
const PAD_BLOCK = 128;

/** Encodes a content with padding (at most PAD_BLOCK bytes, well under the 1,024-byte limit). */
function padded(content: Content): Uint8Array {
  const bare = Content.encode(content).finish().length;
  // Field 15 costs a tag byte and a one- or two-byte length beside its bytes.
  const room = PAD_BLOCK - ((bare + 3) % PAD_BLOCK);
  return Content.encode({ ...content, padding: new Uint8Array(room % PAD_BLOCK) }).finish();
}
const PLAIN = (id: string) => `outbox-plain:${id}`;

/** Builds and queues outgoing contents. */
export class Sender implements OutboxRejectionHandler {
  private readonly lock = new Mutex();
  private ctx!: ClientContext;

  /** Completes the wiring. */
  bind(ctx: ClientContext): void {
    this.ctx = ctx;
  }

  /** A fresh 16-byte id. */
  newId(): Uint8Array {
    return this.ctx.random.bytes(16);
  }

  /** Encrypts a content for a conversation and queues it; returns the message id (hex). */
  queueContent(conversationId: Uint8Array, body: Body): Promise<string> {
    return this.lock.run(async () => {
      const content: Content = { messageId: this.newId(), sentAtMs: BigInt(this.ctx.clock.now()), body, padding: new Uint8Array(0) };
      const plaintext = padded(content);
      const request = await this.encryptForConversation(conversationId, content.messageId, plaintext);
      const id = toHex(content.messageId);
      await this.ctx.store.setValue(PLAIN(id), plaintext);
      await this.ctx.outbox.enqueue({ id, kind: "message", request: SendMessageRequest.encode(request).finish() });
      return id;
    });
  }

  /** Queues a pairwise content for every device of an account (this device excluded). */
  async queueToAccount(accountId: Uint8Array, body: Body): Promise<void> {
    const content: Content = { messageId: this.newId(), sentAtMs: BigInt(this.ctx.clock.now()), body, padding: new Uint8Array(0) };
    const plaintext = padded(content);
    const request = await this.encryptToAccount(accountId, content.messageId, plaintext);
    if (request === undefined) return;
    const id = toHex(content.messageId);
    await this.ctx.store.setValue(PLAIN(id), plaintext);
    await this.ctx.outbox.enqueue({ id, kind: "devices", request: SendToDevicesRequest.encode(request).finish() });
  }

  private async encryptToAccount(accountId: Uint8Array, clientMessageId: Uint8Array, plaintext: Uint8Array): Promise<SendToDevicesRequest | undefined> {
    const { messages, version } = await this.ctx.sessions.encryptForAccount(accountId, plaintext);
    if (messages.length === 0) return undefined;
    return { clientMessageId, accountId, messages, deviceListVersion: version };
  }

  /** The current member devices of a conversation, as `${accountHex}:${deviceId}`, this device excluded. */
  private async targets(members: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const member of members) {
      const list = await this.ctx.directory.get(fromHex(member));
      for (const device of list.devices) {
        if (member === toHex(this.ctx.local.accountId) && device.deviceId === this.ctx.local.device.deviceId) continue;
        out.push(`${member}:${device.deviceId}`);
      }
    }
    return out;
  }

  private async encryptForConversation(conversationId: Uint8Array, clientMessageId: Uint8Array, plaintext: Uint8Array): Promise<SendMessageRequest> {
    const conversation = await this.ctx.store.getConversation(toHex(conversationId));
    if (conversation === undefined || conversation.left) return fail(ErrorCode.NOT_FOUND, "not a member of this conversation");
    const targets = await this.targets(conversation.members);
    const { chain, missing } = await this.ctx.senderKeys.prepare(conversationId, targets);
    if (missing.length > 0) {
      // The server takes one ciphertext per current device of an account, so
      // a distribution goes to every device of each account that lacks it.
      const accounts = [...new Set(missing.map((m) => m.split(":")[0]!))];
      const distribution: Body = { $case: "senderKey", value: this.ctx.senderKeys.distribution(chain) };
      for (const account of accounts) await this.queueToAccount(fromHex(account), distribution);
      await this.ctx.senderKeys.markDistributed(conversationId, targets.filter((t) => accounts.includes(t.split(":")[0]!)));
    }
    const ciphertext = await this.ctx.senderKeys.encrypt(conversationId, plaintext);
    return { conversationId, clientMessageId, ciphertext, epoch: BigInt(conversation.epoch) };
  }

  /** Called by the outbox when the server rejects a request for good. */
  async onRejected(entry: OutboxEntry, error: KabarError): Promise<OutboxEntry | undefined> {
    const plaintext = await this.ctx.store.getValue(PLAIN(entry.id));
    if (plaintext === undefined || !isKabarError(error, ErrorCode.RECIPIENTS_MISMATCH)) return undefined;
    // CLIENT-SEND-002: nothing was stored, so the same client message id may carry new bytes.
    if (entry.kind === "devices") {
      const request = SendToDevicesRequest.decode(entry.request);
      // The recipient's device list moved on: fetch and verify it, then re-encrypt.
      await this.ctx.directory.refresh(request.accountId).catch(() => undefined);
      const fresh = await this.encryptToAccount(request.accountId, request.clientMessageId, plaintext);
      if (fresh === undefined) return undefined;
      return { ...entry, request: SendToDevicesRequest.encode(fresh).finish() };
    }
    // The membership changed under us: catch up, then re-encrypt for the new
    // members (rotating the chain when someone left).
    const request = SendMessageRequest.decode(entry.request);
    await this.ctx.engine.sync();
    return this.lock.run(async () => {
      // Distributions for a new chain queue behind this entry; receivers park
      // the message until the key arrives, so the order is safe either way.
      const fresh = await this.encryptForConversation(request.conversationId, request.clientMessageId, plaintext);
      return { ...entry, request: SendMessageRequest.encode(fresh).finish() };
    });
  }

  /**
   * An entry was given up. When it carried a sender-key distribution, the
   * recipient account's devices are marked as lacking the chain again, so the
   * next send distributes it instead of leaving them unable to decrypt.
   */
  async onDropped(entry: OutboxEntry): Promise<void> {
    const plaintext = await this.ctx.store.getValue(PLAIN(entry.id));
    await this.ctx.store.setValue(PLAIN(entry.id), undefined);
    if (entry.kind === "message") this.ctx.events.emit("sendFailed", { messageId: entry.id });
    if (plaintext === undefined || entry.kind !== "devices") return;
    const content = Content.decode(plaintext);
    if (content.body?.$case !== "senderKey") return;
    const account = toHex(SendToDevicesRequest.decode(entry.request).accountId);
    await this.ctx.senderKeys.forgetDistributed(content.body.value.conversationId, account);
  }

  /** Forgets the plaintext of a delivered entry. */
  async onDelivered(entry: OutboxEntry): Promise<void> {
    await this.ctx.store.setValue(PLAIN(entry.id), undefined);
  }
}
