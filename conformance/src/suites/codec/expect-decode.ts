// The one assertion every codec property makes: send an input to the
// decoder under test and compare what it did with what the rule requires,
// recording both in the transcript.
import { errorCodeName } from "@kabar/protocol";
import type { MalformedInput } from "../../generators/malformed-messages.js";
import type { PropertyContext } from "../../registry/property-registry.js";
import { RuleViolation } from "../../registry/rule-violation.js";
import { sameDecodedValue } from "../../codec/lax-decode.js";
import type { DecodeLimits, DecodeOutcome } from "../../targets/target-types.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** A readable summary of an outcome. */
export function describeOutcome(outcome: DecodeOutcome): string {
  switch (outcome.kind) {
    case "accepted":
      return `accepted (re-encoded ${outcome.reencoded.length} bytes)`;
    case "rejected":
      return `rejected with ${errorCodeName(outcome.code)}`;
    case "crashed":
      return `crashed: ${outcome.message}`;
  }
}

/**
 * Decodes `input` with the target and throws a RuleViolation of `rule` when
 * the outcome is not what the input's expectation allows. Returns the outcome.
 */
export async function expectDecode(context: PropertyContext<"codec">, rule: string, input: MalformedInput, limits: DecodeLimits = {}): Promise<DecodeOutcome> {
  context.transcript.add("wire-out", { type: input.typeName, what: input.what, limits, hex: hex(input.bytes) });
  const outcome = await context.target.decode(input.typeName, input.bytes, limits);
  context.transcript.add("wire-in", describeOutcome(outcome));
  const expected = input.expect.map(errorCodeName).join(" or ");
  if (outcome.kind === "crashed") throw new RuleViolation(rule, `${input.what}: the decoder ${describeOutcome(outcome)}; expected ${expected || "acceptance"}`);
  if (input.expect.length > 0) {
    if (outcome.kind === "accepted") throw new RuleViolation(rule, `${input.what}: accepted; expected rejection with ${expected}`);
    if (!input.expect.includes(outcome.code)) throw new RuleViolation(rule, `${input.what}: ${describeOutcome(outcome)}; expected ${expected}`);
    return outcome;
  }
  if (outcome.kind === "rejected") throw new RuleViolation(rule, `${input.what}: ${describeOutcome(outcome)}; expected acceptance`);
  const reference = input.equivalent ?? input.bytes;
  if (!sameDecodedValue(input.typeName, outcome.reencoded, reference)) {
    throw new RuleViolation(rule, `${input.what}: accepted but decoded to a different value (re-encoded ${hex(outcome.reencoded)}, expected the value of ${hex(reference)})`);
  }
  return outcome;
}
