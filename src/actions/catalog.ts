/**
 * The action catalog: every action the orchestrator may take, each with a parameter schema. Whatever proposes
 * an action (a profile, a learned pattern, later an agent), it runs only if it parses here.
 */
import { z } from 'zod/v4';
import type { Action, ActionType, Plan } from '../core/types.js';

const unit = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@:\\-]*\.(service|socket|timer|target|mount|path)$/, { error: 'expected a unit name such as nginx.service' })
  .max(256);
const absolutePath = z
  .string()
  .max(4096)
  .refine((path) => path.startsWith('/') && !path.split('/').includes('..') && !/[\u0000-\u001f]/.test(path), {
    error: 'expected an absolute path without ".." or control characters',
  });
const pid = z.number().int().min(2);

export const ACTION_PARAMETERS = {
  restart_unit: z.object({ unit }).strict(),
  start_unit: z.object({ unit }).strict(),
  reload_unit: z.object({ unit }).strict(),
  reset_failed: z.object({ unit }).strict(),
  restart_dependency: z.object({ unit }).strict(),
  resume_process: z.object({ unit }).strict(),
  kill_process_tree: z.object({ unit }).strict(),
  kill_stray_listener: z.object({ port: z.number().int().min(1).max(65535), pid }).strict(),
  remove_stale_file: z.object({ path: absolutePath }).strict(),
  clean_directory: z.object({ path: absolutePath, olderThanMs: z.number().int().min(60_000) }).strict(),
  vacuum_journal: z.object({ maxSizeMb: z.number().int().min(16).max(1_000_000) }).strict(),
  restore_config: z.object({ unit }).strict(),
  run_playbook: z.object({ name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }).strict(),
  escalate: z.object({ reason: z.string().max(2000).optional() }).strict(),
} satisfies Record<ActionType, z.ZodType>;

/** Parses an action's parameters against its schema; returns a clean action or a readable error. */
export function validateAction(action: { type: string; params: unknown }): { ok: true; action: Action } | { ok: false; error: string } {
  const schema = Object.hasOwn(ACTION_PARAMETERS, action.type) ? ACTION_PARAMETERS[action.type as ActionType] : undefined;
  if (!schema) return { ok: false, error: `"${String(action.type).slice(0, 60)}" is not a catalog action` };
  const parsed = schema.safeParse(action.params ?? {});
  if (!parsed.success) {
    return { ok: false, error: `${action.type}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'params'}: ${issue.message}`).join('; ')}` };
  }
  return { ok: true, action: { type: action.type as ActionType, params: parsed.data as Action['params'] } };
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
