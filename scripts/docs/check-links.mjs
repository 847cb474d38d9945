// Checks every internal link of a built static site without a browser: each
// href/src on each HTML page must name an existing file, and each #fragment
// an element id (or name) on the target page.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ATTR = /\s(href|src)\s*=\s*("([^"]*)"|'([^']*)')/gi;
const ID = /\s(?:id|name)\s*=\s*("([^"]*)"|'([^']*)')/gi;

function htmlFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...htmlFiles(path));
    else if (entry.name.endsWith(".html")) out.push(path);
  }
  return out;
}

function decodeEntities(s) {
  return s
    .replace(/&amp;/g, "&")
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">");
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The element ids of an HTML text. */
export function idsOf(html) {
  const ids = new Set();
  for (const m of html.matchAll(ID)) ids.add(decodeEntities(m[2] ?? m[3]));
  return ids;
}

/** The href and src values of an HTML text, without the contents of <pre>/<code> examples. */
export function linksOf(html) {
  return [...html.matchAll(ATTR)].map((m) => ({ attr: m[1].toLowerCase(), value: decodeEntities(m[3] ?? m[4]) }));
}

/**
 * @param {string} siteDir
 * @returns {{ pages: number, links: number, fragments: number, broken: Array<{ page: string, link: string, problem: string }>, internal: Array<{ page: string, link: string }> }}
 */
export function checkSiteLinks(siteDir) {
  const root = resolve(siteDir);
  const files = htmlFiles(root);
  const idCache = new Map();
  const ids = (file) => {
    if (!idCache.has(file)) idCache.set(file, idsOf(readFileSync(file, "utf8")));
    return idCache.get(file);
  };
  const broken = [];
  const internal = [];
  let links = 0;
  let fragments = 0;
  for (const file of files) {
    const page = relative(root, file);
    const html = readFileSync(file, "utf8");
    for (const { value } of linksOf(html)) {
      if (value === "" || /^[a-z][a-z0-9+.-]*:/i.test(value) || value.startsWith("//")) continue; // external, data:, javascript:
      links++;
      const [pathAndQuery, fragment] = value.split("#", 2);
      const path = pathAndQuery.split("?")[0];
      let target = path === "" ? file : resolve(dirname(file), safeDecode(path));
      if (!target.startsWith(root)) {
        broken.push({ page, link: value, problem: "points outside the site" });
        continue;
      }
      if (existsSync(target) && statSync(target).isDirectory()) target = join(target, "index.html");
      if (!existsSync(target)) {
        broken.push({ page, link: value, problem: "target file does not exist" });
        continue;
      }
      if (target.endsWith(".html")) internal.push({ page, link: value });
      if (fragment !== undefined && fragment !== "" && target.endsWith(".html")) {
        fragments++;
        if (!ids(target).has(safeDecode(fragment))) broken.push({ page, link: value, problem: `no element with id "${fragment}" on ${relative(root, target)}` });
      }
    }
  }
  return { pages: files.length, links, fragments, broken, internal };
}
