// Rule-id globs as used by --rule and the expected-failures file: `*` matches
// any run of characters, `?` one character; everything else is literal.

/** Compiles a rule-id glob to an anchored regular expression. */
export function compileRuleGlob(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** True when `glob` contains a wildcard. */
export function isWildcard(glob: string): boolean {
  return /[*?]/.test(glob);
}

/** True when `id` matches any of `globs`; an empty list matches everything. */
export function matchesAnyGlob(id: string, globs: readonly string[]): boolean {
  return globs.length === 0 || globs.some((glob) => compileRuleGlob(glob).test(id));
}
