// Schema-derived fast-check generators: for any message type in proto/, a
// generator of random valid values in the shape the generated (ts-proto)
// codec uses, and normalisers that map a ts-proto value and a protobufjs
// decoded message onto one comparable form. Everything is driven by
// protobufjs reflection over the same .proto files, so a message added to
// the schema is covered without touching this file.
import fc from "fast-check";
import protobuf from "protobufjs";
// @ts-expect-error -- plain ESM helper shared with the generator scripts
import { collectTypes, fullName, loadSchemaRoot } from "../../../../scripts/proto-schema.mjs";

export const schemaRoot: protobuf.Root = loadSchemaRoot();
export const schemaTypes: { messages: protobuf.Type[]; enums: protobuf.Enum[] } = collectTypes(schemaRoot);
export const typeName = (t: protobuf.ReflectionObject): string => fullName(t) as string;

const camel = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const IS_64 = new Set(["int64", "sint64", "sfixed64", "uint64", "fixed64"]);

function isOptionalScalar(field: protobuf.Field): boolean {
  return field.partOf !== null && field.partOf.name.startsWith("_") && field.partOf.fieldsArray.length === 1;
}

function scalarArbitrary(field: protobuf.Field): fc.Arbitrary<unknown> {
  if (field.resolvedType instanceof protobuf.Enum) {
    return fc.constantFrom(...Object.values(field.resolvedType.values));
  }
  const range = INT_RANGES[field.type];
  if (range !== undefined) {
    const big = fc.bigInt({ min: range[0], max: range[1] });
    return IS_64.has(field.type) ? big : big.map(Number);
  }
  switch (field.type) {
    case "bool":
      return fc.boolean();
    case "string":
      return fc.string({ unit: "binary", maxLength: 24 });
    case "bytes":
      return fc.uint8Array({ maxLength: 40 });
    case "double":
      return fc.double({ noNaN: true });
    case "float":
      return fc.float({ noNaN: true }).map(Math.fround);
    default:
      throw new Error(`no generator for ${field.type}`);
  }
}

const cache = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

/** Random valid values of `type` in the generated codec's shape. */
export function valueArbitrary(type: protobuf.Type): fc.Arbitrary<Record<string, unknown>> {
  const key = typeName(type);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of type.fieldsArray) {
    if (field.partOf !== null && !isOptionalScalar(field)) continue;
    const one = fieldValueArbitrary(field);
    if (field.repeated) parts[camel(field.name)] = fc.array(one, { maxLength: 3 });
    else if (field.resolvedType instanceof protobuf.Type || isOptionalScalar(field)) {
      parts[camel(field.name)] = fc.option(one, { nil: undefined });
    } else parts[camel(field.name)] = one;
  }
  for (const oneof of type.oneofsArray) {
    if (oneof.name.startsWith("_") && oneof.fieldsArray.length === 1) continue;
    const cases = oneof.fieldsArray.map((f) => fieldValueArbitrary(f).map((value) => ({ $case: camel(f.name), value })));
    parts[camel(oneof.name)] = fc.option(fc.oneof(...cases), { nil: undefined });
  }
  const arb = fc.record(parts) as fc.Arbitrary<Record<string, unknown>>;
  cache.set(key, arb);
  return arb;
}

function fieldValueArbitrary(field: protobuf.Field): fc.Arbitrary<unknown> {
  return field.resolvedType instanceof protobuf.Type ? fc.constant(null).chain(() => valueArbitrary(field.resolvedType as protobuf.Type)) : scalarArbitrary(field);
}

/** Normalised, comparable form of a value in the generated codec's shape. */
export function normalizeGenerated(type: protobuf.Type, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    let raw: unknown;
    if (field.partOf !== null && !isOptionalScalar(field)) {
      const union = value[camel(field.partOf.name)] as { $case: string; value: unknown } | undefined;
      if (union === undefined || union.$case !== camel(field.name)) continue;
      raw = union.value;
    } else raw = value[camel(field.name)];
    if (raw === undefined || raw === null) continue;
    out[field.name] = field.repeated ? (raw as unknown[]).map((v) => normalizeScalar(field, v)) : normalizeScalar(field, raw);
  }
  return dropDefaults(type, out);
}

/** Normalised form of a message decoded by protobufjs (toObject with longs as strings). */
export function normalizeReflected(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const raw = obj[field.name];
    if (raw === undefined || raw === null) continue;
    const norm = (v: unknown): unknown =>
      field.resolvedType instanceof protobuf.Type
        ? normalizeReflected(field.resolvedType, v as Record<string, unknown>)
        : IS_64.has(field.type)
          ? BigInt(v as string).toString()
          : field.type === "bytes"
            ? Buffer.from(v as Uint8Array).toString("hex")
            : v;
    out[field.name] = field.repeated ? (raw as unknown[]).map(norm) : norm(raw);
  }
  return dropDefaults(type, out);
}

function normalizeScalar(field: protobuf.Field, v: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return normalizeGenerated(field.resolvedType, v as Record<string, unknown>);
  if (IS_64.has(field.type)) return (v as bigint).toString();
  if (field.type === "bytes") return Buffer.from(v as Uint8Array).toString("hex");
  return v;
}

// Proto3 does not put default scalars of non-optional, non-oneof fields on
// the wire; both decoders may or may not materialise them. Compare without.
function dropDefaults(type: protobuf.Type, out: Record<string, unknown>): Record<string, unknown> {
  for (const field of type.fieldsArray) {
    const v = out[field.name];
    if (field.repeated) {
      if (Array.isArray(v) && v.length === 0) delete out[field.name];
      continue;
    }
    if (field.partOf !== null || field.resolvedType instanceof protobuf.Type) continue;
    if (v === 0 || v === "0" || v === "" || v === false || (typeof v === "number" && Object.is(v, 0))) {
      delete out[field.name];
    }
  }
  return out;
}
