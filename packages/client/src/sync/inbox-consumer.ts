// The device inbox consumer: processes device-to-device entries in inbox
// order and acknowledges them only after processing, so a crash never loses
// a key distribution (CLIENT-INBOX-001).
import type { FetchInboxResponse, InboxEntry } from "@kabar/protocol";

/** Where inbox entries come from and where acks go. */
export interface InboxSource {
  /** Entries with inbox_seq > afterSeq. */
  fetchInbox(afterSeq: bigint, limit: number): Promise<FetchInboxResponse>;
  /** Deletes entries up to and including `upToSeq`. */
  ackInbox(upToSeq: bigint): Promise<void>;
}

/** What processing an entry means, and where progress is kept. */
export interface InboxSink {
  /** Handles one entry; must tolerate seeing an entry again after a crash. */
  handle(entry: InboxEntry): Promise<void>;
  /** Persists the highest processed inbox seq. */
  saveInboxSeq(seq: bigint): Promise<void>;
}

/** Processes the inbox in order, exactly once per entry as far as the device can tell. */
export class InboxConsumer {
  private processed: bigint;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(initialSeq: bigint, private readonly source: InboxSource, private readonly sink: InboxSink, private readonly limit = 100) {
    this.processed = initialSeq;
  }

  /** The highest processed inbox seq. */
  get seq(): bigint {
    return this.processed;
  }

  /** Offers a pushed entry: the next one is handled directly, anything else triggers a fetch. */
  receive(entry: InboxEntry): Promise<void> {
    if (entry.inboxSeq <= this.processed) return this.running ?? Promise.resolve(); // CLIENT-DEDUP-002
    return this.drain();
  }

  /** Fetches and processes everything pending, then acks. */
  drain(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      let more = true;
      while (more) {
        const page = await this.source.fetchInbox(this.processed, this.limit);
        for (const entry of page.entries) {
          if (entry.inboxSeq <= this.processed) continue;
          await this.sink.handle(entry);
          this.processed = entry.inboxSeq;
          await this.sink.saveInboxSeq(this.processed);
        }
        more = page.more && page.entries.length > 0;
        // CLIENT-INBOX-001: ack only what was processed and persisted.
        if (page.entries.length > 0) await this.source.ackInbox(this.processed);
      }
    } while (this.again);
  }
}
