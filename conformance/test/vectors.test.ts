// The published wire-decoding vectors: fresh (what the generator writes),
// satisfied by the reference decoder, and able to catch every codec mutant
// on its own.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorCodeName } from "@kabar/protocol";
import "../src/suites/all.js";
import { sameDecodedValue } from "../src/codec/lax-decode.js";
import { mutantRegistry } from "../src/registry/mutant-registry.js";
import { referenceCodec } from "../src/codec/reference-codec.js";
import type { CodecTarget } from "../src/targets/target-types.js";
import { buildWireVectors, type WireVector, type WireVectorFile } from "../src/vectors/wire-vectors.js";
import { KIT_VERSION } from "../src/version.js";

const path = new URL("../vectors/wire-decode.json", import.meta.url);
const file = JSON.parse(readFileSync(path, "utf8")) as WireVectorFile;

/** Why `target` does not satisfy `vector`, or undefined when it does. */
async function violation(target: CodecTarget, vector: WireVector): Promise<string | undefined> {
  const input = Buffer.from(vector.input, "hex");
  const outcome = await target.decode(vector.messageType, input, vector.limits);
  const got = outcome.kind === "rejected" ? errorCodeName(outcome.code) : outcome.kind;
  if (outcome.kind === "crashed") return `crashed: ${outcome.message}`;
  if (vector.result === "invalid") return got === vector.expectedError ? undefined : `got ${got}, expected ${vector.expectedError}`;
  if (vector.result === "acceptable" && outcome.kind === "rejected") return got === vector.expectedError ? undefined : `got ${got}, expected ${vector.expectedError} or acceptance`;
  if (outcome.kind === "rejected") return `got ${got}, expected acceptance`;
  const expected = vector.decodesAs !== undefined ? Buffer.from(vector.decodesAs, "hex") : input;
  return sameDecodedValue(vector.messageType, outcome.reencoded, expected) ? undefined : "accepted but decoded to another value";
}

describe("wire-decoding vectors", () => {
  it("are what scripts/generate-wire-vectors.ts writes", () => {
    const fresh = JSON.parse(JSON.stringify(buildWireVectors({ generatorVersion: KIT_VERSION })));
    expect(file, "run: node --conditions=@kabar/source --import tsx conformance/scripts/generate-wire-vectors.ts").toEqual(fresh);
    expect(new Set(file.tests.flatMap((t) => t.flags))).toEqual(new Set(Object.keys(file.notes)));
  });

  it("are all satisfied by the reference decoder", async () => {
    const problems: string[] = [];
    for (const vector of file.tests) {
      const why = await violation(referenceCodec, vector);
      if (why !== undefined) problems.push(`tcId ${vector.tcId} (${vector.rule}, ${vector.comment}): ${why}`);
    }
    expect(problems).toEqual([]);
  });

  it("catch every codec mutant on the rules it breaks", async () => {
    const survivors: string[] = [];
    for (const mutant of mutantRegistry.list("codec")) {
      const target = (await mutant.create!()) as CodecTarget;
      // Rules the decoding vectors do not cover (WIRE-COMPAT-001: its mutant is checked against the
      // frozen baseline by the codec kill matrix and resource-wire-compat.test.ts) are skipped here.
      const withVectors = mutant.breaks.filter((rule) => file.tests.some((t) => t.rule === rule));
      for (const rule of withVectors) {
        const vectors = file.tests.filter((t) => t.rule === rule);
        const caught = (await Promise.all(vectors.map((v) => violation(target, v)))).filter((w) => w !== undefined).length;
        // A mutant that accepts duplicates (last wins) satisfies the acceptable vectors by design: the SHOULD is only visible to the kit's property.
        if (caught === 0 && rule !== "WIRE-DECODE-007") survivors.push(`${mutant.id} passes all ${vectors.length} vectors of ${rule}`);
      }
    }
    expect(survivors).toEqual([]);
  });
});
