/** Fleet-wide learning's rule: local evidence wins, the fleet's counts are pooled and decayed, plans must be portable. */
import { describe, expect, it } from 'vitest';
import { portable, withFleetPatterns } from '../../src/fleet/fleet-learning.js';
import type { LearnedPattern } from '../../src/core/types.js';
import type { FleetPatternRow } from '../../src/store/fleet/fleet-store.js';

const NOW = Date.UTC(2026, 11, 3);
const DAY = 86_400_000;
const restart = (unit: string) => ({ planKey: `restart_unit(unit=${unit})`, actions: [{ type: 'restart_unit', params: { unit } }] });
const row = (host: string, successes: number, failures: number, overrides: Partial<FleetPatternRow> = {}): FleetPatternRow => ({
  host,
  profile: 'nginx',
  service: 'web',
  signature: 'unit_failed:signal',
  ...restart('web.service'),
  successes,
  failures,
  lastUsed: NOW,
  ...overrides,
});
const service = { name: 'web', unit: 'web.service', dependsOn: ['db.service'] };

describe('fleet-wide learning', () => {
  it("judges a plan this host knows by this host's record alone, even when the fleet disagrees", () => {
    const local: LearnedPattern = {
      service: 'web',
      signature: 'unit_failed:signal',
      ...restart('web.service'),
      successes: 0,
      failures: 3,
      weightedSuccesses: 0,
      weightedFailures: 3,
      confidence: 0,
      lastUsed: NOW,
    };
    const candidates = withFleetPatterns([local], [row('h2', 40, 0), row('h3', 10, 0)], { hostId: 'h1', service, now: NOW });
    expect(candidates).toEqual([local]);
  });

  it("pools the other hosts' outcomes of a plan this host has not tried, decayed by age, and ignores its own rows", () => {
    const [candidate, ...rest] = withFleetPatterns([], [row('h2', 3, 1), row('h3', 2, 0, { lastUsed: NOW - 30 * DAY }), row('h1', 0, 9)], { hostId: 'h1', service, now: NOW });
    expect(rest).toEqual([]);
    expect(candidate).toMatchObject({ successes: 5, failures: 1, weightedSuccesses: 4, weightedFailures: 1, fleet: { hosts: ['h2', 'h3'] } });
    expect(candidate!.confidence).toBeGreaterThan(0.4);
  });

  it("takes a plan from another service (same profile) only when every unit it names is this service's or a dependency", () => {
    expect(portable(row('h2', 1, 0, { service: 'frontend', ...restart('frontend.service') }), service)).toBe(false);
    expect(portable(row('h2', 1, 0, { service: 'frontend', ...restart('web.service') }), service)).toBe(true);
    expect(portable(row('h2', 1, 0, { service: 'frontend', ...restart('db.service') }), service)).toBe(true);
    expect(withFleetPatterns([], [row('h2', 5, 0, { service: 'frontend', ...restart('frontend.service') })], { hostId: 'h1', service, now: NOW })).toEqual([]);
  });
});
