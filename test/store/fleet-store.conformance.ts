/**
 * One conformance suite for the fleet store port (src/store/fleet/fleet-store.ts), run against every backend:
 * SQLite (test/store/sqlite-fleet-store.test.ts) and a real PostgreSQL (test/store/postgres-fleet-store.test.ts).
 * `open` gives a store on an empty database; the suite migrates it itself.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FleetStore } from '../../src/store/fleet/fleet-store.js';
import type { Attempt, LearnedPattern, Task } from '../../src/core/types.js';
import type { Escalation } from '../../src/store/escalation-repository.js';
import { escalationFixture } from '../support/tasks.js';
import type { Silence } from '../../src/store/silence-repository.js';

const T0 = Date.UTC(2026, 11, 3, 12);
const MINUTE = 60_000;

export function task(id: string, overrides: Partial<Task> = {}): Task {
  return {
    id,
    fingerprint: `fp-${id}`,
    service: 'web',
    unit: 'web.service',
    checkId: 'unit',
    symptom: 'unit_failed',
    signature: 'unit_failed:web',
    status: 'open',
    phase: null,
    message: 'web.service failed',
    evidence: { logs: ['line one', 'ünïcode and "quotes"'] } as unknown as Task['evidence'],
    detectedAt: T0,
    lastSeen: T0,
    occurrences: 1,
    closedAt: null,
    fixSuccessful: false,
    fixedByPhase: null,
    durationMs: null,
    reason: null,
    ...overrides,
  };
}

function attempt(id: string, taskId: string, overrides: Partial<Attempt> = {}): Attempt & { service: string } {
  return {
    id,
    taskId,
    service: 'web',
    phase: 1,
    source: 'learned',
    planKey: 'restart_unit(unit=web.service)',
    actions: [{ type: 'restart_unit', params: { unit: 'web.service' } }],
    reason: 'learned on web2',
    startedAt: T0 + 1_000,
    finishedAt: T0 + 3_000,
    outcome: 'success',
    detail: 'restarted',
    verification: null,
    ...overrides,
  };
}

function pattern(overrides: Partial<LearnedPattern & { profile: string | null }> = {}): LearnedPattern & { profile: string | null } {
  return {
    service: 'web',
    profile: 'nginx',
    signature: 'unit_failed:web',
    planKey: 'restart_unit(unit=web.service)',
    actions: [{ type: 'restart_unit', params: { unit: 'web.service' } }],
    successes: 3,
    failures: 1,
    weightedSuccesses: 3,
    weightedFailures: 1,
    confidence: 0.4,
    lastUsed: T0,
    ...overrides,
  };
}

function escalation(id: string, overrides: Partial<Escalation> = {}): Escalation {
  return escalationFixture(id, task('t1'), { evidence: {} as Escalation['evidence'], createdAt: T0, updatedAt: T0, ...overrides });
}

const host = (id: string, name = id) => ({ id, name, version: '0.1.0', startedAt: T0 });
const summary = { services: 3, failing: 0, escalated: 0, paused: false };

export function fleetStoreConformance(name: string, open: () => Promise<FleetStore>): void {
  describe(`the fleet store (${name})`, () => {
    let store: FleetStore;
    beforeEach(async () => {
      store = await open();
      await store.migrate();
    });
    afterEach(async () => {
      await store.close();
    });

    it('migrates to the same version however often it runs', async () => {
      const version = await store.migrate();
      expect(version).toBeGreaterThan(0);
      expect(await store.migrate()).toBe(version);
    });

    it('registers hosts by a stable id, and keeps their last heartbeat and summary', async () => {
      await store.registerHost(host('h-a', 'web1'));
      await store.registerHost(host('h-b', 'web2'));
      await store.heartbeat('h-a', T0 + MINUTE, { ...summary, failing: 1 });
      await store.registerHost({ ...host('h-a', 'web1.example'), version: '0.2.0' });
      const hosts = await store.hosts();
      expect(hosts.map((each) => each.id).sort()).toEqual(['h-a', 'h-b']);
      expect(hosts.find((each) => each.id === 'h-a')).toMatchObject({ name: 'web1.example', version: '0.2.0', lastSeen: T0 + MINUTE, summary: { failing: 1 }, silentSince: null });
    });

    it('lets exactly one daemon claim a silent host, and says when it is back', async () => {
      await store.registerHost(host('h-a'));
      await store.heartbeat('h-a', T0, summary);
      // Not silent yet: seen after the limit.
      expect(await store.claimSilentHost('h-a', T0 - 1, T0 + MINUTE)).toBe(false);
      const claims = await Promise.all([1, 2, 3, 4].map(() => store.claimSilentHost('h-a', T0 + 5 * MINUTE, T0 + 6 * MINUTE)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.claimSilentHost('h-a', T0 + 5 * MINUTE, T0 + 7 * MINUTE)).toBe(false);
      expect((await store.hosts())[0]!.silentSince).toBe(T0 + 6 * MINUTE);
      expect(await store.returnedHosts()).toEqual([]);
      await store.heartbeat('h-a', T0 + 8 * MINUTE, summary);
      expect(await store.returnedHosts()).toEqual(['h-a']);
      await store.clearSilentHost('h-a');
      expect(await store.returnedHosts()).toEqual([]);
      expect((await store.hosts())[0]!.silentSince).toBeNull();
    });

    it('upserts replicated tasks idempotently, per host, and filters them', async () => {
      await store.registerHost(host('h-a'));
      await store.registerHost(host('h-b'));
      await store.pushTasks('h-a', [task('t1'), task('t2', { service: 'db', detectedAt: T0 + 1 })]);
      await store.pushTasks('h-a', [task('t1')]);
      await store.pushTasks('h-b', [task('t1', { status: 'fixed', fixSuccessful: true, fixedByPhase: 1, closedAt: T0 + 5_000, durationMs: 5_000 })]);
      await store.pushTasks('h-a', [task('t1', { status: 'escalated', phase: 4 })]);
      const all = await store.tasks({ limit: 10 });
      expect(all).toHaveLength(3);
      expect(all[0]).toMatchObject({ id: 't2', host: 'h-a', service: 'db' });
      expect(all.find((each) => each.host === 'h-a' && each.id === 't1')).toMatchObject({
        status: 'escalated',
        phase: 4,
        evidence: { logs: ['line one', 'ünïcode and "quotes"'] },
      });
      expect(await store.tasks({ host: 'h-b', limit: 10 })).toEqual([expect.objectContaining({ id: 't1', status: 'fixed', fixedByPhase: 1, durationMs: 5_000 })]);
      expect((await store.tasks({ service: 'db', limit: 10 })).map((each) => each.id)).toEqual(['t2']);
      expect((await store.tasks({ status: 'escalated', limit: 10 })).map((each) => `${each.host}/${each.id}`)).toEqual(['h-a/t1']);
      expect(await store.tasks({ limit: 1 })).toHaveLength(1);
      expect(await store.task('h-b', 't1')).toMatchObject({ host: 'h-b', id: 't1', status: 'fixed' });
      expect(await store.task('h-b', 't2')).toBeUndefined();
      const counts = await store.taskCounts();
      expect(counts).toEqual(
        expect.arrayContaining([
          { host: 'h-a', service: 'web', status: 'escalated', count: 1 },
          { host: 'h-a', service: 'db', status: 'open', count: 1 },
          { host: 'h-b', service: 'web', status: 'fixed', count: 1 },
        ]),
      );
      expect(counts).toHaveLength(3);
    });

    it('keeps attempts and escalations per host, and updates them in place', async () => {
      await store.registerHost(host('h-a'));
      await store.pushAttempts('h-a', [attempt('a1', 't1', { finishedAt: null, outcome: null })]);
      await store.pushAttempts('h-a', [attempt('a1', 't1'), attempt('a2', 't1', { startedAt: T0 + 4_000, phase: 2, source: 'agent' })]);
      expect((await store.attempts('h-a', 't1')).map((each) => [each.id, each.outcome])).toEqual([
        ['a1', 'success'],
        ['a2', 'success'],
      ]);
      expect(await store.attempts('h-b', 't1')).toEqual([]);
      await store.pushEscalations('h-a', [escalation('e1')]);
      await store.pushEscalations('h-a', [escalation('e1', { status: 'acknowledged', acknowledgedAt: T0 + MINUTE, updatedAt: T0 + MINUTE })]);
      await store.pushEscalations('h-a', [escalation('e2', { status: 'resolved', createdAt: T0 + 2 * MINUTE })]);
      expect((await store.escalations({ limit: 10 })).map((each) => [each.host, each.id, each.status])).toEqual([
        ['h-a', 'e2', 'resolved'],
        ['h-a', 'e1', 'acknowledged'],
      ]);
      expect((await store.escalations({ status: 'acknowledged', limit: 10 })).map((each) => each.id)).toEqual(['e1']);
    });

    it("keeps each host's other repositories (verdicts, state, last-known-good states, the outbox) row by row", async () => {
      await store.pushRows('h-a', 'verdicts', [{ id: '1', data: { task_id: 't1', action: 'escalate', confidence: 0.5 } }], T0);
      await store.pushRows(
        'h-a',
        'verdicts',
        [
          { id: '1', data: { task_id: 't1', action: 'restart', confidence: 0.9 } },
          { id: '2', data: { task_id: 't1' } },
        ],
        T0 + 1,
      );
      await store.pushRows('h-b', 'verdicts', [{ id: '1', data: { task_id: 'other' } }], T0 + 2);
      await store.pushRows('h-a', 'state', [{ id: 'pause', data: { key: 'pause', value: '{"paused":true}' } }], T0 + 3);
      const verdicts = await store.rows({ kind: 'verdicts', limit: 10 });
      expect(verdicts.map((row) => [row.host, row.id, row.at])).toEqual([
        ['h-b', '1', T0 + 2],
        ['h-a', '1', T0 + 1],
        ['h-a', '2', T0 + 1],
      ]);
      expect(verdicts[1]!.data).toEqual({ task_id: 't1', action: 'restart', confidence: 0.9 });
      expect((await store.rows({ kind: 'verdicts', host: 'h-b', limit: 10 })).map((row) => row.data)).toEqual([{ task_id: 'other' }]);
      expect(await store.rows({ kind: 'verdicts', limit: 1 })).toHaveLength(1);
      expect(await store.rows({ kind: 'state', limit: 10 })).toEqual([{ host: 'h-a', kind: 'state', id: 'pause', at: T0 + 3, data: { key: 'pause', value: '{"paused":true}' } }]);
      expect(await store.rows({ kind: 'outbox', limit: 10 })).toEqual([]);
    });

    it('finds patterns learned on other hosts by service name or by profile, each with its host', async () => {
      await store.registerHost(host('h-a'));
      await store.registerHost(host('h-b'));
      await store.pushPatterns('h-a', [pattern()]);
      await store.pushPatterns('h-b', [
        pattern({
          service: 'frontend',
          successes: 1,
          failures: 0,
          actions: [{ type: 'restart_unit', params: { unit: 'frontend.service' } }],
          planKey: 'restart_unit(unit=frontend.service)',
        }),
      ]);
      await store.pushPatterns('h-b', [pattern({ signature: 'other', profile: null })]);
      // The same row again with new counts replaces it.
      await store.pushPatterns('h-a', [pattern({ successes: 4 })]);
      const byName = await store.patternsFor({ service: 'web', profile: null, signature: 'unit_failed:web' });
      expect(byName.map((each) => [each.host, each.service, each.successes])).toEqual([['h-a', 'web', 4]]);
      const byProfile = await store.patternsFor({ service: 'web', profile: 'nginx', signature: 'unit_failed:web' });
      expect(byProfile.map((each) => `${each.host}:${each.service}`).sort()).toEqual(['h-a:web', 'h-b:frontend']);
      expect(byProfile.find((each) => each.host === 'h-b')!.actions).toEqual([{ type: 'restart_unit', params: { unit: 'frontend.service' } }]);
      expect(await store.patterns()).toHaveLength(3);
    });

    it('grants a fleet lease to at most `limit` hosts at once, renews its holder, and frees it on release or expiry', async () => {
      const ask = (holder: string, now: number, limit = 1) => store.acquireLease({ key: 'web:restart_unit', holder, limit, ttlMs: MINUTE, now });
      const first = await ask('h-a', T0);
      expect(first).toMatchObject({ granted: true, lease: { key: 'web:restart_unit', holder: 'h-a', acquiredAt: T0, expiresAt: T0 + MINUTE } });
      expect(await ask('h-b', T0 + 1_000)).toEqual({ granted: false, heldBy: [expect.objectContaining({ holder: 'h-a' })] });
      expect(await ask('h-a', T0 + 2_000)).toMatchObject({ granted: true, lease: { holder: 'h-a', expiresAt: T0 + 2_000 + MINUTE } });
      expect(await ask('h-c', T0 + 3_000, 2)).toMatchObject({ granted: true });
      expect(await ask('h-b', T0 + 3_000, 2)).toMatchObject({ granted: false });
      expect((await store.leases(T0 + 3_000)).map((each) => each.holder).sort()).toEqual(['h-a', 'h-c']);
      await store.releaseLease('web:restart_unit', 'h-a');
      expect(await ask('h-b', T0 + 4_000, 2)).toMatchObject({ granted: true });
      // A daemon that died holding one: its lease ends by expiry.
      expect(await ask('h-d', T0 + 3_000 + MINUTE + 1, 2)).toMatchObject({ granted: true });
      expect((await store.leases(T0 + 3_000 + MINUTE + 1)).map((each) => each.holder).sort()).toEqual(['h-b', 'h-d']);
      // Other keys are separate.
      expect(await store.acquireLease({ key: 'db:restart_unit', holder: 'h-a', limit: 1, ttlMs: MINUTE, now: T0 + 4_000 })).toMatchObject({ granted: true });
    });

    it('never grants more leases than the limit to daemons asking at the same moment', async () => {
      const results = await Promise.all(['h-1', 'h-2', 'h-3', 'h-4', 'h-5'].map((holder) => store.acquireLease({ key: 'k', holder, limit: 2, ttlMs: MINUTE, now: T0 })));
      expect(results.filter((result) => result.granted)).toHaveLength(2);
      expect(await store.leases(T0)).toHaveLength(2);
    });

    it('keeps fleet-wide silences until they end or are expired, saying who expired them', async () => {
      const silence: Silence = {
        id: 's1',
        matchers: [{ name: 'service', operator: '=', value: 'web' }],
        startsAt: T0,
        endsAt: T0 + 60 * MINUTE,
        schedule: null,
        author: 'cli:alice',
        comment: 'kernel upgrade on every web host',
        createdAt: T0,
        expiredAt: null,
        expiredBy: null,
      };
      await store.addFleetSilence(silence);
      await store.addFleetSilence({ ...silence, id: 's2', endsAt: T0 + 2 * MINUTE });
      expect((await store.fleetSilences(T0 + MINUTE)).map((each) => each.id)).toEqual(['s2', 's1']);
      expect((await store.fleetSilences(T0 + 3 * MINUTE)).map((each) => each.id)).toEqual(['s1']);
      expect((await store.fleetSilences(T0))[1]).toEqual(silence);
      expect(await store.expireFleetSilence('s1', 'cli:bob', T0 + 4 * MINUTE)).toBe(true);
      expect(await store.expireFleetSilence('s1', 'cli:bob', T0 + 5 * MINUTE)).toBe(false);
      expect(await store.expireFleetSilence('nope', 'cli:bob', T0)).toBe(false);
      expect(await store.fleetSilences(T0 + 4 * MINUTE)).toEqual([]);
    });

    it('keeps the fleet kill switch with who set it and why', async () => {
      expect(await store.fleetPause()).toEqual({ paused: false, by: null, reason: null, since: null });
      await store.setFleetPause({ paused: true, by: 'token:alice', reason: 'bad release', at: T0 });
      expect(await store.fleetPause()).toEqual({ paused: true, by: 'token:alice', reason: 'bad release', since: T0 });
      await store.setFleetPause({ paused: false, by: 'cli:bob', at: T0 + MINUTE });
      expect(await store.fleetPause()).toMatchObject({ paused: false });
    });
  });
}
