/**
 * The safety policy decides whether an action may run now: the kill switch, silences and autonomy off, dry run, operator intent
 * (masked or disabled units), a per-service action budget and a global rate limit. Windows run on monotonic
 * time; budgets are seeded from the store at start so a restart of the daemon does not reset them.
 */
import type { Clock } from '../core/ports.js';
import { PolicyRefusal } from '../core/errors.js';
import { SlidingWindow } from './sliding-window.js';

export interface SafetyPolicyOptions {
  clock: Clock;
  dryRun: boolean;
  budget: { actions: number; windowMs: number };
  rateLimit: { actions: number; windowMs: number };
  /** Reads the persisted kill switch (so `orchestrator pause` takes effect at once). */
  isPaused: () => boolean;
  /**
   * Why the service may not be acted on now although nothing else stops it: a silence or maintenance window
   * (`silenced`: wait) or its autonomy switched off (`autonomy_off`: a human's), read at each action.
   */
  heldBack?: (service: string) => { reason: 'silenced' | 'autonomy_off'; message: string } | undefined;
}

export const OPERATOR_INTENT_STATES = ['masked', 'masked-runtime', 'disabled'] as const;

export class SafetyPolicy {
  private readonly budgets = new Map<string, SlidingWindow>();
  private readonly rate: SlidingWindow;

  constructor(private readonly options: SafetyPolicyOptions) {
    this.rate = new SlidingWindow(options.rateLimit.actions, options.rateLimit.windowMs);
  }

  get dryRun(): boolean {
    return this.options.dryRun;
  }

  /** Replays actions taken before a restart (wall times) into the monotonic windows. */
  seed(history: ReadonlyArray<{ service: string; at: number }>): void {
    const { clock } = this.options;
    for (const entry of [...history].sort((a, b) => a.at - b.at)) {
      const monotonic = clock.monotonic() - (clock.now() - entry.at);
      this.budget(entry.service).record(monotonic);
      this.rate.record(monotonic);
    }
  }

  /** Throws PolicyRefusal when the action may not run; otherwise reserves budget for it. */
  /**
   * `humanAsked`: a person asked for this retry (escalation retry, the dashboard): the service's budget, which stops
   * automation from looping, does not stop it; the kill switch, operator intent, a dry run and the rate limit do.
   */
  authorize(service: string, context: { unitFileState?: string; humanAsked?: boolean }): void {
    if (this.options.isPaused()) throw new PolicyRefusal('paused', 'the kill switch is on (orchestrator resume to allow actions)');
    const held = this.options.heldBack?.(service);
    if (held) throw new PolicyRefusal(held.reason, held.message);
    const state = context.unitFileState ?? '';
    if ((OPERATOR_INTENT_STATES as readonly string[]).includes(state)) {
      throw new PolicyRefusal('operator_intent', `the unit is ${state}: operator intent, left alone`);
    }
    if (this.options.dryRun) throw new PolicyRefusal('dry_run', 'dry run: decided and recorded, not done');
    const now = this.options.clock.monotonic();
    const budget = this.budget(service);
    if (!context.humanAsked && !budget.hasRoom(now)) {
      throw new PolicyRefusal('budget', `action budget for ${service} exhausted: ${budget.limit} actions in ${Math.round(budget.windowMs / 60_000)} min`);
    }
    if (!this.rate.hasRoom(now)) {
      throw new PolicyRefusal('rate_limit', `global rate limit reached: ${this.rate.limit} actions per ${Math.round(this.rate.windowMs / 1000)} s`);
    }
    budget.record(now);
    this.rate.record(now);
  }

  remainingBudget(service: string): number {
    const budget = this.budget(service);
    return budget.limit - budget.count(this.options.clock.monotonic());
  }

  private budget(service: string): SlidingWindow {
    let window = this.budgets.get(service);
    if (!window) {
      window = new SlidingWindow(this.options.budget.actions, this.options.budget.windowMs);
      this.budgets.set(service, window);
    }
    return window;
  }
}
