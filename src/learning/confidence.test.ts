import { describe, expect, it } from 'vitest';
import { decayFactor, wilsonLowerBound, DECAY_HALF_LIFE_MS } from './confidence.js';

describe('wilsonLowerBound', () => {
  it('gives one clean success 0.5', () => {
    expect(wilsonLowerBound(1, 0)).toBeCloseTo(0.5, 5);
  });
  it('grows with more successes and falls with failures', () => {
    expect(wilsonLowerBound(2, 0)).toBeCloseTo(2 / 3, 5);
    expect(wilsonLowerBound(5, 0)).toBeGreaterThan(wilsonLowerBound(2, 0));
    expect(wilsonLowerBound(1, 1)).toBeLessThan(0.5);
    expect(wilsonLowerBound(10, 1)).toBeGreaterThan(0.75);
  });
  it('lets a single clean success fade below the default threshold 0.3 after about 37 days', () => {
    const weight = (days: number) => decayFactor(days * 86_400_000);
    expect(wilsonLowerBound(weight(30), 0)).toBeGreaterThan(0.3);
    expect(wilsonLowerBound(weight(40), 0)).toBeLessThan(0.3);
    expect(wilsonLowerBound(2, 1)).toBeGreaterThan(0.3);
    expect(wilsonLowerBound(1, 1)).toBeLessThan(0.3);
  });
  it('is zero with no evidence', () => {
    expect(wilsonLowerBound(0, 0)).toBe(0);
    expect(wilsonLowerBound(0, 3)).toBe(0);
  });
});

describe('decayFactor', () => {
  it('halves a weight per half-life', () => {
    expect(decayFactor(DECAY_HALF_LIFE_MS)).toBeCloseTo(0.5, 10);
    expect(decayFactor(2 * DECAY_HALF_LIFE_MS)).toBeCloseTo(0.25, 10);
    expect(decayFactor(0)).toBe(1);
    expect(decayFactor(-5)).toBe(1);
  });
});
