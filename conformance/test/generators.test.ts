// The schema-driven generators: valid encodings decode with an independent
// decoder (protobufjs reflection over the .proto files), every malformed
// family is rejected by the reference with its rule's code, and the state
// digest matches the spec's test vector.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import protobuf from "protobufjs";
import { AdapterVisibleState, ErrorCode, errorCodeName } from "@kabar/protocol";
// @ts-expect-error -- plain ESM helper shared with the generator scripts
import { loadSchemaRoot } from "../../scripts/proto-schema.mjs";
import { canonicalStateEncoding, stateDigest } from "../src/adapter/state-digest.js";
import { referenceDecode } from "../src/codec/reference-codec.js";
import {
  duplicateFieldInput, invalidFieldNumberInput, invalidUtf8Input, lengthOutOfBoundsInput, truncatedInput, unknownFieldsInput, varintOverflowInput, wrongWireTypeInput,
} from "../src/generators/malformed-messages.js";
import { WIRE_MESSAGE_TYPES, messageBytes, messageDepth, validMessage } from "../src/generators/valid-messages.js";

const root: protobuf.Root = loadSchemaRoot();

describe("valid-message generators", () => {
  it("produce encodings an independent decoder (protobufjs) reads, for every v1 message type", () => {
    for (const typeName of WIRE_MESSAGE_TYPES) {
      const type = root.lookupType(typeName);
      fc.assert(fc.property(validMessage(typeName), (message) => {
        type.decode(messageBytes(message));
      }), { numRuns: 15 });
    }
  });

  it("reach the schema's deepest nesting", () => {
    const depths = fc.sample(validMessage("kabar.v1.Frame", { maxDepth: 6 }), { numRuns: 400, seed: 1 }).map(messageDepth);
    expect(Math.max(...depths)).toBe(6);
  });
});

describe("malformed-message generators", () => {
  const families: [string, () => fc.Arbitrary<{ typeName: string; bytes: Uint8Array; expect: readonly ErrorCode[] }>][] = [
    ["truncated", truncatedInput], ["wrong wire type", wrongWireTypeInput], ["varint overflow", varintOverflowInput],
    ["length out of bounds", lengthOutOfBoundsInput], ["invalid UTF-8", invalidUtf8Input], ["duplicate field", duplicateFieldInput],
    ["invalid field number", invalidFieldNumberInput], ["unknown fields", unknownFieldsInput],
  ];
  for (const [name, family] of families) {
    it(`${name}: the reference decoder answers exactly what the family expects`, () => {
      fc.assert(fc.property(family(), (input) => {
        const outcome = referenceDecode(input.typeName, input.bytes);
        if (input.expect.length === 0) expect(outcome.kind).toBe("accepted");
        else expect(outcome.kind === "rejected" ? errorCodeName(outcome.code) : outcome.kind).toBe(errorCodeName(input.expect[0]!));
      }), { numRuns: 150 });
    });
  }
});

describe("state digest", () => {
  it("matches the test vector in docs/spec/conformance.md, ignoring events and list order", () => {
    const state = AdapterVisibleState.fromPartial({
      conversations: [{
        conversation: "c1", members: ["bob", "alice"],
        messages: [{ message: "m1", sender: "alice", text: "hi", reactions: [{ account: "bob", emoji: "👍" }] }, { message: "m2", sender: "bob", deleted: true }],
        readMarkers: [{ account: "bob", message: "m1" }],
      }],
      events: [{ kind: 1, account: "bob" }],
    });
    expect(Buffer.from(canonicalStateEncoding(state)).toString("hex")).toBe(
      "0a460a0263311205616c6963651203626f621a1c0a026d311205616c6963651a026869320b0a03626f621204f09f918d1a0b0a026d321203626f62280122090a03626f6212026d31",
    );
    expect(Buffer.from(stateDigest(state)).toString("hex")).toBe("f05d1b5aebab7fbb2031250cd50a7cf159fa63e0030114ccdedcf00ef6cae68e");
    const shuffled = { ...state, events: [], conversations: [{ ...state.conversations[0]!, members: ["alice", "bob"] }] };
    expect(stateDigest(shuffled)).toEqual(stateDigest(state));
  });
});
