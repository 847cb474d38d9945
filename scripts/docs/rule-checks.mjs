// Which property test checks each rule. Pluggable source:
//  1. conformance/catalogue/rules.json, the conformance kit's data catalogue:
//     { "rules": [{ "id": "SYNC-SEND-002", "properties": ["sync.send.idempotent", ...] }] }
//     (a bare array works too; an entry of "properties"/"checks" may also be
//     { "file": "...", "name": "..." } or { "property": "..." });
//  2. otherwise a scan of test names in conformance/ and packages/*/test: a rule id
//     in the title of an it()/test()/describe() call counts, and the shorthand
//     "ENC-RATCHET-001/002" names both ENC-RATCHET-001 and ENC-RATCHET-002.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { NOT_RULE_ID, RULE_ID_SOURCE } from "./rules.mjs";

const REPO = new URL("../../", import.meta.url).pathname;
export const CATALOGUE_PATH = "conformance/catalogue/rules.json";

/**
 * A check is a property of the conformance kit (by id) or a test (by file and title).
 * @typedef {{ property?: string, file?: string, name?: string }} RuleCheck
 * @returns {{ source: string, checks: Map<string, RuleCheck[]> }}
 */
export function loadRuleChecks(repo = REPO) {
  const catalogue = join(repo, CATALOGUE_PATH);
  if (existsSync(catalogue)) return { source: CATALOGUE_PATH, checks: fromCatalogue(JSON.parse(readFileSync(catalogue, "utf8"))) };
  return { source: "test names in conformance/ and packages/*/test", checks: scanTests(repo) };
}

export function fromCatalogue(data) {
  const list = Array.isArray(data) ? data : data.rules ?? [];
  const checks = new Map();
  for (const entry of list) {
    const found = (entry.properties ?? entry.checks ?? []).map((c) =>
      typeof c === "string" ? { property: c } : c.property ? { property: c.property } : { file: c.file, name: c.name },
    );
    checks.set(entry.id, found);
  }
  return checks;
}

const TEST_FILE = /\.(test|spec)\.(ts|mts|js|mjs)$/;
// A line that opens a test: it(, test.prop([...])(, describe.each(...)(, ...
const TEST_CALL = /\b(?:it|test|describe|bench)\b[\w.$]*\s*\(|\)\s*\(\s*["'`]/;
const STRING = /(["'`])((?:\\.|(?!\1)[^\\])*)\1/g;
const ID_WITH_SHORTHAND = new RegExp(`(${RULE_ID_SOURCE})((?:(?:/|\\.\\.)\\d{3})*)`, "g");

/** Rule ids named in a test title, with the shorthands `ID-001/002` and `ID-002..004` expanded. */
export function ruleIdsInTitle(title) {
  const ids = [];
  for (const m of title.matchAll(ID_WITH_SHORTHAND)) {
    if (NOT_RULE_ID.test(m[1])) continue;
    ids.push(m[1]);
    const stem = m[1].slice(0, -3);
    let last = Number(m[1].slice(-3));
    for (const part of m[2].match(/(\/|\.\.)\d{3}/g) ?? []) {
      const n = Number(part.slice(part.startsWith("/") ? 1 : 2));
      const from = part.startsWith("/") ? n : last + 1;
      for (let k = from; k <= n && k - from < 100; k++) ids.push(stem + String(k).padStart(3, "0"));
      last = n;
    }
  }
  return [...new Set(ids)];
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (TEST_FILE.test(name)) out.push(path);
  }
  return out;
}

export function scanTests(repo = REPO) {
  const roots = [join(repo, "conformance")];
  const packages = join(repo, "packages");
  if (existsSync(packages)) for (const p of readdirSync(packages).sort()) roots.push(join(packages, p, "test"));
  const checks = new Map();
  for (const file of roots.flatMap(testFiles).sort()) {
    const rel = relative(repo, file);
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!TEST_CALL.test(line)) continue;
      for (const s of line.matchAll(STRING)) {
        for (const id of ruleIdsInTitle(s[2])) {
          const list = checks.get(id) ?? [];
          if (!list.some((c) => c.file === rel && c.name === s[2])) list.push({ file: rel, name: s[2] });
          checks.set(id, list);
        }
      }
    }
  }
  return checks;
}
