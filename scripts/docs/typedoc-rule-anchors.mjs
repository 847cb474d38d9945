// A markdown-it extension for TypeDoc:
//  - on every rule line (`**SYNC-SEND-002** (MUST, core): ...`) the bold id becomes
//    `<strong id="sync-send-002" class="kabar-rule"><a href="#sync-send-002">SYNC-SEND-002</a></strong>`,
//    and the anchor is registered with TypeDoc's slugger for the page, so TypeDoc's
//    own link validation accepts `chapter.md#sync-send-002` links from other documents;
//  - any other mention of a rule id the spec defines, in plain text outside links
//    and code (API doc comments, prose), links to the rule.
import { ruleAnchor, RULE_ID_GLOBAL, RULE_ID_SOURCE } from "./rules.mjs";

const ID_ONLY = new RegExp(`^${RULE_ID_SOURCE}$`);
const LEVEL_AFTER = /^\s*\(\s*(MUST|SHOULD|MAY)\b/;

/**
 * Returns a `markdownItLoader` for TypeDoc. `app` is the TypeDoc Application;
 * its renderer's markdown plugin knows the page being rendered. `ruleUrls`
 * maps rule ids to site-relative URLs (`documents/Specification.Sync.html#sync-send-002`).
 * @param {import("typedoc").Application} app
 * @param {Map<string, string>} [ruleUrls]
 */
export function ruleAnchorLoader(app, ruleUrls = new Map()) {
  return (parser) => {
    parser.core.ruler.push("kabar_rule_anchors", (state) => {
      for (const block of state.tokens) {
        if (block.type !== "inline" || !block.children) continue;
        const kids = block.children;
        for (let i = 0; i + 3 < kids.length; i++) {
          let before = i - 1;
          while (before >= 0 && kids[before].type === "text" && kids[before].content.trim() === "") before--;
          const lineStart = before < 0 || kids[before].type === "softbreak" || kids[before].type === "hardbreak";
          if (!lineStart || kids[i].type !== "strong_open") continue;
          const idTok = kids[i + 1];
          if (idTok.type !== "text" || !ID_ONLY.test(idTok.content)) continue;
          if (kids[i + 2].type !== "strong_close" || kids[i + 3].type !== "text" || !LEVEL_AFTER.test(kids[i + 3].content)) continue;
          const anchor = ruleAnchor(idTok.content);
          const slugger = app.renderer.markedPlugin.getSlugger();
          // A page may be parsed more than once; a registered anchor is reused.
          // Duplicate rule ids are reported by collectRules() before TypeDoc runs.
          if (!slugger.hasAnchor(anchor)) slugger.slug(anchor);
          kids[i].attrSet("id", anchor);
          kids[i].attrSet("class", "kabar-rule");
          const open = new state.Token("link_open", "a", 1);
          open.attrSet("href", `#${anchor}`);
          const close = new state.Token("link_close", "a", -1);
          kids.splice(i + 1, 0, open);
          kids.splice(i + 3, 0, close);
          i += 4;
        }
      }
    });
    // After the anchors: the defining ids are links by then and stay as they are.
    parser.core.ruler.push("kabar_rule_mentions", (state) => {
      if (ruleUrls.size === 0) return;
      const pageUrl = app.renderer.markedPlugin.page?.url ?? "";
      const up = "../".repeat(pageUrl.split("/").length - 1);
      for (const block of state.tokens) {
        if (block.type !== "inline" || !block.children) continue;
        const out = [];
        let inLink = 0;
        for (const tok of block.children) {
          if (tok.type === "link_open") inLink++;
          if (tok.type === "link_close") inLink--;
          if (tok.type !== "text" || inLink > 0 || !RULE_ID_GLOBAL.test(tok.content)) {
            out.push(tok);
            continue;
          }
          RULE_ID_GLOBAL.lastIndex = 0;
          let last = 0;
          for (const m of tok.content.matchAll(RULE_ID_GLOBAL)) {
            const url = ruleUrls.get(m[0]);
            if (!url) continue;
            const [file, anchor] = url.split("#");
            const href = file === pageUrl ? `#${anchor}` : `${up}${url}`;
            if (m.index > last) out.push(Object.assign(new state.Token("text", "", 0), { content: tok.content.slice(last, m.index) }));
            const open = new state.Token("link_open", "a", 1);
            open.attrSet("href", href);
            open.attrSet("class", "kabar-rule-ref");
            out.push(open, Object.assign(new state.Token("text", "", 0), { content: m[0] }), new state.Token("link_close", "a", -1));
            last = m.index + m[0].length;
          }
          if (last < tok.content.length) out.push(Object.assign(new state.Token("text", "", 0), { content: tok.content.slice(last) }));
        }
        block.children = out;
      }
    });
  };
}
