// Static test vectors for the WIRE decoding rules, in the spirit of
// Wycheproof: one JSON file SDK authors can load in their own unit tests,
// without running the kit. They are drawn, with a fixed seed, from the same
// generators the kit's properties use, so vectors and properties never
// disagree; scripts/generate-wire-vectors.ts writes
// conformance/vectors/wire-decode.json and the tests check it is fresh.
import fc from "fast-check";
import { ErrorCode, MAX_REQUEST_ID, errorCodeName } from "@kabar/protocol";
import {
  duplicateFieldInput, invalidFieldNumberInput, invalidUtf8Input, lengthOutOfBoundsInput, truncatedInput, unknownFieldsInput,
  varintOverflowInput, wrongWireTypeInput, type MalformedInput,
} from "../generators/malformed-messages.js";
import { WIRE_MESSAGE_TYPES, messageBytes, messageDepth, validMessage } from "../generators/valid-messages.js";
import { concatBytes, lengthDelimited, tag, varint } from "../generators/wire-writer.js";
import { FRAME_TYPE } from "../codec/reference-codec.js";

/** One vector. */
export interface WireVector {
  /** Position in the file; not stable across kit versions (identify vectors by file version and tcId). */
  readonly tcId: number;
  /** The rule the vector checks. */
  readonly rule: string;
  /** What the input is. */
  readonly comment: string;
  /** Flags explained in the file's `notes`. */
  readonly flags: readonly string[];
  /** Fully qualified type to decode as; `kabar.v1.Frame` includes the frame checks. */
  readonly messageType: string;
  /** The input, hex. */
  readonly input: string;
  /** Limits to decode under (unset: the protocol's). */
  readonly limits?: { readonly maxBytes?: number; readonly maxDepth?: number };
  /** valid: must decode; invalid: must be rejected with `expectedError`; acceptable: rejecting with `expectedError` is preferred, accepting is allowed if it decodes as `decodesAs`. */
  readonly result: "valid" | "invalid" | "acceptable";
  /** The error code name a rejection must carry. */
  readonly expectedError?: string;
  /** For valid and acceptable vectors: an encoding of the value the input must decode to, hex. */
  readonly decodesAs?: string;
}

/** The vector file. */
export interface WireVectorFile {
  /** What the vectors test. */
  readonly schema: "kabar-wire-decode-vectors-v1";
  /** Kit version that generated them. */
  readonly generatorVersion: string;
  /** The seed they were drawn with. */
  readonly seed: number;
  /** Number of vectors. */
  readonly numberOfTests: number;
  /** How to use the file. */
  readonly header: readonly string[];
  /** Every flag: what it means and which rule it belongs to. */
  readonly notes: Readonly<Record<string, { readonly description: string; readonly rule: string; readonly anchor: string }>>;
  /** The vectors. */
  readonly tests: readonly WireVector[];
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const anchor = (rule: string, chapter = "wire"): string => `docs/spec/${chapter}.md#${rule.toLowerCase()}`;

const FAMILIES: readonly { flag: string; rule: string; description: string; arbitrary: () => fc.Arbitrary<MalformedInput> }[] = [
  { flag: "Truncated", rule: "WIRE-DECODE-001", description: "Input ends inside a tag, varint, fixed-width value or packed run.", arbitrary: truncatedInput },
  { flag: "WrongWireType", rule: "WIRE-DECODE-002", description: "A known field with another wire type, or wire type 3, 4, 6 or 7.", arbitrary: wrongWireTypeInput },
  { flag: "VarintOverflow", rule: "WIRE-DECODE-003", description: "A varint longer than 10 bytes or above 2^64-1.", arbitrary: varintOverflowInput },
  { flag: "LengthOutOfBounds", rule: "WIRE-DECODE-004", description: "A length prefix past the end of its enclosing message.", arbitrary: lengthOutOfBoundsInput },
  { flag: "InvalidUtf8", rule: "WIRE-DECODE-006", description: "A string field with invalid UTF-8.", arbitrary: invalidUtf8Input },
  { flag: "DuplicateField", rule: "WIRE-DECODE-007", description: "A singular field or a oneof twice: rejecting is preferred (SHOULD); a decoder that accepts must keep the last occurrence.", arbitrary: duplicateFieldInput },
  { flag: "InvalidFieldNumber", rule: "WIRE-DECODE-008", description: "Field number 0, above 2^29-1, or a tag longer than 32 bits.", arbitrary: invalidFieldNumberInput },
  { flag: "UnknownFields", rule: "WIRE-DECODE-009", description: "Well-formed unknown fields, to be skipped.", arbitrary: unknownFieldsInput },
];

/** Builds the vector file deterministically from `seed`. */
export function buildWireVectors(options: { seed?: number; perFamily?: number; generatorVersion: string }): WireVectorFile {
  const seed = options.seed ?? 1;
  const per = options.perFamily ?? 12;
  const tests: Omit<WireVector, "tcId">[] = [];
  const notes: Record<string, { description: string; rule: string; anchor: string }> = {};
  const note = (flag: string, rule: string, description: string): void => {
    notes[flag] = { description, rule, anchor: anchor(rule) };
  };

  for (const family of FAMILIES) {
    note(family.flag, family.rule, family.description);
    for (const input of fc.sample(family.arbitrary(), { seed, numRuns: per })) {
      const acceptable = family.flag === "DuplicateField";
      tests.push({
        rule: family.rule, comment: input.what, flags: [family.flag], messageType: input.typeName, input: hex(input.bytes),
        result: input.expect.length === 0 ? "valid" : acceptable ? "acceptable" : "invalid",
        ...(input.expect.length > 0 ? { expectedError: errorCodeName(input.expect[0]!) } : {}),
        ...(input.equivalent !== undefined ? { decodesAs: hex(input.equivalent) } : {}),
      });
    }
  }

  note("ValidEncoding", "WIRE-CODEC-001", "A valid encoding (repeated scalars packed or unpacked at random), to be accepted.");
  const types = fc.oneof(fc.constant(FRAME_TYPE), fc.constantFrom(...WIRE_MESSAGE_TYPES));
  for (const message of fc.sample(types.chain((t) => validMessage(t, { maxDepth: 5 })), { seed, numRuns: per })) {
    tests.push({ rule: "WIRE-CODEC-001", comment: `a valid ${message.typeName}`, flags: ["ValidEncoding"], messageType: message.typeName, input: hex(messageBytes(message)), result: "valid" });
  }

  note("NestingLimit", "WIRE-DECODE-005", "A message nested d levels deep under a depth limit of d - 1 (invalid) or d (valid).");
  for (const message of fc.sample(validMessage(FRAME_TYPE, { maxDepth: 6 }).filter((m) => messageDepth(m) >= 3), { seed, numRuns: Math.ceil(per / 2) })) {
    const depth = messageDepth(message);
    const input = hex(messageBytes(message));
    tests.push({ rule: "WIRE-DECODE-005", comment: `frame nested ${depth} deep, limit ${depth - 1}`, flags: ["NestingLimit"], messageType: FRAME_TYPE, input, limits: { maxDepth: depth - 1 }, result: "invalid", expectedError: errorCodeName(ErrorCode.FRAME_NESTING_TOO_DEEP) });
    tests.push({ rule: "WIRE-DECODE-005", comment: `frame nested ${depth} deep, limit ${depth}`, flags: ["NestingLimit"], messageType: FRAME_TYPE, input, limits: { maxDepth: depth }, result: "valid" });
  }

  note("FrameTooLarge", "WIRE-FRAME-002", "A frame of n bytes under a size limit of n - 1 (invalid) or n (valid).");
  for (const message of fc.sample(validMessage(FRAME_TYPE), { seed, numRuns: Math.ceil(per / 2) })) {
    const bytes = messageBytes(message);
    tests.push({ rule: "WIRE-FRAME-002", comment: `${bytes.length}-byte frame, limit ${bytes.length - 1}`, flags: ["FrameTooLarge"], messageType: FRAME_TYPE, input: hex(bytes), limits: { maxBytes: bytes.length - 1 }, result: "invalid", expectedError: errorCodeName(ErrorCode.FRAME_TOO_LARGE) });
    tests.push({ rule: "WIRE-FRAME-002", comment: `${bytes.length}-byte frame, limit ${bytes.length}`, flags: ["FrameTooLarge"], messageType: FRAME_TYPE, input: hex(bytes), limits: { maxBytes: bytes.length }, result: "valid" });
  }

  note("RequestId", "WIRE-FRAME-003", "A request or response id of 0 (omitted), 1, 2^53-1 or 2^53.");
  const ping = lengthDelimited(4, new Uint8Array(0));
  for (const [id, ok] of [[0n, false], [1n, true], [MAX_REQUEST_ID, true], [MAX_REQUEST_ID + 1n, false], [2n ** 64n - 1n, false]] as const) {
    const body = concatBytes(id === 0n ? new Uint8Array(0) : concatBytes(tag(1, 0), varint(id)), ping);
    tests.push({
      rule: "WIRE-FRAME-003", comment: `ping request with request id ${id}${id === 0n ? " (omitted)" : ""}`, flags: ["RequestId"], messageType: FRAME_TYPE,
      input: hex(lengthDelimited(1, body)), result: ok ? "valid" : "invalid", ...(ok ? {} : { expectedError: errorCodeName(ErrorCode.FRAME_FIELD_INVALID) }),
    });
  }

  note("UnknownBody", "WIRE-FRAME-004", "A request whose only body field is unknown to this version.");
  for (const number of [200, 4096, 536_870_911]) {
    tests.push({
      rule: "WIRE-FRAME-004", comment: `request 7 with unknown body field ${number}`, flags: ["UnknownBody"], messageType: FRAME_TYPE,
      input: hex(lengthDelimited(1, concatBytes(tag(1, 0), varint(7), lengthDelimited(number, Uint8Array.of(1, 2))))), result: "invalid", expectedError: errorCodeName(ErrorCode.FRAME_UNKNOWN_BODY),
    });
  }

  return {
    schema: "kabar-wire-decode-vectors-v1",
    generatorVersion: options.generatorVersion,
    seed,
    numberOfTests: tests.length,
    header: [
      "Decoding vectors for the WIRE rules of the Kabar spec (docs/spec/wire.md).",
      "Decode `input` (hex) as `messageType` under `limits` (unset: the protocol's). valid: it must decode, to the same value as `decodesAs` when given.",
      "invalid: it must be rejected with `expectedError`. acceptable: rejecting with `expectedError` is preferred; accepting is allowed only if it decodes as `decodesAs`.",
      "Identify a vector by (file, generatorVersion, tcId); tcIds change between versions.",
    ],
    notes,
    tests: tests.map((t, i) => ({ tcId: i + 1, ...t })),
  };
}
