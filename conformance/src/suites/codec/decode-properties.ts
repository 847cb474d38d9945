// Properties for the strict-decoding rules (docs/spec/wire.md, "Strict
// decoding"), run against any codec target.
import fc from "fast-check";
import { ErrorCode } from "@kabar/protocol";
import {
  duplicateFieldInput, invalidFieldNumberInput, invalidUtf8Input, lengthOutOfBoundsInput, truncatedInput, unknownFieldsInput,
  varintOverflowInput, wrongWireTypeInput, anyWireType, type MalformedInput,
} from "../../generators/malformed-messages.js";
import { messageBytes, messageDepth, validMessage } from "../../generators/valid-messages.js";
import { defineProperty } from "../../registry/property-registry.js";
import { RuleViolation } from "../../registry/rule-violation.js";
import { sameDecodedValue } from "../../codec/lax-decode.js";
import { describeOutcome, expectDecode } from "./expect-decode.js";

/** Registers a property that checks each generated malformed input against one rule. */
function malformedProperty(id: string, rule: string, description: string, inputs: () => fc.Arbitrary<MalformedInput>): void {
  defineProperty({
    id,
    rules: [rule],
    mode: "codec",
    profile: "core",
    description,
    run: (context) => fc.asyncProperty(inputs(), async (input) => {
      await expectDecode(context, rule, input);
    }),
  });
}

malformedProperty("wire.decode.truncated", "WIRE-DECODE-001", "Input ending inside a tag, varint, fixed-width value or packed run, at any depth, is rejected with FRAME_TRUNCATED.", truncatedInput);
malformedProperty("wire.decode.wire-type", "WIRE-DECODE-002", "A known field with another wire type, or wire type 3, 4, 6 or 7 on any field, is rejected with FRAME_WIRE_TYPE_INVALID.", wrongWireTypeInput);
malformedProperty("wire.decode.varint-overflow", "WIRE-DECODE-003", "Varints longer than 10 bytes or above 2^64-1, as values or lengths, are rejected with FRAME_VARINT_OVERFLOW.", varintOverflowInput);
malformedProperty("wire.decode.length-bounds", "WIRE-DECODE-004", "A length prefix running past its enclosing message is rejected with FRAME_LENGTH_OUT_OF_BOUNDS.", lengthOutOfBoundsInput);
malformedProperty("wire.decode.invalid-utf8", "WIRE-DECODE-006", "A string field with overlong, surrogate, truncated or out-of-range UTF-8 is rejected with FRAME_INVALID_UTF8.", invalidUtf8Input);
malformedProperty("wire.decode.field-number", "WIRE-DECODE-008", "Field number 0, numbers above 2^29-1 and tags longer than 32 bits are rejected with FRAME_FIELD_NUMBER_INVALID.", invalidFieldNumberInput);
malformedProperty("wire.decode.unknown-fields-skipped", "WIRE-DECODE-009", "Well-formed unknown fields of every wire type, at any depth, are skipped and the known fields decode as if they were absent.", unknownFieldsInput);

defineProperty({
  id: "wire.decode.duplicate-field",
  rules: ["WIRE-DECODE-007"],
  mode: "codec",
  profile: "core",
  description: "A repeated singular field or a second oneof member is rejected with FRAME_DUPLICATE_FIELD; a decoder that accepts it must use the last occurrence.",
  run: (context) =>
    fc.asyncProperty(duplicateFieldInput(), async (input) => {
      const outcome = await context.target.decode(input.typeName, input.bytes);
      context.transcript.add("wire-out", { type: input.typeName, what: input.what, hex: Buffer.from(input.bytes).toString("hex") });
      context.transcript.add("wire-in", describeOutcome(outcome));
      if (outcome.kind === "rejected" && outcome.code === ErrorCode.FRAME_DUPLICATE_FIELD) return;
      if (outcome.kind !== "accepted") throw new RuleViolation("WIRE-DECODE-007", `${input.what}: ${describeOutcome(outcome)}; expected FRAME_DUPLICATE_FIELD`);
      const lastWins = sameDecodedValue(input.typeName, outcome.reencoded, input.equivalent!);
      throw new RuleViolation("WIRE-DECODE-007", lastWins
        ? `${input.what}: accepted (SHOULD be rejected with FRAME_DUPLICATE_FIELD); it did use the last occurrence`
        : `${input.what}: accepted and did NOT use the last occurrence (the rule's MUST clause)`);
    }),
});

defineProperty({
  id: "wire.decode.nesting-limit",
  rules: ["WIRE-DECODE-005"],
  mode: "codec",
  profile: "core",
  description: "A message nested d levels deep is rejected with FRAME_NESTING_TOO_DEEP under a limit of d-1 and accepted under a limit of d.",
  run: (context) =>
    fc.asyncProperty(
      anyWireType.chain((t) => validMessage(t, { maxDepth: 6 })).filter((m) => messageDepth(m) >= 2),
      async (message) => {
        const depth = messageDepth(message);
        const bytes = messageBytes(message);
        const what = `${message.typeName} nested ${depth} levels deep`;
        await expectDecode(context, "WIRE-DECODE-005", { typeName: message.typeName, bytes, expect: [ErrorCode.FRAME_NESTING_TOO_DEEP], what: `${what}, limit ${depth - 1}` }, { maxDepth: depth - 1 });
        await expectDecode(context, "WIRE-DECODE-005", { typeName: message.typeName, bytes, expect: [], what: `${what}, limit ${depth}` }, { maxDepth: depth });
      },
    ),
});
