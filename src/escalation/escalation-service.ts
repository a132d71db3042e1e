/**
 * Phase 4, local escalation: what phases 1–3 could not fix reaches a human once, with everything needed to act.
 * A fault that comes back (flapping) or a fault with the same cause (a dependency down, a full disk) joins the
 * active escalation instead of opening another. The escalation and its notifications commit in one
 * transaction; delivery happens later from the outbox. Escalations auto-resolve after N healthy cycles, remind
 * when unacknowledged, and a human's resolution with the fixing action is learned like any other outcome.
 */
import type { CompiledConfig } from '../config/compiled.js';
import type { Clock, IdGenerator } from '../core/ports.js';
import type { Action, Attempt, Task } from '../core/types.js';
import { UsageError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Stores } from '../store/stores.js';
import type { Escalation } from '../store/escalation-repository.js';
import type { NotificationKind } from '../core/notification.js';
import { ACTION_TYPES, isCatalogAction, planKey, validateAction } from '../actions/catalog.js';
import { actionDefinition } from '../actions/definitions/index.js';
import { scopeViolation, type ExecutionScope } from '../actions/scope.js';
import { scopeOf, serviceOfTask } from '../actions/task-scope.js';
import { buildLeftAloneNotification, buildNotification } from './notification-builder.js';

export interface EscalationServiceDependencies {
  stores: Stores;
  config: CompiledConfig;
  clock: Clock;
  newId: IdGenerator;
  logger: Logger;
  host: string;
  /** Names of the configured delivery channels ("email", "webhook:ops"); notifications are queued for each. */
  channels: readonly string[];
  /**
   * The scope a human's fix is judged against before it is recorded (the same scope the pipeline uses). Without
   * it, the scope comes from the configuration alone (no unit-declared dependencies or runtime directories).
   */
  scopeFor?: (escalation: Escalation) => Promise<ExecutionScope | undefined>;
  /** What silences a service now (a silence, a maintenance window): its notifications are not sent meanwhile. */
  silenced?: (service: string) => { id: string } | undefined;
}

/** Who resolved an escalation that resolved itself (its checks passed again, or the daemon finished the job). */
export const AUTOMATIC_ACTOR = 'orchestrator';

export interface EscalationRequest {
  task: Task;
  reason: string;
  /** unit:<dependency> when a dependency is down, host:disk:<mount> for a full disk, else unit:<own unit>. */
  causeKey: string | null;
  /** The agents' verdicts, one line each. */
  hypotheses: string[];
}

export class EscalationService {
  private readonly healthyStreak = new Map<string, number>();

  constructor(private readonly dependencies: EscalationServiceDependencies) {}

  /** Opens an escalation for a task, or joins the active one of the same fault or cause. Returns its id. */
  escalate(request: EscalationRequest): Escalation {
    const { stores, config, clock, newId, logger } = this.dependencies;
    const { task } = request;
    const now = clock.now();
    const attempts = stores.attempts.forTask(task.id);
    return stores.escalations.transaction(() => {
      const flapping = stores.escalations.latestForFingerprint(task.fingerprint, now - config.escalation.flapWindowMs);
      const sameCause = request.causeKey ? stores.escalations.activeForCause(request.causeKey, 0) : undefined;
      const existing = flapping ?? sameCause;
      if (existing) {
        const active = existing.status === 'open' || existing.status === 'acknowledged';
        const joined: Escalation = {
          ...existing,
          taskIds: [...new Set([...existing.taskIds, task.id])],
          grouped: task.service === existing.service || existing.grouped.includes(task.service) ? existing.grouped : [...existing.grouped, task.service],
          occurrences: existing.occurrences + 1,
          attempts: [...existing.attempts, ...attempts].slice(-50),
          evidence: task.service === existing.service ? task.evidence : existing.evidence,
          retryRequestedAt: null,
          hypotheses: request.hypotheses.length > 0 ? request.hypotheses : existing.hypotheses,
          status: active ? existing.status : 'open',
          resolvedAt: active ? existing.resolvedAt : null,
          resolvedBy: active ? (existing.resolvedBy ?? null) : null,
          resolution: active ? existing.resolution : null,
          updatedAt: now,
        };
        stores.escalations.update(joined);
        if (!active) this.notify(joined, 'escalation.opened', `occurrence-${joined.occurrences}`);
        logger.warn(
          { escalation: joined.id, task: task.id, service: task.service, occurrences: joined.occurrences, why: flapping ? 'flapping' : `same cause ${request.causeKey}` },
          active
            ? `joined the open escalation ${joined.id} (${flapping ? 'the same fault again' : `same cause: ${request.causeKey}`})`
            : `reopened escalation ${joined.id}: the fault came back`,
        );
        return joined;
      }
      const escalation: Escalation = {
        id: newId(),
        taskId: task.id,
        taskIds: [task.id],
        fingerprint: task.fingerprint,
        service: task.service,
        unit: task.unit,
        symptom: task.symptom,
        signature: task.signature,
        causeKey: request.causeKey,
        grouped: [],
        reason:
          request.causeKey?.startsWith('unit:') && request.causeKey !== `unit:${task.unit}`
            ? `common cause: ${request.causeKey.slice(5)} is down\n${request.reason}`
            : request.reason,
        evidence: task.evidence,
        attempts,
        hypotheses: request.hypotheses,
        status: 'open',
        occurrences: 1,
        createdAt: now,
        updatedAt: now,
        acknowledgedAt: null,
        resolvedAt: null,
        resolution: null,
        note: null,
        fixes: [],
        reminders: 0,
        lastNotifiedAt: null,
      };
      stores.escalations.create(escalation);
      this.notify(escalation, 'escalation.opened');
      logger.warn({ escalation: escalation.id, task: task.id, service: task.service }, `escalated: ${request.reason.split('\n')[0]}`);
      return escalation;
    });
  }

  /**
   * A configured service is down and left alone (its unit is disabled or masked: operator intent): whoever gets
   * escalations is told once per task ("<service> is down, left alone because the unit is disabled"), so a
   * service someone expects to run is not down unnoticed. Nothing is escalated: there is nothing to resolve.
   * Returns the notifications queued (0 without channels, for a discovered unit, while silenced, or when already told).
   */
  leftAlone(task: Task): number {
    const { stores, config, clock, host, channels, logger, silenced } = this.dependencies;
    if (channels.length === 0 || !config.services.some((service) => service.name === task.service && !service.discovered)) return 0;
    const silence = silenced?.(task.service);
    if (silence) {
      logger.info({ task: task.id, service: task.service, silence: silence.id }, `service.left_alone not sent: ${task.service} is silenced (${silence.id})`);
      return 0;
    }
    const now = clock.now();
    const queued = stores.outbox.enqueue(buildLeftAloneNotification(task, { at: now, host, dashboardUrl: config.notify.dashboardUrl }), channels, now);
    if (queued > 0) logger.info({ task: task.id, service: task.service }, `told ${channels.join(', ')}: ${task.service} is down and left alone (operator intent)`);
    return queued;
  }

  /** The fault of an escalated task came back after the service looked healthy again (flapping): count it. */
  recordRecurrence(task: Task): void {
    const { stores, clock, logger } = this.dependencies;
    const escalation = stores.escalations.forTask(task.id);
    if (!escalation || (escalation.status !== 'open' && escalation.status !== 'acknowledged')) return;
    this.healthyStreak.delete(escalation.id);
    stores.escalations.update({ ...escalation, occurrences: escalation.occurrences + 1, updatedAt: clock.now() });
    logger.warn({ escalation: escalation.id, service: task.service, occurrences: escalation.occurrences + 1 }, 'the escalated fault came back after a recovery (flapping)');
  }

  /**
   * After a full cycle: auto-resolves escalations whose services were healthy for N consecutive cycles (closing
   * their tasks as recovered), and reminds about open ones nobody acknowledged.
   */
  observe(healthy: ReadonlySet<string>): void {
    const { stores, config, clock, logger } = this.dependencies;
    const now = clock.now();
    for (const escalation of stores.escalations.active()) {
      const services = [escalation.service, ...escalation.grouped];
      if (services.every((service) => healthy.has(service))) {
        const streak = (this.healthyStreak.get(escalation.id) ?? 0) + 1;
        this.healthyStreak.set(escalation.id, streak);
        if (streak >= config.escalation.autoResolveCycles) {
          this.healthyStreak.delete(escalation.id);
          const resolution = `auto-resolved: ${services.join(', ')} healthy for ${streak} consecutive cycles`;
          this.close(escalation, 'auto_resolved', resolution, 'escalation.recovered', now, AUTOMATIC_ACTOR);
          logger.info({ escalation: escalation.id, service: escalation.service }, resolution);
          continue;
        }
      } else {
        this.healthyStreak.delete(escalation.id);
      }
      const { afterMs, times } = config.notify.renotify;
      const last = escalation.lastNotifiedAt ?? escalation.createdAt;
      if (escalation.status === 'open' && escalation.reminders < times && now - last >= afterMs && this.dependencies.channels.length > 0) {
        const reminded = { ...escalation, reminders: escalation.reminders + 1, updatedAt: now };
        stores.escalations.transaction(() => {
          stores.escalations.update(reminded);
          this.notify(reminded, 'escalation.reminder', `reminder-${reminded.reminders}`);
        });
      }
    }
  }

  /**
   * Asks the daemon to finish the job now (start, verify) whatever the block says; it does so at its next cycle.
   * `actor` is who asked (`token:<name>`, `cli:<user>`), kept with the escalation.
   */
  requestRetry(id: string, actor: string): Escalation {
    const escalation = this.find(id);
    if (escalation.status !== 'open' && escalation.status !== 'acknowledged') {
      throw new UsageError(`escalation ${escalation.id} is ${escalation.status.replace('_', '-')}; only an open or acknowledged escalation can be retried`);
    }
    const now = this.dependencies.clock.now();
    const requested: Escalation = { ...escalation, retryRequestedAt: now, retryRequestedBy: actor, updatedAt: now };
    this.dependencies.stores.escalations.update(requested);
    return requested;
  }

  /** The daemon took the retry request: it is cleared, so it is acted on once. */
  retryTaken(escalation: Escalation): void {
    this.dependencies.stores.escalations.update({ ...escalation, retryRequestedAt: null, updatedAt: this.dependencies.clock.now() });
  }

  /**
   * A task of an active escalation was fixed by the daemon (it retried once the block cleared, or on request):
   * the escalation is resolved and whoever was told is told it is over.
   */
  taskFixed(taskId: string, how: string): Escalation | undefined {
    const { stores, logger, clock } = this.dependencies;
    const escalation = stores.escalations.forTask(taskId);
    if (!escalation || (escalation.status !== 'open' && escalation.status !== 'acknowledged')) return undefined;
    const resolution = `auto-resolved: the orchestrator finished the job: ${how}`;
    // Other active escalations of this service alone end with it: the service was just verified healthy.
    const same = stores.escalations.active().filter((other) => other.id !== escalation.id && other.service === escalation.service && other.grouped.length === 0);
    for (const other of [escalation, ...same]) {
      this.healthyStreak.delete(other.id);
      logger.info({ escalation: other.id, service: other.service, task: taskId }, resolution);
      this.close({ ...other, retryRequestedAt: null }, 'auto_resolved', resolution, 'escalation.recovered', clock.now(), AUTOMATIC_ACTOR);
    }
    return stores.escalations.get(escalation.id);
  }

  /** What a task's escalation stood for is over on its own (a silent host reports again): resolved, and said. */
  recovered(taskId: string, resolution: string): Escalation | undefined {
    const { stores, logger, clock } = this.dependencies;
    const escalation = stores.escalations.forTask(taskId);
    if (!escalation || (escalation.status !== 'open' && escalation.status !== 'acknowledged')) return undefined;
    this.healthyStreak.delete(escalation.id);
    logger.info({ escalation: escalation.id, service: escalation.service, task: taskId }, resolution);
    this.close(escalation, 'auto_resolved', `auto-resolved: ${resolution}`, 'escalation.recovered', clock.now(), AUTOMATIC_ACTOR);
    return stores.escalations.get(escalation.id);
  }

  /** A human is on it (reminders stop); `actor` is who (`token:<name>`, `cli:<user>`). */
  acknowledge(id: string, actor: string): Escalation {
    const escalation = this.find(id);
    if (escalation.status !== 'open') throw new UsageError(`escalation ${escalation.id} is ${escalation.status.replace('_', '-')}; only an open escalation can be acknowledged`);
    const now = this.dependencies.clock.now();
    const acknowledged: Escalation = { ...escalation, status: 'acknowledged', acknowledgedAt: now, acknowledgedBy: actor, updatedAt: now };
    this.dependencies.stores.escalations.update(acknowledged);
    return acknowledged;
  }

  /**
   * A human resolved it. Each fix given as a catalog action (e.g. "restart_unit" or "remove_stale_file:path=/run/x.pid")
   * is validated, recorded on the task's timeline and learned, so phase 1 tries it first next time. `actor` is who
   * resolved it (`token:<name>`, `cli:<user>`).
   */
  async resolve(id: string, input: { fixes: readonly string[]; note?: string; actor: string }): Promise<Escalation> {
    const { stores, clock, newId } = this.dependencies;
    const escalation = this.find(id);
    if (escalation.status === 'resolved' || escalation.status === 'auto_resolved') {
      throw new UsageError(`escalation ${escalation.id} is already ${escalation.status.replace('_', '-')}; nothing was changed`);
    }
    const actions = input.fixes.map((fix) => parseFix(fix, escalation.unit));
    if (actions.length > 0) await this.checkScope(escalation, input.fixes, actions);
    const now = clock.now();
    const resolution = actions.length > 0 ? `resolved by a human with ${actions.map((action) => planKey({ actions: [action] })).join(', ')}` : 'resolved by a human';
    if (actions.length > 0) {
      const plan = { actions, source: 'human' as const, reason: `fixed by hand${input.note ? `: ${input.note}` : ''}` };
      const attempt: Attempt = {
        id: newId(),
        taskId: escalation.taskId,
        phase: 4,
        source: 'human',
        planKey: planKey(plan),
        actions,
        reason: plan.reason,
        startedAt: now,
        finishedAt: now,
        outcome: 'success',
        detail: 'reported by the person who resolved the escalation',
        verification: null,
      };
      stores.transaction(() => {
        stores.attempts.start(attempt, escalation.service);
        stores.attempts.finish(attempt.id, { outcome: 'success', detail: attempt.detail, verification: null, finishedAt: now, acted: false });
        stores.patterns.record({ service: escalation.service, signature: escalation.signature, planKey: attempt.planKey, actions, success: true, at: now });
      });
    }
    return this.close({ ...escalation, fixes: actions, note: input.note ?? escalation.note }, 'resolved', resolution, 'escalation.resolved', now, input.actor);
  }

  /** A fix is learned only when it passes the same gate an agent's proposal does: catalog, then the task's scope. */
  private async checkScope(escalation: Escalation, texts: readonly string[], actions: readonly Action[]): Promise<void> {
    const { config } = this.dependencies;
    const scope =
      (await this.dependencies.scopeFor?.(escalation)) ??
      (await (async () => {
        const service = serviceOfTask(config, escalation);
        return service ? scopeOf(service, { serviceByUnit: (unit) => config.services.find((candidate) => candidate.unit === unit) }) : undefined;
      })());
    if (!scope) throw new UsageError(`service ${escalation.service} is no longer configured: a fix for it cannot be recorded; resolve without --fix`);
    actions.forEach((action, index) => {
      const violation = scopeViolation(action, scope, config);
      if (violation)
        throw new UsageError(`--fix "${texts[index]}": ${violation}; a fix is recorded (and learned) only when the orchestrator itself could run it here. Nothing was changed.`);
    });
  }

  private close(escalation: Escalation, status: 'resolved' | 'auto_resolved', resolution: string, kind: NotificationKind, now: number, actor: string): Escalation {
    const { stores } = this.dependencies;
    const closed: Escalation = { ...escalation, status, resolution, resolvedAt: now, resolvedBy: actor, updatedAt: now };
    stores.escalations.transaction(() => {
      stores.escalations.update(closed);
      this.notify(closed, kind);
    });
    for (const taskId of closed.taskIds) {
      const task = stores.tasks.get(taskId);
      if (task && task.status === 'escalated') {
        stores.tasks.finish(taskId, { status: 'recovered', fixSuccessful: false, fixedByPhase: null, closedAt: now, durationMs: now - task.detectedAt, reason: resolution });
      }
    }
    return closed;
  }

  /** Queues a notification for every channel (inside the caller's transaction on escalations.db). */
  private notify(escalation: Escalation, kind: NotificationKind, dedupSuffix?: string): void {
    const { stores, clock, host, channels, config, silenced, logger } = this.dependencies;
    if (channels.length === 0) return;
    const silence = silenced?.(escalation.service);
    if (silence) {
      logger.info({ escalation: escalation.id, service: escalation.service, kind, silence: silence.id }, `${kind} not sent: ${escalation.service} is silenced (${silence.id})`);
      return;
    }
    const now = clock.now();
    stores.outbox.enqueue(buildNotification(escalation, kind, { at: now, host, dedupSuffix, dashboardUrl: config.notify.dashboardUrl }), channels, now);
    stores.escalations.update({ ...escalation, lastNotifiedAt: now });
  }

  private find(id: string): Escalation {
    const escalation = this.dependencies.stores.escalations.get(id);
    if (!escalation) throw new UsageError(`no escalation with id "${id}" (see orchestrator escalations)`);
    return escalation;
  }
}

const MAX_FIX_LENGTH = 1000;

/** "restart_unit" or "remove_stale_file:path=/run/x.pid,other=1" → a validated catalog action. */
export function parseFix(text: string, unit: string | null): Action {
  if (text.length > MAX_FIX_LENGTH) throw new UsageError(`--fix: longer than ${MAX_FIX_LENGTH} characters`);
  const [rawType = '', rest] = text.split(/:(.*)/s);
  const type = rawType.trim();
  if (!isCatalogAction(type)) {
    throw new UsageError(
      `--fix "${text.slice(0, 100)}": "${type.slice(0, 60)}" is not a catalog action; one of: ${ACTION_TYPES.filter((name) => actionDefinition(name)!.executable !== false && name !== 'escalate').join(', ')} (orchestrator actions lists them)`,
    );
  }
  const entries: Array<[string, string | number]> = [];
  for (const pair of (rest ?? '').split(',').filter(Boolean)) {
    const [rawKey = '', value] = pair.split(/=(.*)/s);
    const key = rawKey.trim();
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(key) || value === undefined) throw new UsageError(`--fix "${text.slice(0, 100)}": expected TYPE or TYPE:key=value,key=value`);
    entries.push([key, /^\d{1,15}$/.test(value) ? Number(value) : value]);
  }
  const params: Record<string, string | number> = Object.fromEntries(entries);
  if (!Object.hasOwn(params, 'unit') && unit && actionDefinition(type)!.ownUnit) params.unit = unit;
  const validated = validateAction({ type, params });
  if (!validated.ok) throw new UsageError(`--fix "${text.slice(0, 100)}": ${validated.error}`);
  if (validated.action.type === 'escalate') throw new UsageError('--fix escalate is not a fix');
  if (actionDefinition(type)!.executable === false) throw new UsageError(`--fix ${type}: the executor cannot run it yet, so it is not learned`);
  return validated.action;
}
