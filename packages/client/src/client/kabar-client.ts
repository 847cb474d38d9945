// The reference client: one device of one account. It registers accounts,
// links devices, keeps conversations in sync and sends end-to-end
// encrypted messages and documents. Everything a person sees is read from
// the store; everything that changes it arrives through the account log.
import type { Readable } from "node:stream";
import { safetyNumber } from "@kabar/crypto";
import { ConversationKind, ReceiptKind, type Invoice, type LinkingPayload } from "@kabar/protocol";
import type { ConversationRecord, MessageRecord } from "../conversation/conversation-model.js";
import { openDocument, uploadDocument, type DocumentMeta } from "../files/documents.js";
import { loadLocalIdentity } from "../identity/local-identity.js";
import { ReceiptVerifier, type PaidInvoice } from "../payments/receipts.js";
import { bytesEqual, fromHex, toHex } from "../util/bytes.js";
import { ErrorCode, fail } from "../util/errors.js";
import type { ClientContext } from "./context.js";
import type { KabarClientEventName, KabarClientEvents } from "./events.js";
import {
  addPendingHandover, backupPointer, completeHandovers, enableBackup, restoreBackup, writeBackup, type BackupPointer,
} from "./history.js";
import { prepareLink, registerAccount, saveLinkedIdentity } from "./device-setup.js";
import { approveLinkingPayload, removeDevice, type LinkApproval } from "./linking.js";
import type { Receiver } from "./receiver.js";
import type { Sender } from "./sender.js";
import { wire, type KabarClientOptions } from "./wiring.js";

const PREKEYS_UPLOADED = "prekeys-uploaded";

/** A conversation id, as lower-case hex. */
export type ConversationId = string;
/** A message id, as lower-case hex. */
export type MessageId = string;

/** A new device waiting for approval; see {@link KabarClient.requestLink}. */
export interface PendingLink {
  /** The payload to show to an existing device (for example as a QR code). */
  readonly payload: LinkingPayload;
  /** Finishes linking with the approval the existing device returned; resolves with the new device's client. */
  complete(approval: LinkApproval): Promise<KabarClient>;
}

/** The result of {@link KabarClient.enableBackup}. */
export interface BackupSetup {
  /** The recovery secret to show to the user, formatted for reading aloud and typing. */
  readonly recoverySecret: string;
  /** Where the first backup was written. */
  readonly pointer: BackupPointer;
}

/** A Kabar client: one device of one account. Create it with {@link KabarClient.register}, {@link KabarClient.open} or {@link KabarClient.requestLink}. */
export class KabarClient {
  private closed = false;

  private constructor(private readonly ctx: ClientContext, private readonly receiver: Receiver, private readonly sender: Sender, private readonly options: KabarClientOptions) {}

  /**
   * Registers a new account with this device as device 1: creates the
   * account identity and device keys, publishes the first signed device
   * list, connects, and uploads prekeys.
   */
  static async register(options: KabarClientOptions): Promise<KabarClient> {
    await registerAccount(options);
    return KabarClient.open(options);
  }

  /** Opens an existing device from its store and connects (resyncing what it missed). */
  static async open(options: KabarClientOptions): Promise<KabarClient> {
    const local = await loadLocalIdentity(options.store);
    if (local === undefined) return fail(ErrorCode.NOT_FOUND, "this store holds no device; register or link first");
    let client!: KabarClient;
    const wired = await wire(options, local, async () => client.onConnected());
    client = new KabarClient(wired.ctx, wired.receiver, wired.sender, options);
    // An own device announcing itself (or sharing history) may be one we
    // approved: hand history over now rather than on the next reconnect.
    wired.receiver.onOwnHistoryShare = () => void client.completePendingHandovers().catch(() => undefined);
    await wired.ctx.link.start();
    if ((await options.store.getValue(PREKEYS_UPLOADED)) === undefined) {
      const upload = await wired.ctx.vault.createUpload(local.device, options.preKeyBatch ?? 20);
      await wired.ctx.link.request("uploadPrekeys", upload);
      await options.store.setValue(PREKEYS_UPLOADED, Uint8Array.of(1));
    }
    return client;
  }

  /**
   * Starts linking this (new) device: returns the payload to show to an
   * existing device, and a function that finishes linking with its approval.
   */
  static async requestLink(options: KabarClientOptions): Promise<PendingLink> {
    const pending = await prepareLink(options);
    return {
      payload: pending.payload,
      complete: async (approval) => {
        await saveLinkedIdentity(options, pending, approval);
        const client = await KabarClient.open({ ...options, provider: pending.provider });
        // CLIENT-LINK-003: the new device trusts the link only when its own
        // keys appear in the account's signed list.
        const own = await client.ctx.directory.device(approval.accountId, approval.deviceId);
        if (!bytesEqual(own.signingKey, pending.keys.signing.publicKey) || !bytesEqual(own.identityKey, pending.keys.identity.publicKey)) {
          await client.close();
          fail(ErrorCode.DEVICE_UNTRUSTED, "the published certificate does not carry this device's keys", "CLIENT-LINK-003");
        }
        // Announce ourselves to our other devices with an empty history share:
        // the approving device learns our prekeys are up and hands history over.
        await client.sender.queueToAccount(approval.accountId, { $case: "historyKeys", value: { keys: [], complete: false } });
        await client.flushOutbox();
        return client;
      },
    };
  }

  private async onConnected(): Promise<void> {
    // CLIENT-APPLY-006: after every (re)connect, keys first (inbox), then the
    // log difference, then what we queued while offline.
    await this.ctx.inbox.drain();
    await this.ctx.engine.sync();
    await this.receiver.retryParked();
    await this.flushOutbox();
  }

  /** This device's account id (hex). */
  get accountId(): string {
    return toHex(this.ctx.local.accountId);
  }

  /** This device's id. */
  get deviceId(): number {
    return this.ctx.local.device.deviceId;
  }

  /** True while connected. */
  get connected(): boolean {
    return this.ctx.link.connected;
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends KabarClientEventName>(event: E, handler: (payload: KabarClientEvents[E]) => void): () => void {
    return this.ctx.events.on(event, handler);
  }

  /** Approves a new device from its payload (this device must hold the account identity key). */
  async approveLink(payload: LinkingPayload, options: { shareHistory?: boolean } = {}): Promise<LinkApproval> {
    const { deviceId, account } = await approveLinkingPayload(this.ctx, payload);
    if (options.shareHistory !== false) await addPendingHandover(this.ctx, deviceId);
    let backup = await backupPointer(this.ctx);
    if ((await this.ctx.store.getValue("backup-secret")) !== undefined) backup = await writeBackup(this.ctx);
    return {
      accountId: this.ctx.local.accountId, accountIdentityKey: this.ctx.local.accountIdentityKey, accountIdentitySeed: account.keyPair.privateKey,
      deviceId, nonce: payload.nonce, backup,
    };
  }

  /** Hands history keys to approved devices that are ready (CLIENT-HISTORY-001). Returns the devices served. */
  completePendingHandovers(): Promise<number[]> {
    return completeHandovers(this.ctx, this.sender);
  }

  /** Removes one of this account's devices (a lost or dead one). */
  removeDevice(deviceId: number): Promise<void> {
    return removeDevice(this.ctx, deviceId);
  }

  /** Creates a conversation with other accounts (hex ids); returns its id. */
  async createConversation(kind: "direct" | "group", members: readonly string[]): Promise<ConversationId> {
    const conversationId = this.ctx.random.bytes(16);
    await this.ctx.link.request("createConversation", {
      conversationId, kind: kind === "direct" ? ConversationKind.DIRECT : ConversationKind.GROUP,
      memberAccountIds: members.map(fromHex),
    });
    await this.catchUp();
    return toHex(conversationId);
  }

  /** Adds and removes group members; removal rotates sender keys (CLIENT-GROUP-001). */
  async changeMembers(conversationId: ConversationId, change: { add?: readonly string[]; remove?: readonly string[] }): Promise<void> {
    await this.ctx.link.request("changeMembers", {
      conversationId: fromHex(conversationId), addAccountIds: (change.add ?? []).map(fromHex), removeAccountIds: (change.remove ?? []).map(fromHex),
      clientRequestId: this.ctx.random.bytes(16),
    });
    await this.catchUp();
  }

  /** Applies what the server just committed; a failure here is repaired by the resync on reconnect. */
  private async catchUp(): Promise<void> {
    await this.ctx.engine.sync().catch(() => undefined);
  }

  /** Sends a text; returns the message id. Queued when offline and sent on reconnect. */
  async sendText(conversationId: ConversationId, text: string, options: { replyTo?: MessageId } = {}): Promise<MessageId> {
    return this.send(conversationId, { $case: "text", value: { body: text, replyTo: options.replyTo === undefined ? new Uint8Array(0) : fromHex(options.replyTo) } });
  }

  /** Replaces the text of one of this account's messages. */
  editText(conversationId: ConversationId, messageId: MessageId, text: string): Promise<MessageId> {
    return this.send(conversationId, { $case: "edit", value: { targetMessageId: fromHex(messageId), body: text } });
  }

  /** Deletes one of this account's messages for everyone. */
  deleteMessage(conversationId: ConversationId, messageId: MessageId): Promise<MessageId> {
    return this.send(conversationId, { $case: "delete", value: { targetMessageId: fromHex(messageId) } });
  }

  /** Adds (or with `remove`, removes) a reaction. */
  react(conversationId: ConversationId, messageId: MessageId, emoji: string, remove = false): Promise<MessageId> {
    return this.send(conversationId, { $case: "reaction", value: { targetMessageId: fromHex(messageId), emoji, remove } });
  }

  /** Marks messages up to and including `messageId` as read. */
  markRead(conversationId: ConversationId, messageId: MessageId): Promise<MessageId> {
    return this.send(conversationId, { $case: "receipt", value: { kind: ReceiptKind.READ, targetMessageIds: [fromHex(messageId)] } });
  }

  /** Encrypts, uploads (resumably) and sends a document from a stream; returns the message id. */
  async sendDocument(conversationId: ConversationId, data: Readable | AsyncIterable<Uint8Array>, meta: DocumentMeta): Promise<MessageId> {
    const { pointer } = await uploadDocument(this.ctx.provider, this.ctx.link, fromHex(conversationId), this.ctx.random.bytes(16), data, meta);
    return this.send(conversationId, { $case: "document", value: pointer });
  }

  /** A stream of a received document's plaintext (authenticated chunk by chunk, digest checked at the end). */
  async openDocument(conversationId: ConversationId, messageId: MessageId): Promise<Readable> {
    const message = await this.ctx.store.getMessage(conversationId, messageId);
    if (message?.document === undefined) return fail(ErrorCode.NOT_FOUND, "no document in this message");
    return openDocument(this.ctx.provider, this.ctx.link, message.document);
  }

  /**
   * Pays an invoice through its provider with the opaque `providerToken`
   * the provider gave the user's app, and returns the payment only once its
   * receipt is verified (PAY-RECEIPT-002): the signature must verify with the
   * published key of the invoice's provider (option `paymentProviderKeys`)
   * and the body must name this invoice, this account as payer and the
   * invoice's total. Throws a `KabarError` with code `RECEIPT_INVALID` when
   * the receipt does not verify (the payment must then not be shown as
   * done), and before sending anything when no key of the invoice's
   * provider is known; the server's codes (`PRECHECKOUT_DECLINED`,
   * `PAYMENT_FAILED`, ...) otherwise. Retrying after a lost answer with
   * the same `idempotencyKey` (16 bytes; default a fresh random one) never
   * charges twice.
   */
  async payInvoice(invoice: Invoice, providerToken: Uint8Array, options: { idempotencyKey?: Uint8Array } = {}): Promise<PaidInvoice> {
    const verifier = new ReceiptVerifier(this.ctx.provider, this.options.paymentProviderKeys ?? {});
    if (verifier.keyOf(invoice.providerId) === undefined) {
      return fail(ErrorCode.RECEIPT_INVALID, "no published receipt key is known for the invoice's provider; not paying", "PAY-RECEIPT-002");
    }
    const { receipt } = await this.ctx.link.request("payInvoice", {
      idempotencyKey: options.idempotencyKey ?? this.ctx.random.bytes(16), invoiceId: invoice.invoiceId, providerToken,
    });
    const body = verifier.verify(receipt, { invoice, payerAccountId: this.ctx.local.accountId });
    return { receipt: receipt!, body };
  }

  private async send(conversationId: ConversationId, body: Parameters<Sender["queueContent"]>[1]): Promise<MessageId> {
    const id = await this.sender.queueContent(fromHex(conversationId), body);
    if (this.ctx.link.connected) await this.flushOutbox();
    return id;
  }

  /**
   * Flushes the outbox; when a transient error stops it while connected, a
   * retry is scheduled with backoff so queued sends never wait for the next
   * reconnect or the next send (CLIENT-SEND-001).
   */
  private async flushOutbox(attempt = 0): Promise<void> {
    const empty = await this.ctx.outbox.flush().catch(() => false);
    if (empty || this.closed || !this.ctx.link.connected) return;
    this.ctx.events.emit("sendStalled", { error: this.ctx.outbox.lastError, attempt });
    const delay = Math.min(5_000, 50 * 2 ** attempt) * (0.5 + this.ctx.random.float() / 2);
    this.ctx.clock.setTimeout(() => void this.flushOutbox(attempt + 1), delay);
  }

  /** Every conversation this device knows. */
  conversations(): Promise<ConversationRecord[]> {
    return this.ctx.store.listConversations();
  }

  /** One conversation. */
  conversation(conversationId: ConversationId): Promise<ConversationRecord | undefined> {
    return this.ctx.store.getConversation(conversationId);
  }

  /** A conversation's messages in log order (CLIENT-ORDER-001). */
  messages(conversationId: ConversationId): Promise<MessageRecord[]> {
    return this.ctx.store.listMessages(conversationId);
  }

  /** The safety number with another account (60 digits), for people to compare out of band. */
  async safetyNumber(otherAccountId: string): Promise<string> {
    const other = await this.ctx.directory.get(fromHex(otherAccountId));
    return safetyNumber(this.ctx.provider, this.ctx.local.accountIdentityKey, other.devices[0]!.accountIdentityKey);
  }

  /** Enables key backup; returns the recovery secret to show the user (or the one given). Writes a first backup. */
  async enableBackup(recoverySecret?: string): Promise<BackupSetup> {
    const secret = await enableBackup(this.ctx, recoverySecret);
    return { recoverySecret: secret, pointer: await writeBackup(this.ctx) };
  }

  /** Writes a new backup version with every history key known now. */
  backupNow(): Promise<BackupPointer> {
    return writeBackup(this.ctx);
  }

  /** The latest backup pointer known to this device. */
  backupPointer(): Promise<BackupPointer | undefined> {
    return backupPointer(this.ctx);
  }

  /** Restores history keys from the key backup with the recovery secret, then decrypts what was waiting. */
  async restoreFromBackup(recoverySecret: string, pointer?: BackupPointer): Promise<number> {
    const where = pointer ?? (await backupPointer(this.ctx));
    if (where === undefined) return fail(ErrorCode.NOT_FOUND, "no backup pointer known", "CLIENT-HISTORY-003");
    const count = await restoreBackup(this.ctx, recoverySecret, where);
    this.ctx.events.emit("historyImported", { keys: count, source: "backup" });
    await this.receiver.retryParked();
    return count;
  }

  /** Fetches everything pending: inbox, log difference, parked messages, outbox. */
  async sync(): Promise<void> {
    await this.ctx.link.whenConnected();
    await this.onConnected();
  }

  /** Messages waiting for keys (for diagnostics and tests). */
  pendingDecryption(): Promise<number> {
    return this.receiver.parked.count();
  }

  /** Unsent requests in the outbox. */
  async outboxSize(): Promise<number> {
    return (await this.ctx.store.listOutbox()).length;
  }

  /** Goes offline: closes the connection and stops reconnecting; sends are queued when they need no network. */
  goOffline(): void {
    this.ctx.link.stop();
    this.ctx.events.emit("connection", { connected: false });
  }

  /** Comes back online: connects, resyncs and flushes the outbox. */
  async goOnline(): Promise<void> {
    await this.ctx.link.start();
  }

  /** Drops the connection as if the network failed; the client reconnects with backoff. */
  dropConnection(): void {
    this.ctx.link.dropConnection();
  }

  /** Disconnects and releases the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ctx.link.stop();
    await this.ctx.engine.idle().catch(() => undefined);
    await this.ctx.store.close();
  }
}
