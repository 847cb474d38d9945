// Turns a decoded ts-proto value into plain JSON for transcripts and reports:
// 64-bit integers as decimal strings and bytes as base64, as in the protobuf
// JSON mapping; oneofs ({$case, value}) as {case: value}. It needs no schema,
// so it works for every message the kit decodes.

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The JSON form of a generated message value (or any value built from the same parts). */
export function messageToJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (Array.isArray(value)) return value.map(messageToJson);
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof record.$case === "string" && "value" in record && Object.keys(record).length === 2) {
      return { [record.$case]: messageToJson(record.value) };
    }
    const out: { [key: string]: Json } = {};
    for (const [key, field] of Object.entries(record)) if (field !== undefined) out[key] = messageToJson(field);
    return out;
  }
  return String(value);
}
