// A seeded random source for test vectors and deterministic test runs only.
// It is an HMAC-SHA256 counter stream; never use it for real keys.
import { createHmac } from "node:crypto";
import type { RandomSource } from "./crypto-provider.js";

const LABEL = new TextEncoder().encode("kabar-v1 test-rng");

/**
 * Returns a deterministic {@link RandomSource}: block i of the stream is
 * HMAC-SHA256(seed, "kabar-v1 test-rng" || u64be(i)). For vectors and tests only.
 */
export function deterministicRandom(seed: Uint8Array): RandomSource {
  let counter = 0n;
  let pool = new Uint8Array(0);
  const key = new Uint8Array(seed);
  return (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (pool.length === 0) {
        const block = new Uint8Array(8);
        new DataView(block.buffer).setBigUint64(0, counter++, false);
        pool = new Uint8Array(createHmac("sha256", key).update(LABEL).update(block).digest());
      }
      const take = Math.min(pool.length, length - filled);
      out.set(pool.subarray(0, take), filled);
      pool = pool.subarray(take);
      filled += take;
    }
    return out;
  };
}
