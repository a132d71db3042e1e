/**
 * The action catalog: every action the orchestrator may take, each with a parameter schema. Whatever proposes
 * an action (a profile, a learned pattern, later an agent), it runs only if it parses here.
 */
import type { Action, ActionType, Plan } from '../core/types.js';
import { ACTION_DEFINITIONS, actionDefinition } from './definitions/index.js';

/** Every action type, in catalog order. */
export const ACTION_TYPES: readonly ActionType[] = ACTION_DEFINITIONS.map((definition) => definition.type);

/** Whether `type` names a catalog action (an own entry: never a prototype key such as __proto__). */
export function isCatalogAction(type: string): boolean {
  return actionDefinition(type) !== undefined;
}

/** Parses an action's parameters against its schema; returns a clean action or a readable error. */
export function validateAction(action: { type: string; params: unknown }): { ok: true; action: Action } | { ok: false; error: string } {
  const definition = typeof action.type === 'string' ? actionDefinition(action.type) : undefined;
  if (!definition) return { ok: false, error: `"${String(action.type).slice(0, 60)}" is not a catalog action` };
  const parsed = definition.params.safeParse(action.params ?? {});
  if (!parsed.success) {
    return { ok: false, error: `${action.type}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'params'}: ${issue.message}`).join('; ')}` };
  }
  return { ok: true, action: { type: definition.type as ActionType, params: parsed.data } };
}

/** The canonical form of an action: type plus parameters in key order, so equal actions compare equal. */
export function actionKey(action: Action): string {
  const params = Object.keys(action.params)
    .sort()
    .map((key) => `${key}=${String(action.params[key])}`)
    .join(',');
  return `${action.type}(${params})`;
}

export function planKey(plan: Pick<Plan, 'actions'>): string {
  return plan.actions.map(actionKey).join(' + ');
}

/** Actions that change something on the host (escalate does not). */
export function isStateChanging(action: Action): boolean {
  return action.type !== 'escalate';
}
