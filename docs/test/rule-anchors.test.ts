// The docs build on a fixture spec: rule parsing, rule anchors, the rule
// catalogue, the schema reference's rule links and ruleUrl(), independent of
// how far the real spec chapters are.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM helpers without type declarations
import { buildSite } from "../../scripts/docs/build.mjs";
// @ts-expect-error -- idem
import { checkSiteLinks, idsOf, linksOf } from "../../scripts/docs/check-links.mjs";
// @ts-expect-error -- idem
import { fromCatalogue, ruleIdsInTitle } from "../../scripts/docs/rule-checks.mjs";
// @ts-expect-error -- idem
import { ruleUrl, ruleUrlInChapter } from "../../scripts/docs/rule-links.mjs";
// @ts-expect-error -- idem
import { collectRules, parseRuleLine } from "../../scripts/docs/rules.mjs";

const here = dirname(new URL(import.meta.url).pathname);
const repo = resolve(here, "../..");
const fixtureSpec = join(here, "fixtures/spec");
const fixtureGuides = join(here, "fixtures/guides");
const fixturePackages = ["mini", "other"].map((p) => join(here, "fixtures/packages", p));
const out = join(repo, "test-output/docs/fixture-site");
const FIXTURE_IDS = ["WIRE-FRAME-001", "WIRE-FRAME-002", "ALPHA-LIST-001", "ALPHA-LIST-002", "BETA-SEND-002", "SYNC-SEND-002"];

describe("rule lines", () => {
  it("parses id, level, profile and sentence", () => {
    expect(parseRuleLine("**SYNC-SEND-002** (MUST, core): Sends are idempotent.")).toEqual({
      id: "SYNC-SEND-002",
      level: "MUST",
      profile: "core",
      text: "Sends are idempotent.",
    });
    expect(parseRuleLine("- **A-B-C-010** (SHOULD NOT, payments): x")?.level).toBe("SHOULD NOT");
    expect(parseRuleLine("    **SYNC-SEND-002** (MUST, core): indented code")).toBeUndefined();
    expect(parseRuleLine("See **SYNC-SEND-002** (MUST, core): not at line start")).toBeUndefined();
  });

  it("collects the fixture's rules in order, skipping code blocks", () => {
    const { rules, problems } = collectRules(fixtureSpec);
    expect(problems).toEqual([]);
    expect(rules.map((r: { id: string }) => r.id)).toEqual(FIXTURE_IDS);
    expect(rules.find((r: { id: string }) => r.id === "BETA-SEND-002")).toMatchObject({ level: "SHOULD NOT", profile: "history", chapter: "beta.md" });
  });

  it("reports malformed and duplicate rule lines", () => {
    const dir = mkdtempSync(join(tmpdir(), "kabar-spec-"));
    try {
      writeFileSync(
        join(dir, "x.md"),
        "**X-Y-001** (MUST, core): one\n\n**X-Y-001** (MAY, core): again\n\n**X-Y-002** (MUST): no profile\n\n**X-Y-003** (MUST, gold): bad profile\n\n**AUTHZ-001** (MUST, core): no topic\n",
      );
      const { rules, problems } = collectRules(dir);
      expect(rules.map((r: { id: string }) => r.id)).toEqual(["X-Y-001", "X-Y-003"]);
      expect(problems.join("\n")).toMatch(/X-Y-001 is already defined at x\.md:1/);
      expect(problems.join("\n")).toMatch(/X-Y-002 looks like a rule/);
      expect(problems.join("\n")).toMatch(/X-Y-003 has unknown profile "gold"/);
      expect(problems.join("\n")).toMatch(/AUTHZ-001 looks like a rule id but is not AREA-TOPIC-NNN/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads rule ids and their shorthands from test titles", () => {
    expect(ruleIdsInTitle("ENC-RATCHET-001/002: both ways")).toEqual(["ENC-RATCHET-001", "ENC-RATCHET-002"]);
    expect(ruleIdsInTitle("ENC-BACKUP-002..004: round-trips")).toEqual(["ENC-BACKUP-002", "ENC-BACKUP-003", "ENC-BACKUP-004"]);
    expect(ruleIdsInTitle("X25519 vectors (ENC-KEY-003) and SYNC-SEND-001")).toEqual(["ENC-KEY-003", "SYNC-SEND-001"]);
    expect(ruleIdsInTitle("ML-KEM-768 keygen")).toEqual([]);
  });

  it("accepts the conformance catalogue's rules.json in either shape", () => {
    const catalogue = { catalogueVersion: 1, rules: [{ id: "WIRE-FRAME-002", properties: ["wire.frame.size-limit"], mutants: [] }] };
    expect(fromCatalogue(catalogue).get("WIRE-FRAME-002")).toEqual([{ property: "wire.frame.size-limit" }]);
    const list = [{ id: "SYNC-SEND-002", checks: [{ file: "conformance/suites/sync.ts", name: "idempotent send" }] }];
    expect(fromCatalogue(list).get("SYNC-SEND-002")).toEqual([{ file: "conformance/suites/sync.ts", name: "idempotent send" }]);
  });

  it("builds rule URLs from the chapter file name", () => {
    const chapters = new Map([["SYNC-SEND-002", "sync.md"]]);
    expect(ruleUrl("SYNC-SEND-002", "https://docs.example/kabar", { chapters })).toBe("https://docs.example/kabar/documents/Specification.Sync.html#sync-send-002");
    expect(ruleUrl("SYNC-SEND-002", "", { chapters })).toBe("documents/Specification.Sync.html#sync-send-002");
    expect(ruleUrl("NOPE-NOPE-001", "/", { chapters })).toBeUndefined();
    expect(ruleUrlInChapter("SYNC-SEND-002", "sync", "../site")).toBe("../site/documents/Specification.Sync.html#sync-send-002");
  });
});

describe("fixture site", () => {
  let info: { rules: Record<string, string>; unresolvedSchemaRules: Record<string, string[]> };
  const page = (path: string) => readFileSync(join(out, path), "utf8");

  beforeAll(async () => {
    info = await buildSite({ out, quiet: true, specDir: fixtureSpec, guidesDir: fixtureGuides, packageDirs: fixturePackages });
  });

  it("has no broken internal link or anchor", () => {
    const result = checkSiteLinks(out);
    expect(result.broken).toEqual([]);
    expect(result.fragments).toBeGreaterThan(100);
  });

  it("names chapter pages after their file, and ruleUrl() agrees with the built site", () => {
    expect(existsSync(join(out, "documents/Specification.Alpha.html"))).toBe(true);
    expect(page("documents/Specification.Alpha.html")).toContain("Alpha chapter with a long title");
    expect(Object.keys(info.rules)).toEqual(FIXTURE_IDS);
    for (const id of FIXTURE_IDS) {
      const url = ruleUrl(id, "", { specDir: fixtureSpec });
      expect(info.rules[id]).toBe(url);
      const [file, anchor] = url.split("#");
      expect(anchor).toBe(id.toLowerCase());
      // Exactly one element carries the anchor: the bold id of the rule line.
      const html = page(file);
      expect(html.match(new RegExp(`id="${anchor}"`, "g"))).toHaveLength(1);
      expect(html).toContain(`<strong id="${anchor}" class="kabar-rule"><a href="#${anchor}">${id}</a></strong>`);
    }
    expect(page("documents/Specification.Alpha.html")).not.toContain('id="alpha-code-001"');
  });

  it("links other mentions of defined rule ids, in chapters and in API doc comments", () => {
    expect(page("documents/Specification.Alpha.html")).toContain('<a href="#alpha-list-001" class="kabar-rule-ref">ALPHA-LIST-001</a>');
    expect(page("documents/Specification.Beta.html")).toContain('<a href="#beta-send-002" class="kabar-rule-ref">BETA-SEND-002</a>');
    // The fixture package's doc comments name WIRE-FRAME-002 and WIRE-FRAME-001, defined in alpha.md.
    expect(page("variables/_kabar-fixture_mini.MAX_FRAME_BYTES.html")).toContain('<a href="../documents/Specification.Alpha.html#wire-frame-002" class="kabar-rule-ref">WIRE-FRAME-002</a>');
    const fn = page("functions/_kabar-fixture_mini.decodeFrame.html");
    expect(fn).toContain('href="../documents/Specification.Alpha.html#wire-frame-001"');
    expect(fn).toContain("NOPE-NOPE-001");
    expect(fn).not.toContain("#nope-nope-001");
  });

  it("links every rule of the catalogue to its anchor", () => {
    const catalogue = page("documents/Rule_catalogue.html");
    for (const id of FIXTURE_IDS) {
      const hrefs = linksOf(catalogue)
        .map((l: { value: string }) => l.value)
        .filter((v: string) => v.endsWith(`#${id.toLowerCase()}`));
      expect(hrefs.length, id).toBeGreaterThan(0);
      const [file, anchor] = hrefs[0].split("#");
      expect(`${relative(out, resolve(out, "documents", file))}#${anchor}`).toBe(ruleUrl(id, "", { specDir: fixtureSpec }));
    }
    expect(catalogue).toMatch(/ALPHA-LIST-002.*MAY.*files/s);
  });

  it("links rule ids in the schema reference and lists the ones the spec lacks", () => {
    const schema = page("documents/Schema_reference.html");
    expect(schema).toContain('href="Specification.Beta.html#sync-send-002"');
    expect(idsOf(schema).has("clientrequest")).toBe(true);
    expect(Object.keys(info.unresolvedSchemaRules)).toContain("WIRE-DECODE-005");
    expect(schema).toMatch(/Rules not yet in the spec[\s\S]*WIRE-DECODE-005/);
  });

  it("fails the build on a link to a missing rule anchor", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kabar-spec-"));
    try {
      cpSync(fixtureSpec, dir, { recursive: true });
      writeFileSync(join(dir, "beta.md"), readFileSync(join(dir, "beta.md"), "utf8") + "\nSee [a rule that is not there](./alpha.md#wire-frame-999).\n");
      await expect(
        buildSite({ out: join(repo, "test-output/docs/fixture-broken"), quiet: true, specDir: dir, guidesDir: fixtureGuides, packageDirs: fixturePackages }),
      ).rejects.toThrow(/wire-frame-999, but the anchor does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
