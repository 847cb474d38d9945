// Mutants: deliberately broken implementations the kit must catch. Each
// names the rules it breaks; a kill test runs the kit against it and
// requires those rules to fail. A mutant may carry a factory for an
// in-process target (codec mutants do); server and client mutants may
// instead be programs started by their suites.
import type { TargetMode, TargetsByMode } from "../targets/target-types.js";

/** A deliberately broken implementation. */
export interface MutantDefinition<M extends TargetMode = TargetMode> {
  /** Stable dotted id, for example `codec.no-utf8-check`. */
  readonly id: string;
  /** Ids of the rules it breaks. */
  readonly breaks: readonly string[];
  /** The kind of implementation it is. */
  readonly target: M;
  /** What is broken, in one sentence. */
  readonly description: string;
  /** Builds the broken target in-process, when the mutant lives in the kit. */
  readonly create?: () => TargetsByMode[M] | Promise<TargetsByMode[M]>;
}

/** A set of registered mutants. */
export class MutantRegistry {
  readonly #byId = new Map<string, MutantDefinition>();

  /** Registers `mutant`; throws on a duplicate id or a mutant that breaks nothing. */
  add<M extends TargetMode>(mutant: MutantDefinition<M>): MutantDefinition<M> {
    if (this.#byId.has(mutant.id)) throw new Error(`mutant ${mutant.id} is registered twice`);
    if (mutant.breaks.length === 0) throw new Error(`mutant ${mutant.id} breaks no rule`);
    this.#byId.set(mutant.id, mutant as unknown as MutantDefinition);
    return mutant;
  }

  /** The mutant with `id`, or undefined. */
  get(id: string): MutantDefinition | undefined {
    return this.#byId.get(id);
  }

  /** Every mutant, optionally of one target kind. */
  list(target?: TargetMode): MutantDefinition[] {
    return [...this.#byId.values()].filter((m) => target === undefined || m.target === target);
  }
}

/** The registry the built-in mutants and defineMutant use. */
export const mutantRegistry: MutantRegistry = new MutantRegistry();

/** Registers a mutant in the kit's registry and returns it. */
export function defineMutant<M extends TargetMode>(mutant: MutantDefinition<M>): MutantDefinition<M> {
  return mutantRegistry.add(mutant);
}
