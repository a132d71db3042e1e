/** Tasks as the pipeline writes them, for tests that seed a store through the real repositories. */
import type { Task } from '../../src/core/types.js';
import type { Stores } from '../../src/store/stores.js';
import type { Escalation } from '../../src/store/escalation-repository.js';

/** A failed-unit task of `service` detected at `now`, written to the store; `overrides` set its id and outcome. */
export function writeTask(stores: Stores, now: number, service: string, overrides: Partial<Task> & { id: string }): Task {
  const task = taskFixture(now, service, overrides);
  stores.tasks.create(task);
  return task;
}

/** The same task, not written anywhere (for a fleet store's rows). */
export function taskFixture(now: number, service: string, overrides: Partial<Task> & { id: string }): Task {
  return {
    fingerprint: `fp-${service}`,
    service,
    unit: `${service}.service`,
    checkId: 'unit',
    symptom: 'unit_failed',
    signature: 'unit_failed:exit-code',
    status: 'open',
    phase: null,
    message: `${service}.service failed`,
    evidence: { logs: ['boom'], checks: [{ checkId: 'unit', type: 'unit', ok: false, message: `${service}.service failed` }] },
    detectedAt: now,
    lastSeen: now,
    occurrences: 1,
    closedAt: null,
    fixSuccessful: false,
    fixedByPhase: null,
    durationMs: null,
    reason: null,
    ...overrides,
  };
}

/** An escalation of `task` opened a second after it was detected, as phase 4 writes it; `overrides` set its state. */
export function escalationFixture(id: string, task: Task, overrides: Partial<Escalation> = {}): Escalation {
  return {
    id,
    taskId: task.id,
    taskIds: [task.id],
    fingerprint: task.fingerprint,
    service: task.service,
    unit: task.unit,
    symptom: task.symptom,
    signature: task.signature,
    causeKey: null,
    grouped: [],
    reason: 'phases 1-3 failed',
    evidence: task.evidence,
    attempts: [],
    hypotheses: [],
    status: 'open',
    occurrences: 1,
    createdAt: task.detectedAt + 1_000,
    updatedAt: task.detectedAt + 1_000,
    acknowledgedAt: null,
    resolvedAt: null,
    resolution: null,
    note: null,
    fixes: [],
    reminders: 0,
    lastNotifiedAt: null,
    ...overrides,
  };
}
