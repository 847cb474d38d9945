// Generators of malformed encodings, one family per strict-decoding rule.
// Each case starts from a valid message and breaks exactly one thing, at a
// random nesting level, and removes whatever else could make a decoder
// reject it for another reason (for example an existing occurrence of the
// field it re-adds), because the spec does not order the checks. Shared with
// the server suite, which sends the same bytes over a connection.
import fc from "fast-check";
import { ErrorCode, type FieldShape } from "@kabar/protocol";
import { messageAtPath, rewriteAtPath, somePath } from "./message-paths.js";
import { WIRE_MESSAGE_TYPES, messageBytes, shapesOf, validField, validMessage, type EncodedField, type EncodedMessage } from "./valid-messages.js";
import { readable } from "./readable.js";
import { concatBytes, samplePayload, tag, varint, type WireType } from "./wire-writer.js";

/** One malformed (or unusual but valid) input and what a conforming decoder does with it. */
export interface MalformedInput {
  /** Fully qualified type to decode as. */
  readonly typeName: string;
  /** The input. */
  readonly bytes: Uint8Array;
  /** Codes a conforming decoder may reject it with; empty when it must be accepted. */
  readonly expect: readonly ErrorCode[];
  /** When accepting is allowed: what it must decode like. */
  readonly equivalent?: Uint8Array;
  /** What was broken, for counterexamples. */
  readonly what: string;
}

const FRAME = "kabar.v1.Frame";

/** Root types: frames often, any v1 message otherwise. */
export const anyWireType: fc.Arbitrary<string> = fc.oneof({ arbitrary: fc.constant(FRAME), weight: 1 }, { arbitrary: fc.constantFrom(...WIRE_MESSAGE_TYPES), weight: 2 });

/** Root types that are not frames, for families whose repair could trip a frame check. */
const nonFrameType: fc.Arbitrary<string> = fc.constantFrom(...WIRE_MESSAGE_TYPES.filter((t) => t !== FRAME));

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

function fieldNumbers(typeName: string): number[] {
  return Object.keys(shapesOf(typeName)).map(Number);
}

/** A field number unknown to `typeName`, often just above the known ones. */
function unknownNumber(typeName: string): fc.Arbitrary<number> {
  const known = new Set(fieldNumbers(typeName));
  const top = Math.max(0, ...known);
  return fc.oneof(fc.integer({ min: top + 1, max: top + 40 }), fc.integer({ min: 1, max: 536_870_911 })).filter((n) => !known.has(n));
}

/** Removes every occurrence of field `number` and of the other members of its oneof. */
function withoutField(message: EncodedMessage, number: number): EncodedMessage {
  const shapes = shapesOf(message.typeName);
  const oneof = shapes[number]?.o;
  const drop = (f: EncodedField): boolean => f.number === number || (oneof !== undefined && shapes[f.number]?.o === oneof);
  return { typeName: message.typeName, fields: message.fields.filter((f) => !drop(f)) };
}

function append(message: EncodedMessage, ...raw: Uint8Array[]): EncodedMessage {
  return { typeName: message.typeName, fields: [...message.fields, ...raw.map((bytes) => ({ number: 0, wire: 0 as WireType, bytes }))] };
}

/** Builds cases: a valid root, a level inside it, and a change to that level. */
function atSomeLevel(
  root: fc.Arbitrary<string>,
  accept: (sub: EncodedMessage) => boolean,
  change: (sub: EncodedMessage) => fc.Arbitrary<{ sub: EncodedMessage; what: string; equivalentSub?: EncodedMessage }>,
  expect: readonly ErrorCode[],
): fc.Arbitrary<MalformedInput> {
  return root
    .chain((typeName) => validMessage(typeName))
    .chain((valid) =>
      // A message with no suitable level yields null and is drawn again, so
      // the filter re-draws the whole message, never just the path.
      somePath(valid, accept).chain((path) =>
        path === null
          ? fc.constant(null)
          : change(messageAtPath(valid, path)).map(({ sub, what, equivalentSub }): MalformedInput => {
              const bytes = messageBytes(rewriteAtPath(valid, path, () => sub));
              const equivalent = equivalentSub !== undefined ? messageBytes(rewriteAtPath(valid, path, () => equivalentSub)) : undefined;
              const where = path.length === 0 ? valid.typeName : `${messageAtPath(valid, path).typeName} at depth ${path.length + 1} of ${valid.typeName}`;
              const input: MalformedInput = { typeName: valid.typeName, bytes, expect, what: `${what} in ${where}`, ...(equivalent !== undefined ? { equivalent } : {}) };
              return readable(input, `${input.what}: ${input.typeName} ${hex(bytes)}`);
            }),
      ),
    )
    .filter((input): input is MalformedInput => input !== null);
}

/** WIRE-DECODE-001: input ending inside a tag, varint, fixed-width value or packed run. */
export function truncatedInput(): fc.Arbitrary<MalformedInput> {
  return atSomeLevel(anyWireType, () => true, (sub) => {
    const packed = Object.entries(shapesOf(sub.typeName)).filter(([, s]) => s.r === true && s.w !== 2);
    const tails: fc.Arbitrary<{ tail: Uint8Array; what: string; drop?: number }>[] = [
      fc.constantFrom(Uint8Array.of(0x80), Uint8Array.of(0xff, 0xff)).map((tail) => ({ tail, what: "input ends inside a tag" })),
      unknownNumber(sub.typeName).chain((n) =>
        fc.oneof(
          fc.integer({ min: 1, max: 3 }).map((k) => ({ tail: concatBytes(tag(n, 0), new Uint8Array(k).fill(0x80)), what: `unknown field ${n} ends inside a varint` })),
          fc.integer({ min: 0, max: 7 }).map((k) => ({ tail: concatBytes(tag(n, 1), new Uint8Array(k)), what: `unknown field ${n} ends after ${k} of 8 fixed64 bytes` })),
          fc.integer({ min: 0, max: 3 }).map((k) => ({ tail: concatBytes(tag(n, 5), new Uint8Array(k)), what: `unknown field ${n} ends after ${k} of 4 fixed32 bytes` })),
        ),
      ),
    ];
    if (packed.length > 0) {
      tails.push(
        fc.constantFrom(...packed).chain(([num, shape]) => {
          const n = Number(num);
          const body = shape.w === 0 ? Uint8Array.of(0x01, 0x80) : new Uint8Array((shape.w === 1 ? 8 : 4) + 1);
          return fc.constant({ tail: concatBytes(tag(n, 2), varint(body.length), body), what: `packed field ${shape.n} ends inside a value`, drop: n });
        }),
      );
    }
    return fc.oneof(...tails).map(({ tail, what, drop }) => ({ sub: append(drop !== undefined ? withoutField(sub, drop) : sub, tail), what }));
  }, [ErrorCode.FRAME_TRUNCATED]);
}

/** WIRE-DECODE-002: a known field with another wire type, or wire type 3, 4, 6 or 7 on any field. */
export function wrongWireTypeInput(): fc.Arbitrary<MalformedInput> {
  return atSomeLevel(anyWireType, () => true, (sub) => {
    const shapes = Object.entries(shapesOf(sub.typeName)).map(([n, s]) => [Number(n), s] as [number, FieldShape]);
    const invalidType = fc
      .tuple(fc.oneof(unknownNumber(sub.typeName), ...(shapes.length > 0 ? [fc.constantFrom(...shapes.map(([n]) => n))] : [])), fc.constantFrom<WireType>(3, 4, 6, 7))
      .map(([n, w]) => ({ sub: append(withoutField(sub, n), tag(n, w)), what: `field ${n} with wire type ${w}` }));
    if (shapes.length === 0) return invalidType;
    const mismatched = fc.constantFrom(...shapes).chain(([n, shape]) => {
      const wrong = ([0, 1, 2, 5] as const).filter((w) => w !== shape.w && !(w === 2 && shape.r === true));
      return fc.constantFrom(...wrong).map((w) => ({
        sub: append(withoutField(sub, n), concatBytes(tag(n, w), samplePayload(w))),
        what: `field ${shape.n} (${shape.k}, wire type ${shape.w}) sent with wire type ${w}`,
      }));
    });
    return fc.oneof(mismatched, invalidType);
  }, [ErrorCode.FRAME_WIRE_TYPE_INVALID]);
}

/** WIRE-DECODE-003: varints over 10 bytes, or 10 bytes above 2^64-1, as values or lengths. */
export function varintOverflowInput(): fc.Arbitrary<MalformedInput> {
  const overflow = fc.oneof(
    fc.integer({ min: 0, max: 3 }).map((extra) => concatBytes(new Uint8Array(10 + extra).fill(0xff), Uint8Array.of(0x01))),
    fc.integer({ min: 2, max: 0x7f }).map((last) => concatBytes(new Uint8Array(9).fill(0xff), Uint8Array.of(last))),
    fc.constant(concatBytes(new Uint8Array(10).fill(0x80), Uint8Array.of(0x00))),
  );
  return atSomeLevel(anyWireType, () => true, (sub) => {
    const varintFields = Object.entries(shapesOf(sub.typeName)).filter(([, s]) => s.w === 0).map(([n]) => Number(n));
    const number = fc.oneof(unknownNumber(sub.typeName), ...(varintFields.length > 0 ? [fc.constantFrom(...varintFields)] : []));
    return fc.tuple(number, overflow, fc.boolean()).map(([n, bad, asLength]) => {
      const unknown = !varintFields.includes(n);
      const useLength = asLength && unknown;
      return {
        sub: append(withoutField(sub, n), concatBytes(tag(n, useLength ? 2 : 0), bad)),
        what: `${bad.length}-byte varint ${hex(bad)} as the ${useLength ? "length" : "value"} of field ${n}`,
      };
    });
  }, [ErrorCode.FRAME_VARINT_OVERFLOW]);
}

/** WIRE-DECODE-004: a length prefix that runs past its enclosing message. */
export function lengthOutOfBoundsInput(): fc.Arbitrary<MalformedInput> {
  return atSomeLevel(anyWireType, () => true, (sub) => {
    const lenFields = Object.entries(shapesOf(sub.typeName)).filter(([, s]) => s.w === 2).map(([n]) => Number(n));
    const number = fc.oneof(unknownNumber(sub.typeName), ...(lenFields.length > 0 ? [fc.constantFrom(...lenFields)] : []));
    const lengths = fc.integer({ min: 0, max: 5 }).chain((have) =>
      fc.oneof(fc.integer({ min: have + 1, max: have + 64 }).map(BigInt), fc.constantFrom(2n ** 31n, 2n ** 32n, 2n ** 63n)).map((claimed) => ({ have, claimed })),
    );
    return fc.tuple(number, lengths).map(([n, { have, claimed }]) => ({
      sub: append(withoutField(sub, n), concatBytes(tag(n, 2), varint(claimed), new Uint8Array(have).fill(0x08))),
      what: `field ${n} claims ${claimed} bytes and ${have} follow`,
    }));
  }, [ErrorCode.FRAME_LENGTH_OUT_OF_BOUNDS]);
}

const INVALID_UTF8: readonly (readonly number[])[] = [
  [0xff],
  [0xc0, 0x80],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
];

const hasStringField = (sub: EncodedMessage): boolean => Object.values(shapesOf(sub.typeName)).some((s) => s.k === "string");
const TYPES_WITH_STRING = WIRE_MESSAGE_TYPES.filter((t) => Object.values(shapesOf(t)).some((s) => s.k === "string"));

/** WIRE-DECODE-006: a string field holding invalid UTF-8 (overlong, surrogate, truncated, out of range). */
export function invalidUtf8Input(): fc.Arbitrary<MalformedInput> {
  const root = fc.oneof(fc.constant(FRAME), fc.constantFrom(...TYPES_WITH_STRING));
  return atSomeLevel(root, hasStringField, (sub) => {
    const strings = Object.entries(shapesOf(sub.typeName)).filter(([, s]) => s.k === "string");
    return fc
      .tuple(fc.constantFrom(...strings), fc.constantFrom(...INVALID_UTF8), fc.string({ unit: "grapheme-ascii", maxLength: 3 }), fc.string({ unit: "grapheme-ascii", maxLength: 3 }))
      .map(([[num, shape], bad, before, after]) => {
        const body = concatBytes(new TextEncoder().encode(before), Uint8Array.from(bad), new TextEncoder().encode(after));
        return {
          sub: append(withoutField(sub, Number(num)), concatBytes(tag(Number(num), 2), varint(body.length), body)),
          what: `string field ${shape.n} holds ${hex(body)}`,
        };
      });
  }, [ErrorCode.FRAME_INVALID_UTF8]);
}

/** WIRE-DECODE-007: a known non-repeated field, or two members of one oneof, occurring twice. */
export function duplicateFieldInput(): fc.Arbitrary<MalformedInput> {
  const singular = (sub: EncodedMessage): [number, FieldShape][] =>
    Object.entries(shapesOf(sub.typeName)).filter(([, s]) => s.r !== true).map(([n, s]) => [Number(n), s]);
  return atSomeLevel(nonFrameType, (sub) => singular(sub).length > 0, (sub) =>
    fc.constantFrom(...singular(sub)).chain(([n, shape]) => {
      const partners = shape.o === undefined ? [n] : singular(sub).filter(([, s]) => s.o === shape.o).map(([m]) => m);
      return fc.constantFrom(...partners).chain((second) =>
        fc.tuple(validField(sub.typeName, n), validField(sub.typeName, second)).map(([first, last]) => {
          const base = withoutField(sub, n);
          return {
            sub: append(base, first.bytes, last.bytes),
            equivalentSub: append(base, last.bytes),
            what: second === n ? `field ${shape.n} twice` : `oneof ${shape.o} members ${shape.n} and ${shapesOf(sub.typeName)[second]!.n} both present`,
          };
        }),
      );
    }),
  [ErrorCode.FRAME_DUPLICATE_FIELD]);
}

/** WIRE-DECODE-008: field number 0, above 2^29-1, or a tag longer than 32 bits. */
export function invalidFieldNumberInput(): fc.Arbitrary<MalformedInput> {
  const badTag = fc.oneof(
    fc.constantFrom<0 | 1 | 2 | 5>(0, 1, 2, 5).map((w) => ({ bytes: concatBytes(tag(0, w), samplePayload(w)), what: `field number 0 (wire type ${w})` })),
    fc.tuple(fc.bigInt({ min: 2n ** 29n, max: 2n ** 32n - 1n }), fc.constantFrom<0 | 1 | 2 | 5>(0, 1, 2, 5)).map(([n, w]) => ({ bytes: concatBytes(tag(n, w), samplePayload(w)), what: `field number ${n}` })),
    fc.constant({ bytes: Uint8Array.of(0x88, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01), what: "a 6-byte tag" }),
  );
  return atSomeLevel(anyWireType, () => true, (sub) => badTag.map(({ bytes, what }) => ({ sub: append(sub, bytes), what })), [ErrorCode.FRAME_FIELD_NUMBER_INVALID]);
}

/** WIRE-DECODE-009: well-formed unknown fields of every wire type mixed into a valid message; must decode as without them. */
export function unknownFieldsInput(): fc.Arbitrary<MalformedInput> {
  return atSomeLevel(anyWireType, () => true, (sub) => {
    const unknownField = fc.tuple(unknownNumber(sub.typeName), fc.constantFrom<0 | 1 | 2 | 5>(0, 1, 2, 5), fc.uint8Array({ maxLength: 12 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([n, w, body, value]) => {
      const payload = w === 0 ? varint(value) : w === 2 ? concatBytes(varint(body.length), body) : concatBytes(body, new Uint8Array(8)).subarray(0, w === 1 ? 8 : 4);
      return concatBytes(tag(n, w), payload);
    });
    return fc.array(fc.tuple(unknownField, fc.nat()), { minLength: 1, maxLength: 4 }).map((inserts) => {
      const fields: EncodedField[] = [...sub.fields];
      for (const [bytes, at] of inserts) fields.splice(at % (fields.length + 1), 0, { number: 0, wire: 0, bytes });
      return { sub: { typeName: sub.typeName, fields }, equivalentSub: sub, what: `${inserts.length} unknown field(s) inserted` };
    });
  }, []);
}
