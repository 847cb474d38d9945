// Addressing embedded messages inside an EncodedMessage, so a malformation
// can land at any nesting level and the enclosing lengths are recomputed.
import fc from "fast-check";
import { nestedField, type EncodedField, type EncodedMessage } from "./valid-messages.js";

/** A path of field indexes from the root to an embedded message; [] is the root. */
export type MessagePath = readonly number[];

/** Every path to an embedded message, the root included. */
export function messagePaths(message: EncodedMessage, prefix: MessagePath = []): MessagePath[] {
  const out: MessagePath[] = [prefix];
  message.fields.forEach((field, index) => {
    if (field.nested !== undefined) out.push(...messagePaths(field.nested, [...prefix, index]));
  });
  return out;
}

/** The embedded message at `path`. */
export function messageAtPath(message: EncodedMessage, path: MessagePath): EncodedMessage {
  return path.reduce((m, index) => m.fields[index]!.nested!, message);
}

/** `message` with the embedded message at `path` replaced by `fn` of it; enclosing lengths are recomputed. */
export function rewriteAtPath(message: EncodedMessage, path: MessagePath, fn: (sub: EncodedMessage) => EncodedMessage): EncodedMessage {
  if (path.length === 0) return fn(message);
  const [index, ...rest] = path as [number, ...number[]];
  const field = message.fields[index]!;
  const fields: EncodedField[] = [...message.fields];
  fields[index] = nestedField(field.number, rewriteAtPath(field.nested!, rest, fn));
  return { typeName: message.typeName, fields };
}

/** Picks one path of `message` whose embedded message satisfies `accept`; `null` when none does. */
export function somePath(message: EncodedMessage, accept: (sub: EncodedMessage) => boolean = () => true): fc.Arbitrary<MessagePath | null> {
  const candidates = messagePaths(message).filter((p) => accept(messageAtPath(message, p)));
  return candidates.length === 0 ? fc.constant(null) : fc.constantFrom(...candidates);
}
