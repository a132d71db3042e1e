/**
 * The notification contract: what the orchestrator tells people about escalations, by every channel. The
 * generic webhook body is exactly a `Notification` (JSON, `version` 1); email and Slack render the same data.
 */
/**
 * `service.left_alone`: a configured service is down and nothing is done because its unit is disabled or masked
 * (operator intent); sent once per task, with the task in the `escalation` fields (id and taskId are the task's).
 */
export const NOTIFICATION_KINDS = ['escalation.opened', 'escalation.reminder', 'escalation.recovered', 'escalation.resolved', 'service.left_alone', 'test'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface NotificationAttempt {
  phase: number;
  source: string;
  plan: string;
  outcome: string | null;
  detail: string;
  at: string;
}

export interface Notification {
  /** Schema version of this payload. */
  version: 1;
  kind: NotificationKind;
  /** Stable per escalation and kind (and reminder number): receivers drop duplicates by it. */
  dedupKey: string;
  /** ISO time the event happened. */
  at: string;
  host: string;
  escalation: {
    id: string;
    taskId: string;
    service: string;
    symptom: string;
    status: string;
    /** Why it needs a human: the last phase's reason and findings (config test output, verdicts). */
    reason: string;
    createdAt: string;
    occurrences: number;
    /** Other services grouped under this escalation (one cause). */
    grouped: string[];
    /** The check that failed and the unit state when detected. */
    evidence: { message: string; unit?: string; logs: string[] };
    attempts: NotificationAttempt[];
    /** The agents' verdicts, one line each. */
    hypotheses: string[];
    resolution?: string;
  };
  /** How to act: the CLI commands, and the dashboard link when configured. */
  actions: { ack: string; resolve: string; dashboard?: string };
}

/** A delivery channel (email, a webhook). Throws NotifyError on failure. */
export interface Notifier {
  /** The channel name used in the outbox and in status, e.g. "email" or "webhook:ops". */
  readonly channel: string;
  send(notification: Notification, signal: AbortSignal): Promise<void>;
}
