// The API docs check: every symbol a package exports from src/index.ts has a
// doc comment (TypeDoc's notDocumented validation), links in doc comments
// resolve, and exported signatures reference no unexported type. Warnings are
// errors. Used by docs/test/api-docs.test.ts; `node scripts/docs/api-check.mjs`
// prints the result for every package.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as td from "typedoc";
import { INTENTIONALLY_NOT_DOCUMENTED, INTENTIONALLY_NOT_EXPORTED } from "./api-policy.mjs";
import { documentedPackages, TYPEDOC_CONFIG } from "./paths.mjs";
import { documentGeneratedCode } from "./typedoc-generated-docs.mjs";

/**
 * Runs TypeDoc over one package without writing output.
 * @param {{ dir: string, name: string, entry: string }} pkg
 * @returns {Promise<{ name: string, problems: string[], seconds: number }>}
 */
export async function checkPackageApiDocs(pkg) {
  const started = Date.now();
  const problems = [];
  // The per-package options of the site build, plus the documentation checks.
  const { packageOptions } = JSON.parse(readFileSync(TYPEDOC_CONFIG, "utf8"));
  const app = await td.Application.bootstrapWithPlugins(
    {
      ...packageOptions,
      entryPoints: [pkg.entry],
      entryPointStrategy: "resolve",
      tsconfig: join(pkg.dir, "tsconfig.json"),
      name: pkg.name,
      readme: "none",
      skipErrorChecking: true,
      treatWarningsAsErrors: true,
      validation: { notExported: true, invalidLink: true, rewrittenLink: true, notDocumented: true, unusedMergeModuleWith: true },
      intentionallyNotExported: INTENTIONALLY_NOT_EXPORTED[pkg.name] ?? [],
      intentionallyNotDocumented: INTENTIONALLY_NOT_DOCUMENTED[pkg.name] ?? [],
      logLevel: "Warn",
    },
    [new td.TSConfigReader()],
  );
  app.logger.log = (message, level) => {
    td.Logger.prototype.log.call(app.logger, message, level);
    if (level >= td.LogLevel.Warn) problems.push(message.replace(/\x1b\[[0-9;]*m/g, "").replace(/^\[(warning|error)\] /, ""));
  };
  documentGeneratedCode(app);
  const project = await app.convert();
  if (project) app.validate(project);
  else if (problems.length === 0) problems.push("TypeDoc could not convert the package");
  return { name: pkg.name, problems, seconds: (Date.now() - started) / 1000 };
}

/** Checks every package with src/index.ts, one after the other. */
export async function checkAllApiDocs() {
  const results = [];
  for (const pkg of documentedPackages()) results.push(await checkPackageApiDocs(pkg));
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let failed = false;
  for (const r of await checkAllApiDocs()) {
    failed ||= r.problems.length > 0;
    console.log(`${r.problems.length ? "FAIL" : "ok  "} ${r.name}: ${r.problems.length} problem(s) (${r.seconds.toFixed(1)} s)`);
    for (const p of r.problems) console.log(`     ${p}`);
  }
  process.exit(failed ? 1 : 0);
}
