// The command line: argument parsing, --list, a codec run with reports, a
// mutant run failing with exit status 1, replay of its token, and exit
// status 2 for what stops the kit from running.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli.js";
import { parseCli } from "../src/cli/parse-args.js";
import type { ConformanceReport } from "../src/report/report-types.js";

async function cli(...argv: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const sink = (append: (t: string) => void) => ({ write: (t: string) => (append(t), true), isTTY: false }) as unknown as NodeJS.WriteStream;
  const status = await main(argv, sink((t) => (out += t)), sink((t) => (err += t)));
  return { status, out, err };
}

describe("argument parsing", () => {
  it("accepts the documented forms", () => {
    expect(parseCli(["server", "--url", "ws://127.0.0.1:1", "--restart-cmd", "systemctl restart k", "--profile", "core,groups", "--strict"])).toMatchObject({ command: "server", url: "ws://127.0.0.1:1", restartCmd: "systemctl restart k", profiles: ["core", "groups"], strict: true });
    expect(parseCli(["client", "--adapter", "python3 a.py", "--rule", "SYNC-*", "--rule", "ENC-*", "--runs", "7", "--seed=-3"])).toMatchObject({ command: "client", adapter: "python3 a.py", rules: ["SYNC-*", "ENC-*"], runs: 7, seed: -3 });
    expect(parseCli(["server", "--cmd", "node server.js"])).toMatchObject({ command: "server", cmd: "node server.js" });
    expect(parseCli(["replay", "abc"])).toMatchObject({ command: "replay", token: "abc" });
    expect(parseCli(["--list"])).toMatchObject({ command: "list" });
    expect(parseCli(["client", "--list"])).toMatchObject({ command: "list", listMode: "client" });
    expect(parseCli(["crypto"])).toMatchObject({ command: "crypto" });
    expect(parseCli(["crypto", "--adapter", "python3 a.py"])).toMatchObject({ command: "crypto", adapter: "python3 a.py" });
    expect(parseCli(["list", "crypto"])).toMatchObject({ command: "list", listMode: "crypto" });
  });

  it("refuses contradictions and unknown values", () => {
    expect(() => parseCli(["server"])).toThrow(/exactly one of --url, --cmd or --adapter/);
    expect(() => parseCli(["server", "--url", "ws://x", "--cmd", "y"])).toThrow(/exactly one/);
    expect(() => parseCli(["server", "--cmd", "y", "--restart-cmd", "z"])).toThrow(/--restart-cmd goes with --url/);
    expect(() => parseCli(["client"])).toThrow(/client needs --adapter/);
    expect(() => parseCli(["codec", "--profile", "chat"])).toThrow(/unknown profile chat/);
    expect(() => parseCli(["codec", "--runs", "many"])).toThrow(/--runs needs an integer/);
    expect(() => parseCli(["fly"])).toThrow(/unknown command fly/);
    expect(() => parseCli(["crypto", "--mutant", "m", "--adapter", "a"])).toThrow(/crypto takes --mutant or --adapter, not both/);
  });
});

describe("kabar-conformance", () => {
  it("--list shows every rule with level, profile and properties, and the coverage", async () => {
    const { status, out } = await cli("list", "codec", "--rule", "WIRE-*");
    expect(status).toBe(0);
    expect(out).toMatch(/^WIRE-DECODE-006 +MUST +core +wire\.decode\.invalid-utf8 \[codec\]$/m);
    expect(out).toMatch(/^WIRE-FRAME-001 +MUST +core +NOT-COVERED$/m);
    expect(out).toMatch(/14 of 18 rules have a property in codec mode/);
  });

  it("runs the codec suite against the reference decoder and writes the reports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kabar-cli-"));
    const { status, err } = await cli("codec", "--rule", "WIRE-DECODE-*", "--runs", "25", "--seed", "12", "--out", dir);
    expect(status, err).toBe(0);
    expect(err).toMatch(/PASSED: 9 rules: 9 PASS \(seed 12\)/);
    for (const file of ["report.json", "junit.xml", "report.html", "expected-failures.updated.txt"]) expect(existsSync(join(dir, file))).toBe(true);
  });

  it("fails against a mutant, prints a replay command, and the replay reproduces the failure", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kabar-cli-"));
    const run = await cli("codec", "--mutant", "codec.no-utf8-check", "--rule", "WIRE-DECODE-006", "--runs", "50", "--seed", "3", "--out", dir);
    expect(run.status).toBe(1);
    expect(run.err).toMatch(/WIRE-DECODE-006: kabar-conformance replay \S+/);
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as ConformanceReport;
    const token = report.rules[0]!.properties[0]!.replayToken!;
    const replayed = await cli("replay", token);
    expect(replayed.status).toBe(1);
    expect(replayed.out).toMatch(/^FAILS: WIRE-DECODE-006: string field .* accepted; expected rejection with FRAME_INVALID_UTF8$/m);
    expect(replayed.out).toMatch(/wire-out/);
  });

  it("honours the expected-failures file: the listed failure is XFAIL, and a stale entry fails the run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kabar-cli-"));
    const listed = join(dir, "expected.txt");
    writeFileSync(listed, "WIRE-DECODE-006  # https://example.org/issues/1\n");
    expect((await cli("codec", "--mutant", "codec.no-utf8-check", "--rule", "WIRE-DECODE-006", "--runs", "30", "--expected-failures", listed)).status).toBe(0);
    writeFileSync(listed, "WIRE-DECODE-006  # https://example.org/issues/1\nWIRE-NOPE-001 # gone\n");
    const stale = await cli("codec", "--mutant", "codec.no-utf8-check", "--rule", "WIRE-DECODE-006", "--runs", "30", "--expected-failures", listed);
    expect(stale.status).toBe(1);
    expect(stale.err).toMatch(/entry matches no rule: WIRE-NOPE-001/);
  });

  it("exits 2 when it cannot run", async () => {
    expect((await cli("client")).status).toBe(2);
    expect((await cli("codec", "--mutant", "codec.does-not-exist")).status).toBe(2);
    const broken = await cli("client", "--adapter", "exit 7");
    expect(broken.status).toBe(2);
    expect(broken.err).toMatch(/adapter crashed: exit code 7/);
  });
});

describe("rule globs", () => {
  it("select with * and ?, and exclude with a leading !", async () => {
    const { matchesAnyGlob } = await import("../src/rules/rule-glob.js");
    expect(matchesAnyGlob("FILES-UPLOAD-007", [])).toBe(true);
    expect(matchesAnyGlob("FILES-UPLOAD-007", ["FILES-*"])).toBe(true);
    expect(matchesAnyGlob("FILES-UPLOAD-007", ["SYNC-*"])).toBe(false);
    expect(matchesAnyGlob("FILES-UPLOAD-007", ["!FILES-UPLOAD-007"])).toBe(false);
    expect(matchesAnyGlob("FILES-UPLOAD-006", ["!FILES-UPLOAD-007"])).toBe(true);
    expect(matchesAnyGlob("FILES-UPLOAD-006", ["FILES-*", "!FILES-UPLOAD-00?"])).toBe(false);
    expect(matchesAnyGlob("FILES-BLOB-001", ["FILES-*", "!FILES-UPLOAD-*"])).toBe(true);
  });
});
