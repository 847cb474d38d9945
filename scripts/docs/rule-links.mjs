// Stable links to spec rules. Every rule line of docs/spec/*.md gets an HTML
// anchor equal to its lowercased id (`SYNC-SEND-002` -> `#sync-send-002`) on
// the page of its chapter. The conformance report uses ruleUrl() to link each
// verdict to its rule; the site build checks that these URLs match the pages
// TypeDoc actually writes (site/rules.json holds the same map).
import { basename } from "node:path";
import { collectRules, ruleAnchor, RULE_ID_GLOBAL } from "./rules.mjs";

export { ruleAnchor };

const SPEC_DIR = new URL("../../docs/spec/", import.meta.url).pathname;

/** The group every spec chapter page sits in; part of the chapter URLs. */
export const SPEC_PARENT = "Specification";

/**
 * The site-relative path of a spec chapter's page, as TypeDoc names it:
 * chapters are children of the "Specification" document, and TypeDoc names a
 * child document page `documents/<Parent>.<Child>.html`.
 */
export function chapterPath(chapterFile) {
  return `documents/${SPEC_PARENT}.${chapterPageName(chapterFile)}.html`;
}

/**
 * The document name a chapter file gets on the site and in the navigation:
 * its file name without .md, capitalized (`sync.md` -> `Sync`). Taken from the
 * file name rather than the title so page URLs survive a retitled chapter.
 */
export function chapterPageName(chapterFile) {
  const name = basename(chapterFile, ".md").replace(/[^A-Za-z0-9_-]/g, "_");
  return name.charAt(0).toUpperCase() + name.slice(1);
}

let cached;
/** Rule id -> chapter file name, read once from docs/spec/. */
export function ruleChapters(specDir = SPEC_DIR) {
  if (cached?.dir === specDir) return cached.map;
  const map = new Map(collectRules(specDir).rules.map((r) => [r.id, r.chapter]));
  cached = { dir: specDir, map };
  return map;
}

/**
 * The URL of a rule's anchor on the docs site, e.g.
 * `ruleUrl("SYNC-SEND-002", "https://kabar.dev/docs")` ->
 * `https://kabar.dev/docs/documents/Specification.Sync.html#sync-send-002`.
 * `siteBase` is the URL or path of the site root (a trailing slash is optional;
 * "" gives a site-relative path). Returns undefined for an id the spec does not define.
 * @param {string} id
 * @param {string} [siteBase]
 * @param {{ chapters?: Map<string, string>, specDir?: string }} [options]
 */
export function ruleUrl(id, siteBase = "", options = {}) {
  const chapters = options.chapters ?? ruleChapters(options.specDir);
  const chapter = chapters.get(id);
  if (chapter === undefined) return undefined;
  const base = siteBase === "" ? "" : siteBase.endsWith("/") ? siteBase : `${siteBase}/`;
  return `${base}${chapterPath(chapter)}#${ruleAnchor(id)}`;
}

/**
 * The same URL when the caller already knows the rule's chapter (as the
 * conformance catalogue does: `"chapter": "sync"` or `"sync.md"`), without
 * reading docs/spec: `ruleUrlInChapter("SYNC-SEND-002", "sync", base)`.
 */
export function ruleUrlInChapter(id, chapter, siteBase = "") {
  return ruleUrl(id, siteBase, { chapters: new Map([[id, chapter]]) });
}

/**
 * Replaces every rule id in `text` with `link(id)` when it returns a string;
 * other ids stay as they are. Handy for markdown and HTML alike.
 */
export function linkRuleIds(text, link) {
  return text.replace(RULE_ID_GLOBAL, (id) => link(id) ?? id);
}
