// Schema-driven generators of valid encodings for every message type. The
// schema is the shape table @kabar/protocol generates from proto/ (the same
// table its strict decoder walks), so the kit needs no .proto files at run
// time and a field added to the schema is generated without touching this
// file. Values are kept as a field list, not just bytes, so the malformed
// generators can change exactly one field.
import fc from "fast-check";
import { MAX_REQUEST_ID, MESSAGE_SHAPES, type FieldShape } from "@kabar/protocol";
import { readable } from "./readable.js";
import { concatBytes, tag, varint, zigzag, type WireType } from "./wire-writer.js";

/** One encoded field occurrence. */
export interface EncodedField {
  /** Field number. */
  readonly number: number;
  /** Wire type used on the wire. */
  readonly wire: WireType;
  /** The complete bytes: tag, then payload. */
  readonly bytes: Uint8Array;
  /** The embedded message, for message fields. */
  readonly nested?: EncodedMessage;
}

/** An encoded message as a list of field occurrences. */
export interface EncodedMessage {
  /** Fully qualified type name. */
  readonly typeName: string;
  /** Field occurrences in wire order. */
  readonly fields: readonly EncodedField[];
}

/** The message's bytes. */
export function messageBytes(message: EncodedMessage): Uint8Array {
  return concatBytes(...message.fields.map((f) => f.bytes));
}

/** Nesting depth as the strict decoder counts it: the message itself is level 1. */
export function messageDepth(message: EncodedMessage): number {
  return 1 + Math.max(0, ...message.fields.filter((f) => f.nested !== undefined).map((f) => messageDepth(f.nested!)));
}

/** An embedded-message field occurrence wrapping `nested`. */
export function nestedField(number: number, nested: EncodedMessage): EncodedField {
  const body = messageBytes(nested);
  return { number, wire: 2, bytes: concatBytes(tag(number, 2), varint(body.length), body), nested };
}

/** The Kabar v1 wire message types (not the adapter contract's). */
export const WIRE_MESSAGE_TYPES: readonly string[] = Object.keys(MESSAGE_SHAPES).filter((n) => n.startsWith("kabar.v1.")).sort();

/** Field shapes of `typeName`, by number. */
export function shapesOf(typeName: string): Readonly<Record<number, FieldShape>> {
  const shapes = MESSAGE_SHAPES[typeName];
  if (shapes === undefined) throw new RangeError(`unknown message type ${typeName}`);
  return shapes;
}

/** Request ids a conforming frame may carry: 1..2^53-1 (WIRE-FRAME-003). */
export const validRequestId: fc.Arbitrary<bigint> = fc.oneof(fc.bigInt({ min: 1n, max: 1000n }), fc.bigInt({ min: 1n, max: MAX_REQUEST_ID }));

// Frame-level constraints so a generated frame passes the frame checks, not
// only the wire checks: a kind, a body or result, and a request id in range.
const REQUIRED_ONEOFS: Readonly<Record<string, string>> = {
  "kabar.v1.Frame": "kind",
  "kabar.v1.ClientRequest": "body",
  "kabar.v1.ServerResponse": "result",
  "kabar.v1.ServerPush": "body",
};
const REQUEST_ID_TYPES = new Set(["kabar.v1.ClientRequest", "kabar.v1.ServerResponse"]);

const INT_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  enum: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};
const FIXED_SIZE: Readonly<Record<string, number>> = { fixed32: 4, sfixed32: 4, float: 4, fixed64: 8, sfixed64: 8, double: 8 };
const utf8 = new TextEncoder();

/** The payload (no tag) of one scalar value of kind `kind`. */
function scalarPayload(kind: string): fc.Arbitrary<Uint8Array> {
  if (kind === "bool") return fc.constantFrom(0, 1).map((b) => varint(b));
  const range = INT_RANGES[kind];
  if (range !== undefined) {
    const small = fc.bigInt({ min: range[0] < 0n ? -300n : 0n, max: 300n });
    const any = fc.bigInt({ min: range[0], max: range[1] });
    return fc.oneof(small, any).map((v) => varint(kind === "sint32" ? zigzag(v, 32) : kind === "sint64" ? zigzag(v, 64) : v));
  }
  const size = FIXED_SIZE[kind];
  if (size !== undefined) return fc.uint8Array({ minLength: size, maxLength: size });
  if (kind === "string") return fc.string({ unit: "binary", maxLength: 12 }).map((s) => withLength(utf8.encode(s)));
  if (kind === "bytes") return fc.uint8Array({ maxLength: 16 }).map(withLength);
  throw new RangeError(`no generator for field kind ${kind}`);
}

function withLength(body: Uint8Array): Uint8Array {
  return concatBytes(varint(body.length), body);
}

/** Options of {@link validMessage}. */
export interface ValidMessageOptions {
  /** Deepest nesting generated (the message itself is level 1); default 4. */
  readonly maxDepth?: number;
}

const cache = new Map<string, fc.Arbitrary<EncodedMessage>>();

/** Random valid encodings of `typeName`; frames also satisfy the frame checks. */
export function validMessage(typeName: string, options: ValidMessageOptions = {}): fc.Arbitrary<EncodedMessage> {
  return messageAt(typeName, options.maxDepth ?? 4);
}

function messageAt(typeName: string, depthLeft: number): fc.Arbitrary<EncodedMessage> {
  const key = `${typeName}@${depthLeft}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const shapes = shapesOf(typeName);
  const required = REQUIRED_ONEOFS[typeName];
  const singles: fc.Arbitrary<EncodedField[]>[] = [];
  const oneofs = new Map<string, { number: number; shape: FieldShape }[]>();
  for (const [num, shape] of Object.entries(shapes)) {
    const number = Number(num);
    if (shape.m !== undefined && depthLeft <= 1 && shape.o !== required) continue;
    if (shape.o !== undefined) {
      const list = oneofs.get(shape.o) ?? [];
      list.push({ number, shape });
      oneofs.set(shape.o, list);
    } else if (REQUEST_ID_TYPES.has(typeName) && number === 1) {
      singles.push(validRequestId.map((id) => [{ number, wire: 0, bytes: concatBytes(tag(1, 0), varint(id)) }]));
    } else if (shape.r === true) {
      singles.push(repeatedField(number, shape, depthLeft));
    } else {
      singles.push(fc.option(oneField(number, shape, depthLeft), { nil: undefined }).map((f) => (f === undefined ? [] : [f])));
    }
  }
  for (const [name, members] of oneofs) {
    const choice = fc.oneof(...members.map((m) => oneField(m.number, m.shape, Math.max(depthLeft, 2))));
    singles.push(name === required ? choice.map((f) => [f]) : fc.option(choice, { nil: undefined }).map((f) => (f === undefined ? [] : [f])));
  }
  const arb = (singles.length === 0 ? fc.constant([] as EncodedField[][]) : fc.tuple(...singles)).map(
    (groups): EncodedMessage => {
      const message = { typeName, fields: groups.flat().sort((a, b) => a.number - b.number) };
      return readable(message, `${typeName} ${Buffer.from(messageBytes(message)).toString("hex") || "(empty)"}`);
    },
  );
  cache.set(key, arb);
  return arb;
}

/** Random valid occurrences of field `number` of `typeName` (embedded messages at most `maxDepth` deep). */
export function validField(typeName: string, number: number, maxDepth = 2): fc.Arbitrary<EncodedField> {
  const shape = shapesOf(typeName)[number];
  if (shape === undefined) throw new RangeError(`${typeName} has no field ${number}`);
  return oneField(number, shape, maxDepth);
}

function oneField(number: number, shape: FieldShape, depthLeft: number): fc.Arbitrary<EncodedField> {
  if (shape.m !== undefined) {
    return fc.constant(null).chain(() => messageAt(shape.m!, depthLeft - 1)).map((nested) => nestedField(number, nested));
  }
  return scalarPayload(shape.k).map((payload) => ({ number, wire: shape.w, bytes: concatBytes(tag(number, shape.w), payload) }));
}

function repeatedField(number: number, shape: FieldShape, depthLeft: number): fc.Arbitrary<EncodedField[]> {
  const items = fc.array(oneField(number, shape, depthLeft), { maxLength: 3 });
  if (shape.w === 2) return items;
  // Repeated scalars: packed or unpacked, both conforming (WIRE-CODEC-001).
  return fc.tuple(items, fc.boolean()).map(([list, packed]) => {
    if (!packed || list.length === 0) return list;
    const tagLength = tag(number, shape.w).length;
    const body = concatBytes(...list.map((f) => f.bytes.subarray(tagLength)));
    return [{ number, wire: 2, bytes: concatBytes(tag(number, 2), varint(body.length), body) }];
  });
}
