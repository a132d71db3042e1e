/** Retry delays for notification deliveries: exponential, capped, jittered so retries do not stampede. */

/** Bounds of the exponential backoff (from `notify.retry`). */
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * The wait before retry number `attempt` (1 = after the first failure): `initial × 2^(attempt−1)` capped at
 * `max`, with *equal jitter* — half the delay is fixed and half random — so a retry never comes sooner than half
 * the nominal delay (a recovering server is not hammered) yet many senders still spread out.
 */
export function retryDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const initial = Math.max(0, options.initialDelayMs);
  const max = Math.max(initial, options.maxDelayMs);
  const nominal = Math.min(max, initial * 2 ** Math.min(exponent, 52));
  const fraction = Math.min(1, Math.max(0, random()));
  return Math.round(nominal / 2 + fraction * (nominal / 2));
}
