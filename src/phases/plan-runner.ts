/**
 * Tries one plan on a task: records the attempt before acting, asks the policy, executes each action, waits for
 * the service to settle, re-runs its checks, and learns the outcome. A fix counts only when verification passes.
 */
import type { Clock, FleetGate, IdGenerator } from '../core/ports.js';
import type { Attempt, Phase, Plan, Verification } from '../core/types.js';
import { EscalateNowError, PolicyRefusal } from '../core/errors.js';
import type { Stores } from '../store/stores.js';
import type { Executor } from '../actions/executor.js';
import type { SafetyPolicy } from '../actions/safety-policy.js';
import { isStateChanging, planKey } from '../actions/catalog.js';
import type { Detector } from '../checks/detector.js';
import type { Logger } from '../core/logger.js';
import type { MetricsRecorder } from '../core/metrics.js';
import type { TaskContext } from './phase.js';

export type PlanResult =
  | { status: 'fixed'; attempt: Attempt }
  | { status: 'failed'; attempt: Attempt }
  | { status: 'refused'; attempt: Attempt; refusal: PolicyRefusal }
  /** A config test failed: hand to a human now; its output is added to the task's findings. */
  | { status: 'escalate_now'; reason: string };

export interface PlanRunnerDependencies {
  stores: Stores;
  executor: Executor;
  policy: SafetyPolicy;
  detector: Detector;
  clock: Clock;
  newId: IdGenerator;
  settleMs: number;
  logger: Logger;
  metrics?: MetricsRecorder;
  /** The fleet's budget and kill switch (with a fleet store); absent, this host decides alone. */
  fleet?: FleetGate;
}

/** Actions that only (re)start the unit, however hard: futile when the diagnosis says a restart cannot help. */
const FUTILE_ALONE = new Set(['restart_unit', 'start_unit', 'reset_failed', 'reload_unit', 'kill_process_tree']);

export class PlanRunner {
  constructor(private readonly dependencies: PlanRunnerDependencies) {}

  /** Tries a plan; a failing config test comes back as escalate_now (with its output in the findings). */
  async run(context: TaskContext, plan: Plan, phase: Phase, signal: AbortSignal): Promise<PlanResult> {
    try {
      return await this.runPlan(context, plan, phase, signal);
    } catch (error) {
      if (!(error instanceof EscalateNowError)) throw error;
      context.findings.push(...Object.entries(error.evidence).map(([name, value]) => `${name}: ${value}`));
      if (error.evidence.configTest !== undefined) {
        context.configTestFailure = String(error.evidence.output ?? '') || error.message;
        await context.reconsider?.(signal);
      }
      return { status: 'escalate_now', reason: error.message };
    }
  }

  private async runPlan(context: TaskContext, plan: Plan, phase: Phase, signal: AbortSignal): Promise<PlanResult> {
    const { stores, policy, detector, clock, newId, logger } = this.dependencies;
    const { task, service } = context;
    const attempt: Attempt = {
      id: newId(),
      taskId: task.id,
      phase,
      source: plan.source,
      planKey: planKey(plan),
      actions: plan.actions,
      reason: plan.reason,
      startedAt: clock.now(),
      finishedAt: null,
      outcome: null,
      detail: '',
      verification: null,
    };
    stores.attempts.start(attempt, service.name);
    context.attempts.push(attempt);
    const finish = (outcome: NonNullable<Attempt['outcome']>, detail: string, verification: Verification | null, acted: boolean) => {
      Object.assign(attempt, { outcome, detail, verification, finishedAt: clock.now() });
      for (const action of plan.actions) this.dependencies.metrics?.action(action.type, outcome);
      stores.attempts.finish(attempt.id, { outcome, detail, verification, finishedAt: attempt.finishedAt!, acted });
    };

    // The one gate for every proposer (patterns, agents, the ladder): a restart the evidence says cannot help is
    // not spent, and costs no budget.
    const futile = context.diagnosis?.restartFutile && plan.actions.every((action) => FUTILE_ALONE.has(action.type)) ? context.diagnosis : undefined;
    if (futile) {
      const refusal = new PolicyRefusal('not_allowed', `not restarted: a restart cannot help: ${futile.headline}`);
      finish('refused', refusal.message, null, false);
      logger.info({ task: task.id, service: service.name, plan: attempt.planKey }, refusal.message);
      return { status: 'refused', attempt, refusal };
    }
    let fleetHold: Awaited<ReturnType<FleetGate['acquire']>> | undefined;
    try {
      if (plan.actions.some(isStateChanging)) {
        const unitFileState = service.unit ? (await detector.unitStatus(service.unit, signal))?.unitFileState : undefined;
        policy.authorize(service.name, { unitFileState, humanAsked: context.humanAsked });
        // After this host's own gate: the fleet's budget (one host at a time by default) and its kill switch.
        fleetHold = await this.dependencies.fleet?.acquire(service.name, [...new Set(plan.actions.filter(isStateChanging).map((action) => action.type))], signal);
      }
    } catch (error) {
      if (!(error instanceof PolicyRefusal)) throw error;
      finish(error.reason === 'dry_run' ? 'dry_run' : 'refused', error.message, null, false);
      logger.info({ task: task.id, service: service.name, plan: attempt.planKey, reason: error.reason }, `not acting: ${error.message}`);
      return { status: 'refused', attempt, refusal: error };
    }

    try {
      return await this.act(context, plan, phase, attempt, finish, signal, fleetHold?.note);
    } finally {
      await fleetHold?.release();
    }
  }

  /** Runs the plan's actions, waits for the service to settle and verifies it (the fleet lease, if any, is held). */
  private async act(
    context: TaskContext,
    plan: Plan,
    phase: Phase,
    attempt: Attempt,
    finish: (outcome: NonNullable<Attempt['outcome']>, detail: string, verification: Verification | null, acted: boolean) => void,
    signal: AbortSignal,
    fleetNote?: string,
  ): Promise<PlanResult> {
    const { executor, detector, clock, logger } = this.dependencies;
    const { task, service } = context;
    const started = clock.monotonic();
    // The attempt says what the fleet's budget did: a wait for other hosts, or acting alone when it could not be asked.
    const details: string[] = fleetNote ? [fleetNote] : [];
    logger.info({ task: task.id, service: service.name, phase, source: plan.source, plan: attempt.planKey }, `acting: ${plan.reason}`);
    try {
      for (const action of plan.actions) {
        const result = await executor.execute(action, context.scope, signal);
        details.push(result.detail);
        if (!result.ok) {
          finish('failure', details.join('; '), null, true);
          this.learn(context, attempt, false);
          await context.reconsider?.(signal);
          return { status: 'failed', attempt };
        }
      }
    } catch (error) {
      if (error instanceof PolicyRefusal) {
        finish('refused', [...details, error.message].join('; '), null, details.length > 0);
        return { status: 'refused', attempt, refusal: error };
      }
      if (error instanceof EscalateNowError) {
        finish('failure', [...details, error.message].join('; '), null, details.length > 0);
        throw error;
      }
      finish('error', [...details, (error as Error).message].join('; '), null, true);
      if (signal.aborted) throw error;
      this.learn(context, attempt, false);
      await context.reconsider?.(signal);
      return { status: 'failed', attempt };
    }

    await clock.sleep(this.dependencies.settleMs, signal);
    const checks = await detector.verify(service.name, { signal, logSinceMs: clock.monotonic() - started });
    const verification: Verification = { passed: checks.every((check) => check.ok), checks, at: clock.now() };
    const failing = checks.find((check) => !check.ok);
    finish(
      verification.passed ? 'success' : 'failure',
      `${details.join('; ')}; verification ${verification.passed ? 'passed' : `failed: ${failing?.message}`}`,
      verification,
      true,
    );
    this.learn(context, attempt, verification.passed);
    logger.info(
      { task: task.id, service: service.name, plan: attempt.planKey, verified: verification.passed },
      verification.passed ? 'fix verified' : `fix not verified: ${failing?.message}`,
    );
    if (!verification.passed) await context.reconsider?.(signal);
    return verification.passed ? { status: 'fixed', attempt } : { status: 'failed', attempt };
  }

  /** Shadow mode: records what would have been done, acts on nothing. */
  recordShadow(context: TaskContext, plan: Plan, phase: Phase): Attempt {
    const { stores, clock, newId, logger } = this.dependencies;
    const now = clock.now();
    const attempt: Attempt = {
      id: newId(),
      taskId: context.task.id,
      phase,
      source: plan.source,
      planKey: planKey(plan),
      actions: plan.actions,
      reason: plan.reason,
      startedAt: now,
      finishedAt: now,
      outcome: 'shadow',
      detail: 'shadow mode: proposed, not acted on',
      verification: null,
    };
    stores.attempts.start(attempt, context.service.name);
    stores.attempts.finish(attempt.id, { outcome: 'shadow', detail: attempt.detail, verification: null, finishedAt: now, acted: false });
    context.attempts.push(attempt);
    logger.info({ task: context.task.id, service: context.service.name, phase, plan: attempt.planKey }, `shadow: would ${plan.reason}`);
    return attempt;
  }

  private learn(context: TaskContext, attempt: Attempt, success: boolean): void {
    this.dependencies.stores.patterns.record({
      service: context.service.name,
      signature: context.task.signature,
      planKey: attempt.planKey,
      actions: attempt.actions,
      success,
      at: this.dependencies.clock.now(),
    });
  }
}
