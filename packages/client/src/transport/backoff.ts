// Reconnect delays: exponential growth capped at a maximum, with "full
// jitter" (a uniform draw between 0 and the capped exponential) so that many
// clients dropped at once do not reconnect in lockstep.

/** Backoff parameters. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry, milliseconds. */
  readonly baseMs: number;
  /** Largest delay ceiling, milliseconds. */
  readonly maxMs: number;
}

/** Defaults: 250 ms growing to 30 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 30_000 };

/** CLIENT-CONN-001: the delay before retry number `attempt` (0-based): uniform in [0, min(max, base * 2^attempt)). */
export function backoffDelay(attempt: number, random: () => number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
