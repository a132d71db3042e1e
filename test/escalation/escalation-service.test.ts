/** Phase 4 against real SQLite files: one escalation per fault, grouping by cause, auto-resolution, reminders, human fixes. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStores, type Stores } from '../../src/store/stores.js';
import { parseConfigText } from '../../src/config/load.js';
import { EscalationService } from '../../src/escalation/escalation-service.js';
import { ManualClock } from '../support/manual-clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { UsageError } from '../../src/core/errors.js';
import type { Task } from '../../src/core/types.js';
import { writeTask } from '../support/tasks.js';

let dataDir: string;
let stores: Stores;
let clock: ManualClock;
let service: EscalationService;
let ids = 0;

const config = parseConfigText(
  'notify: { webhooks: [{ name: ops, url: "http://127.0.0.1:9/hook" }], renotify: { after: 1h, times: 2 } }\nescalation: { autoResolveCycles: 3, flapWindow: 1h }\nservices:\n  - { name: web, unit: web.service, runtimeFiles: [/run/web/web.pid] }\n',
  'test',
);

function task(service: string, overrides: Partial<Task> = {}): Task {
  return writeTask(stores, clock.now(), service, { id: `task-${++ids}`, status: 'escalated', phase: 3, reason: 'not fixed', ...overrides });
}

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'orchestrator-escalation-'));
  stores = openStores(dataDir);
  clock = new ManualClock();
  service = new EscalationService({ stores, config, clock, newId: () => `e${++ids}`, logger: silentLogger, host: 'host1', channels: ['webhook:ops'] });
});
afterEach(() => {
  stores.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('EscalationService', () => {
  it('opens one escalation with a notification committed with it', () => {
    const escalation = service.escalate({ task: task('web'), reason: 'config test failed', causeKey: 'unit:web.service', hypotheses: ['phase 3 systems: restart'] });
    expect(escalation).toMatchObject({ status: 'open', occurrences: 1, service: 'web', hypotheses: ['phase 3 systems: restart'] });
    const queued = stores.outbox.forDedupKey(`${escalation.id}:escalation.opened`);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ channel: 'webhook:ops', status: 'pending' });
  });

  it('counts a flapping fault on the open escalation instead of opening another', () => {
    const first = service.escalate({ task: task('web'), reason: 'r', causeKey: 'unit:web.service', hypotheses: [] });
    clock.advance(60_000);
    const second = service.escalate({ task: task('web'), reason: 'r', causeKey: 'unit:web.service', hypotheses: [] });
    expect(second.id).toBe(first.id);
    expect(second.occurrences).toBe(2);
    expect(second.taskIds).toHaveLength(2);
    expect(stores.escalations.list()).toHaveLength(1);
    expect(stores.outbox.backlog().pending).toBe(1);
  });

  it('reopens an auto-resolved escalation when the fault returns within the flap window, and notifies again', () => {
    const first = service.escalate({ task: task('web'), reason: 'r', causeKey: 'unit:web.service', hypotheses: [] });
    for (let cycle = 0; cycle < 3; cycle++) service.observe(new Set(['web']));
    expect(stores.escalations.get(first.id)!.status).toBe('auto_resolved');
    clock.advance(10 * 60_000);
    const again = service.escalate({ task: task('web'), reason: 'r', causeKey: 'unit:web.service', hypotheses: [] });
    expect(again).toMatchObject({ id: first.id, status: 'open', occurrences: 2 });
    expect(stores.outbox.forDedupKey(`${first.id}:escalation.opened:occurrence-2`)).toHaveLength(1);
  });

  it('groups many services failing for one cause into one escalation that names it', () => {
    const first = service.escalate({ task: task('app1'), reason: 'r', causeKey: 'unit:db.service', hypotheses: [] });
    for (let index = 2; index <= 50; index++) service.escalate({ task: task(`app${index}`), reason: 'r', causeKey: 'unit:db.service', hypotheses: [] });
    const all = stores.escalations.list({ limit: 100 });
    expect(all).toHaveLength(1);
    expect(all[0]!.reason).toMatch(/^common cause: db.service is down/);
    expect(all[0]!.grouped).toHaveLength(49);
    expect(all[0]!.id).toBe(first.id);
  });

  it('auto-resolves after N consecutive healthy cycles only, closes its tasks, and says it recovered', () => {
    const opened = task('web');
    const escalation = service.escalate({ task: opened, reason: 'r', causeKey: null, hypotheses: [] });
    service.observe(new Set(['web']));
    service.observe(new Set(['web']));
    service.observe(new Set());
    service.observe(new Set(['web']));
    service.observe(new Set(['web']));
    expect(stores.escalations.get(escalation.id)!.status).toBe('open');
    service.observe(new Set(['web']));
    const resolved = stores.escalations.get(escalation.id)!;
    expect(resolved.status).toBe('auto_resolved');
    expect(resolved.resolution).toMatch(/healthy for 3 consecutive cycles/);
    expect(stores.tasks.get(opened.id)!.status).toBe('recovered');
    expect(stores.outbox.forDedupKey(`${escalation.id}:escalation.recovered`)).toHaveLength(1);
  });

  it('reminds about an unacknowledged escalation a bounded number of times, and not once acknowledged', () => {
    const escalation = service.escalate({ task: task('web'), reason: 'r', causeKey: null, hypotheses: [] });
    for (let hour = 0; hour < 5; hour++) {
      clock.advance(61 * 60_000);
      service.observe(new Set());
    }
    expect(stores.escalations.get(escalation.id)!.reminders).toBe(2);
    const other = service.escalate({ task: task('db'), reason: 'r', causeKey: null, hypotheses: [] });
    service.acknowledge(other.id, 'cli:root');
    clock.advance(2 * 3_600_000);
    service.observe(new Set());
    expect(stores.escalations.get(other.id)!.reminders).toBe(0);
  });

  it('learns a human fix so phase 1 tries it first, keeps the note, and refuses to resolve twice', async () => {
    const opened = task('web');
    const escalation = service.escalate({ task: opened, reason: 'r', causeKey: null, hypotheses: [] });
    const resolved = await service.resolve(escalation.id, {
      fixes: ['remove_stale_file:path=/run/web/web.pid', 'restart_unit'],
      note: 'cleared a stale pid',
      actor: 'token:alice',
    });
    expect(resolved).toMatchObject({ status: 'resolved', note: 'cleared a stale pid', resolvedBy: 'token:alice' });
    expect(stores.escalations.get(escalation.id)!.resolvedBy).toBe('token:alice');
    const [pattern] = stores.patterns.lookup('web', 'unit_failed:exit-code', clock.now());
    expect(pattern!.planKey).toBe('remove_stale_file(path=/run/web/web.pid) + restart_unit(unit=web.service)');
    expect(pattern!.confidence).toBeGreaterThanOrEqual(config.phases.quickFix.minConfidence);
    expect(stores.attempts.forTask(opened.id).at(-1)).toMatchObject({ source: 'human', phase: 4, outcome: 'success' });
    await expect(service.resolve(escalation.id, { fixes: [], actor: 'cli:root' })).rejects.toThrow(UsageError);
    expect(() => service.acknowledge(escalation.id, 'cli:root')).toThrow(/already|only an open/);
  });

  it('records a retry request once (only on an active escalation), and resolves when the daemon fixed the task, telling whoever was told', () => {
    const opened = task('web');
    const escalation = service.escalate({ task: opened, reason: 'r', causeKey: null, hypotheses: [] });
    clock.advance(1000);
    const requested = service.requestRetry(escalation.id, 'token:bob');
    expect(stores.escalations.get(escalation.id)!.retryRequestedBy).toBe('token:bob');
    expect(stores.escalations.get(escalation.id)!.retryRequestedAt).toBe(requested.retryRequestedAt);
    expect(requested.retryRequestedAt).toBe(clock.now());
    service.retryTaken(stores.escalations.get(escalation.id)!);
    expect(stores.escalations.get(escalation.id)!.retryRequestedAt).toBeNull();
    stores.tasks.finish(opened.id, { status: 'fixed', fixSuccessful: true, fixedByPhase: 1, closedAt: clock.now(), durationMs: 1000, reason: 'started' });
    const resolved = service.taskFixed(opened.id, 'the program /usr/bin/web is back; start_unit(unit=web.service) verified')!;
    expect(resolved).toMatchObject({
      status: 'auto_resolved',
      resolution: 'auto-resolved: the orchestrator finished the job: the program /usr/bin/web is back; start_unit(unit=web.service) verified',
      resolvedBy: 'orchestrator',
      retryRequestedBy: 'token:bob',
    });
    expect(stores.outbox.forDedupKey(`${escalation.id}:escalation.recovered`)).toHaveLength(1);
    expect(stores.tasks.get(opened.id)!.status).toBe('fixed');
    expect(() => service.requestRetry(escalation.id, 'cli:root')).toThrow(/is auto-resolved; only an open or acknowledged escalation can be retried/);
    expect(() => service.requestRetry('nope', 'cli:root')).toThrow(UsageError);
    expect(service.taskFixed(opened.id, 'again')).toBeUndefined();
  });

  it('rejects an unknown id or an invalid fix and changes nothing', async () => {
    const escalation = service.escalate({ task: task('web'), reason: 'r', causeKey: null, hypotheses: [] });
    await expect(service.resolve('nope', { fixes: [], actor: 'cli:root' })).rejects.toThrow(/no escalation with id "nope"/);
    await expect(service.resolve(escalation.id, { fixes: ['rm_rf:path=/'], actor: 'cli:root' })).rejects.toThrow(/not a catalog action/);
    await expect(service.resolve(escalation.id, { fixes: ['remove_stale_file:path=../../etc/passwd'], actor: 'cli:root' })).rejects.toThrow(UsageError);
    expect(stores.escalations.get(escalation.id)!.status).toBe('open');
    expect(stores.patterns.all(clock.now())).toHaveLength(0);
  });
});
