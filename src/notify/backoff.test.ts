import { describe, expect, it } from 'vitest';
import { retryDelay } from './backoff.js';

const options = { initialDelayMs: 1_000, maxDelayMs: 60_000 };

describe('retryDelay', () => {
  it('doubles per attempt (upper bound with random = 1)', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelay(attempt, options, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('never goes below half the nominal delay (equal jitter)', () => {
    expect([1, 2, 3].map((attempt) => retryDelay(attempt, options, () => 0))).toEqual([500, 1_000, 2_000]);
    expect(retryDelay(3, options, () => 0.5)).toBe(3_000);
  });

  it('is capped at maxDelayMs however many attempts', () => {
    expect(retryDelay(7, options, () => 1)).toBe(60_000);
    expect(retryDelay(10_000, options, () => 1)).toBe(60_000);
    expect(retryDelay(10_000, options, () => 0)).toBe(30_000);
  });

  it('stays within bounds for any random value, even an out-of-range one', () => {
    for (const random of [-1, 0, 0.25, 0.999, 2]) {
      const delay = retryDelay(2, options, () => random);
      expect(delay).toBeGreaterThanOrEqual(1_000);
      expect(delay).toBeLessThanOrEqual(2_000);
    }
  });

  it('treats attempt 0 or less as the first', () => {
    expect(retryDelay(0, options, () => 1)).toBe(1_000);
  });
});
