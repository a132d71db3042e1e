/**
 * What the daemon does with Alertmanager's alerts: each is mapped to a managed service (the config's routes, then
 * its `service` or `unit` label), recorded, and a firing one opens or joins the service's task, which the usual
 * phases remediate behind the usual gate. A resolved one is recorded and its task re-checked. An alert for nothing
 * managed is recorded and ignored. Repeats of an alert already handled wait for Alertmanager's resolved for a while
 * (alertmanager.resolveWithin) instead of restarting a fixed service again.
 */
import { createHash } from 'node:crypto';
import type { CompiledAlertmanager, CompiledService } from '../config/compiled.js';
import type { Clock } from '../core/ports.js';
import type { Logger } from '../core/logger.js';
import type { AlertEvidence, Task } from '../core/types.js';
import { matchesAll } from '../core/label-matchers.js';
import type { Stores } from '../store/stores.js';
import type { AlertOutcome, ReceivedAlert } from '../store/alert-repository.js';
import type { ActiveSilence } from '../control/silences.js';
import type { AlertmanagerAlert, AlertmanagerPayload } from './alertmanager-payload.js';

/** The orchestrator's side: open or join a task, re-check one. */
export interface AlertSink {
  alertFiring(service: CompiledService, alert: AlertEvidence): { taskId: string; outcome: 'opened' | 'joined' };
  alertResolved(taskId: string): void;
}

export interface AlertIntakeDependencies {
  config: CompiledAlertmanager;
  services: () => readonly CompiledService[];
  stores: Stores;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  /** Absent when the daemon does not remediate (then alerts are recorded only). */
  sink?: AlertSink;
  silenced?: (service: CompiledService) => ActiveSilence | undefined;
}

/** What one payload did, answered to Alertmanager (and kept in the log). */
export interface IntakeSummary {
  received: number;
  outcomes: Partial<Record<AlertOutcome | 'resolved', number>>;
  alerts: Array<{ alertname: string; fingerprint: string; status: string; service: string | null; outcome: AlertOutcome | 'resolved'; task: string | null }>;
}

const FINISHED: ReadonlySet<Task['status']> = new Set(['fixed', 'recovered', 'ignored']);

export class AlertIntake {
  constructor(private readonly dependencies: AlertIntakeDependencies) {}

  receive(payload: AlertmanagerPayload): IntakeSummary {
    const { stores, logger } = this.dependencies;
    const summary: IntakeSummary = { received: payload.alerts.length, outcomes: {}, alerts: [] };
    for (const alert of payload.alerts) {
      const result = this.one(alert);
      summary.outcomes[result.outcome] = (summary.outcomes[result.outcome] ?? 0) + 1;
      summary.alerts.push(result);
    }
    stores.alerts.prune();
    logger.info(
      { receiver: payload.receiver, groupKey: payload.groupKey?.slice(0, 200), status: payload.status, outcomes: summary.outcomes, truncated: payload.truncatedAlerts ?? 0 },
      `Alertmanager sent ${payload.alerts.length} alert(s): ${Object.entries(summary.outcomes)
        .map(([outcome, count]) => `${count} ${outcome}`)
        .join(', ')}`,
    );
    return summary;
  }

  private one(alert: AlertmanagerAlert): IntakeSummary['alerts'][number] {
    const { stores, clock, config, sink, silenced, logger } = this.dependencies;
    const now = clock.now();
    const fingerprint = alert.fingerprint ?? labelFingerprint(alert.labels);
    const startsAt = Date.parse(alert.startsAt);
    const alertname = alert.labels.alertname ?? '(no alertname)';
    const service = this.route(alert.labels);
    const previous = stores.alerts.get(fingerprint, startsAt);
    const record = (outcome: AlertOutcome | 'resolved', taskId: string | null): IntakeSummary['alerts'][number] => {
      const row: ReceivedAlert = {
        fingerprint,
        startsAt,
        alertname,
        service: service?.name ?? null,
        status: alert.status,
        labels: alert.labels,
        annotations: alert.annotations,
        generatorURL: alert.generatorURL ?? null,
        taskId,
        outcome: outcome === 'resolved' ? (previous?.outcome ?? 'recorded') : outcome,
        received: (previous?.received ?? 0) + 1,
        firstReceivedAt: previous?.firstReceivedAt ?? now,
        lastReceivedAt: now,
        resolvedAt: alert.status === 'resolved' ? (previous?.resolvedAt ?? now) : null,
      };
      stores.alerts.save(row);
      return { alertname, fingerprint, status: alert.status, service: row.service, outcome, task: taskId };
    };

    if (!service) return record('unmanaged', null);
    if (alert.status === 'resolved') {
      const taskId = previous?.taskId ?? null;
      // Saved first: the task's re-check must not see this alert as still firing.
      const result = record('resolved', taskId);
      if (taskId && sink) {
        const task = stores.tasks.get(taskId);
        if (task && task.status === 'fixed' && previous?.status === 'firing')
          logger.info({ task: taskId, alert: alertname, service: service.name }, `Alertmanager confirms the fix: ${alertname} resolved`);
        else if (task && (task.status === 'open' || task.status === 'running'))
          // Prometheus can see the service back before the fix's own verification ends: that verification decides.
          logger.info({ task: taskId, alert: alertname, service: service.name }, `Alertmanager says ${alertname} resolved while the task is ${task.status}: its checks decide`);
        sink.alertResolved(taskId);
      }
      return result;
    }
    const evidence: AlertEvidence = {
      alertname,
      status: 'firing',
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt,
      generatorURL: alert.generatorURL ?? null,
      fingerprint,
      receivedAt: now,
    };
    if (!config.act || !sink) return record('recorded', previous?.taskId ?? null);
    // A repeat of an alert whose task was fixed: Alertmanager resolves it a little later; a new failure only past that.
    if (previous?.taskId) {
      const task = stores.tasks.get(previous.taskId);
      if (task && FINISHED.has(task.status) && task.closedAt !== null && now - task.closedAt < config.resolveWithinMs) return record('awaiting_resolution', task.id);
    }
    const silence = silenced?.(service);
    const { taskId, outcome } = sink.alertFiring(service, evidence);
    return record(silence ? 'silenced' : outcome, taskId);
  }

  /** The managed service an alert is for: the first route that matches, else its service or unit label. */
  private route(labels: Record<string, string>): CompiledService | undefined {
    const services = this.dependencies.services();
    for (const route of this.dependencies.config.routes) {
      if (matchesAll(route.matchers, labels)) return services.find((service) => service.name === route.service);
    }
    const named = labels.service;
    if (named !== undefined) {
      const service = services.find((candidate) => candidate.name === named);
      if (service) return service;
    }
    const unit = labels.unit;
    return unit === undefined ? undefined : services.find((candidate) => candidate.unit === unit || candidate.unit === `${unit}.service`);
  }
}

/** Alertmanager's fingerprint when the payload has none: a hash of the sorted labels. */
function labelFingerprint(labels: Record<string, string>): string {
  const text = Object.keys(labels)
    .sort()
    .map((key) => `${key}\u0000${labels[key]}`)
    .join('\u0001');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
