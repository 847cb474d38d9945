// `--list`: every rule with level, profile and the property ids that check
// it (per mode), and a coverage line, so implementers see what the kit
// version checks before they run it.
import type { PropertyDefinition } from "../registry/property-registry.js";
import type { RuleCatalogue } from "../rules/catalogue.js";
import { matchesAnyGlob } from "../rules/rule-glob.js";
import type { TargetMode } from "../targets/target-types.js";

/** The rule listing as text. */
export function listRules(catalogue: RuleCatalogue, properties: readonly PropertyDefinition[], options: { mode?: TargetMode; ruleGlobs?: readonly string[] } = {}): string {
  const lines: string[] = [];
  let covered = 0;
  let total = 0;
  const mine = properties.filter((p) => options.mode === undefined || p.mode === options.mode);
  for (const rule of catalogue.rules) {
    if (!matchesAnyGlob(rule.id, options.ruleGlobs ?? [])) continue;
    if (rule.withdrawn === true) {
      lines.push(`${rule.id.padEnd(22)} withdrawn`);
      continue;
    }
    total++;
    const checks = mine.filter((p) => p.rules.includes(rule.id)).map((p) => `${p.id} [${p.mode}]`);
    if (checks.length > 0) covered++;
    lines.push(`${rule.id.padEnd(22)} ${rule.level.padEnd(6)} ${rule.profile.padEnd(8)} ${checks.length > 0 ? checks.join(", ") : "NOT-COVERED"}`);
  }
  lines.push("", `${covered} of ${total} rules have a property${options.mode !== undefined ? ` in ${options.mode} mode` : ""}; spec version ${catalogue.specVersion}`);
  return `${lines.join("\n")}\n`;
}
