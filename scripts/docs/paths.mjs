// Where the docs build reads and writes.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
export const SPEC_DIR = join(REPO, "docs/spec");
export const GUIDES_DIR = join(REPO, "docs/guides");
export const SITE_DIR = join(REPO, "site");
/**
 * Generated markdown (home page, section pages, schema reference, rule catalogue),
 * one folder per output directory so parallel builds do not collide; git-ignored via node_modules/.
 */
export const GEN_ROOT = join(REPO, "node_modules/.cache/kabar-docs");
export const TYPEDOC_CONFIG = join(REPO, "docs/typedoc.json");
/** Written into the site after a successful build: inputs fingerprint, counts, rule URLs. */
export const BUILD_INFO = "kabar-build.json";

/**
 * The workspace packages that have a public entry point yet (src/index.ts).
 * `dirs` overrides the package directories (tests use a fixture package).
 * @returns {Array<{ dir: string, name: string, description: string, entry: string }>}
 */
export function documentedPackages(repo = REPO, dirs = undefined) {
  const root = join(repo, "packages");
  const candidates = dirs ?? (existsSync(root) ? readdirSync(root).sort().map((name) => join(root, name)) : []);
  const out = [];
  for (const dir of candidates) {
    const entry = join(dir, "src/index.ts");
    const manifest = join(dir, "package.json");
    if (!existsSync(entry) || !existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, "utf8"));
    out.push({ dir, name: pkg.name ?? dir.split("/").pop(), description: pkg.description ?? "", entry });
  }
  return out;
}
