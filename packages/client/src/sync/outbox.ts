// The offline send queue. Requests are encrypted once, stored, and sent in
// FIFO order; a retry sends the identical bytes with the same client message
// id, so the server's idempotency turns "maybe sent" into "sent once"
// (CLIENT-SEND-001). Sender-key distributions are queued before the
// messages that need them, so FIFO order also keeps keys ahead of messages.
import { ErrorCode, isKabarError, SendMessageRequest, SendToDevicesRequest, type KabarError } from "@kabar/protocol";
import type { ClientStore, OutboxEntry } from "../store/client-store.js";

/** Where outbox requests go. */
export interface OutboxSender {
  /** Sends a conversation message; resolves with the server's response. */
  sendMessage(request: SendMessageRequest): Promise<unknown>;
  /** Sends device-addressed ciphertexts. */
  sendToDevices(request: SendToDevicesRequest): Promise<void>;
}

/** Decides what to do with a request the server rejected for good. */
export interface OutboxRejectionHandler {
  /**
   * Called for a non-retryable error. Return a replacement entry (for
   * example re-encrypted after RECIPIENTS_MISMATCH) or undefined to drop it.
   */
  onRejected(entry: OutboxEntry, error: KabarError): Promise<OutboxEntry | undefined>;
  /** Called after the server accepted an entry. */
  onDelivered?(entry: OutboxEntry): Promise<void>;
  /** Called when an entry is given up for good. */
  onDropped?(entry: OutboxEntry): Promise<void>;
}

/** Errors after which the same request may succeed later. */
function retryable(error: unknown): boolean {
  if (!isKabarError(error)) return true;
  return error.code === ErrorCode.UNAVAILABLE || error.code === ErrorCode.RATE_LIMITED || error.code === ErrorCode.TOO_MANY_IN_FLIGHT
    || error.code === ErrorCode.INTERNAL || error.code === ErrorCode.AUTH_REQUIRED;
}

/** Sends queued requests in order; stops at the first transient failure. */
export class Outbox {
  private flushing: Promise<boolean> | undefined;
  /** The error that stopped the last flush, if it stopped early. */
  lastError: unknown;
  private again = false; // set when flush() is called while a flush runs; the loop re-lists anyway

  constructor(private readonly store: ClientStore, private readonly sender: OutboxSender, private readonly rejections: OutboxRejectionHandler) {}

  /** Queues a request. Nothing is sent until {@link flush}. */
  async enqueue(entry: Omit<OutboxEntry, "attempts">): Promise<void> {
    await this.store.enqueueOutbox({ ...entry, attempts: 0 });
  }

  /** Sends everything queued; resolves true when the outbox is empty. */
  flush(): Promise<boolean> {
    if (this.flushing !== undefined) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = this.run().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async run(): Promise<boolean> {
    // Until empty: handling a rejection may queue new entries (for example
    // the key distributions of a re-encrypted message) behind the current ones.
    for (;;) {
      this.again = false;
      const entries = await this.store.listOutbox();
      if (entries.length === 0) return true;
      for (const entry of entries) {
        if (!(await this.sendOne(entry))) return false;
      }
    }
  }

  private async sendOne(entry: OutboxEntry): Promise<boolean> {
    try {
      if (entry.kind === "message") await this.sender.sendMessage(SendMessageRequest.decode(entry.request));
      else await this.sender.sendToDevices(SendToDevicesRequest.decode(entry.request));
      await this.store.removeOutbox(entry.id);
      await this.rejections.onDelivered?.(entry);
      return true;
    } catch (error) {
      if (retryable(error)) {
        this.lastError = error;
        await this.store.updateOutbox({ ...entry, attempts: entry.attempts + 1 });
        return false;
      }
      const replacement = entry.attempts < 5 ? await this.rejections.onRejected(entry, error as KabarError) : undefined;
      if (replacement === undefined) {
        await this.store.removeOutbox(entry.id);
        await this.rejections.onDropped?.(entry);
        return true;
      }
      const next = { ...replacement, id: entry.id, attempts: entry.attempts + 1 };
      await this.store.updateOutbox(next);
      return this.sendOne(next);
    }
  }
}
