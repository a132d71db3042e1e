/**
 * Turns an agent's proposed action into a plan the executor may run, or rejects it: off the catalog, bad
 * parameters, or outside the task's scope. A rejection is a security event: agents never act on their own.
 */
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { Action, Plan, PlanSource } from '../core/types.js';
import type { AdapterCapability } from '../core/ports.js';
import { actionDefinition } from '../actions/definitions/index.js';
import { isCatalogAction, validateAction } from '../actions/catalog.js';
import { scopeViolation, type ExecutionScope } from '../actions/scope.js';
import type { ProposedAction } from '../agents/agent.js';

export type Judgement = { ok: true; action: Action } | { ok: false; kind: 'off_catalog' | 'bad_parameters' | 'out_of_scope'; detail: string };

export function judgeProposal(proposed: ProposedAction, scope: ExecutionScope, config: CompiledConfig): Judgement {
  if (typeof proposed.type !== 'string' || !isCatalogAction(proposed.type)) {
    return { ok: false, kind: 'off_catalog', detail: `"${proposed.type.slice(0, 64)}" is not a catalog action` };
  }
  const validated = validateAction(proposed);
  if (!validated.ok) return { ok: false, kind: 'bad_parameters', detail: validated.error.slice(0, 500) };
  const violation = scopeViolation(validated.action, scope, config);
  if (violation) return { ok: false, kind: 'out_of_scope', detail: violation };
  return { ok: true, action: validated.action };
}

/**
 * Completes an action into a plan that can be verified: clearing state is followed by starting the service
 * (an agent proposing "remove the stale lock" means "remove it and start").
 */
export function planFor(action: Action, service: CompiledService, source: PlanSource, reason: string): Plan {
  const unit = { unit: service.unit };
  const follow: Action[] = [];
  switch (action.type) {
    case 'remove_stale_file':
    case 'reset_failed':
    case 'restore_unit_definition':
    case 'restore_permissions':
    case 'kill_stray_listener':
      follow.push({ type: 'start_unit', params: unit });
      break;
    case 'kill_process_tree':
      follow.push({ type: 'reset_failed', params: unit }, { type: 'start_unit', params: unit });
      break;
    case 'restore_config':
      follow.push({ type: 'restart_unit', params: unit });
      break;
    default:
      break;
  }
  return { actions: [action, ...follow], source, reason };
}

/**
 * A plan as the service's adapter can run it: a follow-up it cannot do (reset-failed on a process) is left out;
 * a plan whose first action it cannot do is dropped (undefined). Unknown capabilities: the plan as it is.
 */
export function withinCapabilities(plan: Plan, capabilities: ReadonlySet<AdapterCapability> | undefined): Plan | undefined {
  if (!capabilities) return plan;
  const supported = (action: Action) => {
    const needed = actionDefinition(action.type)?.capability;
    return !needed || capabilities.has(needed);
  };
  if (!supported(plan.actions[0]!)) return undefined;
  return { ...plan, actions: plan.actions.filter(supported) };
}
