// One self-contained HTML page rendered from the JSON report: a summary,
// then rules grouped by spec chapter with their verdicts; failures expand to
// the message, counterexample, transcript and replay command. Each rule id
// links to its anchor in the published spec.
import type { ConformanceReport, PropertyEvidence, RuleResult } from "./report-types.js";
import type { Verdict } from "../runner/verdict.js";

/** Options of {@link renderHtml}. */
export interface HtmlOptions {
  /** Root of the published docs site; a rule links to `<base>/documents/Specification.<Chapter>.html#<id>`. Default `../site`. */
  readonly docsBase?: string;
}

/**
 * The URL of a rule's anchor on the docs site. Mirrors chapterPath() in
 * scripts/docs/rule-links.mjs (TypeDoc names a spec chapter's page
 * `documents/Specification.<Chapter>.html`, the chapter file name
 * capitalised); reports.test.ts checks the two agree.
 */
export function ruleDocsUrl(id: string, chapter: string, docsBase: string): string {
  const name = chapter.replace(/\.md$/, "").replace(/[^A-Za-z0-9_-]/g, "_");
  const base = docsBase === "" ? "" : docsBase.endsWith("/") ? docsBase : `${docsBase}/`;
  return `${base}documents/Specification.${name.charAt(0).toUpperCase()}${name.slice(1)}.html#${id.toLowerCase()}`;
}

const esc = (text: string): string => text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c]!);

const COLORS: Readonly<Record<Verdict, string>> = {
  PASS: "#1a7f37", FAIL: "#cf222e", "NON-STRICT": "#bc4c00", INFO: "#57606a", SKIP: "#6e7781",
  ERROR: "#8250df", "NOT-COVERED": "#9a6700", XFAIL: "#0969da", XPASS: "#cf222e",
};

function badge(verdict: Verdict): string {
  const hollow = verdict === "NOT-COVERED" || verdict === "SKIP";
  const style = hollow ? `color:${COLORS[verdict]};border:1px dashed ${COLORS[verdict]}` : `background:${COLORS[verdict]};color:#fff`;
  return `<span class="badge" style="${style}">${verdict}</span>`;
}

function evidenceHtml(e: PropertyEvidence): string {
  const parts = [`<p><b>${esc(e.property)}</b>: ${esc(e.status)}, ${e.numRuns} runs, seed <code>${e.seed}</code>${e.path ? `, path <code>${esc(e.path)}</code>` : ""}${e.replayPath ? `, replayPath <code>${esc(e.replayPath)}</code>` : ""}</p>`];
  if (e.message) parts.push(`<p class="msg">${esc(e.message)}</p>`);
  if (e.commands) parts.push(`<p>Shrunk commands:</p><ol>${e.commands.map((c) => `<li><code>${esc(c)}</code></li>`).join("")}</ol>`);
  else if (e.counterexample) parts.push(`<p>Counterexample:</p><pre>${esc(e.counterexample.slice(0, 4_000))}</pre>`);
  if (e.replayCommand) parts.push(`<p>Replay:</p><pre class="replay">${esc(e.replayCommand)}</pre>`);
  if (e.transcript?.some((t) => t.raw !== undefined)) parts.push(`<p>The adapter requests of this case are in <code>adapter-requests/${esc(e.chargedRules?.[0] ?? "")}--${esc(e.property)}.bin</code>; pipe them into the adapter to repeat the exchange without the kit.</p>`);
  if (e.transcript && e.transcript.length > 0) {
    const lines = e.transcript.map((t) => `${String(t.atMs).padStart(6)} ms ${t.channel.padEnd(8)} ${typeof t.data === "string" ? t.data : JSON.stringify(t.data)}`);
    parts.push(`<details><summary>Transcript (${e.transcript.length} entries)</summary><pre>${esc(lines.join("\n").slice(0, 20_000))}</pre></details>`);
  }
  return parts.join("\n");
}

function ruleRow(rule: RuleResult, docsBase: string): string {
  const link = ruleDocsUrl(rule.id, rule.chapter, docsBase);
  const interesting = rule.verdict !== "PASS" || rule.note !== undefined || rule.expectedFailure !== undefined;
  const extra = [
    rule.note ? `<p>${esc(rule.note)}</p>` : "",
    rule.expectedFailure ? `<p>Expected failure (line ${rule.expectedFailure.line}, <code>${esc(rule.expectedFailure.pattern)}</code>): ${esc(rule.expectedFailure.reason)}</p>` : "",
    ...rule.properties.filter((p) => p.status !== "passed" && (p.status !== "failed" || p.chargedRules?.includes(rule.id))).map(evidenceHtml),
    ...rule.properties.filter((p) => p.status === "failed" && !p.chargedRules?.includes(rule.id)).map((p) => `<p><code>${esc(p.property)}</code> failed for ${esc((p.chargedRules ?? []).join(", "))}; this rule held.</p>`),
    rule.properties.some((p) => p.status === "passed") ? `<p>Passed: ${rule.properties.filter((p) => p.status === "passed").map((p) => `<code>${esc(p.property)}</code> (${p.numRuns} runs)`).join(", ")}</p>` : "",
  ].join("\n");
  const sentence = esc(rule.sentence);
  const body = interesting ? `<details${rule.verdict === "FAIL" || rule.verdict === "XPASS" || rule.verdict === "ERROR" ? " open" : ""}><summary>${sentence}</summary>${extra}</details>` : `<span>${sentence}</span>`;
  return `<tr class="v-${rule.verdict}"><td><a href="${esc(link)}" id="${rule.id.toLowerCase()}">${rule.id}</a></td><td>${rule.level}</td><td>${rule.profile}</td><td>${badge(rule.verdict)}</td><td>${body}</td></tr>`;
}

/** The report as one self-contained HTML page. */
export function renderHtml(report: ConformanceReport, options: HtmlOptions = {}): string {
  const docsBase = options.docsBase ?? "../site";
  const impl = report.implementation;
  const who = impl ? `${impl.implementation} ${impl.version} (${impl.kind}, spec ${impl.specVersion})` : report.target;
  const chapters = new Map<string, RuleResult[]>();
  for (const rule of report.rules) chapters.set(rule.chapter, [...(chapters.get(rule.chapter) ?? []), rule]);
  const counts = Object.entries(report.summary.counts).filter(([, n]) => n > 0).map(([v, n]) => `${badge(v as Verdict)} ${n}`).join(" ");
  const sections = [...chapters].map(([chapter, rules]) => {
    const tally = rules.filter((r) => r.verdict === "PASS").length;
    return `<h2>${esc(chapter)} <small>${tally}/${rules.length} pass</small></h2>\n<table><thead><tr><th>rule</th><th>level</th><th>profile</th><th>verdict</th><th>requirement</th></tr></thead><tbody>\n${rules.map((r) => ruleRow(r, docsBase)).join("\n")}\n</tbody></table>`;
  });
  const outcome = report.summary.failed ? `<p class="bad">FAILED: ${esc(report.summary.failureReasons.join("; "))}</p>` : `<p class="good">No failures.</p>`;
  const incomplete = report.summary.complete ? "" : `<p class="warn">Incomplete: ${report.summary.counts["NOT-COVERED"]} rule(s) are not covered by kit ${esc(report.kit.version)} in ${report.mode} mode; this report does not certify them.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kabar conformance: ${esc(who)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1f2328}table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}
td,th{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}td:first-child{white-space:nowrap}th{background:#f6f8fa}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:12px;font-weight:600;white-space:nowrap}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:30rem;white-space:pre-wrap;word-break:break-all}
.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37;font-weight:600}.warn{color:#9a6700}.msg{font-family:monospace}
h2 small{font-weight:normal;color:#57606a;font-size:14px}summary{cursor:pointer}
</style></head><body>
<h1>Kabar conformance report</h1>
<p><b>${esc(who)}</b>: ${report.mode} mode, profiles ${esc(report.profiles.join(", "))}; kit ${esc(report.kit.name)} ${esc(report.kit.version)}, spec ${esc(report.specVersion)}, report version ${report.reportVersion}.</p>
<p>Seed <code>${report.seed}</code>${report.options.strict ? ", strict" : ""}${report.options.ruleGlobs.length ? `, rules ${esc(report.options.ruleGlobs.join(" "))}` : ""}; ${esc(report.startedAt)} to ${esc(report.finishedAt)}.</p>
${outcome}
${incomplete}
<p>${counts}</p>
${sections.join("\n")}
</body></html>
`;
}
