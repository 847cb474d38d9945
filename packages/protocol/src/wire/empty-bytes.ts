/**
 * The shared zero-length byte array the generated codecs use as the default
 * of every `bytes` field (scripts/generate.mjs rewrites ts-proto's
 * `new Uint8Array(0)` to it). A zero-length array has no element to write
 * through, and it is frozen so no property can be added to it either.
 */
export const EMPTY_BYTES: Uint8Array<ArrayBuffer> = Object.freeze(new Uint8Array(0)) as Uint8Array<ArrayBuffer>;
