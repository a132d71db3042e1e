/**
 * Confidence of a learned pattern: the Wilson score lower bound of its success rate at z = 1 (one standard
 * deviation), over counts that decay with a half-life so that old evidence weighs less than new.
 *
 *   p = s / n,  n = s + f
 *   lower = (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)
 *
 * With z = 1 one clean success gives 0.5, two give 0.67, five give 0.83; one success and one failure give 0.21,
 * two successes and one failure 0.39. For a clean record of weight w the bound is w / (w + 1), so a single
 * success decays from 0.5 to 0.3 in about 37 days (half-life 30 days). Phase 1 uses patterns at or above its
 * threshold (default 0.3): a recent verified fix qualifies, a mixed record must be outweighed by successes,
 * and knowledge that is never confirmed again fades.
 */
export const CONFIDENCE_Z = 1;
export const DECAY_HALF_LIFE_MS = 30 * 86_400_000;

export function wilsonLowerBound(successes: number, failures: number, z = CONFIDENCE_Z): number {
  const n = successes + failures;
  if (n <= 0) return 0;
  const p = successes / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.max(0, (centre - margin) / (1 + z2 / n));
}

/** The factor by which a weight decays over `elapsedMs`. */
export function decayFactor(elapsedMs: number, halfLifeMs = DECAY_HALF_LIFE_MS): number {
  return elapsedMs <= 0 ? 1 : Math.pow(0.5, elapsedMs / halfLifeMs);
}
