// Builds the docs site: generates the pages that come from data (home,
// section pages, schema reference, rule catalogue) into a folder under GEN_ROOT, then runs
// TypeDoc over the workspace packages with the spec chapters and guides as
// project documents. Warnings are errors.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import * as td from "typedoc";
import { INTENTIONALLY_NOT_EXPORTED, packageNameOf } from "./api-policy.mjs";
import { BUILD_INFO, documentedPackages, GEN_ROOT, GUIDES_DIR, REPO, SITE_DIR, SPEC_DIR, TYPEDOC_CONFIG } from "./paths.mjs";
import { chapterPageName, ruleUrl, SPEC_PARENT } from "./rule-links.mjs";
import { loadRuleChecks } from "./rule-checks.mjs";
import { ruleCatalogue } from "./rule-catalogue.mjs";
import { collectRules, markdownFiles, markdownTitle, ruleAnchor } from "./rules.mjs";
import { schemaReference } from "./schema-reference.mjs";
import { documentGeneratedCode } from "./typedoc-generated-docs.mjs";
import { ruleAnchorLoader } from "./typedoc-rule-anchors.mjs";

const GUIDE_ORDER = ["quickstart", "generating-sdks", "running-the-server", "certifying", "versioning"];

/** The folder of generated pages for a build into `out`. */
export function genDirFor(out) {
  const resolved = resolve(out);
  return join(GEN_ROOT, resolved === SITE_DIR ? "site" : createHash("sha256").update(resolved).digest("hex").slice(0, 12));
}

/** Every file whose change makes a built site stale. */
export function inputFiles() {
  const walk = (dir, keep) => {
    if (!existsSync(dir)) return [];
    const out = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) out.push(...walk(path, keep));
      else if (keep(path)) out.push(path);
    }
    return out;
  };
  const any = () => true;
  return [
    ...walk(join(REPO, "docs/spec"), any),
    ...walk(join(REPO, "docs/guides"), any),
    ...walk(join(REPO, "proto"), any),
    ...walk(join(REPO, "scripts/docs"), any),
    join(REPO, "scripts/docs.mjs"),
    join(REPO, "scripts/proto-schema.mjs"),
    TYPEDOC_CONFIG,
    ...walk(join(REPO, "conformance"), (p) => /\.(ts|mts|js|mjs|json)$/.test(p)),
    ...walk(join(REPO, "packages"), (p) => /\.(ts|mts|js|mjs|json|md)$/.test(p)),
  ]
    .filter((p) => existsSync(p))
    .sort();
}

/** A fingerprint of the inputs (paths, sizes, modification times). */
export function inputFingerprint() {
  const hash = createHash("sha256");
  for (const file of inputFiles()) {
    const st = statSync(file);
    hash.update(`${relative(REPO, file)}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return hash.digest("hex");
}

/** The build info of the site in `siteDir` if it was built from the current inputs. */
export function freshBuildInfo(siteDir = SITE_DIR) {
  const path = join(siteDir, BUILD_INFO);
  if (!existsSync(path)) return undefined;
  const info = JSON.parse(readFileSync(path, "utf8"));
  return info.fingerprint === inputFingerprint() ? info : undefined;
}

function chapters(dir, order) {
  const files = markdownFiles(dir);
  if (!order) return files;
  const rank = (f) => {
    const i = order.indexOf(basename(f, ".md"));
    return i === -1 ? order.length : i;
  };
  return [...files].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const INDEX_NAMES = ["readme.md", "index.md"];

/** Rewrites relative markdown link targets of a file in `dir` so they work from `genDir`. */
export function rebaseLinks(text, dir, genDir) {
  const rel = (path) => relative(genDir, path);
  return text.replace(/(\]\()([^)\s]+)((?:\s+"[^"]*")?\))/g, (all, open, target, close) => {
    if (/^([a-z][a-z0-9+.-]*:|#|\/)/i.test(target)) return all;
    const [path, anchor] = target.split("#");
    return `${open}${rel(join(dir, path))}${anchor === undefined ? "" : `#${anchor}`}${close}`;
  });
}

/** The name TypeDoc gives a document: its frontmatter title, else the name it was added under. */
function documentName(file, fallback) {
  const fm = /^---\n([\s\S]*?)\n---/.exec(readFileSync(file, "utf8"));
  const title = fm && /^title:\s*(.+?)\s*$/m.exec(fm[1]);
  return title ? title[1].replace(/^(["'])(.*)\1$/, "$2") : fallback;
}

function stripFrontmatter(text) {
  return text.replace(/^---\n[\s\S]*?\n---\n/, "");
}

/** A section page whose children are the markdown files of `dir`. */
function sectionPage({ dir, genDir, files, title, childName, intro }) {
  const rel = (path) => relative(genDir, path);
  const index = files.find((f) => INDEX_NAMES.includes(basename(f).toLowerCase()));
  const children = files.filter((f) => f !== index);
  const entries = children.map((f) => `  ${yamlString(childName(f))}: ${yamlString(rel(f))}`);
  const body = index
    ? rebaseLinks(stripFrontmatter(readFileSync(index, "utf8")), dir, genDir).trim()
    : [
        ...intro,
        "",
        children.length
          ? children.map((f) => `- [${markdownTitle(readFileSync(f, "utf8"), basename(f, ".md"))}](${rel(f)})`).join("\n")
          : "_Nothing here yet._",
      ].join("\n");
  const markdown = ["---", `title: ${title}`, "group: Documents", ...(entries.length ? ["children:", ...entries] : []), "---", "", body, ""].join("\n");
  return { markdown, children, index };
}
const yamlString = (s) => JSON.stringify(s);

/** Writes the generated markdown pages and returns what TypeDoc needs to know about them. */
export function generatePages({ specDir = SPEC_DIR, guidesDir = GUIDES_DIR, packages: only, packageDirs, genDir = genDirFor(SITE_DIR) } = {}) {
  rmSync(genDir, { recursive: true, force: true });
  mkdirSync(genDir, { recursive: true });
  const rel = (path) => relative(genDir, path);
  const { rules, problems } = collectRules(specDir);
  const ruleChapters = new Map(rules.map((r) => [r.id, r.chapter]));
  const specFiles = chapters(specDir);
  const guideFiles = chapters(guidesDir, GUIDE_ORDER);

  // Markdown link targets, relative to genDir; TypeDoc turns them into page URLs.
  const chapterLink = (chapter) => rel(join(specDir, chapter));
  const ruleLink = (id) => (ruleChapters.has(id) ? `${chapterLink(ruleChapters.get(id))}#${ruleAnchor(id)}` : undefined);

  const pages = [];
  const write = (name, text) => {
    const path = join(genDir, name);
    writeFileSync(path, text);
    pages.push(path);
    return path;
  };

  // Section pages. A folder's README.md (or index.md) becomes the section page,
  // its links rewritten to work from genDir; the other files are its children.
  const spec = sectionPage({
    dir: specDir,
    genDir,
    files: specFiles,
    title: SPEC_PARENT,
    childName: (f) => chapterPageName(basename(f)),
    intro: [
      "# The Kabar specification",
      "",
      "The normative protocol. Every rule is one line with a stable id, its RFC 2119 level and the profile it belongs to, " +
        "for example `**SYNC-SEND-002** (MUST, core): ...`. Each rule has an anchor equal to its lowercased id, " +
        "and the [rule catalogue](rule-catalogue.md) lists them all with the tests that check them. " +
        "The wire schemas are in the [schema reference](schema-reference.md).",
    ],
  });
  write("specification.md", spec.markdown);
  const guides = sectionPage({
    dir: guidesDir,
    genDir,
    files: guideFiles,
    title: "Guides",
    childName: (f) => markdownTitle(readFileSync(f, "utf8"), basename(f, ".md")),
    intro: [
      "# Guides",
      "",
      "How to use the protocol, the reference implementations and the conformance kit. The guides are informative; " +
        "where one disagrees with the [specification](specification.md), the specification wins.",
    ],
  });
  write("guides.md", guides.markdown);

  const schema = schemaReference({ ruleLink });
  write("schema-reference.md", schema.markdown);

  const { source: checksSource, checks } = loadRuleChecks();
  const catalogue = ruleCatalogue({ rules, checks, checksSource, ruleLink, chapterLink, problems });
  write("rule-catalogue.md", catalogue.markdown);

  const packages = documentedPackages(REPO, packageDirs).filter((p) => !only || only.includes(p.name));
  const home = join(genDir, "home.md");
  writeFileSync(
    home,
    [
      "# Kabar",
      "",
      "Kabar is an open, end-to-end encrypted messaging protocol, with reference implementations and a conformance kit " +
        "that tells an implementation, rule by rule, whether it speaks the protocol.",
      "",
      "- [Specification](specification.md): the normative chapters; every rule has a stable id and anchor.",
      "- [Guides](guides.md): quickstart, generating SDKs, running the server, certifying an implementation, versioning.",
      "- [Schema reference](schema-reference.md): every message, field and enum of the wire schemas.",
      "- [Rule catalogue](rule-catalogue.md): every rule with its level, profile and the tests that check it.",
      "",
      "## API reference",
      "",
      packages.length
        ? packages.map((p) => `- ${packages.length > 1 ? `{@link ${p.name}! | \`${p.name}\`}` : `\`${p.name}\``}: ${p.description}`).join("\n")
        : "_No package has a public entry point yet._",
      "",
    ].join("\n"),
  );

  return { pages, home, rules, problems, schema, catalogue, checksSource, packages, specFiles: spec.children, guideFiles: guides.children };
}

/**
 * Builds the site into `out`. Throws when TypeDoc reports an error or a warning,
 * or when the spec has malformed or duplicate rule lines.
 * `specDir` and `guidesDir` default to docs/spec and docs/guides, `packages` (names) to
 * every package with src/index.ts, `packageDirs` to packages/*; tests pass fixtures.
 * @param {{ out?: string, quiet?: boolean, specDir?: string, guidesDir?: string, packages?: string[], packageDirs?: string[] }} [options]
 */
export async function buildSite({ out = SITE_DIR, quiet = false, specDir = SPEC_DIR, guidesDir = GUIDES_DIR, packages, packageDirs } = {}) {
  const started = Date.now();
  const fingerprint = inputFingerprint();
  const gen = generatePages({ specDir, guidesDir, packages, packageDirs, genDir: genDirFor(out) });
  if (gen.problems.length) {
    throw new Error(`docs: the spec has ${gen.problems.length} malformed or duplicate rule line(s):\n  ${gen.problems.join("\n  ")}`);
  }
  if (gen.packages.length === 0) throw new Error("docs: no package under packages/ has src/index.ts");

  const messages = [];
  const app = await td.Application.bootstrapWithPlugins(
    {
      options: TYPEDOC_CONFIG,
      entryPoints: gen.packages.map((p) => p.dir),
      projectDocuments: gen.pages.map((p) => relative(REPO, p)),
      readme: relative(REPO, gen.home),
      out,
    },
    [new td.TypeDocReader()],
  );
  // Warnings and errors are collected and reported once, in the thrown error;
  // progress lines are printed unless quiet.
  app.logger.log = (message, level) => {
    td.Logger.prototype.log.call(app.logger, message, level);
    if (level >= td.LogLevel.Warn) messages.push(message.replace(/\x1b\[[0-9;]*m/g, ""));
    else if (level >= td.LogLevel.Info && !quiet) console.log(message.replace(/\x1b\[[0-9;]*m/g, ""));
  };
  const ruleChapters = new Map(gen.rules.map((r) => [r.id, r.chapter]));
  const ruleUrls = new Map(gen.rules.map((r) => [r.id, ruleUrl(r.id, "", { chapters: ruleChapters })]));
  app.options.setValue("markdownItLoader", ruleAnchorLoader(app, ruleUrls));
  documentGeneratedCode(app);
  // Chapter pages are named after their file, not their (changeable) title, so rule URLs stay stable.
  const chapterPages = new Map(gen.specFiles.map((f) => [documentName(f, chapterPageName(basename(f))), chapterPageName(basename(f))]));
  app.renderer.defineRouter(
    "kabar",
    class extends td.KindRouter {
      getIdealBaseName(reflection) {
        const parent = reflection.parent;
        if (reflection.isDocument() && parent?.isDocument() && parent.name === SPEC_PARENT && parent.parent?.isProject() && chapterPages.has(reflection.name)) {
          return `documents/${SPEC_PARENT}.${chapterPages.get(reflection.name)}`;
        }
        return super.getIdealBaseName(reflection);
      }
    },
  );
  app.options.setValue("router", "kabar");
  // In packages mode app.options is the package's own options object while it converts.
  app.converter.on(td.Converter.EVENT_BEGIN, () => {
    const name = packageNameOf(app.options.packageDir ?? "", gen.packages);
    app.options.setValue("intentionallyNotExported", INTENTIONALLY_NOT_EXPORTED[name] ?? []);
  });
  const fail = (stage) => {
    const err = new Error(
      `docs: TypeDoc ${stage} reported ${app.logger.errorCount} error(s) and ${app.logger.warningCount} warning(s) (warnings are errors):\n  ${messages.join("\n  ")}`,
    );
    err.messages = messages;
    return err;
  };
  if (app.logger.hasErrors() || app.logger.hasWarnings()) throw fail("options");
  const project = await app.convert();
  if (!project || app.logger.hasErrors() || app.logger.hasWarnings()) throw fail("conversion");
  app.validate(project);
  if (app.logger.hasErrors() || app.logger.hasWarnings()) throw fail("validation");
  await app.generateOutputs(project);
  if (app.logger.hasErrors() || app.logger.hasWarnings()) throw fail("rendering");

  // The rule URLs, from ruleUrl(); the docs tests check that each names a page holding the anchor.
  const rules = Object.fromEntries(ruleUrls);
  const info = {
    fingerprint,
    builtAt: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    packages: gen.packages.map((p) => p.name),
    chapters: gen.specFiles.map((f) => basename(f)),
    guides: gen.guideFiles.map((f) => basename(f)),
    rules,
    rulesChecked: gen.catalogue.checked,
    checksSource: gen.checksSource,
    schema: { messages: gen.schema.messages, fields: gen.schema.fields, enums: gen.schema.enums, values: gen.schema.values },
    unresolvedSchemaRules: Object.fromEntries(gen.schema.unresolved),
  };
  writeFileSync(join(out, BUILD_INFO), JSON.stringify(info, null, 2) + "\n");
  writeFileSync(join(out, "rules.json"), JSON.stringify(rules, null, 2) + "\n");
  return info;
}
