// Reads the normative rules out of the spec chapters. A rule is one line:
//   **SYNC-SEND-002** (MUST, core): sentence...
// The id, the RFC 2119 level, the profile and the sentence are taken from it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";

/** A rule id anywhere in text (proto comments, test names, prose). */
export const RULE_ID_SOURCE = String.raw`[A-Z]+(?:-[A-Z0-9]+)+-\d{3}`;
/**
 * Algorithm names that happen to fit the rule id pattern (ML-KEM-768, ML-DSA-065,
 * SLH-DSA-...); never rule ids.
 */
export const NOT_RULE_ID = /^(?:ML-KEM|ML-DSA|SLH-DSA)-/;
/** Matches rule ids in running text; use with String.prototype.matchAll or replace. */
export const RULE_ID_GLOBAL = new RegExp(String.raw`(?<![A-Za-z0-9-])(?!ML-KEM-|ML-DSA-|SLH-DSA-)${RULE_ID_SOURCE}(?![A-Za-z0-9-])`, "g");
export const LEVELS = ["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"];
export const PROFILES = ["core", "groups", "files", "history", "payments"];

// The defining line of a rule; list markers and block quotes before it are allowed.
// At most three spaces of indentation: four make an indented code block.
const RULE_LINE = new RegExp(
  String.raw`^ {0,3}(?:[-*+]\s+|\d+[.)]\s+|>\s*)?\*\*(${RULE_ID_SOURCE})\*\*\s*\(\s*(MUST NOT|MUST|SHOULD NOT|SHOULD|MAY)\s*,\s*([a-z]+)\s*\)\s*:\s*(.*)$`,
);
// Anything that looks like it tries to define a rule, to report malformed lines:
// a bold id-like word (also one without a topic, such as AUTHZ-001) followed by "(".
const RULE_LIKE = new RegExp(String.raw`^ {0,3}(?:[-*+]\s+|\d+[.)]\s+|>\s*)?\*\*([A-Z]+(?:-[A-Z0-9]+)*-\d{3})\*\*\s*\(`);
const ID_ONLY = new RegExp(`^${RULE_ID_SOURCE}$`);

/** The lowercased id used as HTML anchor of a rule. */
export function ruleAnchor(id) {
  return id.toLowerCase();
}

/**
 * Parses one markdown line; returns the rule it defines or undefined.
 * @returns {{id: string, level: string, profile: string, text: string} | undefined}
 */
export function parseRuleLine(line) {
  const m = RULE_LINE.exec(line);
  if (!m) return undefined;
  return { id: m[1], level: m[2], profile: m[3], text: m[4].trim() };
}

/** The spec chapter files, in reading order: the known chapters first, then the rest by name. */
export const CHAPTER_ORDER = ["index", "readme", "overview", "conventions", "wire", "encryption", "transport", "sync", "files", "authorization", "payments", "client", "server", "conformance", "encryption-cases"];

export function markdownFiles(dir) {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".md"))
    .map((e) => e.name);
  const rank = (name) => {
    const i = CHAPTER_ORDER.indexOf(basename(name, ".md").toLowerCase());
    return i === -1 ? CHAPTER_ORDER.length : i;
  };
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((name) => join(dir, name));
}

/** The first `# Heading` of a markdown file, or its file name. */
export function markdownTitle(text, fallback) {
  const fm = /^---\n([\s\S]*?)\n---/.exec(text);
  const t = fm && /^title:\s*["']?(.+?)["']?\s*$/m.exec(fm[1]);
  if (t) return t[1];
  const h = /^#\s+(.+?)\s*#*\s*$/m.exec(text);
  return h ? h[1].replace(/[`*_]/g, "") : fallback;
}

/**
 * Every rule defined in the spec chapters of `specDir`.
 * Returns the rules in spec order plus problems: duplicate ids, malformed rule lines,
 * unknown levels or profiles.
 */
export function collectRules(specDir) {
  const rules = [];
  const problems = [];
  const seen = new Map();
  for (const file of markdownFiles(specDir)) {
    const text = readFileSync(file, "utf8");
    const chapter = basename(file);
    const title = markdownTitle(text, basename(file, ".md"));
    let inFence = false;
    text.split("\n").forEach((line, i) => {
      if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
      if (inFence) return;
      const rule = parseRuleLine(line);
      if (!rule) {
        const like = RULE_LIKE.exec(line);
        if (like && !ID_ONLY.test(like[1])) {
          problems.push(`${chapter}:${i + 1}: ${like[1]} looks like a rule id but is not AREA-TOPIC-NNN (pattern ${RULE_ID_SOURCE}); it gets no anchor and no catalogue entry`);
        } else if (like) {
          problems.push(`${chapter}:${i + 1}: ${like[1]} looks like a rule but does not read "**ID** (LEVEL, profile): sentence"`);
        }
        return;
      }
      if (!PROFILES.includes(rule.profile)) problems.push(`${chapter}:${i + 1}: ${rule.id} has unknown profile "${rule.profile}"`);
      const where = `${chapter}:${i + 1}`;
      if (seen.has(rule.id)) {
        problems.push(`${where}: ${rule.id} is already defined at ${seen.get(rule.id)}`);
        return;
      }
      seen.set(rule.id, where);
      rules.push({ ...rule, chapter, chapterTitle: title, file, line: i + 1 });
    });
  }
  return { rules, problems };
}
