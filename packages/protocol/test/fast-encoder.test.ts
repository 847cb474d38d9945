// The fused encoders (src/gen/fast-encoders.ts), which encodeMessage and
// encodeFrame use when they cover a value, must be indistinguishable from the
// generated ts-proto encoders: the same bytes for every valid value of every
// message type (see also writer.test.ts), and for values of the wrong type or
// range, the same bytes or the same error, since they hand those to ts-proto.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MESSAGE_CODECS, encodeMessage, type MessageFns } from "@kabar/protocol";
import { FAST_ENCODERS } from "../src/gen/fast-encoders.js";
import { schemaTypes, typeName, valueArbitrary } from "./support/schema-arbitraries.js";

function outcome(run: () => Uint8Array): { bytes: number[] } | { error: string } {
  try {
    return { bytes: Array.from(run()) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** Every (object, key) slot in a value, depth first. */
function slots(value: unknown, out: Array<[Record<string | number, unknown>, string | number]> = []): typeof out {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return out;
  for (const key of Object.keys(value)) {
    out.push([value as Record<string, unknown>, Array.isArray(value) ? Number(key) : key]);
    slots((value as Record<string, unknown>)[key], out);
  }
  return out;
}

const junk = fc.constantFrom<unknown>(
  undefined, null, 0, -1, 1.5, 2 ** 31, 2 ** 32, -(2 ** 31) - 1, NaN, "x", "", "é", 5n, -1n, 0n, 2n ** 64n, 2n ** 63n,
  true, false, {}, [], [1, -1], [undefined], new Uint8Array([1, 2]), Buffer.from([3]), { $case: "nope", value: 1 }, "7",
);

describe("fused encoders agree with the generated ts-proto encoders", () => {
  it("cover nearly every message type", () => {
    expect(Object.keys(FAST_ENCODERS).length).toBeGreaterThan(Object.keys(MESSAGE_CODECS).length * 0.9);
  });

  for (const type of schemaTypes.messages) {
    const name = typeName(type);
    const codec = MESSAGE_CODECS[name] as MessageFns<Record<string, unknown>>;
    it(`${name}: same bytes or same error for valid values and for values with a wrong-typed or out-of-range field`, () => {
      fc.assert(
        fc.property(valueArbitrary(type), fc.nat(), junk, fc.boolean(), (value, pick, bad, corrupt) => {
          if (corrupt) {
            const all = slots(value);
            if (all.length > 0) {
              const [holder, key] = all[pick % all.length]!;
              holder[key] = bad;
            }
          }
          expect(outcome(() => encodeMessage(codec, value))).toStrictEqual(outcome(() => codec.encode(value).finish()));
        }),
        { numRuns: 40 },
      );
    });
  }
});
