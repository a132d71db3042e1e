/**
 * A time budget on the injected clock: an AbortSignal that aborts after `ms` of the clock's time, so phase
 * budgets run on the same clock as everything else (a manual clock in tests, no real waiting).
 */
import type { Clock } from './ports.js';

export interface ClockTimeout {
  readonly signal: AbortSignal;
  /** Stops the timer (the budget was not used up). */
  cancel(): void;
}

export function clockTimeout(clock: Clock, ms: number, reason = `timed out after ${ms} ms`): ClockTimeout {
  const expired = new AbortController();
  const cancelled = new AbortController();
  clock.sleep(ms, cancelled.signal).then(
    () => expired.abort(Object.assign(new Error(reason), { name: 'TimeoutError' })),
    () => undefined,
  );
  return { signal: expired.signal, cancel: () => cancelled.abort() };
}
