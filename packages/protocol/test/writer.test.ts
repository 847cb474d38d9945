// The package's BinaryWriter (src/wire/writer.ts), which the generated
// encoders use, must write exactly the bytes @bufbuild/protobuf's
// BinaryWriter writes and reject exactly what it rejects, with the same
// messages: for every message type on random values, and method by method
// on edge values, nested forks and interleaved writers.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BinaryWriter as ReferenceWriter } from "@bufbuild/protobuf/wire";
import { MESSAGE_CODECS, encodeMessage, type MessageFns } from "@kabar/protocol";
import { BinaryWriter } from "../src/wire/writer.js";
import { EMPTY_BYTES } from "../src/wire/empty-bytes.js";
import { schemaTypes, typeName, valueArbitrary } from "./support/schema-arbitraries.js";

type AnyWriter = BinaryWriter | ReferenceWriter;
type Op = (w: AnyWriter) => unknown;

/** Runs `op` on both writers: same bytes, or the same error message. */
function same(op: Op): void {
  const result = (w: AnyWriter): { bytes: number[] } | { error: string } => {
    try {
      op(w);
      return { bytes: Array.from(w.finish()) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  expect(result(new BinaryWriter())).toEqual(result(new ReferenceWriter()));
}

describe("BinaryWriter is byte- and error-compatible with @bufbuild/protobuf's", () => {
  for (const type of schemaTypes.messages) {
    const name = typeName(type);
    const codec = MESSAGE_CODECS[name] as MessageFns<Record<string, unknown>>;
    it(`${name}: the generated encoder writes the same bytes through either writer`, () => {
      fc.assert(
        fc.property(valueArbitrary(type), (value) => {
          const reference = codec.encode(value, new ReferenceWriter() as unknown as BinaryWriter).finish();
          expect(Array.from(encodeMessage(codec, value))).toEqual(Array.from(reference));
        }),
        { numRuns: 15 },
      );
    });
  }

  it("scalar methods on edge values and invalid values", () => {
    const u32 = [0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28, 2 ** 32 - 1, 2 ** 32, -1, 1.5, NaN, Infinity, -0, "7", "x"];
    const i32 = [0, 1, -1, -128, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 0.5, "-3", NaN];
    const i64 = [0n, 1n, 127n, 128n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, -1n, -(2n ** 63n), 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, 5, -5, "12", "-12", "1.5", "x", 2 ** 53];
    const floats = [0, -0, 1.5, -2.25, 3.4028234663852886e38, 1e39, -1e39, NaN, Infinity, -Infinity, 1e-50, "NaN", "2.5", "x"];
    for (const v of u32) for (const m of ["uint32", "fixed32", "tag"] as const) same((w) => (m === "tag" ? w.tag(v as number, 2) : w[m](v as number)));
    for (const v of i32) for (const m of ["int32", "sint32", "sfixed32"] as const) same((w) => w[m](v as number));
    for (const v of i64) for (const m of ["int64", "uint64", "sint64", "fixed64", "sfixed64"] as const) same((w) => w[m](v as bigint));
    for (const v of floats) {
      same((w) => w.float(v as number));
      same((w) => w.double(v as number));
    }
    for (const v of [true, false]) same((w) => w.bool(v));
    for (const s of ["", "a", "ascii only", "x".repeat(127), "x".repeat(128), "é", "日本語", "😀", "\ud800", "a\udc00b", "é".repeat(100), "€".repeat(50), "x".repeat(20000), 42 as unknown as string]) {
      same((w) => w.string(s));
    }
    for (const n of [0, 1, 127, 128, 300, 20000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => i & 0xff);
      same((w) => w.bytes(bytes));
      same((w) => w.raw(bytes));
    }
    same((w) => w.bytes(EMPTY_BYTES));
  });

  it("random sequences of writes, forks and joins, including payloads that outgrow their reserved length byte", () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant("uint32" as const), v: fc.nat() }),
      fc.record({ op: fc.constant("uint64" as const), v: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
      fc.record({ op: fc.constant("bytes" as const), v: fc.integer({ min: 0, max: 400 }) }),
      fc.record({ op: fc.constant("string" as const), v: fc.string({ unit: "binary", maxLength: 150 }) }),
      fc.record({ op: fc.constant("fork" as const) }),
      fc.record({ op: fc.constant("join" as const) }),
      fc.record({ op: fc.constant("finish" as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const run = (w: AnyWriter): number[][] => {
          const out: number[][] = [];
          let open = 0;
          for (const s of steps) {
            if (s.op === "uint32") w.uint32(s.v);
            else if (s.op === "uint64") w.uint64(s.v);
            else if (s.op === "bytes") w.bytes(new Uint8Array(s.v).fill(s.v & 0xff));
            else if (s.op === "string") w.string(s.v);
            else if (s.op === "fork") {
              w.fork();
              open++;
            } else if (s.op === "join" && open > 0) {
              w.join();
              open--;
            } else if (s.op === "finish" && open === 0) out.push(Array.from(w.finish()));
          }
          while (open-- > 0) w.join();
          out.push(Array.from(w.finish()));
          return out;
        };
        expect(run(new BinaryWriter())).toEqual(run(new ReferenceWriter()));
      }),
      { numRuns: 300 },
    );
  });

  it("two writers in use at once do not disturb each other, and join without fork fails the same way", () => {
    const a = new BinaryWriter();
    const b = new BinaryWriter();
    a.uint32(10).fork();
    b.uint32(18).fork().bytes(new Uint8Array(200).fill(7)).join();
    a.bytes(new Uint8Array(3).fill(1));
    b.uint32(5);
    a.join();
    const ra = new ReferenceWriter().uint32(10).fork().bytes(new Uint8Array(3).fill(1)).join().finish();
    const rb = new ReferenceWriter().uint32(18).fork().bytes(new Uint8Array(200).fill(7)).join().uint32(5).finish();
    expect(Array.from(a.finish())).toEqual(Array.from(ra));
    expect(Array.from(b.finish())).toEqual(Array.from(rb));
    same((w) => w.join());
  });

  it("finish returns a fresh array that owns its buffer, and the shared empty default is frozen", () => {
    const w = new BinaryWriter();
    const first = w.uint32(1).finish();
    const second = w.uint32(2).finish();
    expect(Array.from(first)).toEqual([1]);
    expect(Array.from(second)).toEqual([2]);
    expect(first.buffer.byteLength).toBe(1);
    expect(first.buffer).not.toBe(second.buffer);
    expect(Object.isFrozen(EMPTY_BYTES)).toBe(true);
    expect(EMPTY_BYTES.length).toBe(0);
  });
});
