// The client's non-deterministic inputs sit behind these two ports so that
// tests replay backoff schedules, timeouts and ids exactly.

/** A handle returned by {@link Clock.setTimeout}. */
export interface TimerHandle {
  /** Cancels the timer; a no-op when it already fired. */
  cancel(): void;
}

/** Time as the client sees it. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
}

/** Randomness the client draws for jitter and ids. */
export interface Random {
  /** A float in [0, 1), for backoff jitter. */
  float(): number;
  /** `length` uniformly random bytes, for client message ids and request ids. */
  bytes(length: number): Uint8Array;
}

/** The wall clock and Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    // A pending retry or request timeout must never keep a process alive.
    timer.unref?.();
    return { cancel: () => clearTimeout(timer) };
  },
};

/** Node's CSPRNG; ids must be unguessable because the server dedups on them. */
export const systemRandom: Random = {
  float: () => Math.random(),
  bytes: (length) => new Uint8Array(globalThis.crypto.getRandomValues(new Uint8Array(length))),
};
