// A validator for the JSON Schema subset the report schema uses (type,
// const, enum, required, properties, additionalProperties: false, items,
// pattern, oneOf, $ref to #/$defs), so the test needs no schema library.
type Schema = Record<string, unknown>;

const typeOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);

/** Problems of `value` against `schema`, one line each; empty when valid. */
export function validateJsonSchema(root: Schema, value: unknown): string[] {
  const problems: string[] = [];
  const check = (schema: Schema, v: unknown, at: string): void => {
    if (typeof schema.$ref === "string") return check((root.$defs as Record<string, Schema>)[schema.$ref.replace("#/$defs/", "")]!, v, at);
    if (schema.oneOf !== undefined) {
      const matching = (schema.oneOf as Schema[]).filter((s) => validateJsonSchema({ ...root, ...s }, v).length === 0);
      if (matching.length !== 1) problems.push(`${at}: matches ${matching.length} of oneOf`);
      return;
    }
    if ("const" in schema && v !== schema.const) problems.push(`${at}: ${JSON.stringify(v)} is not ${JSON.stringify(schema.const)}`);
    if (schema.enum !== undefined && !(schema.enum as unknown[]).includes(v)) problems.push(`${at}: ${String(v)} is not one of ${(schema.enum as unknown[]).join(", ")}`);
    if (schema.type !== undefined) {
      const allowed = ([] as string[]).concat(schema.type as string);
      const actual = typeOf(v);
      if (!allowed.includes(actual) && !(actual === "integer" && allowed.includes("number"))) problems.push(`${at}: ${actual} is not ${allowed.join(" or ")}`);
    }
    if (typeof schema.pattern === "string" && typeof v === "string" && !new RegExp(schema.pattern).test(v)) problems.push(`${at}: ${v} does not match ${schema.pattern}`);
    if (typeOf(v) === "object") {
      const record = v as Record<string, unknown>;
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const key of (schema.required ?? []) as string[]) if (!(key in record)) problems.push(`${at}: missing ${key}`);
      for (const [key, field] of Object.entries(record)) {
        if (props[key] !== undefined) check(props[key]!, field, `${at}.${key}`);
        else if (schema.additionalProperties === false) problems.push(`${at}: unexpected property ${key}`);
      }
    }
    if (Array.isArray(v) && schema.items !== undefined) v.forEach((item, i) => check(schema.items as Schema, item, `${at}[${i}]`));
  };
  check(root, value, "$");
  return problems;
}
