/**
 * How a task ended, or not: the one definition behind `orchestrator stats`, the dashboard's overview, funnel and
 * task filter, and the metrics. Decided from the tasks.db row and whether an escalation in escalations.db lists
 * the task, in this order:
 *
 * - escalated: it reached a person (an escalation lists it, or its status is escalated), however it went on:
 *   still open, acknowledged, resolved by a human, auto-resolved once healthy, or finished by the orchestrator
 *   on a retry. A person was told; that is what this number counts.
 * - fixed: fixed by phase 1, 2 or 3 and verified, without a person.
 * - recovered: healthy again with nothing done (status recovered, never escalated).
 * - ignored: left alone by intent (status ignored: the unit is disabled or masked) and still down.
 * - pending: open or being worked on.
 *
 * Once a task is fixed, escalated or recovered its outcome never changes, so counts of those only grow. Time to
 * recovery is the time from detection to the close of a task that ended healthy (fixed or recovered); an open
 * or escalated task has none.
 */
import type { Phase, Task, TaskStatus } from '../core/types.js';
import type { Stores } from './stores.js';

export const TASK_OUTCOMES = ['fixed', 'escalated', 'recovered', 'ignored', 'pending'] as const;
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];
/** The outcomes that never change once reached. */
export const FINAL_OUTCOMES: readonly TaskOutcome[] = ['fixed', 'escalated', 'recovered'];

/** The fields of a task its outcome depends on. */
export type OutcomeFacts = Pick<Task, 'status' | 'fixSuccessful'>;

/** A task's outcome; `escalated`: whether an escalation lists it. */
export function taskOutcome(task: OutcomeFacts, escalated: boolean): TaskOutcome {
  if (escalated || task.status === 'escalated') return 'escalated';
  if (task.fixSuccessful) return 'fixed';
  if (task.status === 'open' || task.status === 'running') return 'pending';
  if (task.status === 'ignored') return 'ignored';
  return 'recovered';
}

/** Time from detection to the close of a task that ended healthy (fixed or recovered); null for any other. */
export function recoveryMs(task: Pick<Task, 'closedAt' | 'durationMs'>, outcome: TaskOutcome): number | null {
  return (outcome === 'fixed' || outcome === 'recovered') && task.closedAt !== null ? task.durationMs : null;
}

/** The same decision in SQL over a `tasks` row; needs the ESCALATED_CTE in the statement's WITH. */
export const OUTCOME_SQL = `CASE WHEN status = 'escalated' OR id IN escalated THEN 'escalated'
  WHEN fix_successful = 1 THEN 'fixed'
  WHEN status IN ('open', 'running') THEN 'pending'
  WHEN status = 'ignored' THEN 'ignored'
  ELSE 'recovered' END`;
/** `escalated(id)`: the ids of escalated tasks, bound as one JSON array parameter. */
export const ESCALATED_CTE = `escalated(id) AS (SELECT value FROM json_each(?))`;

/** Tasks by outcome, and fixed ones by the phase that fixed them. */
export interface OutcomeCounts {
  total: number;
  fixed: number;
  /** Keys "1", "2", "3": phase 4 is a person, counted as escalated. */
  fixedByPhase: Record<string, number>;
  escalated: number;
  /** Of the escalated ones, those still waiting for a person (status escalated). */
  escalatedOpen: number;
  recovered: number;
  ignored: number;
  pending: number;
  /** Median time to recovery of the tasks that ended healthy (fixed or recovered); null when none did. */
  medianRecoveryMs: number | null;
}

/** One group of tasks as the repository counts them. */
export interface OutcomeRow {
  outcome: TaskOutcome;
  fixedByPhase: Phase | null;
  status: TaskStatus;
  count: number;
}

/** Adds up grouped rows; `recoveries` are the times to recovery of the tasks that ended healthy. */
export function countOutcomes(rows: Iterable<OutcomeRow>, recoveries: readonly number[]): OutcomeCounts {
  const counts: OutcomeCounts = {
    total: 0,
    fixed: 0,
    fixedByPhase: {},
    escalated: 0,
    escalatedOpen: 0,
    recovered: 0,
    ignored: 0,
    pending: 0,
    medianRecoveryMs: median(recoveries),
  };
  for (const row of rows) {
    counts.total += row.count;
    counts[row.outcome] += row.count;
    if (row.outcome === 'fixed') {
      const phase = String(row.fixedByPhase ?? 'none');
      counts.fixedByPhase[phase] = (counts.fixedByPhase[phase] ?? 0) + row.count;
    }
    if (row.outcome === 'escalated' && row.status === 'escalated') counts.escalatedOpen += row.count;
  }
  return counts;
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
}

/** The ids of tasks an escalation lists, for escalations touched since `sinceMs` (0: all). */
export function escalatedTaskIds(stores: Pick<Stores, 'escalations'>, sinceMs = 0): string[] {
  return stores.escalations.escalatedTaskIdsSince(sinceMs);
}

/** Outcome counts of the tasks detected after `sinceMs`. */
export function outcomeCounts(stores: Pick<Stores, 'tasks' | 'escalations'>, sinceMs: number): OutcomeCounts {
  return stores.tasks.outcomeCounts(sinceMs, escalatedTaskIds(stores, sinceMs)).counts;
}
