// WIRE-COMPAT-001 for this repository's schema: every field of the frozen
// v1 baseline (src/suites/codec/baseline-v1.ts) still exists in the current
// schema with the same number, name, kind, wire type, repetition, message
// type and oneof; the current schema may only add fields and messages.
import { MESSAGE_SHAPES } from "@kabar/protocol";
import { describe, expect, it } from "vitest";
import { BASELINE_V1 } from "../src/suites/codec/baseline-v1.js";

describe("WIRE-COMPAT-001 baseline", () => {
  it("the current kabar.v1 schema keeps every baseline field unchanged", () => {
    const broken: string[] = [];
    for (const [type, fields] of Object.entries(BASELINE_V1)) {
      const current = MESSAGE_SHAPES[type];
      if (current === undefined) {
        broken.push(`${type} was removed`);
        continue;
      }
      for (const [number, shape] of Object.entries(fields)) {
        const now = current[Number(number)];
        if (JSON.stringify(now) !== JSON.stringify(shape)) broken.push(`${type} field ${number}: ${JSON.stringify(shape)} is now ${JSON.stringify(now)}`);
      }
      const names = new Map(Object.entries(fields).map(([n, s]) => [s.n, Number(n)]));
      for (const [number, shape] of Object.entries(current)) {
        const was = names.get(shape.n);
        if (was !== undefined && was !== Number(number)) broken.push(`${type}.${shape.n} moved from ${was} to ${number}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
