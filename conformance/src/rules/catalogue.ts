// The rule catalogue as data (catalogue/rules.json): every spec rule with its
// level, profile, anchor and sentence (derived from docs/spec by
// scripts/sync-catalogue.mjs) and the hand-maintained property and mutant ids.
import { readFileSync } from "node:fs";
import { ConformanceError } from "../errors.js";
import type { CatalogueRule } from "./rule.js";

/** The catalogue file's content. */
export interface RuleCatalogue {
  /** Format version of the file. */
  readonly catalogueVersion: 1;
  /** The spec version the rules come from. */
  readonly specVersion: string;
  /** Every rule, in chapter order then document order. */
  readonly rules: readonly CatalogueRule[];
}

/** The coverage backlog file's content (catalogue/backlog.json); it may only shrink. */
export interface CatalogueBacklog {
  /** Rules with no registered property yet. */
  readonly withoutProperty: readonly string[];
  /** MUST rules with no registered mutant yet. */
  readonly withoutMutant: readonly string[];
}

/** Where the catalogue shipped with the kit lives (works from src/ and dist/). */
export const DEFAULT_CATALOGUE_URL: URL = new URL("../../catalogue/rules.json", import.meta.url);
/** Where the backlog shipped with the kit lives. */
export const DEFAULT_BACKLOG_URL: URL = new URL("../../catalogue/backlog.json", import.meta.url);

/** Loads and shape-checks a catalogue file. */
export function loadCatalogue(path: string | URL = DEFAULT_CATALOGUE_URL): RuleCatalogue {
  const data = readJson(path) as Partial<RuleCatalogue>;
  if (data.catalogueVersion !== 1 || typeof data.specVersion !== "string" || !Array.isArray(data.rules)) {
    throw new ConformanceError("CATALOGUE_INVALID", `${String(path)} is not a version-1 rule catalogue`);
  }
  for (const rule of data.rules) {
    if (typeof rule.id !== "string" || !Array.isArray(rule.properties) || !Array.isArray(rule.mutants)) {
      throw new ConformanceError("CATALOGUE_INVALID", `${String(path)}: malformed entry ${JSON.stringify(rule).slice(0, 120)}`);
    }
  }
  return data as RuleCatalogue;
}

/** Loads and shape-checks a backlog file. */
export function loadBacklog(path: string | URL = DEFAULT_BACKLOG_URL): CatalogueBacklog {
  const data = readJson(path) as Partial<CatalogueBacklog>;
  if (!Array.isArray(data.withoutProperty) || !Array.isArray(data.withoutMutant)) {
    throw new ConformanceError("CATALOGUE_INVALID", `${String(path)} needs withoutProperty and withoutMutant arrays`);
  }
  return data as CatalogueBacklog;
}

function readJson(path: string | URL): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new ConformanceError("CATALOGUE_INVALID", `cannot read ${String(path)}: ${(cause as Error).message}`, { cause });
  }
}
