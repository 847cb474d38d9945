// Reads rule lines out of the spec's Markdown chapters. The format is fixed
// by docs/spec/conventions.md so tools can find rules without guessing:
//   **AREA-TOPIC-NNN** (LEVEL, profile): the requirement.
// A line that starts like a rule but does not match exactly is reported, so
// a typo never silently drops a rule from the catalogue.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { RULE_ID_PATTERN, isProfile, ruleAnchor, type Level, type SpecRule } from "./rule.js";

const RULE_LINE = /^(?:[-*] )?\*\*([A-Z0-9-]+)\*\* \((MUST|SHOULD|MAY), ([a-z]+)\): (.+)$/;
const WITHDRAWN_LINE = /^(?:[-*] )?\*\*([A-Z0-9-]+)\*\* \(withdrawn(?:, [a-z]+)?\)(?:: (.*))?$/;
const LOOKS_LIKE_RULE = /^(?:[-*] )?\*\*[A-Z]+(?:-[A-Z0-9]+)*-\d{3}\*\*/;

/** A line that looks like a rule but is malformed. */
export interface SpecRuleProblem {
  /** Chapter file name without `.md`. */
  readonly chapter: string;
  /** 1-based line number. */
  readonly line: number;
  /** What is wrong. */
  readonly problem: string;
}

/** Rules found in one chapter's text, plus malformed rule-like lines. */
export function parseChapterRules(chapter: string, markdown: string): { rules: SpecRule[]; problems: SpecRuleProblem[] } {
  const rules: SpecRule[] = [];
  const problems: SpecRuleProblem[] = [];
  let inFence = false;
  markdown.split("\n").forEach((raw, index) => {
    const text = raw.trimEnd();
    // Rules quoted in code blocks (the format example in conventions.md) are not rules.
    if (/^\s*(```|~~~)/.test(text)) inFence = !inFence;
    if (inFence || /^ {4}/.test(text)) return;
    const line = index + 1;
    const withdrawn = WITHDRAWN_LINE.exec(text);
    if (withdrawn !== null) {
      const id = withdrawn[1]!;
      if (!RULE_ID_PATTERN.test(id)) problems.push({ chapter, line, problem: `rule id ${id} does not match ${RULE_ID_PATTERN}` });
      else rules.push({ id, level: "MUST", profile: "core", chapter, anchor: ruleAnchor(chapter, id), sentence: withdrawn[2] ?? "", withdrawn: true });
      return;
    }
    const match = RULE_LINE.exec(text);
    if (match === null) {
      if (LOOKS_LIKE_RULE.test(text)) problems.push({ chapter, line, problem: `malformed rule line (expected "**ID** (MUST|SHOULD|MAY, profile): sentence"): ${text.slice(0, 80)}` });
      return;
    }
    const [, id, level, profile, sentence] = match as unknown as [string, string, Level, string, string];
    if (!RULE_ID_PATTERN.test(id)) problems.push({ chapter, line, problem: `rule id ${id} does not match ${RULE_ID_PATTERN}` });
    else if (!isProfile(profile)) problems.push({ chapter, line, problem: `rule ${id} names unknown profile ${profile}` });
    else rules.push({ id, level, profile, chapter, anchor: ruleAnchor(chapter, id), sentence: sentence.trim() });
  });
  return { rules, problems };
}

/** Rules of every chapter in `specDir` (sorted by file name), with duplicate ids reported as problems. */
export function parseSpecRules(specDir: string): { rules: SpecRule[]; problems: SpecRuleProblem[] } {
  const rules: SpecRule[] = [];
  const problems: SpecRuleProblem[] = [];
  const seen = new Map<string, string>();
  for (const file of readdirSync(specDir).filter((f) => f.endsWith(".md")).sort()) {
    const chapter = file.slice(0, -3);
    const parsed = parseChapterRules(chapter, readFileSync(join(specDir, file), "utf8"));
    problems.push(...parsed.problems);
    for (const rule of parsed.rules) {
      const first = seen.get(rule.id);
      if (first !== undefined) problems.push({ chapter, line: 0, problem: `rule ${rule.id} is defined twice (also in ${first}.md)` });
      else {
        seen.set(rule.id, chapter);
        rules.push(rule);
      }
    }
  }
  return { rules, problems };
}
