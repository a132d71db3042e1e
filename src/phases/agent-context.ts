/**
 * Builds what an agent sees from a task's accumulated context: the service, its evidence (sanitised again),
 * every attempt so far, earlier findings, learned patterns, matching profile log signatures, and the catalog
 * actions scoped to this task.
 */
import type { CompiledConfig } from '../config/compiled.js';
import type { LearnedPattern } from '../core/types.js';
import { sanitizeLines, sanitizeText } from '../core/sanitize.js';
import type { TaskContext } from './phase.js';
import { compileLogPattern } from '../core/log-pattern.js';
import { ACTION_DEFINITIONS } from '../actions/definitions/index.js';
import { runtimeRoots } from '../actions/scope.js';
import { describeDrift } from '../drift/drift.js';
import type { AgentContext, CatalogEntry } from '../agents/agent.js';

export function buildAgentContext(
  context: TaskContext,
  options: { config: CompiledConfig; learned: readonly LearnedPattern[]; hasSnapshot: boolean; hasKnownGood?: boolean },
): AgentContext {
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
    attempts: context.attempts.map((attempt) => ({
      phase: attempt.phase,
      source: attempt.source,
      plan: attempt.planKey,
      outcome: attempt.outcome,
      detail: sanitizeText(attempt.detail, 500),
    })),
    drift: evidence.drift
      ? sanitizeLines(
          describeDrift(evidence.drift, (ms) => new Date(ms).toISOString()),
          60,
          400,
        )
      : [],
    findings: context.findings.map((finding) => sanitizeText(finding, 2000)),
    learned: options.learned.map((pattern) => ({
      plan: pattern.planKey,
      successes: pattern.successes,
      failures: pattern.failures,
      confidence: Number(pattern.confidence.toFixed(3)),
    })),
    knownSignatures,
    catalog: catalogFor(context, options.config, options.hasSnapshot, options.hasKnownGood ?? context.evidence.drift?.knownGoodAt != null),
  };
}

/** The catalog entries this task may use, with their parameters spelled out: each action's own offer. */
export function catalogFor(context: TaskContext, config: CompiledConfig, hasSnapshot: boolean, hasKnownGood = false): CatalogEntry[] {
  const { scope } = context;
  const entries: CatalogEntry[] = [];
  for (const definition of ACTION_DEFINITIONS) {
    if (definition.executable === false) continue;
    if (definition.capability && scope.capabilities && !scope.capabilities.has(definition.capability)) continue;
    const offer = definition.offer(scope, { config, hasSnapshot, hasKnownGood });
    if (offer) entries.push({ type: definition.type, ...offer });
  }
  return entries;
}
