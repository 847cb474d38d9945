// Shared benchmark helpers: a calibrated ops/s measurement and a table
// printer. Ratios are always of rows measured in the same run.

/** One printed benchmark result. */
export interface BenchRow {
  /** Section the row belongs to. */
  readonly group: string;
  /** What was measured. */
  readonly name: string;
  /** The measured value. */
  readonly value: number;
  /** Unit of the value, for example "ops/s", "MB/s", "ms". */
  readonly unit: string;
  /** Ratio to the group's baseline row, when there is one. */
  readonly ratio?: number;
  /** Anything a reader needs to interpret the row. */
  readonly note?: string;
}

/**
 * Operations per second of `fn`: warms up, then runs batches for about
 * `millis` and reports the best of three rounds (least disturbed by the
 * other core's load).
 */
export function measure(fn: () => unknown, millis = 400): number {
  let batch = 1;
  for (let t = 0; t < 50; batch *= 2) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) fn();
    t = performance.now() - start;
    if (batch > 1 << 22) break;
  }
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let ops = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < millis / 3) {
      for (let i = 0; i < batch; i++) fn();
      ops += batch;
      elapsed = performance.now() - start;
    }
    best = Math.max(best, (ops / elapsed) * 1000);
  }
  return best;
}

const fmt = (v: number): string =>
  v >= 100 ? Math.round(v).toLocaleString("en-US") : v >= 1 ? v.toFixed(2) : v.toPrecision(3);

/** Prints rows as an aligned text table grouped by `group`. */
export function printTable(rows: readonly BenchRow[]): void {
  const widths = [0, 0, 0];
  const lines = rows.map((r) => [r.name, `${fmt(r.value)} ${r.unit}`, r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}x`, r.note ?? ""]);
  for (const l of lines) for (let i = 0; i < 3; i++) widths[i] = Math.max(widths[i]!, l[i]!.length);
  let group = "";
  rows.forEach((r, idx) => {
    if (r.group !== group) {
      group = r.group;
      console.log(`\n${group}`);
    }
    const l = lines[idx]!;
    console.log(`  ${l[0]!.padEnd(widths[0]!)}  ${l[1]!.padStart(widths[1]!)}  ${l[2]!.padStart(widths[2]!)}  ${l[3]}`);
  });
}
