// Codec mutants: the reference decoder with exactly one check disabled. The
// kill test runs the codec suite against each and requires the rules it
// breaks to fail, which shows the properties can see each check.
import { ErrorCode } from "@kabar/protocol";
import { laxReencode } from "../../codec/lax-decode.js";
import { referenceDecode } from "../../codec/reference-codec.js";
import { scanFields, type ScannedField } from "../../codec/scan-fields.js";
import { defineMutant } from "../../registry/mutant-registry.js";
import type { CodecTarget, DecodeLimits, DecodeOutcome } from "../../targets/target-types.js";

/** What a decoder that silently skips a check returns: the lenient decode, else the longest prefix it can read. */
function acceptAnyway(typeName: string, payload: Uint8Array, limits: DecodeLimits): DecodeOutcome {
  const lax = laxReencode(typeName, payload);
  if (lax !== undefined) return { kind: "accepted", reencoded: lax };
  for (let end = payload.length - 1; end >= 0; end--) {
    const prefix = referenceDecode(typeName, payload.subarray(0, end), limits);
    if (prefix.kind === "accepted") return prefix;
  }
  return { kind: "accepted", reencoded: new Uint8Array(0) };
}

/** A decoder identical to the reference except that rejections with `code` are ignored. */
function lenientOn(name: string, code: ErrorCode): CodecTarget {
  return {
    name,
    decode: async (typeName, payload, limits = {}) => {
      const outcome = referenceDecode(typeName, payload, limits);
      return outcome.kind === "rejected" && outcome.code === code ? acceptAnyway(typeName, payload, limits) : outcome;
    },
  };
}

/** A decoder identical to the reference except that it rejects accepted input matching `reject`. */
function alsoRejects(name: string, code: ErrorCode, reject: (typeName: string, payload: Uint8Array) => boolean): CodecTarget {
  return {
    name,
    decode: async (typeName, payload, limits = {}) => {
      const outcome = referenceDecode(typeName, payload, limits);
      return outcome.kind === "accepted" && reject(typeName, payload) ? { kind: "rejected", code } : outcome;
    },
  };
}

function anyField(typeName: string, payload: Uint8Array, test: (field: ScannedField) => boolean): boolean {
  let found = false;
  scanFields(typeName, payload, (field) => {
    if (test(field)) found = true;
  });
  return found;
}

defineMutant({
  id: "codec.ignores-size-limit",
  breaks: ["WIRE-FRAME-002"],
  target: "codec",
  description: "Decodes inputs of any size instead of rejecting those over the limit with FRAME_TOO_LARGE.",
  create: () => ({ name: "codec.ignores-size-limit", decode: async (t, p, l = {}) => referenceDecode(t, p, { ...l, maxBytes: Number.MAX_SAFE_INTEGER }) }),
});
defineMutant({
  id: "codec.accepts-any-request-id",
  breaks: ["WIRE-FRAME-003"],
  target: "codec",
  description: "Accepts request ids of 0 and above 2^53-1.",
  create: () => lenientOn("codec.accepts-any-request-id", ErrorCode.FRAME_FIELD_INVALID),
});
defineMutant({
  id: "codec.accepts-unknown-body",
  breaks: ["WIRE-FRAME-004"],
  target: "codec",
  description: "Accepts a request whose body it does not know instead of rejecting it with FRAME_UNKNOWN_BODY.",
  create: () => lenientOn("codec.accepts-unknown-body", ErrorCode.FRAME_UNKNOWN_BODY),
});
defineMutant({
  id: "codec.stops-at-truncation",
  breaks: ["WIRE-DECODE-001"],
  target: "codec",
  description: "Returns what it parsed when the input ends inside a value instead of rejecting it.",
  create: () => lenientOn("codec.stops-at-truncation", ErrorCode.FRAME_TRUNCATED),
});
defineMutant({
  id: "codec.ignores-wire-types",
  breaks: ["WIRE-DECODE-002"],
  target: "codec",
  description: "Does not check that a known field has its declared wire type, nor reject group wire types.",
  create: () => lenientOn("codec.ignores-wire-types", ErrorCode.FRAME_WIRE_TYPE_INVALID),
});
defineMutant({
  id: "codec.wraps-long-varints",
  breaks: ["WIRE-DECODE-003"],
  target: "codec",
  description: "Truncates overlong varints to 64 bits instead of rejecting them.",
  create: () => lenientOn("codec.wraps-long-varints", ErrorCode.FRAME_VARINT_OVERFLOW),
});
defineMutant({
  id: "codec.trusts-lengths",
  breaks: ["WIRE-DECODE-004"],
  target: "codec",
  description: "Does not check length prefixes against the enclosing message.",
  create: () => lenientOn("codec.trusts-lengths", ErrorCode.FRAME_LENGTH_OUT_OF_BOUNDS),
});
defineMutant({
  id: "codec.no-depth-limit",
  breaks: ["WIRE-DECODE-005"],
  target: "codec",
  description: "Follows embedded messages however deep they nest.",
  create: () => ({ name: "codec.no-depth-limit", decode: async (t, p, l = {}) => referenceDecode(t, p, { ...l, maxDepth: Number.MAX_SAFE_INTEGER }) }),
});
defineMutant({
  id: "codec.no-utf8-check",
  breaks: ["WIRE-DECODE-006"],
  target: "codec",
  description: "Decodes string fields without validating UTF-8 (invalid sequences become U+FFFD).",
  create: () => lenientOn("codec.no-utf8-check", ErrorCode.FRAME_INVALID_UTF8),
});
defineMutant({
  id: "codec.no-duplicate-check",
  breaks: ["WIRE-DECODE-007"],
  target: "codec",
  description: "Lets the last of two occurrences of a singular field or oneof win, as stock decoders do.",
  create: () => lenientOn("codec.no-duplicate-check", ErrorCode.FRAME_DUPLICATE_FIELD),
});
defineMutant({
  id: "codec.accepts-bad-field-numbers",
  breaks: ["WIRE-DECODE-008"],
  target: "codec",
  description: "Accepts field number 0, numbers above 2^29-1 and tags longer than 32 bits.",
  create: () => lenientOn("codec.accepts-bad-field-numbers", ErrorCode.FRAME_FIELD_NUMBER_INVALID),
});
defineMutant({
  id: "codec.rejects-unknown-fields",
  breaks: ["WIRE-DECODE-009"],
  target: "codec",
  description: "Rejects well-formed fields with unknown numbers instead of skipping them.",
  create: () => alsoRejects("codec.rejects-unknown-fields", ErrorCode.FRAME_FIELD_NUMBER_INVALID, (t, p) => anyField(t, p, (f) => f.shape === undefined)),
});
defineMutant({
  id: "codec.rejects-packed",
  breaks: ["WIRE-CODEC-001"],
  target: "codec",
  description: "Accepts only the unpacked encoding of repeated scalar fields.",
  create: () => alsoRejects("codec.rejects-packed", ErrorCode.FRAME_WIRE_TYPE_INVALID, (t, p) => anyField(t, p, (f) => f.shape?.r === true && f.shape.w !== 2 && f.wire === 2)),
});
