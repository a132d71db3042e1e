/**
 * A fleet store of three hosts for the fleet dashboard's tests, written through the port as the daemons would:
 * web1 (healthy), web2 (a fault escalated, one being fixed) and db1 (silent: last heard from 10 minutes ago),
 * tasks on each, escalations, the same plan learned on web1 and web2, a lease held by web1.
 */
import { escalationFixture, taskFixture } from '../support/tasks.js';
import type { Attempt, LearnedPattern, Task } from '../../src/core/types.js';
import { SqliteFleetStore } from '../../src/store/fleet/sqlite-fleet-store.js';

export const MINUTE = 60_000;
export const PLAN = 'restart_unit(unit=web.service)';

export function fleetTask(id: string, service: string, at: number, overrides: Partial<Task> = {}): Task {
  return taskFixture(at, service, { id, ...overrides });
}

function pattern(service: string, profile: string | null, successes: number, failures: number, lastUsed: number, planKey = PLAN): LearnedPattern & { profile: string | null } {
  return {
    service,
    profile,
    signature: 'unit_failed:exit-code',
    planKey,
    actions: [{ type: 'restart_unit', params: { unit: `${service}.service` } }],
    successes,
    failures,
    weightedSuccesses: successes,
    weightedFailures: failures,
    confidence: 0.5,
    lastUsed,
  };
}

export interface SeededFleet {
  fleet: SqliteFleetStore;
  tasks: Record<'web1Fixed' | 'web2Escalated' | 'web2Open' | 'db1Open', Task>;
  attempt: Attempt;
}

/** Seeds a fresh in-memory fleet store as of `now`. */
export async function seedFleet(now: number): Promise<SeededFleet> {
  const fleet = new SqliteFleetStore(':memory:');
  await fleet.migrate();
  const summary = { services: 2, failing: 0, escalated: 0, paused: false };
  await fleet.registerHost({ id: 'h-web1', name: 'web1', version: '0.3.0', startedAt: now - 60 * MINUTE });
  await fleet.registerHost({ id: 'h-web2', name: 'web2', version: '0.3.0', startedAt: now - 60 * MINUTE });
  await fleet.registerHost({ id: 'h-db1', name: 'db1', version: '0.2.9', startedAt: now - 60 * MINUTE });
  await fleet.heartbeat('h-web1', now - 20_000, summary);
  await fleet.heartbeat('h-web2', now - 10_000, { ...summary, failing: 1, escalated: 1 });
  await fleet.heartbeat('h-db1', now - 10 * MINUTE, { ...summary, services: 1 });

  const tasks = {
    web1Fixed: fleetTask('t-web1-1', 'web', now - 50 * MINUTE, { status: 'fixed', phase: 1, fixSuccessful: true, fixedByPhase: 1, closedAt: now - 49 * MINUTE }),
    web2Escalated: fleetTask('t-web2-1', 'web', now - 40 * MINUTE, { status: 'escalated', phase: 3, reason: 'not fixed' }),
    web2Open: fleetTask('t-web2-2', 'cache', now - 5 * MINUTE),
    db1Open: fleetTask('t-db1-1', 'db', now - 12 * MINUTE, { status: 'running', phase: 1 }),
  };
  await fleet.pushTasks('h-web1', [tasks.web1Fixed, fleetTask('t-web1-2', 'api', now - 30 * MINUTE, { status: 'recovered', closedAt: now - 29 * MINUTE })]);
  await fleet.pushTasks('h-web2', [tasks.web2Escalated, tasks.web2Open]);
  await fleet.pushTasks('h-db1', [tasks.db1Open]);

  const attempt: Attempt = {
    id: 'a-web2-1',
    taskId: tasks.web2Escalated.id,
    phase: 1,
    source: 'learned',
    planKey: PLAN,
    actions: [{ type: 'restart_unit', params: { unit: 'web.service' } }],
    reason: 'learned on web1',
    startedAt: now - 39 * MINUTE,
    finishedAt: now - 38 * MINUTE,
    outcome: 'failure',
    detail: 'still failing after the restart',
    verification: null,
  };
  await fleet.pushAttempts('h-web2', [{ ...attempt, service: 'web' }]);

  await fleet.pushEscalations('h-web2', [escalationFixture('e-web2-1', tasks.web2Escalated)]);
  await fleet.pushEscalations('h-db1', [escalationFixture('e-db1-1', tasks.db1Open, { status: 'acknowledged', acknowledgedAt: now - 11 * MINUTE, acknowledgedBy: 'token:alice' })]);
  await fleet.pushEscalations('h-web1', [escalationFixture('e-web1-old', tasks.web1Fixed, { status: 'resolved', resolvedAt: now - 49 * MINUTE })]);

  await fleet.pushPatterns('h-web1', [pattern('web', 'nginx', 4, 0, now - 50 * MINUTE), pattern('www', 'nginx', 1, 0, now - 55 * MINUTE)]);
  await fleet.pushPatterns('h-web2', [pattern('web', 'nginx', 1, 2, now - 39 * MINUTE), pattern('web', 'nginx', 0, 1, now - 45 * MINUTE, 'reload_unit(unit=web.service)')]);
  await fleet.pushPatterns('h-db1', [pattern('db', null, 2, 0, now - 100 * MINUTE, 'restart_unit(unit=db.service)')]);

  await fleet.acquireLease({ key: 'restart_unit:web', holder: 'h-web1', limit: 1, ttlMs: 5 * MINUTE, now: now - MINUTE });
  return { fleet, tasks, attempt };
}
