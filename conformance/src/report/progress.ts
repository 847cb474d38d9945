// Progress for long runs: one line per rule when the output is not a
// terminal (CI logs stay readable), a single rewritten status line plus the
// non-passing rules when it is.
import type { ConformanceReport, RuleResult } from "./report-types.js";

/** A sink for progress text. */
export interface ProgressStream {
  /** Writes text. */
  write(text: string): unknown;
  /** True for an interactive terminal. */
  readonly isTTY?: boolean;
}

/** Callbacks for runConformance's onStart/onRule, and a final summary. */
export function progressPrinter(stream: ProgressStream): {
  onStart: (total: number) => void;
  onRule: (result: RuleResult, index: number, total: number) => void;
  summary: (report: ConformanceReport) => void;
} {
  const tty = stream.isTTY === true;
  const started = Date.now();
  const line = (result: RuleResult): string => {
    // Only the evidence charged to this rule: a shared property may have
    // failed for a sibling rule while this one passed.
    const failed = result.verdict === "PASS" ? undefined : result.properties.find((p) => p.status === "error" || (p.status === "failed" && p.chargedRules?.includes(result.id)));
    const detail = failed?.message ?? result.note ?? "";
    return `${result.verdict.padEnd(11)} ${result.id.padEnd(22)} ${result.level.padEnd(6)} ${detail}`.trimEnd();
  };
  return {
    onStart: (total) => stream.write(`kabar-conformance: ${total} rule(s)\n`),
    onRule: (result, index, total) => {
      if (!tty) {
        stream.write(`[${index + 1}/${total}] ${line(result)}\n`);
        return;
      }
      if (result.verdict !== "PASS" && result.verdict !== "SKIP" && result.verdict !== "NOT-COVERED") stream.write(`\r\x1b[K${line(result)}\n`);
      stream.write(`\r\x1b[K[${index + 1}/${total}] ${result.id} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
    summary: (report) => {
      if (tty) stream.write("\r\x1b[K");
      const counts = Object.entries(report.summary.counts).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`).join(", ");
      stream.write(`${report.summary.failed ? "FAILED" : "PASSED"}: ${report.summary.total} rules: ${counts} (seed ${report.seed})\n`);
      for (const reason of report.summary.failureReasons) stream.write(`  ${reason}\n`);
      for (const rule of report.rules) {
        for (const e of rule.properties) if (e.status === "failed" && e.chargedRules?.[0] === rule.id && e.replayCommand) stream.write(`  ${rule.id}: ${e.replayCommand}\n`);
      }
      if (!report.summary.complete) stream.write(`  note: ${report.summary.counts["NOT-COVERED"]} rule(s) NOT-COVERED by this kit version in ${report.mode} mode\n`);
    },
  };
}
