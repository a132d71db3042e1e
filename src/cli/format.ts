/** Text renderings of summaries, statistics, tasks and patterns for the CLI. */
import type { FleetPatternRow } from '../store/fleet/fleet-store.js';
import type { Attempt, Issue, LearnedPattern, Task } from '../core/types.js';
import type { CycleRecord } from '../store/state-repository.js';
import type { OutcomeCounts } from '../store/task-outcomes.js';
import type { Escalation } from '../store/escalation-repository.js';
import { formatDuration } from '../config/duration.js';
import { table, when } from './table.js';
import { describeDrift } from '../drift/drift.js';

export function formatCycleSummary(summary: CycleRecord): string {
  const tracked =
    summary.tasksCreated === 0 && summary.issuesDetected > 0 ? ' (all already tracked)' : summary.alreadyTracked > 0 ? ` (${summary.alreadyTracked} already tracked)` : '';
  return [
    '=== Orchestration cycle complete ===',
    `Issues detected:     ${summary.issuesDetected}`,
    `Tasks created:       ${summary.tasksCreated}${tracked}`,
    `Fixes successful:    ${summary.fixes}`,
    `Escalations:         ${summary.escalations}`,
    `Checks run:          ${summary.checksRun}`,
    `Execution time:      ${(summary.durationMs / 1000).toFixed(2)}s`,
  ].join('\n');
}

/** `orchestrator stats`: the outcomes as store/task-outcomes.ts defines them (the dashboard's funnel shows the same). */
export function formatStats(stats: OutcomeCounts, days: number, shadow?: { proposals: number; withKnownFix: number; matched: number }): string {
  const rate = (count: number) => (stats.total > 0 ? `${((100 * count) / stats.total).toFixed(1)}%` : '-');
  // Phase 4 is a person: what reached one is counted as escalated, never as auto-fixed.
  const phases = [1, 2, 3].map((phase) => `    phase ${phase}:         ${stats.fixedByPhase[String(phase)] ?? 0}`);
  return [
    `=== Statistics (last ${days} day${days === 1 ? '' : 's'}) ===`,
    `Total tasks:         ${stats.total}`,
    `Auto-fixed:          ${stats.fixed} (${rate(stats.fixed)})`,
    ...phases,
    `Escalated:           ${stats.escalated} (${rate(stats.escalated)}; ${stats.escalatedOpen} still open)`,
    `Recovered by itself: ${stats.recovered}`,
    `Left alone:          ${stats.ignored} (unit disabled or masked: operator intent)`,
    `Pending:             ${stats.pending}`,
    `Fix rate:            ${rate(stats.fixed)}`,
    `Median time to recovery: ${stats.medianRecoveryMs === null ? '-' : formatDuration(stats.medianRecoveryMs)} (fixed or recovered tasks)`,
    ...(shadow && shadow.proposals > 0 ? [`Shadow proposals:    ${shadow.proposals}, ${shadow.withKnownFix} later fixed, ${shadow.matched} matched the fix that worked`] : []),
  ].join('\n');
}

/** Reasons in a list are cut to this many characters unless --wide asks for them whole. */
const REASON_CHARS = 80;
const reasonCell = (text: string, wide: boolean) => {
  const line = text.split('\n')[0]!;
  return wide || line.length <= REASON_CHARS ? line : `${line.slice(0, REASON_CHARS - 1)}…`;
};

export function formatTaskList(tasks: readonly Task[], wide = false): string {
  if (tasks.length === 0) return 'No tasks.';
  return table(
    ['ID', 'DETECTED', 'SERVICE', 'SYMPTOM', 'STATUS', 'PHASE', 'TIME', 'REASON'],
    tasks.map((task) => [
      task.id,
      when(task.detectedAt),
      task.service,
      task.symptom,
      task.status,
      task.fixedByPhase ?? task.phase ?? '-',
      task.durationMs === null ? '-' : formatDuration(task.durationMs),
      reasonCell(task.reason ?? task.message, wide),
    ]),
  );
}

export function formatTask(task: Task, attempts: readonly Attempt[], escalation: Escalation | undefined): string {
  const lines = [
    `Task ${task.id}: ${task.service} — ${task.symptom} (${task.status})`,
    `  Fingerprint:  ${task.fingerprint}  signature ${task.signature}`,
    `  Detected:     ${when(task.detectedAt)}   last seen ${when(task.lastSeen)}`,
    `  Closed:       ${when(task.closedAt)}${task.durationMs !== null ? `   after ${formatDuration(task.durationMs)}` : ''}`,
    `  Outcome:      ${task.fixSuccessful ? `fixed in phase ${task.fixedByPhase}` : task.status}${task.reason ? ` — ${task.reason.split('\n')[0]}` : ''}`,
    '',
    'Evidence',
    `  ${task.message}`,
  ];
  if (task.evidence.unit) {
    const unit = task.evidence.unit;
    lines.push(
      `  unit ${unit.name}: ${unit.activeState}/${unit.subState}, result ${unit.result}, main ${unit.execMainCode || '-'} ${unit.execMainStatus}, file state ${unit.unitFileState || '-'}`,
    );
  }
  for (const check of task.evidence.checks) lines.push(`  check ${check.checkId}: ${check.ok ? 'ok' : 'FAIL'} — ${check.message}`);
  if (task.evidence.logs.length > 0) {
    lines.push('  last log lines:');
    for (const line of task.evidence.logs.slice(-10)) lines.push(`    | ${line}`);
  }
  if (task.evidence.drift) {
    lines.push('', 'What changed since it was last known good');
    for (const line of describeDrift(task.evidence.drift, (ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19))) lines.push(`  ${line}`);
    const { drift } = task.evidence;
    if (drift.changes.length + drift.facts.length + drift.packages.length + drift.modified.length === 0) lines.push('  nothing: its definition and paths are as they were');
  }
  lines.push('', 'Timeline');
  if (attempts.length === 0) lines.push('  (no attempts)');
  for (const attempt of attempts) {
    const took = attempt.finishedAt === null ? '' : ` in ${formatDuration(attempt.finishedAt - attempt.startedAt)}`;
    lines.push(`  ${when(attempt.startedAt)}  phase ${attempt.phase} [${attempt.source}] ${attempt.planKey} → ${attempt.outcome ?? 'in progress'}${took}`);
    lines.push(`      why: ${attempt.reason}`);
    if (attempt.detail) lines.push(`      result: ${attempt.detail}`);
    if (attempt.verification) {
      for (const check of attempt.verification.checks) lines.push(`      verify ${check.checkId}: ${check.ok ? 'ok' : 'FAIL'} — ${check.message}`);
    }
  }
  if (task.reason && task.reason.includes('\n')) lines.push('', 'Details', ...task.reason.split('\n').map((line) => `  ${line}`));
  if (escalation) lines.push('', `Escalation ${escalation.id}: ${escalation.status} since ${when(escalation.createdAt)}`);
  return lines.join('\n');
}

export function formatPatterns(patterns: readonly LearnedPattern[]): string {
  if (patterns.length === 0) return 'No learned patterns yet.';
  return table(
    ['SERVICE', 'SIGNATURE', 'PLAN', 'OK', 'FAIL', 'CONFIDENCE', 'LAST USED'],
    patterns.map((pattern) => [pattern.service, pattern.signature, pattern.planKey, pattern.successes, pattern.failures, pattern.confidence.toFixed(2), when(pattern.lastUsed)]),
  );
}

/** The fleet's patterns, one row per host: where each was learned and how it did there. */
export function formatFleetPatterns(rows: ReadonlyArray<FleetPatternRow & { hostName: string }>): string {
  if (rows.length === 0) return 'No host has learned anything yet.';
  const sorted = [...rows].sort(
    (a, b) => a.service.localeCompare(b.service) || a.signature.localeCompare(b.signature) || a.planKey.localeCompare(b.planKey) || a.hostName.localeCompare(b.hostName),
  );
  return table(
    ['SERVICE', 'PROFILE', 'SIGNATURE', 'PLAN', 'HOST', 'OK', 'FAIL', 'LAST USED'],
    sorted.map((row) => [row.service, row.profile ?? '-', row.signature, row.planKey, row.hostName, row.successes, row.failures, when(row.lastUsed)]),
  );
}

export function formatEscalations(escalations: readonly Escalation[], wide = false): string {
  if (escalations.length === 0) return 'No escalations.';
  return table(
    ['ID', 'CREATED', 'SERVICE', 'SYMPTOM', 'STATUS', 'TIMES', 'ALSO', 'REASON'],
    escalations.map((escalation) => [
      escalation.id,
      when(escalation.createdAt),
      escalation.service,
      escalation.symptom,
      escalation.status,
      escalation.occurrences,
      escalation.grouped.join(',') || '-',
      reasonCell(escalation.resolution ?? escalation.reason, wide),
    ]),
  );
}

export function formatIssues(issues: readonly Issue[], checksRun: number): string {
  if (issues.length === 0) return `All ${checksRun} checks passed.`;
  return [
    `${issues.length} issue(s) found in ${checksRun} checks:`,
    table(
      ['SERVICE', 'CHECK', 'SYMPTOM', 'FINGERPRINT', 'MESSAGE'],
      issues.map((issue) => [issue.service, issue.checkId, issue.signature, issue.fingerprint, issue.message]),
    ),
  ].join('\n');
}
