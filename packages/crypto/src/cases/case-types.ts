// Encryption cases: the named operations of the encryption chapter as pure
// functions of explicit inputs. The conformance kit sends them to any
// implementation (adapter op `crypto_case`) and compares the outcome with
// what the rules require; the reference runs them in-process.
import { ErrorCode } from "@kabar/protocol";
import type { CryptoProvider } from "../provider/crypto-provider.js";
import { fail } from "../errors.js";

/** A JSON value of case inputs or outputs; byte strings are lowercase hex. */
export type CaseValue = string | number | boolean | null | readonly CaseValue[] | { readonly [name: string]: CaseValue };

/** The inputs or outputs of one case: a JSON object. */
export type CaseFields = { readonly [name: string]: CaseValue };

/** Runs one kind of case; throws a KabarError to reject (its code is the outcome). */
export type CryptoCaseHandler = (inputs: CaseFields, provider: CryptoProvider) => CaseFields | Promise<CaseFields>;

/** Lowercase hex of bytes. */
export function caseHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
}

/** The byte-string input `name` (lowercase or upper-case hex); a missing or malformed one is the kit's fault: INVALID_REQUEST. */
export function caseBytes(inputs: CaseFields, name: string): Uint8Array {
  const value = inputs[name];
  if (typeof value !== "string" || value.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(value)) fail(ErrorCode.FRAME_FIELD_INVALID, `case input ${name} must be a hex string`);
  return new Uint8Array(Buffer.from(value, "hex"));
}

/** The integer input `name` (a JSON number, or a decimal string for values above 2^53). */
export function caseInteger(inputs: CaseFields, name: string): bigint {
  const value = inputs[name];
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?[0-9]+$/.test(value)) return BigInt(value);
  return fail(ErrorCode.FRAME_FIELD_INVALID, `case input ${name} must be an integer`);
}

/** The string input `name`. */
export function caseString(inputs: CaseFields, name: string): string {
  const value = inputs[name];
  if (typeof value !== "string") fail(ErrorCode.FRAME_FIELD_INVALID, `case input ${name} must be a string`);
  return value;
}
