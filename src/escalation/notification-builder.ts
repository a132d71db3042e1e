/** Builds the Notification payload for an escalation event (the same data for email, webhooks and Slack). */
import type { Escalation } from '../store/escalation-repository.js';
import type { Notification, NotificationKind } from '../core/notification.js';
import { sanitizeLines, sanitizeText } from '../core/sanitize.js';

export function buildNotification(
  escalation: Escalation,
  kind: NotificationKind,
  options: { at: number; host: string; dedupSuffix?: string; dashboardUrl?: string },
): Notification {
  const dedupKey = `${escalation.id}:${kind}${options.dedupSuffix ? `:${options.dedupSuffix}` : ''}`;
  return {
    version: 1,
    kind,
    dedupKey,
    at: new Date(options.at).toISOString(),
    host: options.host,
    escalation: {
      id: escalation.id,
      taskId: escalation.taskId,
      service: escalation.service,
      symptom: escalation.symptom,
      status: escalation.status,
      reason: sanitizeText(escalation.reason, 8000),
      createdAt: new Date(escalation.createdAt).toISOString(),
      occurrences: escalation.occurrences,
      grouped: [...escalation.grouped],
      evidence: {
        message: sanitizeText(escalation.evidence.checks.find((check) => !check.ok)?.message ?? escalation.reason.split('\n')[0] ?? '', 500),
        unit:
          escalation.evidence.unit &&
          `${escalation.evidence.unit.name}: ${escalation.evidence.unit.activeState}/${escalation.evidence.unit.subState}, result ${escalation.evidence.unit.result}`,
        logs: sanitizeLines(escalation.evidence.logs, 10, 300),
      },
      attempts: escalation.attempts.map((attempt) => ({
        phase: attempt.phase,
        source: attempt.source,
        plan: attempt.planKey,
        outcome: attempt.outcome,
        detail: sanitizeText(attempt.detail, 500),
        at: new Date(attempt.startedAt).toISOString(),
      })),
      hypotheses: escalation.hypotheses.map((line) => sanitizeText(line, 500)),
      resolution: escalation.resolution ?? undefined,
    },
    actions: {
      ack: `orchestrator escalation ack ${escalation.id}`,
      resolve: `orchestrator escalation resolve ${escalation.id} [--fix ACTION] [--note TEXT]`,
      dashboard: options.dashboardUrl && `${options.dashboardUrl.replace(/\/$/, '')}/escalations/${escalation.id}`,
    },
  };
}
