/**
 * Per-service autonomy as it applies now: a person's switch (`orchestrator autonomy SERVICE off`, the dashboard),
 * persisted in the state table, over the config's setting. act fixes; shadow lets phases 2 and 3 only record what
 * they would do; off never acts and hands a failure to a human at once.
 */
import type { Autonomy, CompiledService } from '../config/compiled.js';
import { UsageError } from '../core/errors.js';
import type { AutonomyOverride, StateRepository } from '../store/state-repository.js';

export const AUTONOMY_MODES = ['act', 'shadow', 'off'] as const satisfies readonly Autonomy[];

export interface EffectiveAutonomy {
  mode: Autonomy;
  /** Set by a person (else from the config). */
  override?: AutonomyOverride;
}

export function effectiveAutonomy(service: Pick<CompiledService, 'name' | 'autonomy'>, overrides: ReadonlyMap<string, AutonomyOverride>): EffectiveAutonomy {
  const override = overrides.get(service.name);
  return override ? { mode: override.mode, override } : { mode: service.autonomy };
}

/** The service as the phases should see it: with the autonomy in force now. */
export function withEffectiveAutonomy<S extends CompiledService>(service: S, state: Pick<StateRepository, 'autonomyOverrides'>): S {
  const { mode } = effectiveAutonomy(service, state.autonomyOverrides());
  return mode === service.autonomy ? service : { ...service, autonomy: mode };
}

/** Validates a mode named on the CLI or in the API. */
export function parseAutonomy(text: string): Autonomy | 'config' {
  if ((AUTONOMY_MODES as readonly string[]).includes(text) || text === 'config') return text as Autonomy | 'config';
  throw new UsageError(`expected act, shadow, off or config (to use the config's setting again), not ${JSON.stringify(text.slice(0, 40))}`);
}

/** Switches a service's autonomy ('config' removes the switch). The caller has checked the service exists. */
export function switchAutonomy(state: StateRepository, service: string, mode: Autonomy | 'config', by: string, at: number, reason?: string): void {
  if (reason !== undefined && reason.length > 500) throw new UsageError('a reason is at most 500 characters');
  state.setAutonomy(service, mode === 'config' ? undefined : { mode, by, ...(reason && { reason }) }, at);
}

/** "off (set by cli:alice 2026-12-03T10:00:00.000Z: migrating the database)". */
export function describeAutonomy(effective: EffectiveAutonomy): string {
  const { mode, override } = effective;
  if (!override) return `${mode} (from the config)`;
  return `${mode} (set by ${override.by} ${new Date(override.at).toISOString()}${override.reason ? `: ${override.reason}` : ''})`;
}
