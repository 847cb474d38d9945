// The published docs site, end to end: build it (or reuse a build from the
// current inputs), check every internal link and anchor of every page in
// node, then drive Chromium over a local HTTP server for what needs a
// browser: landing page, navigation, search, rule links, screenshots.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM helpers without type declarations
import { buildSite, freshBuildInfo } from "../../scripts/docs/build.mjs";
// @ts-expect-error -- idem
import { checkSiteLinks, idsOf, linksOf } from "../../scripts/docs/check-links.mjs";
// @ts-expect-error -- idem
import { chapterPath, ruleUrl } from "../../scripts/docs/rule-links.mjs";
// @ts-expect-error -- idem
import { collectRules } from "../../scripts/docs/rules.mjs";
import { serveDirectory, type StaticServer } from "./support/serve.js";

const repo = resolve(dirname(new URL(import.meta.url).pathname), "../..");
const site = join(repo, "site");
const shots = join(repo, "test-output/docs");
const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`SKIP docs browser test: ${CHROMIUM} not found`);

interface BuildInfo {
  rules: Record<string, string>;
  chapters: string[];
  packages: string[];
}

let info: BuildInfo;
let crawl: ReturnType<typeof checkSiteLinks>;

// KABAR_DOCS_REUSE=1 reuses whatever site/ holds (for iterating on this test);
// otherwise a build is reused only when it was made from the current inputs.
function reusableBuild(): BuildInfo | undefined {
  const path = join(site, "kabar-build.json");
  if (process.env.KABAR_DOCS_REUSE === "1" && existsSync(path)) return JSON.parse(readFileSync(path, "utf8"));
  return freshBuildInfo(site);
}

beforeAll(async () => {
  info = reusableBuild() ?? (await buildSite({ out: site, quiet: true }));
  crawl = checkSiteLinks(site);
  console.log(
    `docs site: ${crawl.pages} pages, ${crawl.links} internal links checked (${crawl.fragments} with #anchors), ` +
      `${Object.keys(info.rules).length} rules, API of ${info.packages.join(", ")}`,
  );
});

describe("docs site (static checks)", () => {
  it("every internal link and #anchor on every page resolves", () => {
    const report = crawl.broken.slice(0, 50).map((b: { page: string; link: string; problem: string }) => `${b.page}: ${b.link} (${b.problem})`);
    expect(report, `${crawl.broken.length} broken link(s)`).toEqual([]);
    expect(crawl.pages).toBeGreaterThan(10);
  });

  it("has a page per spec chapter, the API of every package and the generated reference pages", () => {
    for (const page of ["index.html", "documents/Specification.html", "documents/Guides.html", "documents/Schema_reference.html", "documents/Rule_catalogue.html"]) {
      expect(existsSync(join(site, page)), page).toBe(true);
    }
    for (const chapter of info.chapters) expect(existsSync(join(site, chapterPath(chapter))), chapter).toBe(true);
    // With several packages each gets a module page and its symbols a prefix; one package is the project itself.
    const prefix = info.packages.length > 1 ? "_kabar_protocol." : "";
    if (info.packages.length > 1) {
      for (const pkg of info.packages) expect(existsSync(join(site, "modules", `${pkg.replace(/[^A-Za-z0-9_.-]/g, "_")}.html`)), pkg).toBe(true);
    }
    expect(info.packages).toContain("@kabar/protocol");
    expect(existsSync(join(site, `functions/${prefix}decodeFrame.html`))).toBe(true);
    expect(existsSync(join(site, `interfaces/${prefix}ClientRequest.html`))).toBe(true);
  });

  it("every rule of the spec is in the catalogue and links to its anchor, where ruleUrl() says", () => {
    const { rules } = collectRules(join(repo, "docs/spec"));
    expect(Object.keys(info.rules).sort()).toEqual(rules.map((r: { id: string }) => r.id).sort());
    const catalogue = readFileSync(join(site, "documents/Rule_catalogue.html"), "utf8");
    const hrefs = linksOf(catalogue).map((l: { value: string }) => l.value);
    for (const { id } of rules as Array<{ id: string }>) {
      const url = ruleUrl(id, "");
      expect(info.rules[id]).toBe(url);
      const href = hrefs.find((h: string) => h.endsWith(`#${id.toLowerCase()}`));
      expect(href, `catalogue link for ${id}`).toBeDefined();
      const [file, anchor] = href!.split("#");
      expect(`${relative(site, resolve(site, "documents", file))}#${anchor}`).toBe(url);
      expect(idsOf(readFileSync(join(site, url.split("#")[0]), "utf8")).has(anchor), `${url} has #${anchor}`).toBe(true);
    }
  });
});

describe.skipIf(!hasChromium)("docs site (browser)", () => {
  let browser: Browser;
  let server: StaticServer;
  let page: Page;

  beforeAll(async () => {
    const { chromium } = await import("playwright-core");
    mkdirSync(shots, { recursive: true });
    server = await serveDirectory(site);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (error) => {
      throw error;
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("opens the landing page", async () => {
    const response = await page.goto(server.url);
    expect(response?.status()).toBe(200);
    await expect(page.locator(".col-content h1").first().textContent()).resolves.toMatch(/Kabar/);
    await page.screenshot({ path: join(shots, "landing.png") });
  });

  it("navigates from the landing page into a spec chapter", async () => {
    await page.goto(server.url);
    await page.locator(".col-content a", { hasText: "Specification" }).first().click();
    await page.waitForURL(/documents\/Specification\.html$/);
    const chapter = page.locator('.col-content a[href^="Specification."]').first();
    const href = await chapter.getAttribute("href");
    expect(href, "the specification page links to a chapter").toBeTruthy();
    await chapter.click();
    await page.waitForURL((u) => u.pathname.endsWith(href!.split("#")[0]));
    await expect(page.locator(".col-content h1").first().isVisible()).resolves.toBe(true);
    // The sidebar (rendered by navigation.js) lists the chapter as the current page.
    await expect(page.locator(".tsd-navigation a.current").first().isVisible()).resolves.toBe(true);
  });

  async function search(text: string): Promise<string[]> {
    await page.goto(server.url);
    await page.locator("#tsd-search-trigger").click();
    await page.locator("#tsd-search-input").fill(text);
    await page.locator("#tsd-search-results li").first().waitFor({ timeout: 10_000 });
    return page.locator("#tsd-search-results li").allTextContents();
  }

  it("search finds an API symbol and a message type", async () => {
    expect((await search("decodeFrame")).some((t) => t.includes("decodeFrame"))).toBe(true);
    await page.locator("#tsd-search-results li a", { hasText: "decodeFrame" }).first().click();
    await page.waitForURL(/decodeFrame\.html/);
    expect((await search("ClientRequest")).some((t) => t.includes("ClientRequest"))).toBe(true);
  });

  it("a rule link on the catalogue page lands on the rule's anchor", async (ctx) => {
    const ids = Object.keys(info.rules);
    if (ids.length === 0) ctx.skip();
    await page.goto(new URL("documents/Rule_catalogue.html", server.url).href);
    const id = ids[0]!;
    await page.locator(`.col-content table a[href$="#${id.toLowerCase()}"]`).first().click();
    await page.waitForURL((u) => u.hash === `#${id.toLowerCase()}`);
    const target = page.locator(":target");
    await expect(target.getAttribute("id")).resolves.toBe(id.toLowerCase());
    await expect(target.textContent()).resolves.toBe(id);
    await expect(target.isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(shots, `rule-${id.toLowerCase()}.png`) });
  });

  it("a sample of internal #anchor links resolves in the browser", async () => {
    const withAnchor = crawl.internal.filter((l: { link: string }) => l.link.includes("#") && !l.link.startsWith("#"));
    const step = Math.max(1, Math.floor(withAnchor.length / 12));
    const sample = withAnchor.filter((_: unknown, i: number) => i % step === 0).slice(0, 12);
    for (const { page: from, link } of sample as Array<{ page: string; link: string }>) {
      const url = new URL(link, new URL(from, server.url));
      await page.goto("about:blank");
      const response = await page.goto(url.href);
      expect(response?.status(), url.href).toBe(200);
      // Runs in the page; typed without the DOM lib, which the repo does not load.
      type Doc = { getElementById(id: string): unknown };
      const found = await page.evaluate((id) => (globalThis as unknown as { document: Doc }).document.getElementById(id) !== null, decodeURIComponent(url.hash.slice(1)));
      expect(found, url.href).toBe(true);
    }
  });
});
