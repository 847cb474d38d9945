// API docs check: for every workspace package with a public entry point
// (packages/*/src/index.ts), TypeDoc converts the exports with the site's
// per-package options and validates them with warnings as errors: every
// exported declaration (and its members) has a doc comment, {@link}s resolve,
// and exported signatures reference no unexported type. Deliberate exceptions
// live in scripts/docs/api-policy.mjs, each with its reason.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM helpers without type declarations
import { checkPackageApiDocs } from "../../scripts/docs/api-check.mjs";
// @ts-expect-error -- idem
import { documentedPackages } from "../../scripts/docs/paths.mjs";

const repo = resolve(dirname(new URL(import.meta.url).pathname), "../..");
const packages: Array<{ dir: string; name: string; entry: string }> = documentedPackages();

describe("API docs", () => {
  it("covers every package that has src/index.ts", () => {
    const withEntry = readdirSync(join(repo, "packages")).filter((p) => existsSync(join(repo, "packages", p, "src/index.ts")));
    expect(packages.map((p) => p.dir.split("/").pop()).sort()).toEqual(withEntry.sort());
    expect(packages.map((p) => p.name)).toContain("@kabar/protocol");
  });

  it("reports undocumented exports and members (fixture package)", async () => {
    const dir = join(repo, "docs/test/fixtures/packages/undocumented");
    const result = await checkPackageApiDocs({ dir, name: "@kabar-fixture/undocumented", entry: join(dir, "src/index.ts") });
    expect(result.problems.join("\n")).toMatch(/forgotten .*does not have any documentation/);
    expect(result.problems.join("\n")).toMatch(/Options\.b .*does not have any documentation/);
    expect(result.problems).toHaveLength(2);
  });

  it.each(packages.map((p) => [p.name, p] as const))("%s: every export is documented, TypeDoc reports no warning", async (_name, pkg) => {
    const result = await checkPackageApiDocs(pkg);
    expect(result.problems, `${pkg.name}: ${result.problems.length} TypeDoc warning(s):\n${result.problems.join("\n")}`).toEqual([]);
  });
});
