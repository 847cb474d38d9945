// Gives generated values a short printed form, so a shrunk counterexample in
// a report reads as "what was broken, in which type, which bytes" instead of
// a dump of the generator's internal structure.
import fc from "fast-check";

/** Returns `value` with a non-enumerable fast-check printer producing `text`. */
export function readable<T extends object>(value: T, text: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => text, enumerable: false });
  return value;
}
