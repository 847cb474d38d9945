// Properties for the frame rules a decoder alone can show (docs/spec/wire.md,
// "Frames"): the size limit, the request-id range and unknown request
// bodies. The connection-level halves of these rules belong to the server
// suite.
import fc from "fast-check";
import { ErrorCode, MAX_REQUEST_ID } from "@kabar/protocol";
import { FRAME_TYPE } from "../../codec/reference-codec.js";
import { messageBytes, nestedField, shapesOf, validMessage, validRequestId, type EncodedMessage } from "../../generators/valid-messages.js";
import { concatBytes, lengthDelimited, tag, varint } from "../../generators/wire-writer.js";
import { defineProperty } from "../../registry/property-registry.js";
import { expectDecode } from "./expect-decode.js";

defineProperty({
  id: "wire.frame.size-limit",
  rules: ["WIRE-FRAME-002"],
  mode: "codec",
  profile: "core",
  description: "A frame one byte over the limit is rejected with FRAME_TOO_LARGE, even when it is garbage, and a frame exactly at the limit is accepted.",
  run: (context) =>
    fc.asyncProperty(validMessage(FRAME_TYPE), fc.integer({ min: 1, max: 64 }), async (frame, over) => {
      const bytes = messageBytes(frame);
      const size = bytes.length;
      await expectDecode(context, "WIRE-FRAME-002", { typeName: FRAME_TYPE, bytes, expect: [ErrorCode.FRAME_TOO_LARGE], what: `a valid ${size}-byte frame under a limit of ${size - 1}` }, { maxBytes: size - 1 });
      await expectDecode(context, "WIRE-FRAME-002", { typeName: FRAME_TYPE, bytes, expect: [], what: `a valid ${size}-byte frame under a limit of ${size}` }, { maxBytes: size });
      // Garbage over the limit must get FRAME_TOO_LARGE, not a decoding
      // error: the size is checked before any byte is read.
      const garbage = new Uint8Array(size + over).fill(0xff);
      await expectDecode(context, "WIRE-FRAME-002", { typeName: FRAME_TYPE, bytes: garbage, expect: [ErrorCode.FRAME_TOO_LARGE], what: `${size + over} bytes of 0xff under a limit of ${size}` }, { maxBytes: size });
    }),
});

const invalidRequestId = fc.oneof(fc.constant(0n), fc.bigInt({ min: MAX_REQUEST_ID + 1n, max: 2n ** 64n - 1n }), fc.constant(MAX_REQUEST_ID + 1n));

/** A request or response body with field 1 (request_id) replaced; 0 is sometimes sent explicitly, sometimes omitted. */
function withRequestId(body: EncodedMessage, id: bigint, explicitZero: boolean): EncodedMessage {
  const rest = body.fields.filter((f) => f.number !== 1);
  const idField = id === 0n && !explicitZero ? [] : [{ number: 1, wire: 0 as const, bytes: concatBytes(tag(1, 0), varint(id)) }];
  return { typeName: body.typeName, fields: [...idField, ...rest] };
}

defineProperty({
  id: "wire.frame.request-id-range",
  rules: ["WIRE-FRAME-003"],
  mode: "codec",
  profile: "core",
  description: "A request or response with request id 0 (explicit or omitted) or above 2^53-1 is rejected with FRAME_FIELD_INVALID; ids 1..2^53-1 are accepted.",
  run: (context) =>
    fc.asyncProperty(
      fc
        .constantFrom({ kind: 1, type: "kabar.v1.ClientRequest" }, { kind: 2, type: "kabar.v1.ServerResponse" })
        .chain((which) => fc.record({ which: fc.constant(which), body: validMessage(which.type, { maxDepth: 3 }) })),
      fc.boolean(),
      invalidRequestId,
      validRequestId,
      fc.boolean(),
      async ({ which, body }, useInvalid, badId, goodId, explicitZero) => {
        const id = useInvalid ? badId : goodId;
        const frame: EncodedMessage = { typeName: FRAME_TYPE, fields: [nestedField(which.kind, withRequestId(body, id, explicitZero))] };
        await expectDecode(context, "WIRE-FRAME-003", {
          typeName: FRAME_TYPE,
          bytes: messageBytes(frame),
          expect: useInvalid ? [ErrorCode.FRAME_FIELD_INVALID] : [],
          what: `${which.type} with request id ${id}${id === 0n ? (explicitZero ? " (sent explicitly)" : " (omitted)") : ""}`,
        });
      },
    ),
});

defineProperty({
  id: "wire.frame.unknown-request-body",
  rules: ["WIRE-FRAME-004"],
  mode: "codec",
  profile: "core",
  description: "A request whose body field number this version does not know is rejected with FRAME_UNKNOWN_BODY.",
  run: (context) => {
    const known = new Set(Object.keys(shapesOf("kabar.v1.ClientRequest")).map(Number));
    const top = Math.max(...known);
    const unknownBody = fc.oneof(fc.integer({ min: top + 1, max: top + 20 }), fc.integer({ min: top + 1, max: 536_870_911 })).filter((n) => !known.has(n));
    return fc.asyncProperty(validRequestId, unknownBody, fc.uint8Array({ maxLength: 16 }), async (id, number, body) => {
      const request = concatBytes(tag(1, 0), varint(id), lengthDelimited(number, body));
      await expectDecode(context, "WIRE-FRAME-004", {
        typeName: FRAME_TYPE,
        bytes: lengthDelimited(1, request),
        expect: [ErrorCode.FRAME_UNKNOWN_BODY],
        what: `request ${id} whose only body is unknown field ${number}`,
      });
    });
  },
});
