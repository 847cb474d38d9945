// A per-rule record of everything exchanged with the implementation under
// test, attached to failures so a reader sees what the kit sent and got.

/** Where a transcript entry came from. */
export type TranscriptChannel = "request" | "response" | "stderr" | "stdout" | "wire-out" | "wire-in" | "note";

/** One transcript entry. */
export interface TranscriptEntry {
  /** Milliseconds since the transcript was last cleared. */
  readonly atMs: number;
  /** Which stream it belongs to. */
  readonly channel: TranscriptChannel;
  /** JSON-ready content: a decoded message as JSON, or text. */
  readonly data: unknown;
  /** For adapter requests: the exact frame written (length prefix included), base64. */
  readonly raw?: string;
}

/**
 * Keeps the most recent entries (the end of a failing run matters most) and
 * counts what it dropped, so a chatty property cannot exhaust memory.
 */
export class Transcript {
  readonly #limit: number;
  #entries: TranscriptEntry[] = [];
  #dropped = 0;
  #start = Date.now();

  constructor(limit = 2_000) {
    this.#limit = limit;
  }

  /** Appends an entry; `raw` keeps the exact bytes sent, so a failing exchange can be piped into the adapter again. */
  add(channel: TranscriptChannel, data: unknown, raw?: Uint8Array): void {
    this.#entries.push({ atMs: Date.now() - this.#start, channel, data, ...(raw !== undefined ? { raw: Buffer.from(raw).toString("base64") } : {}) });
    if (this.#entries.length > this.#limit) {
      this.#entries.shift();
      this.#dropped++;
    }
  }

  /** Forgets everything, for example before replaying the shrunk counterexample. */
  clear(): void {
    this.#entries = [];
    this.#dropped = 0;
    this.#start = Date.now();
  }

  /** A copy of the entries, preceded by a note when older ones were dropped. */
  snapshot(): TranscriptEntry[] {
    const head: TranscriptEntry[] = this.#dropped > 0 ? [{ atMs: 0, channel: "note", data: `${this.#dropped} earlier entries dropped` }] : [];
    return [...head, ...this.#entries];
  }
}
