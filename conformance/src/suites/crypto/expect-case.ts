// The assertions crypto properties make: run one encryption case on the
// target, record it in the transcript, and charge the rule when the outcome
// is not what it requires.
import { errorCodeName, type ErrorCode } from "@kabar/protocol";
import type { PropertyContext } from "../../registry/property-registry.js";
import { RuleViolation } from "../../registry/rule-violation.js";
import type { CryptoCaseFields, CryptoCaseOutcome } from "../../targets/target-types.js";

/** A readable summary of an outcome. */
export function describeCaseOutcome(outcome: CryptoCaseOutcome): string {
  switch (outcome.kind) {
    case "completed":
      return `completed ${JSON.stringify(outcome.outputs).slice(0, 300)}`;
    case "rejected":
      return `rejected with ${errorCodeName(outcome.code)} (${JSON.stringify(outcome.message)})`;
    case "unsupported":
      return `unsupported: ${outcome.message}`;
    case "crashed":
      return `crashed: ${outcome.message}`;
  }
}

/** Runs `kind` on `inputs` against the target, recording both; returns the outcome. */
export async function runCase(context: PropertyContext<"crypto">, kind: string, inputs: CryptoCaseFields): Promise<CryptoCaseOutcome> {
  context.transcript.add("wire-out", { case: kind, inputs });
  const outcome = await context.target.runCase(kind, inputs);
  context.transcript.add("wire-in", describeCaseOutcome(outcome));
  return outcome;
}

/** Runs the case and requires it to complete; returns its outputs. */
export async function expectCompleted(context: PropertyContext<"crypto">, rule: string, kind: string, inputs: CryptoCaseFields, what: string): Promise<CryptoCaseFields> {
  const outcome = await runCase(context, kind, inputs);
  if (outcome.kind !== "completed") throw new RuleViolation(rule, `${what}: ${describeCaseOutcome(outcome)}; expected it to complete`);
  return outcome.outputs;
}

/** Runs the case and requires a rejection with one of `codes`; returns the rejection message. */
export async function expectRejected(context: PropertyContext<"crypto">, rule: string, kind: string, inputs: CryptoCaseFields, codes: readonly ErrorCode[], what: string): Promise<string> {
  const outcome = await runCase(context, kind, inputs);
  const expected = codes.map(errorCodeName).join(" or ");
  if (outcome.kind !== "rejected") throw new RuleViolation(rule, `${what}: ${describeCaseOutcome(outcome)}; expected rejection with ${expected}`);
  if (!codes.includes(outcome.code)) throw new RuleViolation(rule, `${what}: ${describeCaseOutcome(outcome)}; expected ${expected}`);
  return outcome.message;
}

/** Requires output `name` to equal `expected` (compared as JSON). */
export function expectOutput(rule: string, outputs: CryptoCaseFields, name: string, expected: unknown, what: string): void {
  const got = JSON.stringify(outputs[name]);
  const want = JSON.stringify(expected);
  if (got !== want) throw new RuleViolation(rule, `${what}: output ${name} is ${got?.slice(0, 200)}, expected ${want?.slice(0, 200)}`);
}

/** Lowercase hex of bytes, the encoding of byte strings in case inputs and outputs. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
/** Bytes of a hex output; a non-string is an empty array (the comparison then fails). */
export const unhex = (value: unknown): Uint8Array => new Uint8Array(typeof value === "string" ? Buffer.from(value, "hex") : []);
