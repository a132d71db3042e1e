/** Domain types shared by the detector, the pipeline, the store and the CLI. */
import type { Block, DriftReport } from './drift-report.js';

export const CHECK_TYPES = ['unit', 'http', 'tcp', 'command', 'log', 'disk', 'inodes', 'memory'] as const;
export type CheckType = (typeof CHECK_TYPES)[number];

/** Symptom classes: the stable part of a fingerprint. */
export const SYMPTOMS = [
  'unit_failed',
  'unit_inactive',
  'unit_not_found',
  'http_error',
  'http_timeout',
  'http_status',
  'tcp_refused',
  'tcp_timeout',
  'command_failed',
  'command_timeout',
  'log_pattern',
  'disk_full',
  'inodes_full',
  'memory_pressure',
  'alert_firing',
  'host_silent',
] as const;
export type Symptom = (typeof SYMPTOMS)[number];

/** The outcome of one check run. */
export interface CheckResult {
  checkId: string;
  type: CheckType;
  ok: boolean;
  /** Set when not ok. */
  symptom?: Symptom;
  /** A finer class used for learning, such as the unit's result (signal, exit-code). */
  detail?: string;
  message: string;
}

export interface Evidence {
  unit?: {
    name: string;
    /** The neutral state (running, starting, stopped, failed, missing); the rest is the adapter's detail. */
    state?: string;
    activeState: string;
    subState: string;
    result: string;
    execMainStatus: number;
    execMainCode: string;
    unitFileState: string;
  };
  /** Last log lines, sanitised and capped. */
  logs: string[];
  checks: CheckResult[];
  /** What changed since the service was last known good, computed when remediation begins. */
  drift?: DriftReport;
  /** What only a human can clear, when the task was escalated on it: re-checked every cycle (a program back, a config test passing). */
  block?: Block;
  /** Alerts from Alertmanager that opened or joined the task, newest last (a few at most). */
  alerts?: AlertEvidence[];
}

/** An alert as kept in a task's evidence: what Prometheus saw, and where to look. */
export interface AlertEvidence {
  alertname: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  generatorURL: string | null;
  fingerprint: string;
  receivedAt: number;
}

/** A failing check on a service (or the host), identified by a stable fingerprint. */
export interface Issue {
  fingerprint: string;
  service: string;
  unit?: string;
  checkId: string;
  symptom: Symptom;
  /** symptom plus detail: the key learned patterns are stored under. */
  signature: string;
  message: string;
  evidence: Evidence;
  detectedAt: number;
}

export const TASK_STATUSES = ['open', 'running', 'fixed', 'escalated', 'recovered', 'ignored'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
/** Statuses in which a task still tracks its fingerprint. */
export const TRACKING_STATUSES: readonly TaskStatus[] = ['open', 'running', 'escalated', 'ignored'];

export const PHASES = [1, 2, 3, 4] as const;
export type Phase = (typeof PHASES)[number];

export interface Task {
  id: string;
  fingerprint: string;
  service: string;
  unit: string | null;
  checkId: string;
  symptom: Symptom;
  signature: string;
  status: TaskStatus;
  phase: Phase | null;
  message: string;
  evidence: Evidence;
  detectedAt: number;
  lastSeen: number;
  occurrences: number;
  closedAt: number | null;
  fixSuccessful: boolean;
  fixedByPhase: Phase | null;
  durationMs: number | null;
  reason: string | null;
}

/**
 * A catalog action's name. The catalog itself is the action definitions (src/actions/definitions/); every action
 * is validated there before it runs, so the core needs no list of its own.
 */
export type ActionType = string;

/** A catalog action with its parameters (validated by the catalog's schemas before it runs). */
export interface Action {
  type: ActionType;
  params: Record<string, string | number | boolean>;
}

/** Where a proposed plan came from: shown in every attempt so each action is explained. */
export const PLAN_SOURCES = ['learned', 'profile', 'dependency', 'generic', 'agent', 'ladder', 'consensus', 'human'] as const;
export type PlanSource = (typeof PLAN_SOURCES)[number];

/** One or more actions tried together and verified once, with why they were chosen. */
export interface Plan {
  actions: Action[];
  source: PlanSource;
  reason: string;
}

/** shadow: a phase-2/3 proposal recorded in shadow mode, not acted on. */
export const ATTEMPT_OUTCOMES = ['success', 'failure', 'refused', 'dry_run', 'shadow', 'interrupted', 'error'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export interface Verification {
  passed: boolean;
  checks: CheckResult[];
  at: number;
}

export interface Attempt {
  id: string;
  taskId: string;
  phase: Phase;
  source: PlanSource;
  /** Canonical key of the plan: what learning counts. */
  planKey: string;
  actions: Action[];
  reason: string;
  startedAt: number;
  finishedAt: number | null;
  outcome: AttemptOutcome | null;
  detail: string;
  verification: Verification | null;
}

export interface LearnedPattern {
  service: string;
  signature: string;
  planKey: string;
  actions: Action[];
  successes: number;
  failures: number;
  /** Decayed weights used for confidence. */
  weightedSuccesses: number;
  weightedFailures: number;
  confidence: number;
  lastUsed: number;
}

/** An action an agent proposes: checked against the catalog, the scope and the policy before anything runs. */
export interface ProposedAction {
  type: string;
  params: Record<string, unknown>;
}

export interface Verdict {
  diagnosis: string;
  /** A short class such as address_in_use, stale_lock, dependency_down, config_changed. */
  symptomClass: string;
  action: ProposedAction;
  /** In [0, 1]. */
  confidence: number;
  rationale: string;
}
