// The fused single-pass strict decoders (src/gen/strict-decoders.ts, used by
// decodeMessage and decodeFrame) must behave exactly like the two-pass
// reference they replace: validateWire (src/wire/strict-decode.ts) followed
// by the generated ts-proto decoder. For every message type in proto/, on
// random valid values and on random corruptions of their encodings, both
// accept the same inputs, build identical values (same properties, same
// types: bigint, Uint8Array, `{ $case, value }`, undefined) and reject the
// rest with the same KabarError code and rule id.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MESSAGE_CODECS, decodeMessage, encodeMessage, isKabarError, validateWire, type MessageFns } from "@kabar/protocol";
import { schemaTypes, typeName, valueArbitrary } from "./support/schema-arbitraries.js";
import { tag, varint } from "./support/wire-bytes.js";

type Outcome = { value: unknown } | { code: number; rule: string | undefined };

function outcome(run: () => unknown): Outcome {
  try {
    return { value: run() };
  } catch (error) {
    if (!isKabarError(error)) throw error;
    return { code: error.code, rule: error.rule };
  }
}

/** validateWire, then the generated ts-proto decoder: the reference behaviour. */
const twoPass = (name: string, codec: MessageFns<unknown>, bytes: Uint8Array, maxDepth?: number): Outcome =>
  outcome(() => {
    validateWire(name, bytes, maxDepth === undefined ? {} : { maxDepth });
    return codec.decode(bytes);
  });

/** The fused decoder, through the public entry point. */
const fused = (codec: MessageFns<unknown>, bytes: Uint8Array, maxDepth?: number): Outcome =>
  outcome(() => decodeMessage(codec, bytes, maxDepth === undefined ? {} : { maxDepth }));

/** Random damage to an encoding: overwritten, inserted and deleted bytes, truncation, appended fields. */
function mutation(base: Uint8Array, fieldNumbers: number[]): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant("field" as const),
      front: fc.boolean(),
      field: fieldNumbers.length > 0 ? fc.oneof(fc.constantFrom(...fieldNumbers), fc.integer({ min: 0, max: 2 ** 29 + 5 })) : fc.integer({ min: 0, max: 100 }),
      wire: fc.integer({ min: 0, max: 7 }),
      payload: fc.uint8Array({ maxLength: 12 }),
      prefixLength: fc.boolean(),
    }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    let bytes = Array.from(base);
    for (const e of edits) {
      const at = bytes.length === 0 ? 0 : e.kind === "field" ? 0 : e.at % (bytes.length + 1);
      switch (e.kind) {
        case "set":
          if (bytes.length > 0) bytes[at % bytes.length] = e.byte;
          break;
        case "insert":
          bytes.splice(at, 0, ...e.bytes);
          break;
        case "delete":
          bytes.splice(at, e.count);
          break;
        case "truncate":
          bytes = bytes.slice(0, at);
          break;
        case "field": {
          const payload = e.prefixLength ? [...varint(e.payload.length), ...e.payload] : [...e.payload];
          const field = [...tag(e.field, e.wire), ...payload];
          bytes = e.front ? [...field, ...bytes] : [...bytes, ...field];
          break;
        }
      }
    }
    return Uint8Array.from(bytes);
  });
}

describe("fused strict decoders agree with validateWire + ts-proto (WIRE-DECODE-001..009)", () => {
  for (const type of schemaTypes.messages) {
    const name = typeName(type);
    const codec = MESSAGE_CODECS[name] as MessageFns<Record<string, unknown>>;
    const fieldNumbers = type.fieldsArray.map((f) => f.id);

    it(`${name}: identical values for random valid encodings, also from a Buffer and at an offset`, () => {
      fc.assert(
        fc.property(valueArbitrary(type), fc.nat(7), (value, offset) => {
          const bytes = encodeMessage(codec, value);
          expect(fused(codec, bytes)).toStrictEqual(twoPass(name, codec, bytes));
          const buffer = Buffer.from(bytes);
          expect(fused(codec, buffer)).toStrictEqual(twoPass(name, codec, buffer));
          const shifted = new Uint8Array(bytes.length + offset * 2).fill(0xff).subarray(offset, offset + bytes.length);
          shifted.set(bytes);
          expect(fused(codec, shifted)).toStrictEqual(twoPass(name, codec, shifted));
        }),
        { numRuns: 25 },
      );
    });

    it(`${name}: same accept/reject, same code and rule on random corruptions and depth limits`, () => {
      fc.assert(
        fc.property(
          valueArbitrary(type).chain((value) => mutation(encodeMessage(codec, value), fieldNumbers)),
          fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
          (bytes, maxDepth) => {
            expect(fused(codec, bytes, maxDepth)).toStrictEqual(twoPass(name, codec, bytes, maxDepth));
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it("agree on arbitrary byte strings for every message type", () => {
    const entries = Object.entries(MESSAGE_CODECS);
    fc.assert(
      fc.property(fc.constantFrom(...entries), fc.uint8Array({ maxLength: 64 }), ([name, codec], bytes) => {
        expect(fused(codec, bytes)).toStrictEqual(twoPass(name, codec, bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it("agree on hand-picked edge encodings: long and overlong varints, tags and lengths", () => {
    const cases: number[][] = [
      [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
      [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
      [0x88, 0x80, 0x80, 0x80, 0x00, 0x01],
      [0x88, 0x80, 0x80, 0x80, 0x10, 0x01],
      [0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01],
      [0x0a, 0x80, 0x00],
      [0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
      [0x12, 0x81, 0x01],
      [0x0d, 1, 2, 3],
      [0x09, 1, 2, 3, 4, 5, 6, 7],
    ];
    for (const [name, codec] of Object.entries(MESSAGE_CODECS)) {
      for (const c of cases) {
        const bytes = Uint8Array.from(c);
        expect(fused(codec, bytes), `${name} ${c.join(",")}`).toStrictEqual(twoPass(name, codec, bytes));
      }
    }
  });
});
