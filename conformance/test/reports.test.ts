// Reports rendered from the JSON source of truth: JUnit mapping, the HTML
// page, the updated expected-failures list and the progress lines.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConformanceError } from "../src/errors.js";
import { parseExpectedFailures } from "../src/expected-failures/expected-failures.js";
import { progressPrinter } from "../src/report/progress.js";
import { renderHtml, ruleDocsUrl } from "../src/report/render-html.js";
// @ts-expect-error -- plain ESM helper of the docs site build
import { ruleUrlInChapter } from "../../scripts/docs/rule-links.mjs";
import { renderJunit } from "../src/report/render-junit.js";
import { writeReports } from "../src/report/write-reports.js";
import { runConformance } from "../src/runner/run-conformance.js";
import { REPORT_VERSION } from "../src/version.js";
import { validateJsonSchema } from "./json-schema-subset.js";
import { catalogueOf, codecProvider, intProperty, rule } from "./support.js";

async function sampleReport(strict = false) {
  return runConformance({
    provider: codecProvider(),
    catalogue: catalogueOf(rule("R-FAIL-001"), rule("R-PASS-001"), rule("R-SHOULD-001", "SHOULD"), rule("R-GROUPS-001", "MUST", "groups"), rule("R-NONE-001"), rule("R-ERR-001"), rule("R-XF-001")),
    properties: [
      intProperty("r.fail", ["R-FAIL-001"], (n) => n > 10),
      intProperty("r.pass", ["R-PASS-001"], () => false),
      intProperty("r.should", ["R-SHOULD-001"], (n) => n > 10),
      intProperty("r.groups", ["R-GROUPS-001"], () => true, "groups"),
      intProperty("r.err", ["R-ERR-001"], () => new ConformanceError("HARNESS", "kit <bug> & more")),
      intProperty("r.xf", ["R-XF-001"], () => true),
    ],
    seed: 5,
    strict,
    expectedFailures: parseExpectedFailures("R-XF-001 # https://example.org/issues/7\n", "xf.txt"),
  });
}

describe("reports", () => {
  it("JSON carries versions, seeds, timestamps and per-rule evidence", async () => {
    const report = await sampleReport();
    expect(report.reportVersion).toBe(REPORT_VERSION);
    expect(report.kit.name).toBe("@kabar/conformance");
    expect(report.seed).toBe(5);
    expect(Date.parse(report.finishedAt)).toBeGreaterThanOrEqual(Date.parse(report.startedAt));
    expect(report.summary.counts).toMatchObject({ FAIL: 1, PASS: 1, "NON-STRICT": 1, SKIP: 1, "NOT-COVERED": 1, ERROR: 1, XFAIL: 1 });
    expect(report.summary.byLevel.SHOULD["NON-STRICT"]).toBe(1);
  });

  it("JUnit: FAIL is <failure>, ERROR <error>, SKIP / NOT-COVERED / XFAIL <skipped>; NON-STRICT fails only under --strict", async () => {
    const xml = renderJunit(await sampleReport());
    expect(xml).toMatch(/<testsuite name="kabar-conformance test" tests="7" failures="1" errors="1" skipped="3">/);
    expect(xml).toMatch(/<failure message="FAIL: [^"]+" type="FAIL">R-FAIL-001 sentence/);
    expect(xml).toContain("replay: kabar-conformance replay ");
    expect(xml).toContain('<error message="ERROR: kit &lt;bug&gt; &amp; more"');
    expect(xml).toContain('<skipped message="NOT-COVERED: no codec-mode property');
    expect(renderJunit(await sampleReport(true))).toMatch(/failures="2" errors="1" skipped="3"/);
  });

  it("HTML is one self-contained page linking each rule to its published anchor", async () => {
    const html = renderHtml(await sampleReport(), { docsBase: "https://kabar.example/docs/" });
    expect(html).toContain('href="https://kabar.example/docs/documents/Specification.Test.html#r-fail-001"');
    expect(html).toContain("kabar-conformance replay ");
    expect(html).toContain(">NOT-COVERED<");
    expect(html).not.toMatch(/<(script|link)\b/);
    expect(renderHtml(await sampleReport())).toContain('href="../site/documents/Specification.Test.html#r-pass-001"');
  });

  it("rule links agree with the docs site's own URL scheme (scripts/docs/rule-links.mjs)", () => {
    for (const [id, chapter] of [["SYNC-SEND-002", "sync"], ["CONF-ADAPTER-001", "conformance"], ["X-Y-001", "odd name.md"]] as const) {
      for (const base of ["", "../site", "https://kabar.example/docs/"]) expect(ruleDocsUrl(id, chapter, base)).toBe(ruleUrlInChapter(id, chapter, base));
    }
  });

  it("writes every format and the expected-failures list that would make the run pass", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kabar-report-"));
    const files = writeReports(await sampleReport(), dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(["report.json", "junit.xml", "report.html", "expected-failures.updated.txt"]);
    expect(JSON.parse(readFileSync(join(dir, "report.json"), "utf8")).reportVersion).toBe(REPORT_VERSION);
    const updated = readFileSync(join(dir, "expected-failures.updated.txt"), "utf8");
    expect(updated).toContain("R-FAIL-001  # TODO: issue link");
    expect(updated).toContain("R-XF-001  # https://example.org/issues/7");
    expect(updated).not.toContain("R-SHOULD-001");
  });

  it("progress prints one line per rule on a non-TTY and a summary with replay commands", async () => {
    let text = "";
    const progress = progressPrinter({ write: (t: string) => (text += t), isTTY: false });
    const report = await runConformance({ provider: codecProvider(), catalogue: catalogueOf(rule("P-A-001"), rule("P-B-001")), properties: [intProperty("p.a", ["P-A-001"], (n) => n > 3)], seed: 1, onStart: progress.onStart, onRule: progress.onRule });
    progress.summary(report);
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe("kabar-conformance: 2 rule(s)");
    expect(lines[1]).toMatch(/^\[1\/2\] FAIL +P-A-001/);
    expect(lines[2]).toMatch(/^\[2\/2\] NOT-COVERED +P-B-001/);
    expect(text).toContain("FAILED: 2 rules");
    expect(text).toMatch(/P-A-001: kabar-conformance replay \S+/);
  });
});

describe("report schema", () => {
  it("schema/report-v1.schema.json describes every field the kit writes, and nothing it does not", async () => {
    const schema = JSON.parse(readFileSync(new URL("../schema/report-v1.schema.json", import.meta.url), "utf8"));
    const report = JSON.parse(JSON.stringify(await sampleReport()));
    expect(validateJsonSchema(schema, report)).toEqual([]);
    const broken = { ...report, summary: { ...report.summary, extra: 1 }, rules: [{ ...report.rules[0], verdict: "MAYBE" }] };
    expect(validateJsonSchema(schema, broken)).toEqual(["$.summary: unexpected property extra", "$.rules[0].verdict: MAYBE is not one of PASS, FAIL, NON-STRICT, INFO, SKIP, ERROR, NOT-COVERED, XFAIL, XPASS"]);
  });
});

