import { randomBytes } from "node:crypto";

/** The clock port: injected so tests control time (challenge expiry, rate limits, upload TTLs). */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

/** The randomness port: challenges and ids. */
export interface Random {
  /** `length` uniformly random bytes. */
  bytes(length: number): Uint8Array;
}

/** The real clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** The operating system's CSPRNG. */
export const systemRandom: Random = { bytes: (length) => new Uint8Array(randomBytes(length)) };
