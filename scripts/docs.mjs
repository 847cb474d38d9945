// npm run docs: builds the static docs site into site/.
// Options: --out DIR (default site/), --quiet, --packages @kabar/a,@kabar/b (a
// subset of the packages with src/index.ts, e.g. while one is half-written).
//
// scripts/docs/: build.mjs (generation + TypeDoc run), rules.mjs (rule lines of
// docs/spec), rule-links.mjs (ruleUrl() for reports), rule-checks.mjs (which tests
// check a rule), schema-reference.mjs, rule-catalogue.mjs, typedoc-*.mjs (TypeDoc
// extensions), check-links.mjs (static link checker), api-check.mjs + api-policy.mjs
// (the API docs check), paths.mjs, slug.mjs, site.css. TypeDoc options: docs/typedoc.json.
import { relative } from "node:path";
import { buildSite } from "./docs/build.mjs";
import { REPO, SITE_DIR } from "./docs/paths.mjs";

const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const out = outIndex >= 0 ? args[outIndex + 1] : SITE_DIR;
const packagesIndex = args.indexOf("--packages");
const packages = packagesIndex >= 0 ? args[packagesIndex + 1].split(",") : undefined;
try {
  const info = await buildSite({ out, quiet: args.includes("--quiet"), packages });
  const unresolved = Object.keys(info.unresolvedSchemaRules);
  console.log(
    `docs: built ${relative(REPO, out) || "."}/ in ${info.seconds.toFixed(1)} s: ${info.chapters.length} spec chapters, ${info.guides.length} guides, ` +
      `${Object.keys(info.rules).length} rules (${info.rulesChecked} with tests), ${info.schema.messages} messages, ${info.schema.enums} enums, ` +
      `API of ${info.packages.join(", ")}`,
  );
  if (unresolved.length) {
    console.log(`docs: ${unresolved.length} rule id(s) named in proto comments are not (yet) defined in docs/spec: ${unresolved.join(", ")}`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
