// WIRE-COMPAT-001, implementation-facing: every message valid under the
// first release of protocol version 1 (baseline-v1.ts) decodes, and the
// implementation re-encodes it with the same fields: the same numbers,
// wire types and values, read through the baseline schema. A codec built
// from a schema in which a field was renumbered or retyped fails this.
import fc from "fast-check";
import { type FieldShape } from "@kabar/protocol";
import { messageBytes, validMessage, type EncodedMessage } from "../../generators/valid-messages.js";
import { defineProperty } from "../../registry/property-registry.js";
import { RuleViolation } from "../../registry/rule-violation.js";
import { BASELINE_V1 } from "./baseline-v1.js";
import { describeOutcome } from "./expect-decode.js";

/** Message types of the baseline, every one checked in every run. */
export const BASELINE_TYPES: readonly string[] = Object.keys(BASELINE_V1).sort();

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** Keeps the top-level fields the baseline declares (a later release may add fields the baseline does not know). */
function baselineOnly(message: EncodedMessage): EncodedMessage {
  const shapes = BASELINE_V1[message.typeName] ?? {};
  return { ...message, fields: message.fields.filter((f) => shapes[f.number] !== undefined) };
}

function readVarint(bytes: Uint8Array, at: { pos: number }): bigint {
  let value = 0n;
  for (let shift = 0n; at.pos < bytes.length; shift += 7n) {
    const b = bytes[at.pos++]!;
    value |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return value;
  }
  throw new RangeError("truncated varint");
}

function scalar(shape: FieldShape, wire: number, raw: Uint8Array | bigint): string {
  if (typeof raw === "bigint") return raw.toString();
  if (shape.k === "float" || shape.k === "double") {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const v = wire === 5 ? view.getFloat32(0, true) : view.getFloat64(0, true);
    return Number.isNaN(v) ? "NaN" : v === 0 ? "0" : String(v);
  }
  return hex(raw);
}

/**
 * The fields of `bytes` as the baseline reads them: number -> values in
 * order, packed and unpacked repeated scalars alike, singular scalar
 * zero values dropped (proto3 implicit presence), embedded messages
 * recursively. A field on the wire with a wire type the baseline does not
 * declare shows as `wire N`.
 */
export function baselineView(typeName: string, bytes: Uint8Array): Record<number, unknown[]> {
  const shapes = BASELINE_V1[typeName] ?? {};
  const out: Record<number, unknown[]> = {};
  const at = { pos: 0 };
  const add = (n: number, v: unknown) => (out[n] ??= []).push(v);
  while (at.pos < bytes.length) {
    const tag = readVarint(bytes, at);
    const number = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    let raw: Uint8Array | bigint;
    if (wire === 0) raw = readVarint(bytes, at);
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      raw = bytes.subarray(at.pos, at.pos + size);
      at.pos += size;
    } else if (wire === 2) {
      const length = Number(readVarint(bytes, at));
      raw = bytes.subarray(at.pos, at.pos + length);
      at.pos += length;
    } else throw new RangeError(`wire type ${wire}`);
    const shape = shapes[number];
    if (shape === undefined) continue;
    if (wire !== shape.w && !(wire === 2 && shape.r === true && shape.w !== 2)) {
      add(number, `wire ${wire}`);
      continue;
    }
    if (shape.m !== undefined) {
      add(number, baselineView(shape.m, raw as Uint8Array));
    } else if (wire === 2 && shape.w !== 2) {
      // A packed run of scalars.
      const run = raw as Uint8Array;
      const inner = { pos: 0 };
      while (inner.pos < run.length) {
        if (shape.w === 0) add(number, scalar(shape, 0, readVarint(run, inner)));
        else {
          const size = shape.w === 1 ? 8 : 4;
          add(number, scalar(shape, shape.w, run.subarray(inner.pos, inner.pos + size)));
          inner.pos += size;
        }
      }
    } else {
      const value = scalar(shape, wire, raw);
      const zero = typeof raw === "bigint" ? raw === 0n : wire === 2 ? raw.length === 0 : value === "0" || raw.every((b) => b === 0);
      if (shape.r !== true && shape.o === undefined && zero) continue;
      if (shape.r === true) add(number, value);
      else out[number] = [value];
    }
  }
  return out;
}

defineProperty({
  id: "wire.compat.baseline-round-trip",
  rules: ["WIRE-COMPAT-001"],
  mode: "codec",
  profile: "core",
  description: "In every run, one valid message of every kabar.v1 type of the v1 baseline schema: the decoder accepts it and re-encodes it to the same fields (numbers, wire types and values) as the baseline reads them.",
  numRuns: 8,
  run: (context) =>
    // Every type in every run, so a change to any one type is seen; not shrunk
    // (a 105-tuple shrinks for minutes), the report names the one failing message.
    fc.asyncProperty(fc.noShrink(fc.tuple(...BASELINE_TYPES.map((t) => validMessage(t, { maxDepth: 2 }).map(baselineOnly)))), async (messages) => {
      for (const message of messages) {
        const bytes = messageBytes(message);
        const outcome = await context.target.decode(message.typeName, bytes);
        if (outcome.kind !== "accepted") {
          context.transcript.add("wire-out", { type: message.typeName, hex: hex(bytes) });
          throw new RuleViolation("WIRE-COMPAT-001", `a ${message.typeName} valid under the v1 baseline (${hex(bytes)}) was ${describeOutcome(outcome)}`);
        }
        const want = JSON.stringify(baselineView(message.typeName, bytes));
        const got = JSON.stringify(baselineView(message.typeName, outcome.reencoded));
        if (want !== got) {
          context.transcript.add("wire-out", { type: message.typeName, hex: hex(bytes), reencoded: hex(outcome.reencoded) });
          throw new RuleViolation("WIRE-COMPAT-001", `${message.typeName} ${hex(bytes)} re-encodes as ${hex(outcome.reencoded)}: the baseline reads ${got.slice(0, 300)}, expected ${want.slice(0, 300)}`);
        }
      }
    }),
});
