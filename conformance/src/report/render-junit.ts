// JUnit XML rendered from the JSON report, for CI systems: one suite per
// spec chapter, one case per rule. FAIL and XPASS are <failure>, ERROR is
// <error>, SKIP / NOT-COVERED / XFAIL are <skipped> with the reason, and
// NON-STRICT is a <failure> only under --strict.
import type { ConformanceReport, RuleResult } from "./report-types.js";

const escapeXml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");

function details(rule: RuleResult): string {
  const lines = [rule.sentence, ""];
  for (const e of rule.properties.filter((p) => p.status === "error" || (p.status === "failed" && p.chargedRules?.includes(rule.id)))) {
    lines.push(`property ${e.property} (seed ${e.seed}${e.path ? `, path ${e.path}` : ""}): ${e.message ?? e.status}`);
    if (e.commands) lines.push(...e.commands.map((c) => `  ${c}`));
    else if (e.counterexample) lines.push(`  counterexample: ${e.counterexample.slice(0, 2_000)}`);
    if (e.replayCommand) lines.push(`  replay: ${e.replayCommand}`);
  }
  return lines.join("\n");
}

function firstMessage(rule: RuleResult): string {
  return rule.note ?? rule.properties.find((p) => p.status === "error" || (p.status === "failed" && p.chargedRules?.includes(rule.id)))?.message ?? rule.verdict;
}

/** The report as JUnit XML. */
export function renderJunit(report: ConformanceReport): string {
  const chapters = new Map<string, RuleResult[]>();
  for (const rule of report.rules) chapters.set(rule.chapter, [...(chapters.get(rule.chapter) ?? []), rule]);
  const suites: string[] = [];
  for (const [chapter, rules] of chapters) {
    let failures = 0;
    let errors = 0;
    let skipped = 0;
    const cases = rules.map((rule) => {
      const seconds = (rule.properties.reduce((n, p) => n + p.durationMs, 0) / 1000).toFixed(3);
      const head = `    <testcase classname="kabar.${escapeXml(chapter)}" name="${escapeXml(`${rule.id} (${rule.level}, ${rule.profile})`)}" time="${seconds}">`;
      const message = escapeXml(`${rule.verdict}: ${firstMessage(rule)}`);
      let body = "";
      if (rule.verdict === "FAIL" || rule.verdict === "XPASS" || (rule.verdict === "NON-STRICT" && report.options.strict)) {
        failures++;
        body = `      <failure message="${message}" type="${rule.verdict}">${escapeXml(details(rule))}</failure>\n`;
      } else if (rule.verdict === "ERROR") {
        errors++;
        body = `      <error message="${message}" type="ERROR">${escapeXml(details(rule))}</error>\n`;
      } else if (rule.verdict === "SKIP" || rule.verdict === "NOT-COVERED" || rule.verdict === "XFAIL") {
        skipped++;
        body = `      <skipped message="${message}"/>\n`;
      } else if (rule.verdict === "NON-STRICT" || rule.verdict === "INFO") {
        body = `      <system-out>${escapeXml(`${rule.verdict}\n${details(rule)}`)}</system-out>\n`;
      }
      return `${head}\n${body}    </testcase>`;
    });
    suites.push(`  <testsuite name="${escapeXml(`kabar-conformance ${chapter}`)}" tests="${rules.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n${cases.join("\n")}\n  </testsuite>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="kabar-conformance ${escapeXml(report.kit.version)}">\n${suites.join("\n")}\n</testsuites>\n`;
}
