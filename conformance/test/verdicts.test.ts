// The verdict engine: levels, profiles, coverage, harness errors, rule
// attribution, expected failures, seeds and replay tokens.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ConformanceError, isConformanceError } from "../src/errors.js";
import { parseExpectedFailures } from "../src/expected-failures/expected-failures.js";
import { RuleViolation } from "../src/registry/rule-violation.js";
import { decodeReplayToken, encodeReplayToken } from "../src/runner/replay-token.js";
import { runConformance } from "../src/runner/run-conformance.js";
import { catalogueOf, codecProvider, intProperty, rule } from "./support.js";

const catalogue = catalogueOf(
  rule("T-MUST-001", "MUST"),
  rule("T-SHOULD-001", "SHOULD"),
  rule("T-MAY-001", "MAY"),
  rule("T-PASS-001", "MUST"),
  rule("T-GROUPS-001", "MUST", "groups"),
  rule("T-NOPROP-001", "MUST"),
  rule("T-HARNESS-001", "MUST"),
  rule("T-SHARED-001", "MUST"),
  rule("T-SHARED-002", "MUST"),
);
const properties = [
  intProperty("t.must", ["T-MUST-001"], (n) => n > 500),
  intProperty("t.should", ["T-SHOULD-001"], (n) => n > 500),
  intProperty("t.may", ["T-MAY-001"], (n) => n > 500),
  intProperty("t.pass", ["T-PASS-001"], () => false),
  intProperty("t.groups", ["T-GROUPS-001"], (n) => n > 500, "groups"),
  intProperty("t.harness", ["T-HARNESS-001"], () => new ConformanceError("HARNESS", "the kit broke")),
  intProperty("t.shared", ["T-SHARED-001", "T-SHARED-002"], (n) => (n > 500 ? new RuleViolation("T-SHARED-002", `n = ${n}`) : false)),
];

async function run(options: { strict?: boolean; expected?: string } = {}) {
  return runConformance({
    provider: codecProvider(),
    catalogue,
    properties,
    seed: 42,
    strict: options.strict ?? false,
    ...(options.expected !== undefined ? { expectedFailures: parseExpectedFailures(options.expected, "expected.txt") } : {}),
  });
}

const verdicts = (report: Awaited<ReturnType<typeof run>>) => Object.fromEntries(report.rules.map((r) => [r.id, r.verdict]));

describe("verdicts", () => {
  it("derive from the rule's level, profile and property outcomes", async () => {
    const report = await run();
    expect(verdicts(report)).toEqual({
      "T-MUST-001": "FAIL",
      "T-SHOULD-001": "NON-STRICT",
      "T-MAY-001": "INFO",
      "T-PASS-001": "PASS",
      "T-GROUPS-001": "SKIP",
      "T-NOPROP-001": "NOT-COVERED",
      "T-HARNESS-001": "ERROR",
      "T-SHARED-001": "PASS",
      "T-SHARED-002": "FAIL",
    });
    expect(report.summary.failed).toBe(true);
    expect(report.summary.complete).toBe(false);
    expect(report.summary.failureReasons).toEqual(["2 rule(s) FAIL", "1 rule(s) ERROR"]);
  });

  it("records seed, shrunk counterexample, path and a replay token that decodes back", async () => {
    const report = await run();
    const evidence = report.rules.find((r) => r.id === "T-MUST-001")!.properties[0]!;
    expect(evidence.status).toBe("failed");
    expect(evidence.counterexample).toBe("[501]");
    expect(evidence.path).toMatch(/^\d+(:\d+)*$/);
    expect(evidence.reproduced).toBe(true);
    const token = decodeReplayToken(evidence.replayToken!);
    expect(token).toEqual({ rule: "T-MUST-001", property: "t.must", seed: evidence.seed, path: evidence.path, target: "codec:reference" });
    expect(evidence.replayCommand).toBe(`kabar-conformance replay ${evidence.replayToken}`);
    // Same seed, same result: the run is reproducible.
    const again = await run();
    expect(again.rules.find((r) => r.id === "T-MUST-001")!.properties[0]!.path).toBe(evidence.path);
  });

  it("--strict makes NON-STRICT fail the run; MAY (INFO) never does", async () => {
    const lenient = await runConformance({ provider: codecProvider(), catalogue: catalogueOf(rule("T-SHOULD-001", "SHOULD"), rule("T-MAY-001", "MAY")), properties, seed: 1 });
    expect(lenient.summary.failed).toBe(false);
    const strict = await runConformance({ provider: codecProvider(), catalogue: catalogueOf(rule("T-SHOULD-001", "SHOULD"), rule("T-MAY-001", "MAY")), properties, seed: 1, strict: true });
    expect(strict.summary.failed).toBe(true);
    expect(strict.summary.failureReasons).toEqual(["1 rule(s) NON-STRICT"]);
  });

  it("a failing property never turns into PASS or SKIP: a declared profile is always run", async () => {
    const report = await runConformance({ provider: codecProvider(undefined, ["core", "groups"]), catalogue, properties, seed: 3, ruleGlobs: ["T-GROUPS-*"] });
    expect(verdicts(report)).toEqual({ "T-GROUPS-001": "FAIL" });
  });
});

describe("expected failures", () => {
  it("turn listed failures into XFAIL, listed passes into XPASS (failing the run), and flag stale entries", async () => {
    const report = await run({ expected: ["T-MUST-001  # https://example.org/1", "T-PASS-001 # fixed yet?", "T-GONE-001 # renamed", "T-SHARED-00? # https://example.org/2", "T-HARNESS-001 # harness errors stay errors"].join("\n") });
    const v = verdicts(report);
    expect(v["T-MUST-001"]).toBe("XFAIL");
    expect(v["T-PASS-001"]).toBe("XPASS");
    expect(v["T-SHARED-001"]).toBe("XPASS");
    expect(v["T-SHARED-002"]).toBe("XFAIL");
    expect(v["T-HARNESS-001"]).toBe("ERROR");
    expect(report.staleExpectedFailures.map((s) => s.pattern)).toEqual(["T-GONE-001"]);
    expect(report.summary.failed).toBe(true);
    expect(report.summary.failureReasons.join("; ")).toContain("T-GONE-001");
    expect(report.rules.find((r) => r.id === "T-MUST-001")!.rawVerdict).toBe("FAIL");
  });

  it("refuse entries without a reason, malformed ids and wildcards matching more than 20 rules", async () => {
    expect(() => parseExpectedFailures("T-MUST-001\n")).toThrow(/needs "# issue link or reason"/);
    expect(() => parseExpectedFailures("t-must-001 # lower case\n")).toThrow(/not a rule id or glob/);
    const many = catalogueOf(...Array.from({ length: 21 }, (_, i) => rule(`W-X-${String(i).padStart(3, "0")}`)));
    const error = await runConformance({ provider: codecProvider(), catalogue: many, properties: [], expectedFailures: parseExpectedFailures("W-X-* # too broad\n") }).catch((e: unknown) => e);
    expect(isConformanceError(error, "EXPECTED_FAILURES_INVALID")).toBe(true);
    expect(String((error as Error).message)).toMatch(/matches 21 rules, more than 20/);
  });
});

describe("replay tokens", () => {
  it("round-trip and reject garbage", () => {
    fc.assert(
      fc.property(fc.record({ rule: fc.string(), property: fc.string(), seed: fc.integer(), path: fc.string(), target: fc.string() }), fc.option(fc.string(), { nil: undefined }), (token, replayPath) => {
        const full = replayPath === undefined ? token : { ...token, replayPath };
        expect(decodeReplayToken(encodeReplayToken(full))).toEqual(full);
      }),
    );
    expect(() => decodeReplayToken("not-a-token")).toThrow(/replay token/);
    expect(() => decodeReplayToken(Buffer.from('{"rule":1}').toString("base64url"))).toThrow(/lacks/);
  });
});
