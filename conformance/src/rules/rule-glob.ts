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

/**
 * True when `id` matches any of `globs` and none of the excluding globs
 * (those starting with `!`); a list with no including glob includes
 * everything, so `["!FILES-*"]` is every rule but the FILES ones.
 */
export function matchesAnyGlob(id: string, globs: readonly string[]): boolean {
  const include = globs.filter((glob) => !glob.startsWith("!"));
  const exclude = globs.filter((glob) => glob.startsWith("!")).map((glob) => glob.slice(1));
  if (exclude.some((glob) => compileRuleGlob(glob).test(id))) return false;
  return include.length === 0 || include.some((glob) => compileRuleGlob(glob).test(id));
}
