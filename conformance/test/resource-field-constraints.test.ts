// The WIRE-FIELD-001 table (src/suites/codec/field-constraints.ts) is the
// schema comments made machine-readable: every entry must be what the
// .proto comments document, and every documented length of a request field
// must be in the table or exempted here with the rule that governs it.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { documentedLengths, FIELD_CONSTRAINTS } from "../src/suites/codec/field-constraints.js";

const protoDir = fileURLToPath(new URL("../../proto/kabar/v1/", import.meta.url));
const documented = new Map<string, { bytes: number; each: boolean; emptyAllowed: boolean }>();
for (const file of readdirSync(protoDir).filter((f) => f.endsWith(".proto"))) {
  for (const [message, fields] of documentedLengths(readFileSync(protoDir + file, "utf8"))) {
    for (const [field, c] of fields) documented.set(`${message}.${field}`, c);
  }
}

/** Messages a client sends to a server (request bodies and what they nest). */
const REQUEST_MESSAGES = (name: string) => name.endsWith("Request") || ["Authenticate", "Invoice", "SignedPreKey", "KemPreKey", "OneTimePreKey"].includes(name);

/** Documented request-field lengths the table leaves out, and why. */
const EXEMPT: Record<string, string> = {
  "Authenticate.signature": "a signature of another length does not verify: AUTH_FAILED (TRANSPORT-AUTH-002)",
  "SignedPreKey.signature": "a signature of another length does not verify: SIGNATURE_INVALID (SERVER-PREKEY-002)",
  "KemPreKey.signature": "a signature of another length does not verify: SIGNATURE_INVALID (SERVER-PREKEY-002)",
};

describe("WIRE-FIELD-001 field constraints", () => {
  it("every table entry is what the schema comment documents", () => {
    for (const c of FIELD_CONSTRAINTS) {
      const d = documented.get(`${c.message}.${c.field}`);
      expect(d, `${c.message}.${c.field} has no documented length in proto/kabar/v1`).toBeDefined();
      expect({ bytes: c.bytes, each: c.each === true, emptyAllowed: c.emptyAllowed === true }, `${c.message}.${c.field}`).toEqual(d);
    }
  });

  it("every documented length of a request field is in the table or exempted", () => {
    const missing = [...documented.keys()]
      .filter((key) => REQUEST_MESSAGES(key.split(".")[0]!))
      .filter((key) => !FIELD_CONSTRAINTS.some((c) => `${c.message}.${c.field}` === key) && EXEMPT[key] === undefined);
    expect(missing).toEqual([]);
  });
});
