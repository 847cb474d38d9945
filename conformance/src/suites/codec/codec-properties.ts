// WIRE-CODEC-001: any valid encoding of a v1 message, with repeated scalars
// packed or unpacked at random, is accepted and decodes to the value the
// reference decodes.
import fc from "fast-check";
import { anyWireType } from "../../generators/malformed-messages.js";
import { messageBytes, validMessage } from "../../generators/valid-messages.js";
import { defineProperty } from "../../registry/property-registry.js";
import { expectDecode } from "./expect-decode.js";

defineProperty({
  id: "wire.codec.valid-encodings-accepted",
  rules: ["WIRE-CODEC-001"],
  mode: "codec",
  profile: "core",
  description: "Every valid encoding of every v1 message type (packed and unpacked repeated scalars, any field values) is accepted and decodes to the reference value.",
  run: (context) =>
    fc.asyncProperty(anyWireType.chain((t) => validMessage(t, { maxDepth: 5 })), async (message) => {
      await expectDecode(context, "WIRE-CODEC-001", { typeName: message.typeName, bytes: messageBytes(message), expect: [], what: `a valid ${message.typeName}` });
    }),
});
