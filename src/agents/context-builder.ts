/**
 * Builds what an agent sees from a task's accumulated context: the service, its evidence (sanitised again),
 * every attempt so far, earlier findings, learned patterns, matching profile log signatures, and the catalog
 * actions scoped to this task.
 */
import type { CompiledConfig } from '../config/compiled.js';
import type { LearnedPattern } from '../core/types.js';
import { sanitizeLines, sanitizeText } from '../core/sanitize.js';
import type { TaskContext } from '../phases/phase.js';
import { compileLogPattern } from '../checks/log-pattern.js';
import { runtimeRoots } from '../actions/scope.js';
import type { AgentContext, CatalogEntry } from './agent.js';

export function buildAgentContext(context: TaskContext, options: { config: CompiledConfig; learned: readonly LearnedPattern[]; hasSnapshot: boolean }): AgentContext {
  const { task, service, scope } = context;
  const { evidence } = context;
  const logs = sanitizeLines(evidence.logs, 30, 400);
  const knownSignatures: AgentContext['knownSignatures'] = [];
  for (const signature of service.profile?.logSignatures ?? []) {
    const pattern = compileLogPattern(signature.pattern);
    const line = logs.find((candidate) => pattern.test(candidate));
    if (line) knownSignatures.push({ symptom: signature.symptom, hint: signature.hint, line });
  }
  return {
    service: {
      name: service.name,
      unit: service.unit,
      profile: service.profile?.name,
      dependencies: [...scope.dependencyUnits],
      runtimeFiles: [...service.runtimeFiles],
      runtimeDirectories: runtimeRoots(scope, options.config.dataDir),
      configPaths: [...service.configPaths],
    },
    task: { id: task.id, symptom: task.symptom, signature: task.signature, message: sanitizeText(task.message, 500) },
    unit: evidence.unit && { ...evidence.unit },
    checks: evidence.checks.map((check) => ({ checkId: check.checkId, ok: check.ok, message: sanitizeText(check.message, 300) })),
    logs,
    attempts: context.attempts.map((attempt) => ({ phase: attempt.phase, source: attempt.source, plan: attempt.planKey, outcome: attempt.outcome, detail: sanitizeText(attempt.detail, 500) })),
    findings: context.findings.map((finding) => sanitizeText(finding, 2000)),
    learned: options.learned.map((pattern) => ({ plan: pattern.planKey, successes: pattern.successes, failures: pattern.failures, confidence: Number(pattern.confidence.toFixed(3)) })),
    knownSignatures,
    catalog: catalogFor(context, options.config, options.hasSnapshot),
  };
}

/** The catalog entries this task may use, with their parameters spelled out. */
export function catalogFor(context: TaskContext, config: CompiledConfig, hasSnapshot: boolean): CatalogEntry[] {
  const { service, scope } = context;
  const unit = `"${service.unit}"`;
  const entries: CatalogEntry[] = [];
  if (service.unit) {
    entries.push(
      { type: 'restart_unit', description: 'restart the service', params: { unit } },
      { type: 'start_unit', description: 'start the stopped service', params: { unit } },
      { type: 'reset_failed', description: 'clear the failed state (e.g. after start-limit-hit), then start', params: { unit } },
      { type: 'resume_process', description: 'send SIGCONT to a stopped (SIGSTOP) process', params: { unit } },
      { type: 'kill_process_tree', description: 'SIGKILL every process of the unit, reset-failed, start', params: { unit } },
    );
    if (service.profile?.reloadable) entries.push({ type: 'reload_unit', description: 'reload the configuration without a restart', params: { unit } });
    if (scope.dependencyUnits.length > 0) {
      entries.push({ type: 'restart_dependency', description: 'restart a dependency that is down or broken, not the service', params: { unit: `one of ${scope.dependencyUnits.map((name) => `"${name}"`).join(', ')}` } });
    }
    const roots = runtimeRoots(scope, config.dataDir);
    if (service.runtimeFiles.length > 0 || roots.length > 0) {
      entries.push({
        type: 'remove_stale_file',
        description: 'remove a pid, lock or socket file with no live owner, then start',
        params: { path: `an absolute path: ${[...service.runtimeFiles.map((file) => `"${file}"`), ...roots.map((root) => `a file under "${root}/"`)].join(', ')}` },
      });
    }
    if (hasSnapshot) entries.push({ type: 'restore_config', description: 'restore the last-known-good configuration snapshot, then restart', params: { unit } });
    const playbooks = Object.keys(service.playbooks);
    if (playbooks.length > 0) entries.push({ type: 'run_playbook', description: 'run a named playbook of this service', params: { name: `one of ${playbooks.map((name) => `"${name}"`).join(', ')}` } });
    // kill_stray_listener is in the catalog but not yet implemented by the executor, so it is not offered.
  }
  for (const cleanup of config.host.cleanup) {
    entries.push({ type: 'clean_directory', description: 'delete old files from an allow-listed directory', params: { path: `"${cleanup.path}"`, olderThanMs: `at least ${cleanup.olderThanMs}` } });
  }
  entries.push({ type: 'vacuum_journal', description: 'shrink the systemd journal', params: { maxSizeMb: 'a size in MB, at least 16' } });
  entries.push({ type: 'escalate', description: 'hand the task to a human: nothing safe would fix it', params: { reason: 'optional text' } });
  return entries;
}
