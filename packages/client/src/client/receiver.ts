// What applying an account update or an inbox entry means for a device:
// decrypt, check, fold into the conversation state, emit events. This is
// the UpdateSink of the sync engine and the InboxSink of the inbox consumer.
import { Content, ErrorCode, isKabarError, KabarError, type AccountUpdate, type InboxEntry } from "@kabar/protocol";
import { applyContent, applyMembership, type AppliedChange } from "../conversation/apply-content.js";
import type { InboxSink } from "../sync/inbox-consumer.js";
import type { UpdateSink } from "../sync/sync-engine.js";
import { bytesEqual, toHex } from "../util/bytes.js";
import { Mutex } from "../util/mutex.js";
import type { ClientContext } from "./context.js";
import { ParkedMessages } from "./parked-messages.js";

const asKabar = (error: unknown): KabarError =>
  isKabarError(error) ? error : new KabarError(ErrorCode.DECRYPT_FAILED, "processing failed", { cause: error });

/** Applies log updates and inbox entries for one device. */
export class Receiver implements UpdateSink, InboxSink {
  /** One lock for every change to conversation state and receiving chains. */
  readonly lock = new Mutex();
  readonly parked: ParkedMessages;
  /** Called (outside the lock) when a device of this account sent a history share. */
  onOwnHistoryShare: (() => void) | undefined;
  private ctx!: ClientContext;

  constructor(store: ClientContext["store"]) {
    this.parked = new ParkedMessages(store);
  }

  /** Completes the wiring (the context needs the receiver first). */
  bind(ctx: ClientContext): void {
    this.ctx = ctx;
  }

  apply(update: AccountUpdate): Promise<void> {
    return this.lock.run(() => this.applyUnlocked(update));
  }

  async resync(): Promise<void> {
    // CLIENT-APPLY-005: updates are gone; refresh what can be refetched.
    for (const conversation of await this.ctx.store.listConversations()) {
      try {
        const current = await this.ctx.link.request("getConversation", { conversationId: Buffer.from(conversation.id, "hex") });
        if (current.conversation !== undefined) await this.lock.run(() => applyMembership(this.ctx.store, current.conversation!, conversation.membershipSeq + 1, toHex(this.ctx.local.accountId)));
      } catch {
        // Not a member any more: keep what we have.
      }
    }
  }

  async saveSeq(seq: bigint): Promise<void> {
    await this.ctx.store.saveSyncState({ seq });
  }

  async saveInboxSeq(seq: bigint): Promise<void> {
    await this.ctx.store.saveSyncState({ inboxSeq: seq });
  }

  handle(entry: InboxEntry): Promise<void> {
    return this.lock.run(() => this.handleUnlocked(entry));
  }

  /** Retries parked messages (after new keys arrived); takes the lock. */
  retryParked(): Promise<void> {
    return this.lock.run(() => this.retryParkedUnlocked());
  }

  private async applyUnlocked(update: AccountUpdate): Promise<void> {
    const kind = update.kind;
    const self = toHex(this.ctx.local.accountId);
    if (kind?.$case === "message") {
      await this.applyMessage(update, true);
    } else if (kind?.$case === "conversation") {
      const value = kind.value;
      const { record, changed } = await applyMembership(this.ctx.store, value, Number(update.seq), self);
      if (!changed) return;
      // CLIENT-GROUP-001: a removal rotates this device's sending chain, so
      // removed members never hold the key of anything sent afterwards.
      if (value.removedAccountIds.length > 0) await this.ctx.senderKeys.rotate(value.conversationId);
      this.ctx.events.emit("membership", {
        conversation: record, added: value.addedAccountIds.map(toHex), removed: value.removedAccountIds.map(toHex), actor: toHex(value.actorAccountId),
      });
    } else if (kind?.$case === "deviceList") {
      try {
        const known = await this.ctx.store.loadDeviceList(toHex(kind.value.accountId));
        if (known === undefined || known.version < kind.value.version) await this.ctx.directory.refresh(kind.value.accountId);
      } catch {
        // Reported by the directory as untrustedDeviceList; the old list stays in force.
      }
    }
  }

  private async applyMessage(update: AccountUpdate, mayPark: boolean): Promise<boolean> {
    if (update.kind?.$case !== "message") return true;
    const message = update.kind.value;
    const sender = { accountId: message.senderAccountId, deviceId: message.senderDeviceId };
    let plaintext: Uint8Array;
    try {
      plaintext = await this.ctx.senderKeys.decrypt(message.conversationId, sender, message.ciphertext);
    } catch (error) {
      if (isKabarError(error, ErrorCode.SENDER_KEY_NOT_FOUND)) {
        if (mayPark) {
          await this.parked.park(update);
          // The distribution is probably waiting in the inbox.
          void this.ctx.inbox.drain().catch(() => undefined);
        }
        return false;
      }
      this.ctx.events.emit("decryptFailed", { source: "log", seq: update.seq, error: asKabar(error) });
      return true;
    }
    let content: Content;
    try {
      content = Content.decode(plaintext);
    } catch (error) {
      this.ctx.events.emit("decryptFailed", { source: "log", seq: update.seq, error: asKabar(error) });
      return true;
    }
    // CLIENT-DEDUP-004: the content's message id must be the id the server
    // deduplicated on; otherwise a sender could replay one content twice.
    if (!bytesEqual(content.messageId, message.clientMessageId)) return true;
    const change = await applyContent(this.ctx.store, {
      conversationId: toHex(message.conversationId), seq: Number(update.seq), sender: toHex(message.senderAccountId), senderDevice: message.senderDeviceId,
    }, content);
    this.emitChange(toHex(message.conversationId), change);
    return true;
  }

  private emitChange(conversationId: string, change: AppliedChange): void {
    const events = this.ctx.events;
    switch (change.kind) {
      case "message": return events.emit("message", { conversationId, message: change.message });
      case "edit": return events.emit("edit", { conversationId, message: change.message });
      case "delete": return events.emit("delete", { conversationId, message: change.message });
      case "reaction": return events.emit("reaction", { conversationId, message: change.message, account: change.account, emoji: change.emoji, present: change.present });
      case "receipt": return events.emit("receipt", { conversationId, reader: change.reader, messageIds: change.messageIds, read: change.read });
      default: return undefined;
    }
  }

  private async handleUnlocked(entry: InboxEntry): Promise<void> {
    let plaintext: Uint8Array;
    let content: Content;
    try {
      ({ plaintext } = await this.ctx.sessions.decrypt(entry.senderAccountId, entry.senderDeviceId, entry.ciphertext));
      content = Content.decode(plaintext);
    } catch (error) {
      // A network failure while verifying the sender (device list fetch) says
      // nothing about the entry: leave it unprocessed and retry later.
      if (isKabarError(error, ErrorCode.UNAVAILABLE, ErrorCode.RATE_LIMITED, ErrorCode.INTERNAL)) throw error;
      // CLIENT-INBOX-002: an entry that cannot be decrypted is reported and
      // acknowledged; keeping it would block every entry behind it.
      this.ctx.events.emit("decryptFailed", { source: "inbox", seq: entry.inboxSeq, error: asKabar(error) });
      return;
    }
    const sender = { accountId: entry.senderAccountId, deviceId: entry.senderDeviceId };
    const body = content.body;
    if (body?.$case === "senderKey") {
      if (await this.ctx.senderKeys.acceptDistribution(body.value, sender)) await this.retryParkedUnlocked();
    } else if (body?.$case === "historyKeys") {
      // CLIENT-HISTORY-002: history keys are accepted only from this account's own devices.
      if (!bytesEqual(entry.senderAccountId, this.ctx.local.accountId)) return;
      const changed = await this.ctx.senderKeys.importHistory(body.value.keys);
      if (body.value.keys.length > 0) this.ctx.events.emit("historyImported", { keys: changed, source: "handover" });
      await this.retryParkedUnlocked();
      const hook = this.onOwnHistoryShare;
      if (hook !== undefined) setImmediate(hook);
    }
  }

  /** Re-applies parked messages whose keys may have arrived. */
  async retryParkedUnlocked(): Promise<void> {
    for (const update of await this.parked.list()) {
      if (await this.applyMessage(update, false)) await this.parked.remove(update.seq);
    }
  }
}
