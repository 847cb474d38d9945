// Helpers shared by the kit's tests.
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import type { PropertyDefinition } from "../src/registry/property-registry.js";
import type { RuleCatalogue } from "../src/rules/catalogue.js";
import type { CatalogueRule, Level, Profile } from "../src/rules/rule.js";
import type { CodecTarget, TargetProvider } from "../src/targets/target-types.js";
import { referenceCodec } from "../src/codec/reference-codec.js";

/** A catalogue rule for synthetic catalogues. */
export function rule(id: string, level: Level = "MUST", profile: Profile = "core"): CatalogueRule {
  return { id, level, profile, chapter: "test", anchor: `docs/spec/test.md#${id.toLowerCase()}`, sentence: `${id} sentence`, properties: [], mutants: [] };
}

/** A catalogue of `rules`. */
export function catalogueOf(...rules: CatalogueRule[]): RuleCatalogue {
  return { catalogueVersion: 1, specVersion: "test", rules };
}

/** An in-process codec provider around `target` (default: the reference decoder). */
export function codecProvider(target: CodecTarget = referenceCodec, profiles: readonly Profile[] = ["core"]): TargetProvider<"codec"> {
  return { mode: "codec", replayTarget: "codec:reference", identity: null, profiles, acquire: async () => target, close: async () => undefined };
}

/** A codec-mode property over integers 0..1000 that fails (returns false, or throws the returned Error) when `fails(n)` says so. */
export function intProperty(id: string, rules: string[], fails: (n: number) => boolean | Error, profile: Profile = "core"): PropertyDefinition<"codec"> {
  return {
    id, rules, mode: "codec", profile, description: `${id} test property`, numRuns: 50,
    run: () => fc.property(fc.integer({ min: 0, max: 1000 }), (n) => {
      const outcome = fails(n);
      if (outcome instanceof Error) throw outcome;
      return !outcome;
    }),
  };
}

/** A python3 that can run the stdlib-only starter adapter, or undefined. */
export const PYTHON: string | undefined = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "import struct"]).status === 0);

let bundled: string | undefined;

/**
 * The command running the fake client adapter (optionally broken by
 * `mutant`), bundled once with esbuild so each adapter start costs ~0.2 s
 * instead of a TypeScript transpile; the kill matrix starts dozens.
 */
export async function fakeAdapterCommand(mutant?: string): Promise<string> {
  if (bundled === undefined) {
    const { buildSync } = await import("esbuild");
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const out = `${mkdtempSync(`${tmpdir()}/kabar-fake-adapter-`)}/fake-client-adapter.mjs`;
    buildSync({
      entryPoints: [new URL("../src/suites/client/adapter-contract/fake-client-adapter.ts", import.meta.url).pathname],
      bundle: true, platform: "node", format: "esm", conditions: ["@kabar/source"], outfile: out, logLevel: "error",
    });
    bundled = out;
  }
  return `"${process.execPath}" "${bundled}"${mutant !== undefined ? ` --break ${mutant}` : ""}`;
}
