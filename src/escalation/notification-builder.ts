/** Builds the Notification payload for an escalation event (the same data for email, webhooks and Slack). */
import type { Escalation } from '../store/escalation-repository.js';
import type { Notification, NotificationKind } from '../core/notification.js';
import type { Evidence, Task } from '../core/types.js';
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
      evidence: notifiedEvidence(escalation.evidence, escalation.reason),
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

/** The failed check, the unit state and the last log lines, as a notification carries them. */
function notifiedEvidence(evidence: Evidence, reason: string): Notification['escalation']['evidence'] {
  return {
    message: sanitizeText(evidence.checks.find((check) => !check.ok)?.message ?? reason.split('\n')[0] ?? '', 500),
    unit: evidence.unit && `${evidence.unit.name}: ${evidence.unit.activeState}/${evidence.unit.subState}, result ${evidence.unit.result}`,
    logs: sanitizeLines(evidence.logs, 10, 300),
  };
}

/**
 * "<service> is down, left alone because the unit is disabled": a task left alone by operator intent, told once
 * (the dedup key is the task's). The task fills the escalation fields; the actions say how to look and how to
 * let it run.
 */
export function buildLeftAloneNotification(task: Task, options: { at: number; host: string; dashboardUrl?: string }): Notification {
  const state = task.evidence.unit?.unitFileState || 'disabled or masked';
  const unit = task.unit ?? task.service;
  const start = state.startsWith('masked') ? `systemctl unmask ${unit} && systemctl enable --now ${unit}` : `systemctl enable --now ${unit}`;
  const headline = `${task.service} is down, left alone because the unit is ${state}`;
  const reason = `${headline}\nThe orchestrator never starts a unit that is disabled or masked: that is an operator's decision. If it should run: ${start}; if not, remove it from the configuration.`;
  return {
    version: 1,
    kind: 'service.left_alone',
    dedupKey: `${task.id}:service.left_alone`,
    at: new Date(options.at).toISOString(),
    host: options.host,
    escalation: {
      id: task.id,
      taskId: task.id,
      service: task.service,
      symptom: task.symptom,
      status: 'left_alone',
      reason: sanitizeText(reason, 8000),
      createdAt: new Date(task.detectedAt).toISOString(),
      occurrences: task.occurrences,
      grouped: [],
      evidence: notifiedEvidence(task.evidence, headline),
      attempts: [],
      hypotheses: [],
    },
    actions: {
      ack: `orchestrator task ${task.id}`,
      resolve: start,
      dashboard: options.dashboardUrl && `${options.dashboardUrl.replace(/\/$/, '')}/tasks/${task.id}`,
    },
  };
}
