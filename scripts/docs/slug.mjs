// The heading anchors TypeDoc 0.28 gives markdown headings: punctuation
// removed, whitespace turned into "-", lowercased, "-1", "-2"... on repeats
// within one page. Generated pages use this to link to their own headings.
export function slugBase(text) {
  const slug = text
    .trim()
    .replace(/[\u2000-\u206F\u2E00-\u2E7F\\'!"#$%&()*+,./:;<=>?@[\]^`{|}~]/g, "")
    .replace(/\s/g, "-")
    .replace(/--+/, "-");
  return (slug || "_").toLowerCase();
}

/** A per-page slugger: slug(text) returns the anchor TypeDoc will give that heading. */
export function pageSlugger() {
  const seen = new Map();
  return (text) => {
    const base = slugBase(text);
    if (!seen.has(base)) {
      seen.set(base, 0);
      return base;
    }
    let count = seen.get(base);
    let slug;
    do {
      count++;
      slug = `${base}-${count}`;
    } while (seen.has(slug));
    seen.set(base, count);
    return slug;
  };
}
