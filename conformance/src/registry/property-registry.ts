// The registry suites fill: every property the kit can run, keyed by id.
// Suites register at import time with defineProperty; the catalogue test
// checks the registry against the spec, so a property can never name a rule
// that does not exist.
import type fc from "fast-check";
import type { Transcript } from "../adapter/transcript.js";
import type { Profile } from "../rules/rule.js";
import type { TargetMode, TargetsByMode } from "../targets/target-types.js";

/** What a property receives when the runner builds it. */
export interface PropertyContext<M extends TargetMode = TargetMode> {
  /** The implementation under test. */
  readonly target: TargetsByMode[M];
  /** Profiles the implementation declares. */
  readonly profiles: readonly Profile[];
  /**
   * The replay path of a model-based counterexample, when replaying; pass it
   * to `fc.commands(..., { replayPath })`.
   */
  readonly replayPath: string | undefined;
  /** Record of the exchange; properties add `wire-out`/`wire-in`/`note` entries. */
  readonly transcript: Transcript;
}

/** A property: checks one or more rules against one kind of target. */
export interface PropertyDefinition<M extends TargetMode = TargetMode> {
  /** Stable dotted id, for example `wire.decode.invalid-utf8`. */
  readonly id: string;
  /** Ids of the rules it checks. */
  readonly rules: readonly string[];
  /** The kind of target it runs against. */
  readonly mode: M;
  /** The profile it needs; it is not run when the implementation does not declare it. */
  readonly profile: Profile;
  /** One sentence: what it checks. */
  readonly description: string;
  /** Runs per check when the command line does not say; default 100. */
  readonly numRuns?: number;
  /**
   * Builds the fast-check property the runner checks with its seed, path and
   * run count. Throw a RuleViolation inside it to charge one rule; return
   * false or throw anything else to charge all of `rules`. Never use
   * randomness that does not come from fast-check, or replay breaks.
   */
  run(context: PropertyContext<M>): fc.IRawProperty<any, boolean>;
}

/** A set of registered properties. */
export class PropertyRegistry {
  readonly #byId = new Map<string, PropertyDefinition>();

  /** Registers `property`; throws on a duplicate id or a property without rules. */
  add<M extends TargetMode>(property: PropertyDefinition<M>): PropertyDefinition<M> {
    if (this.#byId.has(property.id)) throw new Error(`property ${property.id} is registered twice`);
    if (property.rules.length === 0) throw new Error(`property ${property.id} names no rule`);
    this.#byId.set(property.id, property as unknown as PropertyDefinition);
    return property;
  }

  /** The property with `id`, or undefined. */
  get(id: string): PropertyDefinition | undefined {
    return this.#byId.get(id);
  }

  /** Every property, optionally of one mode, in registration order. */
  list(mode?: TargetMode): PropertyDefinition[] {
    return [...this.#byId.values()].filter((p) => mode === undefined || p.mode === mode);
  }
}

/** The registry the built-in suites and defineProperty use. */
export const propertyRegistry: PropertyRegistry = new PropertyRegistry();

/** Registers a property in the kit's registry and returns it. */
export function defineProperty<M extends TargetMode>(property: PropertyDefinition<M>): PropertyDefinition<M> {
  return propertyRegistry.add(property);
}
