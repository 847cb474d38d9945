import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccountUpdate, GetDifferenceResponse } from "@kabar/protocol";
import { classify, SyncEngine, type DifferenceSource, type UpdateSink } from "../src/sync/sync-engine.js";

// A model server log: `counts[i]` sequence numbers for update i.
function buildLog(counts: number[]): AccountUpdate[] {
  let seq = 0n;
  return counts.map((count, i) => {
    seq += BigInt(count);
    return { seq, count, serverTimeMs: BigInt(i), kind: undefined };
  });
}

class ModelServer implements DifferenceSource {
  calls = 0;
  constructor(private readonly log: AccountUpdate[], private readonly slice: number, private readonly keepAfter = 0n) {}
  head(): bigint {
    return this.log.at(-1)?.seq ?? 0n;
  }
  async getDifference(seq: bigint, limit: number): Promise<GetDifferenceResponse> {
    this.calls++;
    await Promise.resolve();
    if (seq < this.keepAfter) return { result: { $case: "tooLong", value: { seq: this.head(), oldestSeq: this.keepAfter } } };
    const rest = this.log.filter((u) => u.seq > seq);
    if (rest.length === 0) return { result: { $case: "empty", value: { seq } } };
    const n = Math.min(limit, this.slice);
    const updates = rest.slice(0, n);
    if (updates.length === rest.length) return { result: { $case: "difference", value: { updates, seq: this.head() } } };
    return { result: { $case: "slice", value: { updates, seq: updates.at(-1)!.seq } } };
  }
}

class RecordingSink implements UpdateSink {
  applied: bigint[] = [];
  saved = 0n;
  resyncs: bigint[] = [];
  async apply(update: AccountUpdate): Promise<void> {
    await Promise.resolve();
    this.applied.push(update.seq);
  }
  async resync(seq: bigint): Promise<void> {
    this.resyncs.push(seq);
  }
  async saveSeq(seq: bigint): Promise<void> {
    this.saved = seq;
  }
}

describe("sequence rule", () => {
  it("CLIENT-APPLY-001 applies when local + count == seq", () => {
    expect(classify(4n, { seq: 5n, count: 1 })).toBe("apply");
    expect(classify(4n, { seq: 7n, count: 3 })).toBe("apply");
  });
  it("CLIENT-DEDUP-001 ignores seq at or below local", () => {
    expect(classify(4n, { seq: 4n, count: 1 })).toBe("duplicate");
    expect(classify(4n, { seq: 2n, count: 1 })).toBe("duplicate");
  });
  it("CLIENT-APPLY-003 reports a gap when local + count < seq", () => {
    expect(classify(4n, { seq: 6n, count: 1 })).toBe("gap");
  });
});

describe("SyncEngine", () => {
  it("CLIENT-APPLY-002 applies every update exactly once in order under duplicated, reordered and dropped pushes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.boolean()), { maxLength: 80 }),
        fc.scheduler(),
        async (counts, slice, pushPlan, scheduler) => {
          const log = buildLog(counts);
          const server = new ModelServer(log, slice);
          const sink = new RecordingSink();
          const engine = new SyncEngine(0n, server, sink, { differenceLimit: 5 });
          // Pushes: each plan entry picks an update (maybe twice) or a sync.
          const pushes: Promise<void>[] = [];
          for (const [pick, duplicate, syncToo] of pushPlan) {
            if (log.length === 0) break;
            const update = log[pick % log.length]!;
            pushes.push(scheduler.schedule(Promise.resolve()).then(() => engine.receive(update)));
            if (duplicate) pushes.push(scheduler.schedule(Promise.resolve()).then(() => engine.receive(update)));
            if (syncToo) pushes.push(scheduler.schedule(Promise.resolve()).then(() => engine.sync()));
          }
          await scheduler.waitAll();
          await Promise.all(pushes);
          // Applied is always a prefix of the log, in order, without repeats.
          const logSeqs = log.map((u) => u.seq);
          expect(sink.applied).toEqual(logSeqs.slice(0, sink.applied.length));
          // After a final sync (startup/reconnect), nothing is missing.
          await engine.sync();
          expect(sink.applied).toEqual(logSeqs);
          expect(engine.seq).toBe(server.head());
          expect(sink.saved).toBe(server.head());
        },
      ),
      { numRuns: 150 },
    );
  });

  it("CLIENT-APPLY-004 buffers pushes that arrive during a difference fetch and re-checks them", async () => {
    const log = buildLog([1, 1, 1, 1, 1]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const source: DifferenceSource = {
      async getDifference(seq) {
        await gate;
        const updates = log.filter((u) => u.seq > seq && u.seq <= 3n);
        return { result: { $case: "difference", value: { updates, seq: 3n } } };
      },
    };
    const sink = new RecordingSink();
    const engine = new SyncEngine(0n, source, sink);
    const first = engine.receive(log[2]!); // gap: fetch starts and blocks
    const during = [engine.receive(log[3]!), engine.receive(log[1]!), engine.receive(log[4]!)];
    expect(sink.applied).toEqual([]);
    release();
    await Promise.all([first, ...during]);
    expect(sink.applied).toEqual([1n, 2n, 3n, 4n, 5n]);
  });

  it("CLIENT-APPLY-005 resyncs on a too-long difference and continues from the server seq", async () => {
    const log = buildLog([1, 1, 1, 1, 1, 1]);
    const server = new ModelServer(log, 10, 3n);
    const sink = new RecordingSink();
    const engine = new SyncEngine(0n, server, sink);
    await engine.receive(log[5]!);
    expect(sink.resyncs).toEqual([6n]);
    expect(engine.seq).toBe(6n);
    await engine.receive(log[5]!);
    expect(sink.applied).toEqual([]);
  });

  it("follows slices until the whole difference is applied", async () => {
    const log = buildLog(Array.from({ length: 23 }, () => 1));
    const server = new ModelServer(log, 4);
    const sink = new RecordingSink();
    const engine = new SyncEngine(0n, server, sink, { differenceLimit: 4 });
    await engine.sync();
    expect(sink.applied.length).toBe(23);
    expect(server.calls).toBe(6);
  });
});
