// The account-log sync engine. Pure logic over three ports: where
// differences come from, what applying an update means, and where the local
// sequence number is persisted. It never touches a socket.
import type { AccountUpdate, GetDifferenceResponse } from "@kabar/protocol";
import { ErrorCode, fail } from "../util/errors.js";

/** Where the engine reads differences (GetDifference on the wire). */
export interface DifferenceSource {
  /** Updates with seq > `seq`, at most `limit`. */
  getDifference(seq: bigint, limit: number): Promise<GetDifferenceResponse>;
}

/** What the engine drives. */
export interface UpdateSink {
  /**
   * Applies one update. Must be idempotent: after a crash between applying
   * and persisting the sequence number the update is applied again.
   */
  apply(update: AccountUpdate): Promise<void>;
  /** The gap is larger than the server keeps: refetch current state, then continue from `seq`. */
  resync(seq: bigint, oldestSeq: bigint): Promise<void>;
  /** Persists the local sequence number after an update was applied. */
  saveSeq(seq: bigint): Promise<void>;
}

/** Engine options. */
export interface SyncEngineOptions {
  /** Updates per GetDifference request (1..1000). */
  readonly differenceLimit?: number;
}

/**
 * Applies account updates strictly by the sequence rule:
 * apply when local + count == seq, ignore when seq <= local (duplicate),
 * and on a gap fetch the difference before applying anything else.
 */
export class SyncEngine {
  private local: bigint;
  private readonly buffer: AccountUpdate[] = [];
  private pumping: Promise<void> | undefined;
  private wantDifference = false;
  private readonly limit: number;

  constructor(initialSeq: bigint, private readonly source: DifferenceSource, private readonly sink: UpdateSink, options: SyncEngineOptions = {}) {
    this.local = initialSeq;
    this.limit = options.differenceLimit ?? 100;
  }

  /** The sequence number of the last applied update. */
  get seq(): bigint {
    return this.local;
  }

  /** Offers a pushed update. Resolves once it (and anything before it) was handled. */
  receive(update: AccountUpdate): Promise<void> {
    // CLIENT-APPLY-004: pushes that arrive while a difference is being
    // fetched wait in this buffer and are re-checked against the new local seq.
    this.buffer.push(update);
    return this.pump();
  }

  /** Fetches the difference from the server (startup, reconnect, UpdatesTooLong, idle). */
  sync(): Promise<void> {
    this.wantDifference = true;
    return this.pump();
  }

  /** Resolves when everything offered so far was handled. */
  idle(): Promise<void> {
    return this.pumping ?? Promise.resolve();
  }

  private pump(): Promise<void> {
    if (this.pumping === undefined) {
      this.pumping = this.run().finally(() => {
        this.pumping = undefined;
      });
      return this.pumping;
    }
    // A pump is running; it picks the new work up before it finishes.
    return this.pumping.then(() => (this.buffer.length > 0 || this.wantDifference ? this.pump() : undefined));
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.wantDifference) {
        this.wantDifference = false;
        await this.fetchDifference();
        continue;
      }
      if (this.buffer.length === 0) return;
      // Lowest seq first, so reordered pushes are applied as soon as they fit.
      this.buffer.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
      const update = this.buffer.shift()!;
      const verdict = classify(this.local, update);
      if (verdict === "apply") await this.apply(update);
      else if (verdict === "gap") {
        // CLIENT-APPLY-003: a gap stops everything until the difference is in.
        this.buffer.unshift(update);
        await this.fetchDifference();
        // CLIENT-APPLY-003: if the server's difference did not reach this update, drop it:
        // it came from a state the server no longer serves (it will come again).
        if (this.buffer[0] === update && classify(this.local, update) === "gap") this.buffer.shift();
      }
      // "duplicate": CLIENT-DEDUP-001, ignored.
    }
  }

  private async apply(update: AccountUpdate): Promise<void> {
    // CLIENT-APPLY-002: apply, then persist; the sink is idempotent for the crash in between.
    await this.sink.apply(update);
    this.local = update.seq;
    await this.sink.saveSeq(update.seq);
  }

  private async fetchDifference(): Promise<void> {
    for (;;) {
      const response = await this.source.getDifference(this.local, this.limit);
      const result = response.result;
      if (result === undefined || result.$case === "empty") return;
      if (result.$case === "tooLong") {
        // CLIENT-APPLY-005: too long: refetch state and continue from the server's seq.
        await this.sink.resync(result.value.seq, result.value.oldestSeq);
        this.local = result.value.seq;
        await this.sink.saveSeq(this.local);
        return;
      }
      for (const update of result.value.updates) {
        const verdict = classify(this.local, update);
        if (verdict === "duplicate") continue;
        if (verdict === "gap") fail(ErrorCode.SEQUENCE_INVALID, "difference is not contiguous", "SYNC-DIFF-002");
        await this.apply(update);
      }
      if (result.value.seq > this.local) {
        // Every update up to the returned seq was in the response; persist the
        // intermediate state even if the last updates took several numbers.
        this.local = result.value.seq;
        await this.sink.saveSeq(this.local);
      }
      if (result.$case === "difference") return;
    }
  }
}

/** The sequence rule (CLIENT-APPLY-001..003). */
export function classify(local: bigint, update: Pick<AccountUpdate, "seq" | "count">): "apply" | "duplicate" | "gap" {
  const count = BigInt(Math.max(1, update.count));
  if (local + count === update.seq) return "apply";
  if (update.seq <= local) return "duplicate";
  if (local + count > update.seq) return "duplicate"; // overlaps what we applied: cannot be applied twice
  return "gap";
}
