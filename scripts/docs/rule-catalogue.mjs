// Generates the rule catalogue page (markdown): every rule of the spec with
// its level, profile, sentence, chapter and the tests that check it.
import { escapeCell } from "./schema-reference.mjs";
import { PROFILES, RULE_ID_GLOBAL } from "./rules.mjs";

/** `packages/protocol/test/x.test.ts` -> protocol: `x.test.ts`, with the full path as a tooltip. */
function shortFile(file) {
  const m = /^(?:packages\/)?([^/]+)\/(?:.*\/)?([^/]+)$/.exec(file);
  const label = m ? `${m[1]}: <code>${m[2]}</code>` : `<code>${file}</code>`;
  return `<span title="${file}">${label}</span>`;
}

/** Markdown links in a rule sentence become their text (their targets are relative to the chapter). */
function plainSentence(text) {
  return text.replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1");
}

/**
 * @param {object} options
 * @param {Array<{id: string, level: string, profile: string, text: string, chapter: string, chapterTitle: string}>} options.rules
 * @param {Map<string, Array<{file: string, name?: string}>>} options.checks
 * @param {string} options.checksSource where `checks` came from, shown on the page
 * @param {(id: string) => string | undefined} options.ruleLink markdown link target of a rule anchor
 * @param {(chapter: string) => string} options.chapterLink markdown link target of a chapter
 * @param {(file: string) => string | undefined} [options.fileLink] link target of a test file, if it should link
 * @param {string[]} [options.problems] problems found while reading the spec, listed on the page
 */
export function ruleCatalogue({ rules, checks, checksSource, ruleLink, chapterLink, fileLink = () => undefined, problems = [] }) {
  const out = ["---", "title: Rule catalogue", "group: Reference", "---", "", "# Rule catalogue", ""];
  out.push(
    "Every normative rule of the specification, generated from the rule lines of `docs/spec/*.md` when the site is built. " +
      "Each id links to the rule in its chapter; the anchor is the lowercased id (`#sync-send-002`) and stays stable across releases. " +
      `The last column lists what checks the rule, taken from ${checksSource}.`,
    "",
  );
  if (rules.length === 0) {
    out.push("_The specification defines no rules yet._", "");
    return { markdown: out.join("\n"), rules: 0, checked: 0 };
  }
  const checked = rules.filter((r) => (checks.get(r.id) ?? []).length > 0).length;
  const what = checksSource.endsWith(".json") ? "a property of the conformance kit that checks them" : "a test that names them";
  const byLevel = new Map();
  for (const r of rules) byLevel.set(r.level, (byLevel.get(r.level) ?? 0) + 1);
  out.push(
    `${rules.length} rules (${[...byLevel].map(([l, n]) => `${n} ${l}`).join(", ")}); ${checked} of them have ${what}. ` +
      "Per profile: " +
      PROFILES.map((p) => [p, rules.filter((r) => r.profile === p).length])
        .filter(([, n]) => n > 0)
        .map(([p, n]) => `${p} ${n}`)
        .join(", ") +
      ".",
    "",
  );
  // One section per chapter, in spec order.
  const chapters = [...new Set(rules.map((r) => r.chapter))];
  for (const chapter of chapters) {
    const inChapter = rules.filter((r) => r.chapter === chapter);
    out.push(`## ${inChapter[0].chapterTitle}`, "");
    out.push(`${inChapter.length} rule${inChapter.length === 1 ? "" : "s"} in [${escapeCell(inChapter[0].chapterTitle)}](${chapterLink(chapter)}).`, "");
    out.push("| Rule | Level, profile | Rule text | Checked by |", "|---|---|---|---|");
    for (const r of inChapter) {
      const sentence = escapeCell(plainSentence(r.text)).replace(RULE_ID_GLOBAL, (id) => {
        const target = id === r.id ? undefined : ruleLink(id);
        return target ? `[${id}](${target})` : id;
      });
      const found = checks.get(r.id) ?? [];
      const properties = [...new Set(found.filter((c) => c.property).map((c) => `<code>${escapeCell(c.property)}</code>`))];
      const files = [...new Set(found.filter((c) => c.file).map((c) => c.file))].map((f) => (fileLink(f) ? `[${shortFile(f)}](${fileLink(f)})` : shortFile(f)));
      const checkedBy = [...properties, ...files].join("<br>") || "_none yet_";
      out.push(`| [${r.id}](${ruleLink(r.id)}) | ${r.level}<br>${r.profile} | ${sentence} | ${checkedBy} |`);
    }
    out.push("");
  }

  if (problems.length) {
    out.push("## Problems in the spec", "", "These lines look like rules but could not be read, or repeat an id:", "");
    for (const p of problems) out.push(`- ${escapeCell(p)}`);
    out.push("");
  }
  return { markdown: out.join("\n"), rules: rules.length, checked };
}
