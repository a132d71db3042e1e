import { describe, expect, it } from 'vitest';
import { SafetyPolicy } from './safety-policy.js';
import { PolicyRefusal } from '../core/errors.js';
import { ManualClock } from '../../test/support/manual-clock.js';

function policy(options: { dryRun?: boolean; paused?: boolean } = {}, clock = new ManualClock()) {
  let paused = options.paused ?? false;
  const instance = new SafetyPolicy({
    clock,
    dryRun: options.dryRun ?? false,
    budget: { actions: 3, windowMs: 15 * 60_000 },
    rateLimit: { actions: 5, windowMs: 60_000 },
    isPaused: () => paused,
  });
  return { instance, clock, setPaused: (value: boolean) => (paused = value) };
}

function refusal(work: () => void): string | undefined {
  try {
    work();
    return undefined;
  } catch (error) {
    if (error instanceof PolicyRefusal) return error.reason;
    throw error;
  }
}

describe('SafetyPolicy', () => {
  it('allows 3 actions per service in 15 minutes, then refuses until the window slides', () => {
    const { instance, clock } = policy();
    for (let index = 0; index < 3; index++) expect(refusal(() => instance.authorize('web', {}))).toBeUndefined();
    expect(refusal(() => instance.authorize('web', {}))).toBe('budget');
    expect(refusal(() => instance.authorize('db', {}))).toBeUndefined();
    clock.advance(15 * 60_000 + 1);
    expect(refusal(() => instance.authorize('web', {}))).toBeUndefined();
  });

  it('lets a retry a person asked for past the exhausted budget, but not past the kill switch or operator intent', () => {
    const { instance, setPaused } = policy();
    for (let index = 0; index < 3; index++) instance.authorize('web', {});
    expect(refusal(() => instance.authorize('web', {}))).toBe('budget');
    expect(refusal(() => instance.authorize('web', { humanAsked: true }))).toBeUndefined();
    expect(refusal(() => instance.authorize('web', { humanAsked: true, unitFileState: 'masked' }))).toBe('operator_intent');
    setPaused(true);
    expect(refusal(() => instance.authorize('web', { humanAsked: true }))).toBe('paused');
  });

  it('applies a global rate limit across services', () => {
    const { instance } = policy();
    for (const service of ['a', 'b', 'c', 'd', 'e']) instance.authorize(service, {});
    expect(refusal(() => instance.authorize('f', {}))).toBe('rate_limit');
  });

  it('refuses masked and disabled units, dry runs and a paused daemon without spending budget', () => {
    const { instance, setPaused } = policy({ dryRun: true });
    expect(refusal(() => instance.authorize('web', { unitFileState: 'masked' }))).toBe('operator_intent');
    expect(refusal(() => instance.authorize('web', { unitFileState: 'disabled' }))).toBe('operator_intent');
    expect(refusal(() => instance.authorize('web', { unitFileState: 'enabled' }))).toBe('dry_run');
    setPaused(true);
    expect(refusal(() => instance.authorize('web', {}))).toBe('paused');
    expect(instance.remainingBudget('web')).toBe(3);
  });

  it('keeps the budget across a restart by seeding from recorded actions', () => {
    const clock = new ManualClock();
    const { instance } = policy({}, clock);
    instance.seed([
      { service: 'web', at: clock.now() - 60_000 },
      { service: 'web', at: clock.now() - 120_000 },
      { service: 'web', at: clock.now() - 20 * 60_000 },
    ]);
    expect(instance.remainingBudget('web')).toBe(1);
  });
});
